package asm

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzRowKernels feeds arbitrary float32 bit patterns (every NaN payload,
// denormals, infinities) to the exact row kernels of every table and
// compares them with the generic twins bitwise (NaN matching any NaN).
//
//	go test -run NONE -fuzz FuzzRowKernels ./asm
func FuzzRowKernels(f *testing.F) {
	f.Add([]byte{0, 0, 0x80, 0x7f, 0, 0, 0xc0, 0x7f, 1, 0, 0, 0}, float32(0.5), float32(-2))
	f.Add(make([]byte, 4*41), float32(0), float32(6))
	f.Fuzz(func(t *testing.T, data []byte, a, b float32) {
		n := len(data) / 4
		x := make([]float32, n+1)
		for i := 0; i < n; i++ {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		got, want := make([]float32, n+1), make([]float32, n+1)
		check := func(what string, m int) {
			for i := 0; i < m; i++ {
				if !sameFloat(got[i], want[i]) {
					t.Fatalf("%s n=%d: [%d] = %#x, twin %#x (a=%g b=%g)", what, n, i,
						math.Float32bits(got[i]), math.Float32bits(want[i]), a, b)
				}
			}
		}
		for _, tab := range Tables() {
			for _, c := range []struct {
				name    string
				f, twin ActFunc
			}{{"relu", tab.ReLU, reluGeneric}, {"clip", tab.Clip, clipGeneric}, {"leakyrelu", tab.LeakyReLU, leakyReLUGeneric},
				{"hardsigmoid", tab.HardSigmoid, hardSigmoidGeneric}, {"hardswish", tab.HardSwish, hardSwishGeneric}} {
				c.f(n, &got[0], &x[0], a, b)
				c.twin(n, &want[0], &x[0], a, b)
				check(tab.Name+"/"+c.name, n)
			}
			tab.ScaleShift(n, &got[0], &x[0], a, b, -1, 1)
			scaleShiftGeneric(n, &want[0], &x[0], a, b, -1, 1)
			check(tab.Name+"/scaleshift", n)
			if o := (n - 1) / 2; o > 0 { // one row of 2o+1 columns, ldr 0: three identical rows
				tab.MaxPool3x3s2(1, o, &got[0], o, &x[0], 0)
				maxPool3x3s2Row(o, &want[0], &x[0], 0)
				check(tab.Name+"/maxpool3x3s2", o)
				tab.AvgPool2x2s2(1, o, &got[0], o, &x[0], 1)
				avgPool2x2s2Row(o, &want[0], &x[0], 1)
				check(tab.Name+"/avgpool2x2s2", o)
			}
			// The inputs as planes: one to three, rows of 1 … PlanesWidest.
			w, p := 1+n%PlanesWidest, 1+n%3
			for _, c := range []struct {
				name    string
				f, twin PoolPlanesFunc
			}{{"maxpool3x3s1planes", tab.MaxPool3x3s1Planes, maxPool3x3s1PlanesGeneric},
				{"avgpool3x3s1planes", tab.AvgPool3x3s1Planes, avgPool3x3s1PlanesGeneric}} {
				if h := n / (p * w); c.f != nil && h > 0 {
					c.f(p, h, w, &got[0], &x[0])
					c.twin(p, h, w, &want[0], &x[0])
					check(tab.Name+"/"+c.name, p*h*w)
				}
			}
		}
	})
}
