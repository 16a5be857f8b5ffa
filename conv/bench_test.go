package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/internal/testutil"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// benchLayers are conv layers of ResNet-18/50, MobileNetV2 and VGG-16 at
// batch 1.
var benchLayers = []struct {
	name string
	cc   convCase
}{
	{"resnet18.conv1", convCase{n: 1, c: 3, h: 224, w: 224, m: 64, kh: 7, kw: 7, strides: []int{2, 2}, pads: []int{3, 3, 3, 3}, bias: true}},
	{"alexnet.conv1", convCase{n: 1, c: 3, h: 224, w: 224, m: 64, kh: 11, kw: 11, strides: []int{4, 4}, pads: []int{2, 2, 2, 2}, bias: true}},
	{"alexnet.conv2", convCase{n: 1, c: 64, h: 27, w: 27, m: 192, kh: 5, kw: 5, pads: []int{2, 2, 2, 2}, bias: true}},
	{"squeezenet.conv1", convCase{n: 1, c: 3, h: 224, w: 224, m: 64, kh: 3, kw: 3, strides: []int{2, 2}, bias: true}},
	{"squeezenet.fire3.squeeze", convCase{n: 1, c: 128, h: 55, w: 55, m: 16, kh: 1, kw: 1, bias: true}},
	{"squeezenet.fire2.expand3x3", convCase{n: 1, c: 16, h: 55, w: 55, m: 64, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
	{"squeezenet.fire4.expand3x3", convCase{n: 1, c: 32, h: 27, w: 27, m: 128, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
	{"squeezenet.classifier", convCase{n: 1, c: 512, h: 13, w: 13, m: 1000, kh: 1, kw: 1, bias: true}},
	{"squeezenet.fire6.expand3x3", convCase{n: 1, c: 48, h: 13, w: 13, m: 192, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
	{"resnet18.layer1", convCase{n: 1, c: 64, h: 56, w: 56, m: 64, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
	{"resnet18.layer2.down", convCase{n: 1, c: 64, h: 56, w: 56, m: 128, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}},
	{"resnet18.layer3", convCase{n: 1, c: 256, h: 14, w: 14, m: 256, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
	{"resnet18.layer4", convCase{n: 1, c: 512, h: 7, w: 7, m: 512, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
	{"resnet50.layer1.expand", convCase{n: 1, c: 64, h: 56, w: 56, m: 256, kh: 1, kw: 1, bias: true}},
	{"resnet50.layer2.down", convCase{n: 1, c: 256, h: 56, w: 56, m: 512, kh: 1, kw: 1, strides: []int{2, 2}, bias: true}},
	{"resnet50.layer2.conv2", convCase{n: 1, c: 128, h: 56, w: 56, m: 128, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}},
	{"resnet50.layer2.3x3", convCase{n: 1, c: 128, h: 28, w: 28, m: 128, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
	{"resnet50.layer3.conv2", convCase{n: 1, c: 256, h: 28, w: 28, m: 256, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}},
	{"resnet50.layer3.0.conv1", convCase{n: 1, c: 512, h: 28, w: 28, m: 256, kh: 1, kw: 1, bias: true}},
	{"resnet50.layer4.conv2", convCase{n: 1, c: 512, h: 14, w: 14, m: 512, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}},
	{"resnet50.layer4.down", convCase{n: 1, c: 1024, h: 14, w: 14, m: 2048, kh: 1, kw: 1, strides: []int{2, 2}, bias: true}},
	{"resnet50.layer3.reduce", convCase{n: 1, c: 1024, h: 14, w: 14, m: 256, kh: 1, kw: 1, bias: true}},
	{"mobilenetv2.conv0", convCase{n: 1, c: 3, h: 224, w: 224, m: 32, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}},
	{"mobilenetv2.expand16", convCase{n: 1, c: 16, h: 112, w: 112, m: 96, kh: 1, kw: 1, bias: true}},
	{"mobilenetv2.project16", convCase{n: 1, c: 32, h: 112, w: 112, m: 16, kh: 1, kw: 1, bias: true}},
	{"mobilenetv2.project24", convCase{n: 1, c: 144, h: 56, w: 56, m: 24, kh: 1, kw: 1, bias: true}},
	{"mobilenetv2.project960", convCase{n: 1, c: 960, h: 7, w: 7, m: 320, kh: 1, kw: 1, bias: true}},
	{"mobilenetv2.last1x1", convCase{n: 1, c: 320, h: 7, w: 7, m: 1280, kh: 1, kw: 1, bias: true}},
	{"mobilenetv2.dw32.s1", convCase{n: 1, c: 32, h: 112, w: 112, m: 32, kh: 3, kw: 3, group: 32, pads: []int{1, 1, 1, 1}, bias: true}},
	{"mobilenetv2.dw144.s1", convCase{n: 1, c: 144, h: 56, w: 56, m: 144, kh: 3, kw: 3, group: 144, pads: []int{1, 1, 1, 1}, bias: true}},
	{"mobilenetv2.dw96.s2", convCase{n: 1, c: 96, h: 112, w: 112, m: 96, kh: 3, kw: 3, group: 96, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}},
	{"mobilenetv2.dw144.s2", convCase{n: 1, c: 144, h: 56, w: 56, m: 144, kh: 3, kw: 3, group: 144, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}},
	{"mobilenetv2.dw960.s1", convCase{n: 1, c: 960, h: 7, w: 7, m: 960, kh: 3, kw: 3, group: 960, pads: []int{1, 1, 1, 1}, bias: true}},
	{"mobilenetv2.dw192.s1", convCase{n: 1, c: 192, h: 28, w: 28, m: 192, kh: 3, kw: 3, group: 192, pads: []int{1, 1, 1, 1}, bias: true}},
	{"efficientnet.dw240.5x5", convCase{n: 1, c: 240, h: 28, w: 28, m: 240, kh: 5, kw: 5, group: 240, pads: []int{2, 2, 2, 2}, bias: true}},
	{"mobilenetv2.dw192.s2", convCase{n: 1, c: 192, h: 28, w: 28, m: 192, kh: 3, kw: 3, group: 192, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}},
	{"efficientnet.dw144.5x5.s2", convCase{n: 1, c: 144, h: 56, w: 56, m: 144, kh: 5, kw: 5, group: 144, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}, bias: true}},
	{"mobilenetv2.dw384.s1", convCase{n: 1, c: 384, h: 14, w: 14, m: 384, kh: 3, kw: 3, group: 384, pads: []int{1, 1, 1, 1}, bias: true}},
	{"efficientnet.dw480.5x5", convCase{n: 1, c: 480, h: 14, w: 14, m: 480, kh: 5, kw: 5, group: 480, pads: []int{2, 2, 2, 2}, bias: true}},
	{"efficientnet.dw240.5x5.s2", convCase{n: 1, c: 240, h: 28, w: 28, m: 240, kh: 5, kw: 5, group: 240, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}, bias: true}},
	{"mobilenetv2.dw960.5x5", convCase{n: 1, c: 960, h: 7, w: 7, m: 960, kh: 5, kw: 5, group: 960, pads: []int{2, 2, 2, 2}, bias: true}},
	{"vgg16.conv3_2", convCase{n: 1, c: 256, h: 56, w: 56, m: 256, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
	{"vgg16.conv4_2", convCase{n: 1, c: 512, h: 28, w: 28, m: 512, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
}

// BenchmarkConv reports effective GFLOP/s = 2·M·(C/g)·kH·kW·OH·OW / time
// for each layer under its chosen algorithm and the alternatives that
// apply, plus a plain GEMM of the same M×N×K (algo=gemm-baseline). Depthwise
// layers also report MB/s of input read plus output written, beside
// algo=stream: the same bytes moved by a copy and a sum, which stay in
// cache as the layer's do, and layer=dram/algo=stream, the rate of a copy
// too large for any cache (the two references of a memory-bound layer).
func BenchmarkConv(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	// The memory reference: 64 MB copied, beyond any cache here.
	b.Run("layer=dram/algo=stream/threads=1", func(b *testing.B) {
		x, y := randT(rng, 16<<20).Float32s(), randT(rng, 16<<20).Float32s() // touched: no page faults timed
		testutil.Stream(b, x, y)
	})
	for _, l := range benchLayers {
		x, w, bias := l.cc.operands(rng)
		p, err := ops.ParseConvParams(l.cc.node())
		if err != nil {
			b.Fatal(err)
		}
		auto, err := New(p, w, bias, Epilogue{Act: asm.Activation{Kind: asm.ActReLU}}, Options{Algorithm: AlgoIm2col})
		if err != nil {
			b.Fatal(err)
		}
		o, _ := auto.Infer([]*tensor.Tensor{x})
		out := []*tensor.Tensor{tensor.New(tensor.Float32, o[0].Shape...)}
		g := max(l.cc.group, 1)
		oh, ow := o[0].Shape[2], o[0].Shape[3]
		flops := 2.0 * float64(l.cc.m*(l.cc.c/g)*l.cc.kh*l.cc.kw*oh*ow)
		for _, threads := range []int{1, 2} {
			for _, algo := range []string{AlgoWinograd, AlgoGEMM1x1, AlgoDepthwise, AlgoIm2col} {
				if !auto.applies(algo) {
					continue
				}
				name := fmt.Sprintf("layer=%s/algo=%s/threads=%d", l.name, algo, threads)
				b.Run(name, func(b *testing.B) {
					k, err := New(p, w, bias, Epilogue{Act: asm.Activation{Kind: asm.ActReLU}}, Options{Algorithm: algo, Threads: threads})
					if err != nil {
						b.Fatal(err)
					}
					in := []*tensor.Tensor{x}
					k.Run(in, out)
					if algo == AlgoDepthwise {
						b.SetBytes(int64(4 * (x.Len() + out[0].Len())))
					}
					b.ReportAllocs()
					c0 := cpuTime()
					for b.Loop() {
						k.Run(in, out)
					}
					reportRates(b, flops, c0)
				})
			}
			if g > 1 && g == l.cc.c && threads == 1 {
				b.Run(fmt.Sprintf("layer=%s/algo=stream/threads=1", l.name), func(b *testing.B) {
					testutil.Stream(b, x.Float32s(), out[0].Float32s())
				})
			}
			if g == 1 {
				// The same M×N×K as one plain GEMM with packed A.
				m, n, kk := l.cc.m, oh*ow, l.cc.c*l.cc.kh*l.cc.kw
				name := fmt.Sprintf("layer=%s/algo=gemm-baseline/threads=%d", l.name, threads)
				b.Run(name, func(b *testing.B) {
					// Random operands: untouched zero pages would all map to one
					// cache-hot page and flatter the baseline.
					pa := gemm.PackA(asm.Default(), false, m, kk, randT(rng, m*kk).Float32s(), kk, nil)
					bm, cm := randT(rng, kk*n).Float32s(), randT(rng, m*n).Float32s()
					prm := gemm.Params{M: m, N: n, K: kk, Alpha: 1, PackedA: pa, B: bm, LDB: n, C: cm, LDC: n, Threads: threads}
					b.ReportAllocs()
					c0 := cpuTime()
					for b.Loop() {
						gemm.Gemm(&prm)
					}
					reportRates(b, flops, c0)
				})
			}
		}
	}
}

// cpuTime returns the process's user+system CPU time. The benchmark host
// is shared, so besides the wall-clock rate each benchmark reports
// GFLOP/s-cpu: the rate per CPU-second actually used (per core).
func reportRates(b *testing.B, flops float64, c0 time.Duration) {
	n := float64(b.N)
	b.ReportMetric(flops*n/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if c := cpuTime() - c0; c > 0 {
		b.ReportMetric(flops*n/c.Seconds()/1e9, "GFLOP/s-cpu")
	}
}

// BenchmarkPeak reports the single-thread FMA peak of each table.
func BenchmarkPeak(b *testing.B) {
	for _, t := range asm.Tables() {
		b.Run("isa="+t.Name, func(b *testing.B) {
			for b.Loop() {
				t.FMAProbe(1 << 16)
			}
			b.ReportMetric(float64(b.N)*float64(1<<16)*float64(t.ProbeFlops)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
