package ops

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// bOps are the operators of this file set.
var bOps = []string{
	"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu",
	"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Where", "Not",
	"Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Tanh", "Sigmoid", "Relu", "LeakyRelu",
	"Elu", "Selu", "Celu", "Softplus", "Softsign", "HardSigmoid", "HardSwish", "Clip", "Floor", "Ceil",
	"Round", "Sign", "Identity", "Dropout", "Cast", "Softmax", "LogSoftmax",
	"ReduceMax", "ReduceMin", "ReduceMean", "ReduceSum", "ReduceProd", "ReduceL1", "ReduceL2",
	"ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "ArgMax", "ArgMin",
	"Shape", "Size", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice",
	"Transpose", "Gather", "Expand", "Tile", "ConstantOfShape", "Range", "Constant",
}

func TestRegisteredB(t *testing.T) {
	have := Supported()
	for _, op := range bOps {
		if _, ok := have[op]; !ok {
			t.Errorf("%s is not registered", op)
		}
	}
}

// TestNoPanicB feeds random nodes and inputs to every operator: errors are
// fine, panics are not.
func TestNoPanicB(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	iters := 3000
	if testing.Short() {
		iters = 300
	}
	for _, op := range bOps {
		for it := 0; it < iters; it++ {
			n := bRandomNode(r, op)
			opset := int64(1 + r.IntN(18))
			in := make([]*tensor.Tensor, len(n.Inputs))
			for i := range in {
				if r.IntN(12) == 0 {
					n.Inputs[i] = ""
					continue
				}
				in[i] = bRandomTensor(r)
			}
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("%s opset %d attrs %v inputs %v: panic: %v", op, opset, bAttrString2(n), in, p)
					}
				}()
				bTryRun(n, opset, in)
			}()
		}
	}
}

func bAttrString2(n *onnx.Node) string {
	s := ""
	for k, a := range n.Attrs {
		s += fmt.Sprintf("%s=%v%v%v%v ", k, a.I, a.Ints, a.F, a.T)
	}
	return s
}

func bTryRun(n *onnx.Node, opset int64, in []*tensor.Tensor) {
	k, err := New(n, opset)
	if err != nil {
		return
	}
	metas := make([]*tensor.Tensor, len(in))
	for i, t := range in {
		if t != nil {
			metas[i] = t.Meta()
		}
	}
	outs, err := k.Infer(metas)
	if errors.Is(err, ErrDynamic) {
		outs, err = k.Infer(in)
	}
	if err != nil {
		return
	}
	for _, o := range outs {
		c, err := tensor.NumElements(o.Shape)
		if err != nil || c > 1<<16 {
			return
		}
		o.Data = bGarbage(o.DType, c)
	}
	_ = k.Run(in, outs)
	// Run must also survive a wrong number of outputs.
	_ = k.Run(in, outs[:len(outs)/2])
}

func bRandomNode(r *rand.Rand, op string) *onnx.Node {
	nin := r.IntN(5)
	nout := 1 + r.IntN(2)
	if r.IntN(10) == 0 {
		nout = 0
	}
	n := bNode(op, nin, nout)
	ints := func() []int64 {
		v := make([]int64, r.IntN(4))
		for i := range v {
			v[i] = int64(r.IntN(9) - 4)
		}
		return v
	}
	names := []string{"axis", "axes", "keepdims", "perm", "split", "starts", "ends", "broadcast",
		"to", "alpha", "allowzero", "start", "end", "select_last_index", "noop_with_empty_axes",
		"value", "value_int", "value_ints", "value_float", "min", "max", "num_outputs", "shape", "ratio"}
	for _, name := range names {
		if r.IntN(3) != 0 {
			continue
		}
		switch r.IntN(5) {
		case 0:
			n.Attrs[name] = bAttrInt(name, int64(r.IntN(15)-4))
		case 1:
			n.Attrs[name] = bAttrInts(name, ints()...)
		case 2:
			n.Attrs[name] = bAttrFloat(name, float32(r.NormFloat64()))
		case 3:
			n.Attrs[name] = bAttrTensor(name, bRandomTensor(r))
		case 4:
			n.Attrs[name] = bAttrFloats(name, float32(r.NormFloat64()))
		}
	}
	return n
}

func bRandomTensor(r *rand.Rand) *tensor.Tensor {
	dt := allTypes[r.IntN(len(allTypes))]
	if r.IntN(3) == 0 {
		dt = tensor.Int64
	}
	shape := make([]int, r.IntN(4))
	for i := range shape {
		shape[i] = r.IntN(4)
	}
	t := &tensor.Tensor{DType: dt, Shape: shape}
	c := numel(shape)
	if r.IntN(20) == 0 {
		c++ // inconsistent data
	}
	t.Data = bGarbage(dt, c)
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = float32(r.NormFloat64() * 3)
		}
	case []float64:
		for i := range d {
			d[i] = r.NormFloat64() * 3
		}
	case []int64:
		for i := range d {
			d[i] = int64(r.IntN(9) - 4)
			if r.IntN(50) == 0 {
				d[i] = -1 << 63
			}
		}
	case []int32:
		for i := range d {
			d[i] = int32(r.IntN(9) - 4)
		}
	case []bool:
		for i := range d {
			d[i] = r.IntN(2) == 0
		}
	}
	return t
}
