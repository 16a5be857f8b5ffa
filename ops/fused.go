package ops

import (
	"fmt"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// FusedDomain is the operator domain of nodes the optimiser creates by
// fusing standard ones; they never appear in model files.
const FusedDomain = "gocnn"

// Fused-node attributes: "activation" names the ONNX operator applied last
// (Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, or SiLU for
// Mul(x, Sigmoid(x))), with its own attributes prefixed "activation_"
// (activation_alpha, activation_beta, activation_min, activation_max).
const (
	AttrActivation = "activation"
	ActPrefix      = "activation_"
)

func init() {
	registry[opKey{FusedDomain, "Conv"}] = []registration{{1, buildFusedConv}}
}

// fusedConv is the reference for gocnn.Conv: Conv(x, w, b), plus the
// residual input 3 if present, then the activation.
type fusedConv struct {
	conv, add, act Kernel
}

// SplitFused returns the standard Conv node inside a gocnn.Conv node and
// the activation node applied after it (nil for none).
func SplitFused(n *onnx.Node) (conv, act *onnx.Node, err error) {
	conv = &onnx.Node{Name: n.Name, OpType: n.OpType, Inputs: n.Inputs[:min(len(n.Inputs), 3)],
		Outputs: n.Outputs, Attrs: map[string]*onnx.Attr{}}
	var actAttrs = map[string]*onnx.Attr{}
	actName := ""
	for k, a := range n.Attrs {
		switch {
		case k == AttrActivation:
			if a.Type != onnx.AttrString {
				return nil, nil, fmt.Errorf("%v: attribute %q is %v, want string", n, k, a.Type)
			}
			actName = a.S
		case len(k) > len(ActPrefix) && k[:len(ActPrefix)] == ActPrefix:
			c := *a
			c.Name = k[len(ActPrefix):]
			actAttrs[c.Name] = &c
		default:
			conv.Attrs[k] = a
		}
	}
	if actName == "" {
		return conv, nil, nil
	}
	act = &onnx.Node{Name: n.Name, OpType: actName, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: actAttrs}
	if actName == "SiLU" {
		act.OpType = "Sigmoid"
	}
	return conv, act, nil
}

func buildFusedConv(n *onnx.Node, opset int64) (Kernel, error) {
	convNode, actNode, err := SplitFused(n)
	if err != nil {
		return nil, err
	}
	f := &fusedConv{}
	if f.conv, err = New(convNode, opset); err != nil {
		return nil, err
	}
	if len(n.Inputs) > 3 && n.Inputs[3] != "" {
		if f.add, err = New(&onnx.Node{OpType: "Add", Inputs: []string{"a", "b"}, Outputs: []string{"c"}}, opset); err != nil {
			return nil, err
		}
	}
	if actNode != nil {
		// The activation's semantics do not depend on the model's opset,
		// only where its parameters live: on the fused node they are
		// attributes, as Clip-6 reads them; the others take the newest.
		actOpset := int64(17)
		if actNode.OpType == "Clip" {
			actOpset = 6
		}
		if f.act, err = New(actNode, actOpset); err != nil {
			return nil, err
		}
		if n.Attrs[AttrActivation].S == "SiLU" {
			f.act = silu{f.act}
		}
	}
	return f, nil
}

// silu computes x·sigmoid(x) with the Sigmoid kernel.
type silu struct{ sigmoid Kernel }

func (s silu) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) { return s.sigmoid.Infer(in) }
func (s silu) Run(in, out []*tensor.Tensor) error {
	if err := s.sigmoid.Run(in, out); err != nil {
		return err
	}
	x, y := in[0].Float32s(), out[0].Float32s()
	for i := range y {
		y[i] *= x[i]
	}
	return nil
}

func (f *fusedConv) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	metas, err := f.conv.Infer(in[:min(len(in), 3)])
	if err != nil {
		return nil, err
	}
	if f.add != nil {
		if len(in) < 4 || in[3] == nil {
			return nil, fmt.Errorf("fused Conv: residual input missing")
		}
		sum, err := f.add.Infer([]*tensor.Tensor{metas[0], in[3]})
		if err != nil {
			return nil, err
		}
		if !tensor.SameShape(sum[0].Shape, metas[0].Shape) || sum[0].DType != metas[0].DType {
			return nil, fmt.Errorf("fused Conv: residual %v does not match the output %v", in[3], metas[0])
		}
	}
	return metas[:1], nil
}

func (f *fusedConv) Run(in, out []*tensor.Tensor) error {
	y := out[0]
	if err := f.conv.Run(in[:min(len(in), 3)], []*tensor.Tensor{y}); err != nil {
		return err
	}
	if f.add != nil {
		sum := y.Clone()
		if err := f.add.Run([]*tensor.Tensor{y, in[3]}, []*tensor.Tensor{sum}); err != nil {
			return err
		}
		tensor.Copy(y, sum)
	}
	if f.act != nil {
		pre := y.Clone()
		return f.act.Run([]*tensor.Tensor{pre}, []*tensor.Tensor{y})
	}
	return nil
}
