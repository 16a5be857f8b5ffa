package pool

import (
	"fmt"
	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/testutil"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// BenchmarkPool reports GB/s of input read plus output written, beside
// two references measured in the same run: per layer, algo=stream (the
// same bytes copied and summed, cache-resident like the layer's), and
// layer=dram/stream (a 64 MB copy).
func BenchmarkPool(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	b.Run("layer=dram/stream", func(b *testing.B) {
		testutil.Stream(b, randT(rng, 16<<20).Float32s(), randT(rng, 16<<20).Float32s())
	})
	type layer struct {
		name string
		op   string
		pc   poolCase
	}
	for _, l := range []layer{
		{"resnet.maxpool3x3s2", "MaxPool", poolCase{shape: []int{1, 64, 112, 112}, kernel: []int{3, 3}, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}}},
		{"vgg.maxpool2x2s2", "MaxPool", poolCase{shape: []int{1, 128, 112, 112}, kernel: []int{2, 2}, strides: []int{2, 2}}},
		{"densenet.avgpool2x2s2", "AveragePool", poolCase{shape: []int{1, 128, 56, 56}, kernel: []int{2, 2}, strides: []int{2, 2}}},
		{"googlenet.maxpool1", "MaxPool", poolCase{shape: []int{1, 64, 112, 112}, kernel: []int{3, 3}, strides: []int{2, 2}, ceil: true}},
		{"googlenet.maxpool3", "MaxPool", poolCase{shape: []int{1, 480, 28, 28}, kernel: []int{3, 3}, strides: []int{2, 2}, ceil: true}},
		{"googlenet.maxpool3x3s1", "MaxPool", poolCase{shape: []int{1, 192, 28, 28}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}}},
		{"googlenet.maxpool4b", "MaxPool", poolCase{shape: []int{1, 512, 14, 14}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}, ceil: true}},
		{"googlenet.maxpool4", "MaxPool", poolCase{shape: []int{1, 832, 14, 14}, kernel: []int{2, 2}, strides: []int{2, 2}, ceil: true}},
		{"googlenet.maxpool5a", "MaxPool", poolCase{shape: []int{1, 832, 7, 7}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}, ceil: true}},
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
		o, _ := NewMax(p, Options{})
		shape, err := o.Infer([]*tensor.Tensor{x})
		if err != nil {
			b.Fatal(err)
		}
		y := make([]float32, shape[0].Len())
		b.Run(fmt.Sprintf("layer=%s/stream", l.name), func(b *testing.B) { testutil.Stream(b, x.Float32s(), y) })
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
