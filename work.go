package gocnn

import (
	"fmt"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// A node's output is bounded by Limits.MaxTensorElements, but its work is
// not: a MatMul of two 2¹⁵×2¹⁵ constants, or a Conv over a large map with
// a kernel of thousands of channels and taps, describable in a few
// hundred bytes, runs for hours inside one node, where Run's context is
// not looked at. So the work of the ops whose cost grows faster than
// their output is estimated from the shapes when a shape is planned (and
// before constant folding runs a node at load), and refused past a cap.

// DefaultMaxNodeWork is the default of Options.MaxNodeWork: 2⁴⁰
// multiply-adds, about ten seconds of one node on one core of this
// project's AVX-512 machine, several hundred times VGG-16's largest layer
// at batch 1.
const DefaultMaxNodeWork = 1 << 40

// maxFoldWork caps the work of a node folded at load: the reference
// kernels run it (a 2³¹ multiply-add MatMul took 11 s), so larger ones are
// computed per run, on the fast kernels and under MaxNodeWork. What
// exporters leave to fold (shape arithmetic) is far below it.
const maxFoldWork = 1 << 24

// nodeWork estimates the multiply-adds (for pools: window taps visited)
// that n does to produce out from inputs of in's shapes, for the ops whose
// work is not proportional to their inputs and outputs; 0 for the others.
// It is computed in float64, which cannot overflow on shapes that passed
// Infer.
func nodeWork(n *onnx.Node, in, out []*tensor.Tensor) float64 {
	if len(out) == 0 || out[0] == nil || len(in) == 0 || in[0] == nil {
		return 0
	}
	size := func(t *tensor.Tensor) float64 {
		s := 1.0
		for _, d := range t.Shape {
			s *= float64(d)
		}
		return s
	}
	x, y := in[0], out[0]
	switch n.OpType {
	case "Conv", "ConvTranspose":
		if len(in) < 2 || in[1] == nil || len(in[1].Shape) == 0 || in[1].Shape[0] == 0 {
			return 0
		}
		// Each output (Conv) or input (ConvTranspose) element meets one
		// weight per input channel of its group and tap: the weights
		// divided by their first dimension.
		per := size(in[1]) / float64(in[1].Shape[0])
		if n.OpType == "Conv" {
			return size(y) * per
		}
		return size(x) * per
	case "MatMul", "Gemm":
		if len(x.Shape) == 0 {
			return 0
		}
		k := x.Shape[len(x.Shape)-1]
		if a, ok := n.Attrs["transA"]; ok && n.OpType == "Gemm" && a.I != 0 && len(x.Shape) == 2 {
			k = x.Shape[0]
		}
		return size(y) * float64(k)
	case "MaxPool", "AveragePool", "LpPool":
		// Taps outside the input are not visited: at most the input's
		// extent per axis.
		taps := 1.0
		if a, ok := n.Attrs["kernel_shape"]; ok {
			for i, k := range a.Ints {
				if ax := len(x.Shape) - len(a.Ints) + i; ax >= 0 && ax < len(x.Shape) {
					taps *= float64(min(k, int64(x.Shape[ax])))
				}
			}
		}
		return size(y) * taps
	case "LRN":
		if a, ok := n.Attrs["size"]; ok && len(x.Shape) > 1 {
			return size(y) * float64(min(a.I, int64(x.Shape[1])))
		}
	}
	return 0
}

// checkWork fails when n's work on these shapes exceeds limit (≤ 0: no
// cap).
func checkWork(n *onnx.Node, in, out []*tensor.Tensor, limit int64) error {
	if w := nodeWork(n, in, out); limit > 0 && w > float64(limit) {
		return fmt.Errorf("%s needs about %.3g multiply-adds on these shapes, past the limit of %d (Options.MaxNodeWork)", n.OpType, w, limit)
	}
	return nil
}
