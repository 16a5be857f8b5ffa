package pool

import (
	"fmt"
	"github.com/gocnn/gocnn/asm"
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// FromNode builds the fast kernel for node n of a model importing the given
// opset: MaxPool (without the Indices output), AveragePool,
// GlobalAveragePool, GlobalMaxPool, BatchNormalization (inference, constant
// scale/B/mean/var), Relu, Clip, LeakyRelu, HardSigmoid, HardSwish and
// Sigmoid. consts returns the value of a constant input (an initializer) by
// name, or nil. The kernel takes the node's inputs unchanged (constant
// inputs are ignored at run time). An error wrapping ErrUnsupported means:
// keep the reference kernel.
func FromNode(n *onnx.Node, opset int64, consts func(name string) *tensor.Tensor, opts Options) (ops.Kernel, error) {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return nil, fmt.Errorf("%w: %v in domain %q", ErrUnsupported, n, n.Domain)
	}
	cst := func(i int) *tensor.Tensor {
		if i >= len(n.Inputs) || n.Inputs[i] == "" || consts == nil {
			return nil
		}
		return consts(n.Inputs[i])
	}
	present := func(i int) bool { return i < len(n.Inputs) && n.Inputs[i] != "" }
	a := n.AttrReader()
	var k ops.Kernel
	var err error
	switch n.OpType {
	case "MaxPool", "AveragePool":
		if n.OpType == "MaxPool" && len(n.Outputs) > 1 && n.Outputs[1] != "" {
			return nil, fmt.Errorf("%w: %v wants Indices", ErrUnsupported, n)
		}
		p, perr := ops.ParsePoolParams(n)
		if perr != nil {
			return nil, perr
		}
		if n.OpType == "MaxPool" {
			k, err = NewMax(p, opts)
		} else {
			k, err = NewAverage(p, opts)
		}
	case "GlobalAveragePool", "GlobalMaxPool":
		k = NewGlobal(n.OpType == "GlobalMaxPool", opts)
	case "BatchNormalization":
		eps := a.Float("epsilon", 1e-5)
		if a.Int("training_mode", 0) != 0 || a.Int("spatial", 1) != 1 {
			return nil, fmt.Errorf("%w: %v in training mode or with spatial=0", ErrUnsupported, n)
		}
		for i := 1; i < len(n.Outputs); i++ {
			if n.Outputs[i] != "" {
				return nil, fmt.Errorf("%w: %v has training outputs", ErrUnsupported, n)
			}
		}
		s, b, m, v := cst(1), cst(2), cst(3), cst(4)
		if s == nil || b == nil || m == nil || v == nil {
			return nil, fmt.Errorf("%w: %v has non-constant parameters", ErrUnsupported, n)
		}
		if err := a.Err(); err != nil {
			return nil, err
		}
		k, err = NewBatchNorm(s, b, m, v, eps, asm.Activation{}, opts)
	case "Relu":
		k, err = NewActivation(asm.Activation{Kind: asm.ActReLU}, opts)
	case "LeakyRelu":
		k, err = NewActivation(asm.Activation{Kind: asm.ActLeakyReLU, Alpha: a.Float("alpha", 0.01)}, opts)
	case "HardSigmoid":
		k, err = NewActivation(asm.Activation{Kind: asm.ActHardSigmoid, Alpha: a.Float("alpha", 0.2), Beta: a.Float("beta", 0.5)}, opts)
	case "HardSwish":
		k, err = NewActivation(asm.Activation{Kind: asm.ActHardSwish}, opts)
	case "Sigmoid":
		k, err = NewActivation(asm.Activation{Kind: asm.ActSigmoid}, opts)
	case "Clip":
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if opset < 11 {
			lo, hi = a.Float("min", lo), a.Float("max", hi)
		} else {
			for i, bound := range []*float32{&lo, &hi} {
				if !present(i + 1) {
					continue
				}
				t := cst(i + 1)
				if t == nil || t.DType != tensor.Float32 || t.Len() != 1 {
					return nil, fmt.Errorf("%w: %v has a non-constant or non-float32 bound", ErrUnsupported, n)
				}
				*bound = t.Float32s()[0]
			}
		}
		if !(lo <= hi) {
			// ONNX defines Clip with min > max as all max; keep the reference.
			return nil, fmt.Errorf("%w: %v has min > max", ErrUnsupported, n)
		}
		k, err = NewActivation(asm.Activation{Kind: asm.ActClip, Min: lo, Max: hi}, opts)
	default:
		return nil, fmt.Errorf("%w: %s", ErrUnsupported, n.OpType)
	}
	if err == nil {
		err = a.Err()
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}
