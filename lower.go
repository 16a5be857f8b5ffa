package gocnn

import (
	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// newKernel returns the kernel for n: a fast path when one applies to the
// node and its constant inputs, else the reference kernel from ops.
// consts[i] is the value of input i when it is known at load.
func newKernel(n *onnx.Node, opset int64, consts []*tensor.Tensor, opts *Options) (ops.Kernel, error) {
	ref, err := ops.New(n, opset)
	if err != nil {
		return nil, err
	}
	if opts.Reference {
		return ref, nil
	}
	if n.Domain == "" {
		switch n.OpType {
		case "Gemm":
			if k := newGemmKernel(n, consts, ref, opts); k != nil {
				return k, nil
			}
		case "MatMul":
			if k := newMatMulKernel(consts, ref, opts); k != nil {
				return k, nil
			}
		}
	}
	return ref, nil
}

// gemmKernel runs ONNX Gemm with float32 2-D operands through package gemm.
// The bias, when constant and per column (or scalar), is fused as the
// epilogue; anything else falls back to the reference kernel.
type gemmKernel struct {
	ref            ops.Kernel
	transA, transB bool
	alpha          float32
	bias           []float32 // beta·C broadcast over columns, or nil
	threads        int
}

func newGemmKernel(n *onnx.Node, consts []*tensor.Tensor, ref ops.Kernel, opts *Options) ops.Kernel {
	a := n.AttrReader()
	k := &gemmKernel{ref: ref, transA: a.Int("transA", 0) != 0, transB: a.Int("transB", 0) != 0,
		alpha: a.Float("alpha", 1), threads: opts.Threads}
	beta := a.Float("beta", 1)
	if a.Err() != nil {
		return nil
	}
	if len(consts) > 2 && n.Inputs[2] != "" {
		c := consts[2]
		if c == nil || c.DType != tensor.Float32 || len(c.Shape) > 2 || (len(c.Shape) == 2 && c.Shape[0] != 1) {
			return nil
		}
		k.bias = make([]float32, c.Len())
		for i, v := range c.Float32s() {
			k.bias[i] = beta * v
		}
	}
	return k
}

func (k *gemmKernel) Describe() string { return "gemm/" + gemmISA() }

func (k *gemmKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) { return k.ref.Infer(in) }

func (k *gemmKernel) Run(in, out []*tensor.Tensor) error {
	a, b, y := in[0], in[1], out[0]
	if a.DType != tensor.Float32 || len(a.Shape) != 2 || len(b.Shape) != 2 {
		return k.ref.Run(in, out)
	}
	m, kk := a.Shape[0], a.Shape[1]
	if k.transA {
		m, kk = kk, m
	}
	nn := b.Shape[1]
	if k.transB {
		nn = b.Shape[0]
	}
	if (k.bias != nil && len(k.bias) != 1 && len(k.bias) != nn) || m == 0 || nn == 0 || kk == 0 {
		return k.ref.Run(in, out)
	}
	p := &gemm.Params{TransA: k.transA, TransB: k.transB, M: m, N: nn, K: kk, Alpha: k.alpha,
		A: a.Float32s(), LDA: a.Shape[1], B: b.Float32s(), LDB: b.Shape[1], C: y.Float32s(), LDC: nn,
		Threads: k.threads}
	switch len(k.bias) {
	case 0:
	case 1:
		fillBias(y.Float32s(), k.bias[0])
		p.Beta = 1
	default:
		p.Epilogue = gemm.Epilogue{Bias: k.bias, BiasMode: gemm.BiasCol}
	}
	gemm.Gemm(p)
	return nil
}

// gemmISA names the kernel table package gemm uses by default.
func gemmISA() string { return asm.Default().Name }

func fillBias(y []float32, v float32) {
	for i := range y {
		y[i] = v
	}
}

// matMulKernel runs MatMul of a float32 [..., M, K] by a 2-D [K, N] as one
// GEMM over the flattened leading dimensions.
type matMulKernel struct {
	ref     ops.Kernel
	threads int
}

func newMatMulKernel(consts []*tensor.Tensor, ref ops.Kernel, opts *Options) ops.Kernel {
	return &matMulKernel{ref: ref, threads: opts.Threads}
}

func (k *matMulKernel) Describe() string { return "gemm/" + gemmISA() }

func (k *matMulKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) { return k.ref.Infer(in) }

func (k *matMulKernel) Run(in, out []*tensor.Tensor) error {
	a, b, y := in[0], in[1], out[0]
	if a.DType != tensor.Float32 || len(a.Shape) < 2 || len(b.Shape) != 2 {
		return k.ref.Run(in, out)
	}
	kk, nn := b.Shape[0], b.Shape[1]
	m := a.Len() / max(kk, 1)
	if kk == 0 || m == 0 || nn == 0 {
		return k.ref.Run(in, out)
	}
	gemm.Gemm(&gemm.Params{M: m, N: nn, K: kk, Alpha: 1, A: a.Float32s(), LDA: kk,
		B: b.Float32s(), LDB: nn, C: y.Float32s(), LDC: nn, Threads: k.threads})
	return nil
}
