package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// BenchmarkConvCold runs ResNet-50's 7×7 and 14×14 layers and its
// Winograd layers as a model does: their weights (up to 9 MB each) come
// from memory, not cache, and the copies share one scratch, as a model's
// arena does. Copies of each layer with their own weights (64 MB in all)
// run round-robin; BenchmarkConv's one instance keeps its weights in the
// host's caches and hides what streaming them costs (there, splitting N
// between two threads looked as good as splitting M; here it is 30–40 %
// slower, as in the models).
func BenchmarkConvCold(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	layers := []struct {
		name string
		cc   convCase
	}{
		{"mobilenetv2.project960", convCase{n: 1, c: 960, h: 7, w: 7, m: 320, kh: 1, kw: 1, bias: true}},
		{"mobilenetv2.last1x1", convCase{n: 1, c: 320, h: 7, w: 7, m: 1280, kh: 1, kw: 1, bias: true}},
		{"resnet50.layer4.1.conv1", convCase{n: 1, c: 2048, h: 7, w: 7, m: 512, kh: 1, kw: 1, bias: true}},
		{"resnet50.layer4.1.conv2", convCase{n: 1, c: 512, h: 7, w: 7, m: 512, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
		{"resnet50.layer4.conv2", convCase{n: 1, c: 512, h: 14, w: 14, m: 512, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}},
		{"resnet50.layer4.1.conv3", convCase{n: 1, c: 512, h: 7, w: 7, m: 2048, kh: 1, kw: 1, bias: true}},
		{"resnet50.layer3.0.conv2", convCase{n: 1, c: 256, h: 28, w: 28, m: 256, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}},
		{"resnet50.layer1.1.conv2", convCase{n: 1, c: 64, h: 56, w: 56, m: 64, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
		{"resnet50.layer2.1.conv2", convCase{n: 1, c: 128, h: 28, w: 28, m: 128, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
		{"resnet50.layer3.1.conv2", convCase{n: 1, c: 256, h: 14, w: 14, m: 256, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}},
	}
	for _, l := range layers {
		p, err := ops.ParseConvParams(l.cc.node())
		if err != nil {
			b.Fatal(err)
		}
		x, w, bias := l.cc.operands(rng)
		probe, err := New(p, w, bias, Epilogue{}, Options{Algorithm: AlgoIm2col})
		if err != nil {
			b.Fatal(err)
		}
		o, _ := probe.Infer([]*tensor.Tensor{x})
		flops := 2.0 * float64(l.cc.m*l.cc.c*l.cc.kh*l.cc.kw*o[0].Shape[2]*o[0].Shape[3])
		for _, threads := range []int{1, 2} {
			for _, algo := range []string{AlgoWinograd, AlgoGEMM1x1, AlgoIm2col} {
				if !probe.applies(algo) {
					continue
				}
				b.Run(fmt.Sprintf("layer=%s/algo=%s/threads=%d", l.name, algo, threads), func(b *testing.B) {
					ks := make([]*Conv, max(2, (64<<20)/(4*w.Len())))
					for i := range ks {
						_, wi, _ := l.cc.operands(rng)
						k, err := New(p, wi, bias, Epilogue{Act: asm.Activation{Kind: asm.ActReLU}}, Options{Algorithm: algo, Threads: threads})
						if err != nil {
							b.Fatal(err)
						}
						ks[i] = k
					}
					in, out := []*tensor.Tensor{x}, []*tensor.Tensor{tensor.New(tensor.Float32, o[0].Shape...)}
					scratch := make([]float32, ks[0].ScratchSize(in).Size())
					for _, k := range ks {
						k.RunScratch(in, out, scratch)
					}
					c0 := cpuTime()
					i := 0
					for b.Loop() {
						ks[i].RunScratch(in, out, scratch)
						i = (i + 1) % len(ks)
					}
					reportRates(b, flops, c0)
				})
			}
		}
	}
}
