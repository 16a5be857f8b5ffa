package pool

import (
	"fmt"
	"github.com/gocnn/gocnn/asm"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// BenchmarkPool reports GB/s of input read plus output written.
func BenchmarkPool(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	type layer struct {
		name string
		op   string
		pc   poolCase
	}
	for _, l := range []layer{
		{"resnet.maxpool3x3s2", "MaxPool", poolCase{shape: []int{1, 64, 112, 112}, kernel: []int{3, 3}, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}}},
		{"vgg.maxpool2x2s2", "MaxPool", poolCase{shape: []int{1, 128, 112, 112}, kernel: []int{2, 2}, strides: []int{2, 2}}},
		{"densenet.avgpool2x2s2", "AveragePool", poolCase{shape: []int{1, 128, 56, 56}, kernel: []int{2, 2}, strides: []int{2, 2}}},
		{"inception.avgpool3x3s1", "AveragePool", poolCase{shape: []int{1, 192, 35, 35}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}}},
	} {
		x := randT(rng, l.pc.shape...)
		p, err := ops.ParsePoolParams(l.pc.node(l.op))
		if err != nil {
			b.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			var k *Pool
			if l.op == "MaxPool" {
				k, _ = NewMax(p, Options{Threads: threads})
			} else {
				k, _ = NewAverage(p, Options{Threads: threads})
			}
			benchKernel(b, fmt.Sprintf("layer=%s/threads=%d", l.name, threads), k, x)
		}
	}
	x := randT(rng, 1, 512, 7, 7)
	benchKernel(b, "layer=resnet.globalavgpool/threads=1", NewGlobal(false, Options{Threads: 1}), x)
	x = randT(rng, 1, 144, 56, 56)
	for _, threads := range []int{1, 2} {
		bn, _ := NewBatchNorm(randT(rng, 144), randT(rng, 144), randT(rng, 144), randT(rng, 144), 1e-5, asm.Activation{Kind: asm.ActReLU}, Options{Threads: threads})
		benchKernel(b, fmt.Sprintf("layer=batchnorm+relu.144x56x56/threads=%d", threads), bn, x)
		for _, a := range []asm.Activation{{Kind: asm.ActReLU}, {Kind: asm.ActClip, Min: 0, Max: 6}, {Kind: asm.ActHardSwish}, {Kind: asm.ActSigmoid}} {
			k, _ := NewActivation(a, Options{Threads: threads})
			benchKernel(b, fmt.Sprintf("layer=act.%d.144x56x56/threads=%d", a.Kind, threads), k, x)
		}
	}
}

func benchKernel(b *testing.B, name string, k ops.Kernel, x *tensor.Tensor) {
	in := []*tensor.Tensor{x}
	o, err := k.Infer(in)
	if err != nil {
		b.Fatal(err)
	}
	out := []*tensor.Tensor{tensor.New(tensor.Float32, o[0].Shape...)}
	b.Run(name, func(b *testing.B) {
		b.SetBytes(int64(4 * (x.Len() + out[0].Len())))
		b.ReportAllocs()
		for b.Loop() {
			k.Run(in, out)
		}
	})
}
