package gocnn

import (
	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// Data movement on float32 — Concat, Transpose, Slice — as block copies
// that allocate nothing (the reference kernels build index tables per
// run). Other types, ranks above maxGlueRank and anything unexpected go to
// the reference, which also reports the errors.

const maxGlueRank = 8

// dims is a shape or a stride vector of at most maxGlueRank entries.
type dims [maxGlueRank]int

// newGlueKernel returns the fast kernel for n, or nil.
func newGlueKernel(n *onnx.Node, opset int64, ref ops.Kernel) ops.Kernel {
	a := n.AttrReader()
	var k ops.Kernel
	switch n.OpType {
	case "Concat":
		k = &concatKernel{ref: ref, axis: a.Int("axis", 1)}
	case "Transpose":
		k = &transposeKernel{ref: ref, perm: a.Ints("perm", nil)}
	case "Slice":
		sk := &sliceKernel{ref: ref, fromInputs: opset >= 10}
		if !sk.fromInputs {
			sk.attrs = [4][]int64{a.Ints("starts", nil), a.Ints("ends", nil), a.Ints("axes", nil), nil}
		}
		k = sk
	default:
		return nil
	}
	if a.Err() != nil {
		return nil
	}
	return k
}

// stridesOf returns the row-major strides of shape.
func stridesOf(shape []int) (s dims) {
	n := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = n
		n *= shape[i]
	}
	return s
}

// float32Pair returns in[0] and out[0] when both are float32 of rank at
// most maxGlueRank.
func float32Pair(in, out []*tensor.Tensor) (x, y *tensor.Tensor, ok bool) {
	if len(in) == 0 || len(out) == 0 || in[0] == nil || out[0] == nil {
		return nil, nil, false
	}
	x, y = in[0], out[0]
	return x, y, x.DType == tensor.Float32 && y.DType == tensor.Float32 && x.Rank() <= maxGlueRank && y.Rank() <= maxGlueRank
}

// concatKernel copies each input's blocks into place along the axis.
type concatKernel struct {
	ref  ops.Kernel
	axis int64
}

func (k *concatKernel) Describe() string                                    { return "glue/concat/go" }
func (k *concatKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) { return k.ref.Infer(in) }

func (k *concatKernel) Run(in, out []*tensor.Tensor) error {
	y := out[0]
	r := y.Rank()
	ax := int(k.axis)
	if ax < 0 {
		ax += r
	}
	if y.DType != tensor.Float32 || ax < 0 || ax >= r {
		return k.ref.Run(in, out)
	}
	for _, t := range in {
		if t == nil || t.DType != tensor.Float32 || t.Rank() != r {
			return k.ref.Run(in, out)
		}
	}
	outer := 1
	for _, d := range y.Shape[:ax] {
		outer *= d
	}
	yd := y.Float32s()
	if outer == 0 || len(yd) == 0 {
		return nil
	}
	stride := len(yd) / outer
	off := 0
	for _, t := range in {
		xd := t.Float32s()
		inner := len(xd) / outer
		for o := 0; o < outer; o++ {
			copy(yd[o*stride+off:o*stride+off+inner], xd[o*inner:(o+1)*inner])
		}
		off += inner
	}
	return nil
}

// transposeKernel permutes dimensions by block copies.
type transposeKernel struct {
	ref  ops.Kernel
	perm []int64 // nil: reversed
}

func (k *transposeKernel) Describe() string { return "glue/transpose/go" }
func (k *transposeKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return k.ref.Infer(in)
}

func (k *transposeKernel) Run(in, out []*tensor.Tensor) error {
	x, y, ok := float32Pair(in, out)
	r := 0
	if ok {
		r = x.Rank()
	}
	if !ok || k.perm != nil && len(k.perm) != r || y.Rank() != r {
		return k.ref.Run(in, out)
	}
	xs, ys := stridesOf(x.Shape), stridesOf(y.Shape)
	var shape, sstr dims
	var seen [maxGlueRank]bool
	for i := 0; i < r; i++ {
		p := r - 1 - i
		if k.perm != nil {
			p = int(k.perm[i])
		}
		if p < 0 || p >= r || seen[p] || y.Shape[i] != x.Shape[p] {
			return k.ref.Run(in, out)
		}
		seen[p] = true
		shape[i], sstr[i] = x.Shape[p], xs[p]
	}
	ops.StridedCopy(y.Float32s(), 0, ys[:r], x.Float32s(), 0, sstr[:r], shape[:r])
	return nil
}

// sliceKernel copies a slice; its starts, ends, axes and steps are
// attributes (before opset 10) or inputs, read in place each run (PyTorch
// computes them from shapes).
type sliceKernel struct {
	ref        ops.Kernel
	fromInputs bool
	attrs      [4][]int64 // starts, ends, axes, steps
}

func (k *sliceKernel) Describe() string                                    { return "glue/slice/go" }
func (k *sliceKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) { return k.ref.Infer(in) }

// operand is one of starts, ends, axes, steps, as given (set: present).
type operand struct {
	i64 []int64
	i32 []int32
	set bool // present
}

func (o *operand) len() int { return len(o.i64) + len(o.i32) }

func (o *operand) at(i int) int64 {
	if o.i64 != nil {
		return o.i64[i]
	}
	return int64(o.i32[i])
}

func (k *sliceKernel) operands(in []*tensor.Tensor) (args [4]operand, ok bool) {
	for i := range args {
		if !k.fromInputs {
			args[i] = operand{i64: k.attrs[i], set: k.attrs[i] != nil}
			continue
		}
		if i+1 >= len(in) || in[i+1] == nil {
			continue
		}
		t := in[i+1]
		if t.Rank() != 1 {
			return args, false
		}
		switch d := t.Data.(type) {
		case []int64:
			args[i] = operand{i64: d, set: true}
		case []int32:
			args[i] = operand{i32: d, set: true}
		default:
			return args, false
		}
	}
	n := args[0].len()
	for i := range args {
		if (i < 2 || args[i].set) && args[i].len() != n {
			return args, false
		}
	}
	return args, args[0].set && args[1].set
}

func (k *sliceKernel) Run(in, out []*tensor.Tensor) error {
	x, y, ok := float32Pair(in, out)
	if !ok || y.Rank() != x.Rank() {
		return k.ref.Run(in, out)
	}
	args, ok := k.operands(in)
	starts, ends, axes, steps := &args[0], &args[1], &args[2], &args[3]
	r := x.Rank()
	if !ok || starts.len() > r {
		return k.ref.Run(in, out)
	}
	xs := stridesOf(x.Shape)
	var shape, sstr dims
	for i := 0; i < r; i++ {
		shape[i], sstr[i] = x.Shape[i], xs[i]
	}
	var seen [maxGlueRank]bool
	off := 0
	for i := 0; i < starts.len(); i++ {
		ax := int64(i)
		if axes.set {
			ax = axes.at(i)
		}
		if ax < 0 {
			ax += int64(r)
		}
		step := int64(1)
		if steps.set {
			step = steps.at(i)
		}
		if ax < 0 || ax >= int64(r) || seen[ax] || step == 0 {
			return k.ref.Run(in, out)
		}
		seen[ax] = true
		first, size := ops.SliceRange(starts.at(i), ends.at(i), step, int64(x.Shape[ax]))
		if int(size) != y.Shape[ax] {
			return k.ref.Run(in, out)
		}
		shape[ax] = int(size)
		sstr[ax] = xs[ax] * int(step)
		if size > 0 {
			off += int(first) * xs[ax]
		}
	}
	if y.Len() == 0 {
		return nil
	}
	ys := stridesOf(y.Shape)
	ops.StridedCopy(y.Float32s(), 0, ys[:r], x.Float32s(), off, sstr[:r], shape[:r])
	return nil
}
