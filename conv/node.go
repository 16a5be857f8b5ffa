package conv

import (
	"fmt"
	"github.com/gocnn/gocnn/asm"
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// NodeConv adapts a Conv to the input order of an ONNX Conv node or of the
// fused gocnn.Conv node (ops.FusedDomain): in = [X, W, B, residual], where
// W and B are the constants the Conv was built with and are ignored.
type NodeConv struct {
	*Conv
}

// FromNode builds the fast kernel for a Conv node (domain "" or
// ops.FusedDomain) whose weight w and optional bias b (nil when absent)
// are initializers. The activation attributes of a fused node (see
// ops.AttrActivation) become the Epilogue, and a fourth input becomes the
// residual. Errors wrapping ErrUnsupported mean: use the reference kernel.
func FromNode(n *onnx.Node, w, b *tensor.Tensor, opts Options) (*NodeConv, error) {
	convNode, actNode, err := ops.SplitFused(n)
	if err != nil {
		return nil, err
	}
	p, err := ops.ParseConvParams(convNode)
	if err != nil {
		return nil, err
	}
	ep, err := EpilogueFromNode(actNode)
	if err != nil {
		return nil, err
	}
	if n.Attrs[ops.AttrActivation] != nil && n.Attrs[ops.AttrActivation].S == "SiLU" {
		ep.Act.Kind = asm.ActSiLU
	}
	ep.Residual = len(n.Inputs) > 3 && n.Inputs[3] != ""
	k, err := New(p, w, b, ep, opts)
	if err != nil {
		return nil, err
	}
	return &NodeConv{k}, nil
}

// EpilogueFromNode maps an activation node (as returned by ops.SplitFused;
// nil for none) onto an Epilogue: Relu, Clip (bounds from the min/max
// attributes), LeakyRelu, HardSigmoid, HardSwish, Sigmoid.
func EpilogueFromNode(act *onnx.Node) (Epilogue, error) {
	var ep Epilogue
	if act == nil {
		return ep, nil
	}
	a := act.AttrReader()
	switch act.OpType {
	case "Relu":
		ep.Act.Kind = asm.ActReLU
	case "Clip":
		ep.Act.Kind = asm.ActClip
		ep.Act.Min = a.Float("min", float32(math.Inf(-1)))
		ep.Act.Max = a.Float("max", float32(math.Inf(1)))
	case "LeakyRelu":
		ep.Act = asm.Activation{Kind: asm.ActLeakyReLU, Alpha: a.Float("alpha", 0.01)}
	case "HardSigmoid":
		ep.Act = asm.Activation{Kind: asm.ActHardSigmoid, Alpha: a.Float("alpha", 0.2), Beta: a.Float("beta", 0.5)}
	case "HardSwish":
		ep.Act.Kind = asm.ActHardSwish
	case "Sigmoid":
		ep.Act.Kind = asm.ActSigmoid
	case "SiLU":
		ep.Act.Kind = asm.ActSiLU
	default:
		return ep, fmt.Errorf("%w: activation %s", ErrUnsupported, act.OpType)
	}
	if err := a.Err(); err != nil {
		return ep, err
	}
	return ep, ep.check()
}

// Infer implements ops.Kernel.
func (k *NodeConv) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	var buf [2]*tensor.Tensor
	return k.Conv.Infer(k.inputs(in, &buf))
}

// Run implements ops.Kernel.
func (k *NodeConv) Run(in, out []*tensor.Tensor) error {
	var buf [2]*tensor.Tensor
	return k.Conv.Run(k.inputs(in, &buf), out)
}

// ScratchSize implements ops.ScratchKernel.
func (k *NodeConv) ScratchSize(in []*tensor.Tensor) ops.Scratch {
	var buf [2]*tensor.Tensor
	return k.Conv.ScratchSize(k.inputs(in, &buf))
}

// RunScratch implements ops.ScratchKernel.
func (k *NodeConv) RunScratch(in, out []*tensor.Tensor, scratch []float32) error {
	var buf [2]*tensor.Tensor
	return k.Conv.RunScratch(k.inputs(in, &buf), out, scratch)
}

func (k *NodeConv) inputs(in []*tensor.Tensor, buf *[2]*tensor.Tensor) []*tensor.Tensor {
	if len(in) == 0 {
		return nil
	}
	buf[0] = in[0]
	if len(in) > 3 {
		buf[1] = in[3]
		return buf[:2]
	}
	return buf[:1]
}

var (
	_ ops.ScratchKernel = (*Conv)(nil)
	_ ops.ScratchKernel = (*NodeConv)(nil)
)
