package asm

import (
	"fmt"
	"testing"
)

// BenchmarkRowKernels runs every row kernel of every table on row sizes
// from real layers (e.g. MobileNetV2 112×112 and 56×56 rows, a 64K-element
// activation block), reporting bytes read and written per second.
//
//	go test -run NONE -bench RowKernels -count 5 ./asm | benchstat -col /isa -
func BenchmarkRowKernels(b *testing.B) {
	const n = 1 << 16 // activation block
	x := make([]float32, n+64)
	// y starts 1 KB + 68 B past a 4 KB boundary relative to x, so stores
	// to y do not alias loads from x (4K aliasing would dominate rows).
	y := make([]float32, n+64+1024)[273:]
	for i := range x {
		x[i] = float32(i%29)*0.25 - 3
		y[i] = float32(i%13)*0.5 - 2
	}
	w := []float32{0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, -0.9}
	for _, tab := range Tables() {
		run := func(name string, bytes int, f func()) {
			b.Run(fmt.Sprintf("isa=%s/kernel=%s", tab.Name, name), func(b *testing.B) {
				b.SetBytes(int64(bytes))
				b.ReportAllocs()
				for b.Loop() {
					f()
				}
			})
		}
		for _, a := range []struct {
			name string
			f    ActFunc
		}{{"relu", tab.ReLU}, {"clip", tab.Clip}, {"leakyrelu", tab.LeakyReLU}, {"hardsigmoid", tab.HardSigmoid},
			{"hardswish", tab.HardSwish}, {"sigmoid", tab.Sigmoid}, {"silu", tab.SiLU}} {
			run(a.name+"/n=65536", 8*n, func() { a.f(n, &y[0], &x[0], 0, 6) })
		}
		run("scaleshift/n=65536", 8*n, func() { tab.ScaleShift(n, &y[0], &x[0], 1.5, 0.5, 0, 6) })
		run("add/n=65536", 12*n, func() { tab.Add(n, &y[0], &x[0], &y[0]) })
		// Pooling: 112-wide input rows → 56 outputs (ResNet stem max pool).
		const ow, ld = 56, 113
		run("maxpool3x3s2/n=56", 4*(3*ld+ow), func() { tab.MaxPool3x3s2(1, ow, &y[0], ow, &x[0], ld) })
		run("maxpool2x2s2/n=56", 4*(2*ld+ow), func() { tab.MaxPool2x2s2(1, ow, &y[0], ow, &x[0], ld) })
		run("avgpool2x2s2/n=56", 4*(2*ld+ow), func() { tab.AvgPool2x2s2(1, ow, &y[0], ow, &x[0], ld) })
		run("maxfold/s=2/n=56", 4*(2*ow+ow), func() { tab.MaxFold(ow, &y[0], &x[0], 2) })
		// Depthwise rows: MobileNetV2 112×112 stride 1, 112→56 stride 2.
		run("dwconv3x3s1/n=112", 4*(3*114+112), func() { tab.DWConv3x3s1(112, &y[0], &x[0], 114, &w[0], 0.5, 0, 6) })
		run("dwconv3x3s2/n=56", 4*(3*114+56), func() { tab.DWConv3x3s2(56, &y[0], &x[0], 114, &w[0], 0.5, 0, 6) })
		// Winograd passes on a run of 14 tiles (56-wide rows).
		const tiles, wp = 14, 4*14 + 2
		run("wino43incols/n=58", 4*12*wp, func() { tab.Winograd43InCols(wp, &y[0], wp, &x[0], wp) })
		run("wino43inrow/n=14x6", 4*6*(wp+6*tiles), func() { tab.Winograd43InRow(tiles, &x[0], wp, &y[0], 64) })
		run("wino43outcols/n=14", 4*10*tiles, func() { tab.Winograd43OutCols(tiles, &y[0], 64, &x[0], 64) })
		run("wino43outrow/n=14", 4*10*tiles, func() { tab.Winograd43OutRow(tiles, &y[0], &x[0], 64, 0.5) })
	}
}
