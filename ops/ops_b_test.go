package ops

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Unit tests for behaviour the ONNX conformance cases do not reach: other
// types, older opsets, attributes, and error paths.

func bAttrInt(name string, v int64) *onnx.Attr {
	return &onnx.Attr{Name: name, Type: onnx.AttrInt, I: v}
}
func bAttrInts(name string, v ...int64) *onnx.Attr {
	return &onnx.Attr{Name: name, Type: onnx.AttrInts, Ints: v}
}
func bAttrFloat(name string, v float32) *onnx.Attr {
	return &onnx.Attr{Name: name, Type: onnx.AttrFloat, F: v}
}
func bAttrFloats(name string, v ...float32) *onnx.Attr {
	return &onnx.Attr{Name: name, Type: onnx.AttrFloats, Floats: v}
}
func bAttrTensor(name string, t *tensor.Tensor) *onnx.Attr {
	return &onnx.Attr{Name: name, Type: onnx.AttrTensor, T: t}
}
func bAttrString(name, v string) *onnx.Attr {
	return &onnx.Attr{Name: name, Type: onnx.AttrString, S: v}
}

// bNode makes a node with nin inputs (named in0, in1, ...) and nout
// outputs.
func bNode(op string, nin, nout int, attrs ...*onnx.Attr) *onnx.Node {
	n := &onnx.Node{Name: "n", OpType: op, Attrs: map[string]*onnx.Attr{}}
	for i := 0; i < nin; i++ {
		n.Inputs = append(n.Inputs, fmt.Sprint("in", i))
	}
	for i := 0; i < nout; i++ {
		n.Outputs = append(n.Outputs, fmt.Sprint("out", i))
	}
	for _, a := range attrs {
		n.Attrs[a.Name] = a
	}
	return n
}

// bRun builds the kernel, infers (with values unknown first, as a loader
// does) and runs it.
func bRun(n *onnx.Node, opset int64, in ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	k, err := New(n, opset)
	if err != nil {
		return nil, err
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
		return nil, err
	}
	for _, o := range outs {
		o.Data = bGarbage(o.DType, o.Len())
	}
	if err := k.Run(in, outs); err != nil {
		return nil, err
	}
	return outs, nil
}

func bF32(shape []int, v ...float32) *tensor.Tensor { return tensor.FromFloat32(shape, v) }
func bI64(shape []int, v ...int64) *tensor.Tensor   { return tensor.FromInt64(shape, v) }
func bI32(shape []int, v ...int32) *tensor.Tensor {
	return &tensor.Tensor{DType: tensor.Int32, Shape: shape, Data: v}
}
func bBools(shape []int, v ...bool) *tensor.Tensor {
	return &tensor.Tensor{DType: tensor.Bool, Shape: shape, Data: v}
}
func bF64(shape []int, v ...float64) *tensor.Tensor {
	return &tensor.Tensor{DType: tensor.Float64, Shape: shape, Data: v}
}

type bCase struct {
	name  string
	node  *onnx.Node
	opset int64
	in    []*tensor.Tensor
	want  []*tensor.Tensor // nil with err set
	err   string           // substring of the expected error
}

func TestOpsB(t *testing.T) {
	nan := float32(math.NaN())
	cases := []bCase{
		// Element-wise arithmetic.
		{name: "add int32 bcast", node: bNode("Add", 2, 1), opset: 14,
			in:   []*tensor.Tensor{bI32([]int{2, 1}, 1, 2), bI32([]int{3}, 10, 20, 30)},
			want: []*tensor.Tensor{bI32([]int{2, 3}, 11, 21, 31, 12, 22, 32)}},
		{name: "sub scalar", node: bNode("Sub", 2, 1), opset: 14,
			in:   []*tensor.Tensor{bF32([]int{3}, 1, 2, 3), bF32([]int{}, 1)},
			want: []*tensor.Tensor{bF32([]int{3}, 0, 1, 2)}},
		{name: "mul scalar first", node: bNode("Mul", 2, 1), opset: 14,
			in:   []*tensor.Tensor{bF32([]int{}, 2), bF32([]int{2, 2}, 1, 2, 3, 4)},
			want: []*tensor.Tensor{bF32([]int{2, 2}, 2, 4, 6, 8)}},
		{name: "div int64 truncates", node: bNode("Div", 2, 1), opset: 14,
			in:   []*tensor.Tensor{bI64([]int{3}, 7, -7, 6), bI64([]int{3}, 2, 2, 3)},
			want: []*tensor.Tensor{bI64([]int{3}, 3, -3, 2)}},
		{name: "div int by zero", node: bNode("Div", 2, 1), opset: 14,
			in: []*tensor.Tensor{bI64([]int{2}, 7, 1), bI64([]int{2}, 2, 0)}, err: "division by zero"},
		{name: "add type mismatch", node: bNode("Add", 2, 1), opset: 14,
			in: []*tensor.Tensor{bF32([]int{1}, 1), bI64([]int{1}, 1)}, err: "type"},
		{name: "add shapes", node: bNode("Add", 2, 1), opset: 14,
			in: []*tensor.Tensor{bF32([]int{2}, 1, 2), bF32([]int{3}, 1, 2, 3)}, err: "broadcast"},
		{name: "add bool", node: bNode("Add", 2, 1), opset: 14,
			in: []*tensor.Tensor{bBools([]int{1}, true), bBools([]int{1}, true)}, err: "type"},
		{name: "add legacy axis", node: bNode("Add", 2, 1, bAttrInt("broadcast", 1), bAttrInt("axis", 1)), opset: 6,
			in:   []*tensor.Tensor{bF32([]int{2, 2, 1}, 0, 0, 0, 0), bF32([]int{2}, 1, 2)},
			want: []*tensor.Tensor{bF32([]int{2, 2, 1}, 1, 2, 1, 2)}},
		{name: "add legacy suffix", node: bNode("Add", 2, 1, bAttrInt("broadcast", 1)), opset: 6,
			in:   []*tensor.Tensor{bF32([]int{2, 2}, 0, 0, 0, 0), bF32([]int{2}, 1, 2)},
			want: []*tensor.Tensor{bF32([]int{2, 2}, 1, 2, 1, 2)}},
		{name: "add legacy no broadcast", node: bNode("Add", 2, 1), opset: 6,
			in: []*tensor.Tensor{bF32([]int{2, 2}, 0, 0, 0, 0), bF32([]int{2}, 1, 2)}, err: "broadcast is 0"},
		{name: "add legacy scalar", node: bNode("Mul", 2, 1, bAttrInt("broadcast", 1)), opset: 1,
			in:   []*tensor.Tensor{bF32([]int{2}, 1, 2), bF32([]int{1}, 3)},
			want: []*tensor.Tensor{bF32([]int{2}, 3, 6)}},
		{name: "pow int negative", node: bNode("Pow", 2, 1), opset: 15,
			in:   []*tensor.Tensor{bI64([]int{4}, 2, 1, -1, 3), bI64([]int{4}, -1, -3, -3, 3)},
			want: []*tensor.Tensor{bI64([]int{4}, 0, 1, -1, 27)}},
		{name: "pow float64 int32", node: bNode("Pow", 2, 1), opset: 15,
			in:   []*tensor.Tensor{bF64([]int{2}, 2, 9), bI32([]int{}, 2)},
			want: []*tensor.Tensor{bF64([]int{2}, 4, 81)}},
		{name: "max nan and bcast", node: bNode("Max", 3, 1), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2}, 1, nan), bF32([]int{1}, 2), bF32([]int{2, 1}, 0, 5)},
			want: []*tensor.Tensor{bF32([]int{2, 2}, 2, nan, 5, nan)}},
		{name: "min int32", node: bNode("Min", 2, 1), opset: 13,
			in:   []*tensor.Tensor{bI32([]int{3}, 1, 5, -3), bI32([]int{3}, 2, 4, -4)},
			want: []*tensor.Tensor{bI32([]int{3}, 1, 4, -4)}},
		{name: "mean bcast", node: bNode("Mean", 2, 1), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2}, 1, 2), bF32([]int{}, 3)},
			want: []*tensor.Tensor{bF32([]int{2}, 2, 2.5)}},
		{name: "mean int", node: bNode("Mean", 1, 1), opset: 13,
			in: []*tensor.Tensor{bI64([]int{1}, 1)}, err: "type"},
		{name: "prelu legacy channel", node: bNode("PRelu", 2, 1), opset: 6,
			in:   []*tensor.Tensor{bF32([]int{1, 2, 3}, -1, 1, -1, -1, 1, -1), bF32([]int{2}, 0.5, 2)},
			want: []*tensor.Tensor{bF32([]int{1, 2, 3}, -0.5, 1, -0.5, -2, 1, -2)}},
		{name: "prelu bad slope", node: bNode("PRelu", 2, 1), opset: 16,
			in: []*tensor.Tensor{bF32([]int{2}, -1, 1), bF32([]int{3}, 1, 2, 3)}, err: "slope"},
		{name: "prelu slope bigger", node: bNode("PRelu", 2, 1), opset: 16,
			in: []*tensor.Tensor{bF32([]int{2}, -1, 1), bF32([]int{2, 2}, 1, 2, 3, 4)}, err: "slope"},

		// Comparisons, logic, Where.
		{name: "equal int bcast", node: bNode("Equal", 2, 1), opset: 13,
			in:   []*tensor.Tensor{bI64([]int{3}, 1, 2, 3), bI64([]int{}, 2)},
			want: []*tensor.Tensor{bBools([]int{3}, false, true, false)}},
		{name: "equal bool", node: bNode("Equal", 2, 1), opset: 13,
			in:   []*tensor.Tensor{bBools([]int{2}, true, false), bBools([]int{2}, true, true)},
			want: []*tensor.Tensor{bBools([]int{2}, true, false)}},
		{name: "less float", node: bNode("Less", 2, 1), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{3}, 1, 2, nan), bF32([]int{3}, 2, 2, 1)},
			want: []*tensor.Tensor{bBools([]int{3}, true, false, false)}},
		{name: "greater", node: bNode("Greater", 2, 1), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2}, 1, 3), bF32([]int{1}, 2)},
			want: []*tensor.Tensor{bBools([]int{2}, false, true)}},
		{name: "greater or equal", node: bNode("GreaterOrEqual", 2, 1), opset: 12,
			in:   []*tensor.Tensor{bI32([]int{2}, 1, 3), bI32([]int{2}, 1, 4)},
			want: []*tensor.Tensor{bBools([]int{2}, true, false)}},
		{name: "less bool", node: bNode("Less", 2, 1), opset: 13,
			in: []*tensor.Tensor{bBools([]int{1}, true), bBools([]int{1}, true)}, err: "type"},
		{name: "and or xor not", node: bNode("Xor", 2, 1), opset: 7,
			in:   []*tensor.Tensor{bBools([]int{2, 1}, true, false), bBools([]int{2}, true, false)},
			want: []*tensor.Tensor{bBools([]int{2, 2}, false, true, true, false)}},
		{name: "and", node: bNode("And", 2, 1), opset: 7,
			in:   []*tensor.Tensor{bBools([]int{2}, true, false), bBools([]int{}, true)},
			want: []*tensor.Tensor{bBools([]int{2}, true, false)}},
		{name: "or float", node: bNode("Or", 2, 1), opset: 7,
			in: []*tensor.Tensor{bF32([]int{1}, 1), bF32([]int{1}, 1)}, err: "type"},
		{name: "not", node: bNode("Not", 1, 1), opset: 1,
			in:   []*tensor.Tensor{bBools([]int{2}, true, false)},
			want: []*tensor.Tensor{bBools([]int{2}, false, true)}},
		{name: "where bcast", node: bNode("Where", 3, 1), opset: 16,
			in:   []*tensor.Tensor{bBools([]int{2, 1}, true, false), bI64([]int{2}, 1, 2), bI64([]int{}, 9)},
			want: []*tensor.Tensor{bI64([]int{2, 2}, 1, 2, 9, 9)}},
		{name: "where types", node: bNode("Where", 3, 1), opset: 16,
			in: []*tensor.Tensor{bBools([]int{1}, true), bI64([]int{1}, 1), bF32([]int{1}, 1)}, err: "type"},
		{name: "where cond type", node: bNode("Where", 3, 1), opset: 16,
			in: []*tensor.Tensor{bF32([]int{1}, 1), bF32([]int{1}, 1), bF32([]int{1}, 1)}, err: "condition"},

		// Unary.
		{name: "abs int", node: bNode("Abs", 1, 1), opset: 13,
			in: []*tensor.Tensor{bI32([]int{2}, -3, 4)}, want: []*tensor.Tensor{bI32([]int{2}, 3, 4)}},
		{name: "neg int64", node: bNode("Neg", 1, 1), opset: 13,
			in: []*tensor.Tensor{bI64([]int{2}, -3, 4)}, want: []*tensor.Tensor{bI64([]int{2}, 3, -4)}},
		{name: "relu int", node: bNode("Relu", 1, 1), opset: 14,
			in: []*tensor.Tensor{bI32([]int{2}, -3, 4)}, want: []*tensor.Tensor{bI32([]int{2}, 0, 4)}},
		{name: "exp int", node: bNode("Exp", 1, 1), opset: 13,
			in: []*tensor.Tensor{bI32([]int{1}, 1)}, err: "type"},
		{name: "round half even", node: bNode("Round", 1, 1), opset: 11,
			in:   []*tensor.Tensor{bF32([]int{6}, 0.5, 1.5, 2.5, -0.5, -1.5, 2.4)},
			want: []*tensor.Tensor{bF32([]int{6}, 0, 2, 2, 0, -2, 2)}},
		{name: "sign", node: bNode("Sign", 1, 1), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{4}, -2, 0, 3, nan)},
			want: []*tensor.Tensor{bF32([]int{4}, -1, 0, 1, nan)}},
		{name: "sign int", node: bNode("Sign", 1, 1), opset: 13,
			in: []*tensor.Tensor{bI64([]int{3}, -2, 0, 3)}, want: []*tensor.Tensor{bI64([]int{3}, -1, 0, 1)}},
		{name: "floor ceil", node: bNode("Floor", 1, 1), opset: 13,
			in: []*tensor.Tensor{bF64([]int{2}, -1.5, 1.5)}, want: []*tensor.Tensor{bF64([]int{2}, -2, 1)}},
		{name: "ceil", node: bNode("Ceil", 1, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{2}, -1.5, 1.5)}, want: []*tensor.Tensor{bF32([]int{2}, -1, 2)}},
		{name: "softsign", node: bNode("Softsign", 1, 1), opset: 1,
			in: []*tensor.Tensor{bF32([]int{2}, -1, 3)}, want: []*tensor.Tensor{bF32([]int{2}, -0.5, 0.75)}},
		{name: "celu", node: bNode("Celu", 1, 1, bAttrFloat("alpha", 2)), opset: 12,
			in:   []*tensor.Tensor{bF32([]int{2}, -2, 3)},
			want: []*tensor.Tensor{bF32([]int{2}, float32(2*(math.Exp(-1)-1)), 3)}},
		{name: "softplus large", node: bNode("Softplus", 1, 1), opset: 1,
			in: []*tensor.Tensor{bF32([]int{2}, 100, -100)}, want: []*tensor.Tensor{bF32([]int{2}, 100, 0)}},
		{name: "sigmoid extreme", node: bNode("Sigmoid", 1, 1), opset: 13,
			in: []*tensor.Tensor{bF64([]int{2}, 1000, -1000)}, want: []*tensor.Tensor{bF64([]int{2}, 1, 0)}},
		{name: "identity bool", node: bNode("Identity", 1, 1), opset: 16,
			in: []*tensor.Tensor{bBools([]int{2}, true, false)}, want: []*tensor.Tensor{bBools([]int{2}, true, false)}},
		{name: "leakyrelu alpha", node: bNode("LeakyRelu", 1, 1, bAttrFloat("alpha", 0.5)), opset: 6,
			in: []*tensor.Tensor{bF32([]int{2}, -2, 2)}, want: []*tensor.Tensor{bF32([]int{2}, -1, 2)}},
		{name: "attr type", node: bNode("LeakyRelu", 1, 1, bAttrInt("alpha", 1)), opset: 6,
			in: []*tensor.Tensor{bF32([]int{1}, 1)}, err: "alpha"},

		// Clip.
		{name: "clip attrs", node: bNode("Clip", 1, 1, bAttrFloat("min", -1), bAttrFloat("max", 1)), opset: 6,
			in: []*tensor.Tensor{bF32([]int{3}, -2, 0.5, 2)}, want: []*tensor.Tensor{bF32([]int{3}, -1, 0.5, 1)}},
		{name: "clip attr min only", node: bNode("Clip", 1, 1, bAttrFloat("min", 0)), opset: 6,
			in: []*tensor.Tensor{bF32([]int{2}, -2, 5)}, want: []*tensor.Tensor{bF32([]int{2}, 0, 5)}},
		{name: "clip int64", node: bNode("Clip", 3, 1), opset: 13,
			in:   []*tensor.Tensor{bI64([]int{3}, -5, 3, 9), bI64([]int{}, 0), bI64([]int{}, 4)},
			want: []*tensor.Tensor{bI64([]int{3}, 0, 3, 4)}},
		{name: "clip max only", node: &onnx.Node{OpType: "Clip", Inputs: []string{"x", "", "m"}, Outputs: []string{"y"}}, opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2}, -5, 3), nil, bF32([]int{}, 1)},
			want: []*tensor.Tensor{bF32([]int{2}, -5, 1)}},
		{name: "clip min > max", node: bNode("Clip", 3, 1), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2}, -5, 3), bF32([]int{}, 2), bF32([]int{}, 1)},
			want: []*tensor.Tensor{bF32([]int{2}, 1, 1)}},
		{name: "clip bound type", node: bNode("Clip", 2, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{2}, -5, 3), bF64([]int{}, 2)}, err: "type"},
		{name: "clip bound shape", node: bNode("Clip", 2, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{2}, -5, 3), bF32([]int{2}, 2, 3)}, err: "scalar"},

		// Dropout.
		{name: "dropout mask", node: bNode("Dropout", 1, 2), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2}, 1, 2)},
			want: []*tensor.Tensor{bF32([]int{2}, 1, 2), bBools([]int{2}, true, true)}},
		{name: "dropout old mask", node: bNode("Dropout", 1, 2, bAttrFloat("ratio", 0.3)), opset: 7,
			in:   []*tensor.Tensor{bF32([]int{2}, 1, 2)},
			want: []*tensor.Tensor{bF32([]int{2}, 1, 2), bF32([]int{2}, 1, 1)}},
		{name: "dropout training", node: bNode("Dropout", 3, 1), opset: 13,
			in:  []*tensor.Tensor{bF32([]int{2}, 1, 2), bF32([]int{}, 0.5), bBools([]int{}, true)},
			err: `Dropout node "n": training_mode is true`},
		{name: "dropout not training", node: bNode("Dropout", 3, 1), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2}, 1, 2), bF32([]int{}, 0.5), bBools([]int{}, false)},
			want: []*tensor.Tensor{bF32([]int{2}, 1, 2)}},

		// Cast.
		{name: "cast float to int", node: bNode("Cast", 1, 1, bAttrInt("to", int64(tensor.Int64))), opset: 13,
			in: []*tensor.Tensor{bF32([]int{3}, -1.7, 2.9, 0)}, want: []*tensor.Tensor{bI64([]int{3}, -1, 2, 0)}},
		{name: "cast to bool", node: bNode("Cast", 1, 1, bAttrInt("to", int64(tensor.Bool))), opset: 13,
			in: []*tensor.Tensor{bF32([]int{3}, -1.7, 0, nan)}, want: []*tensor.Tensor{bBools([]int{3}, true, false, true)}},
		{name: "cast bool to float64", node: bNode("Cast", 1, 1, bAttrInt("to", int64(tensor.Float64))), opset: 13,
			in: []*tensor.Tensor{bBools([]int{2}, true, false)}, want: []*tensor.Tensor{bF64([]int{2}, 1, 0)}},
		{name: "cast int64 to int32", node: bNode("Cast", 1, 1, bAttrInt("to", int64(tensor.Int32))), opset: 13,
			in: []*tensor.Tensor{bI64([]int{2}, -5, 7)}, want: []*tensor.Tensor{bI32([]int{2}, -5, 7)}},
		{name: "cast int32 to uint8", node: bNode("Cast", 1, 1, bAttrInt("to", int64(tensor.Uint8))), opset: 13,
			in:   []*tensor.Tensor{bI32([]int{2}, 255, 3)},
			want: []*tensor.Tensor{{DType: tensor.Uint8, Shape: []int{2}, Data: []uint8{255, 3}}}},
		{name: "cast string to", node: bNode("Cast", 1, 1, bAttrString("to", "FLOAT")), opset: 1,
			in: []*tensor.Tensor{bI64([]int{1}, 3)}, want: []*tensor.Tensor{bF32([]int{1}, 3)}},
		{name: "cast float16", node: bNode("Cast", 1, 1, bAttrInt("to", 10)), opset: 13,
			in: []*tensor.Tensor{bF32([]int{1}, 1)}, err: "cannot cast"},
		{name: "cast no to", node: bNode("Cast", 1, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{1}, 1)}, err: "missing"},

		// Softmax.
		{name: "softmax opset 11 coerces", node: bNode("Softmax", 1, 1), opset: 11,
			in:   []*tensor.Tensor{bF32([]int{1, 2, 2}, 0, 0, 0, 0)},
			want: []*tensor.Tensor{bF32([]int{1, 2, 2}, 0.25, 0.25, 0.25, 0.25)}},
		{name: "softmax opset 13 last axis", node: bNode("Softmax", 1, 1), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{1, 2, 2}, 0, 0, 0, 0)},
			want: []*tensor.Tensor{bF32([]int{1, 2, 2}, 0.5, 0.5, 0.5, 0.5)}},
		{name: "logsoftmax axis 0 old", node: bNode("LogSoftmax", 1, 1, bAttrInt("axis", 0)), opset: 11,
			in:   []*tensor.Tensor{bF64([]int{2, 1}, 0, 0)},
			want: []*tensor.Tensor{bF64([]int{2, 1}, -math.Ln2, -math.Ln2)}},
		{name: "softmax axis range", node: bNode("Softmax", 1, 1, bAttrInt("axis", 2)), opset: 13,
			in: []*tensor.Tensor{bF32([]int{1, 2}, 0, 0)}, err: "axis"},

		// Reductions.
		{name: "reduce prod", node: bNode("ReduceProd", 1, 1, bAttrInts("axes", 1), bAttrInt("keepdims", 0)), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2, 2}, 1, 2, 3, 4)},
			want: []*tensor.Tensor{bF32([]int{2}, 2, 12)}},
		{name: "reduce l1 l2", node: bNode("ReduceL2", 1, 1, bAttrInts("axes", 0)), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2, 2}, 3, -1, 4, 0)},
			want: []*tensor.Tensor{bF32([]int{1, 2}, 5, 1)}},
		{name: "reduce l1", node: bNode("ReduceL1", 1, 1), opset: 13,
			in:   []*tensor.Tensor{bI64([]int{2, 2}, 3, -1, 4, 0)},
			want: []*tensor.Tensor{bI64([]int{1, 1}, 8)}},
		{name: "reduce sumsquare", node: bNode("ReduceSumSquare", 1, 1, bAttrInt("keepdims", 0)), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{3}, 1, 2, 3)},
			want: []*tensor.Tensor{bF32([]int{}, 14)}},
		{name: "reduce logsumexp big", node: bNode("ReduceLogSumExp", 1, 1, bAttrInts("axes", -1)), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2, 2}, 1000, 1000, -1000, -1000)},
			want: []*tensor.Tensor{bF32([]int{2, 1}, 1000+math.Ln2, -1000+math.Ln2)}},
		{name: "reduce logsum", node: bNode("ReduceLogSum", 1, 1), opset: 13,
			in:   []*tensor.Tensor{bF64([]int{2}, 1, math.E-1)},
			want: []*tensor.Tensor{bF64([]int{1}, 1)}},
		{name: "reduce max int", node: bNode("ReduceMax", 1, 1, bAttrInts("axes", 1)), opset: 13,
			in:   []*tensor.Tensor{bI32([]int{2, 2}, 1, 5, -3, -4)},
			want: []*tensor.Tensor{bI32([]int{2, 1}, 5, -3)}},
		{name: "reduce mean int", node: bNode("ReduceMean", 1, 1, bAttrInt("keepdims", 0)), opset: 13,
			in:   []*tensor.Tensor{bI64([]int{4}, 1, 2, 3, 5)},
			want: []*tensor.Tensor{bI64([]int{}, 2)}},
		{name: "reduce min opset 18 input", node: bNode("ReduceMin", 2, 1), opset: 18,
			in:   []*tensor.Tensor{bF32([]int{2, 2}, 1, 5, -3, -4), bI64([]int{1}, 0)},
			want: []*tensor.Tensor{bF32([]int{1, 2}, -3, -4)}},
		{name: "reduce mean 18 noop", node: bNode("ReduceMean", 1, 1, bAttrInt("noop_with_empty_axes", 1)), opset: 18,
			in:   []*tensor.Tensor{bF32([]int{2}, 1, 5)},
			want: []*tensor.Tensor{bF32([]int{2}, 1, 5)}},
		{name: "reduce sum empty dim", node: bNode("ReduceSum", 1, 1), opset: 11,
			in:   []*tensor.Tensor{bF32([]int{2, 0})},
			want: []*tensor.Tensor{bF32([]int{1, 1}, 0)}},
		{name: "reduce repeated axis", node: bNode("ReduceSum", 1, 1, bAttrInts("axes", 1, -1)), opset: 11,
			in: []*tensor.Tensor{bF32([]int{2, 2}, 1, 2, 3, 4)}, err: "repeated"},
		{name: "reduce axis range", node: bNode("ReduceMax", 1, 1, bAttrInts("axes", 2)), opset: 11,
			in: []*tensor.Tensor{bF32([]int{2, 2}, 1, 2, 3, 4)}, err: "out of range"},
		{name: "reduce logsumexp int", node: bNode("ReduceLogSumExp", 1, 1), opset: 11,
			in: []*tensor.Tensor{bI64([]int{2}, 1, 2)}, err: "type"},
		{name: "argmax", node: bNode("ArgMax", 1, 1, bAttrInt("axis", 1)), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2, 3}, 1, 3, 3, 5, nan, 7)},
			want: []*tensor.Tensor{bI64([]int{2, 1}, 1, 1)}},
		{name: "argmax last", node: bNode("ArgMax", 1, 1, bAttrInt("axis", 1), bAttrInt("select_last_index", 1), bAttrInt("keepdims", 0)), opset: 13,
			in:   []*tensor.Tensor{bI64([]int{2, 3}, 1, 3, 3, 5, 2, 7)},
			want: []*tensor.Tensor{bI64([]int{2}, 2, 2)}},
		{name: "argmin axis 0", node: bNode("ArgMin", 1, 1), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2, 2}, 1, 0, 0, 1)},
			want: []*tensor.Tensor{bI64([]int{1, 2}, 1, 0)}},
		{name: "argmin empty", node: bNode("ArgMin", 1, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{0, 2})}, err: "empty"},

		// Shape operators.
		{name: "size", node: bNode("Size", 1, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)}, want: []*tensor.Tensor{bI64([]int{}, 6)}},
		{name: "shape rank 0", node: bNode("Shape", 1, 1), opset: 15,
			in: []*tensor.Tensor{bF32([]int{}, 1)}, want: []*tensor.Tensor{bI64([]int{0})}},
		{name: "reshape attr", node: bNode("Reshape", 1, 1, bAttrInts("shape", 0, -1)), opset: 1,
			in:   []*tensor.Tensor{bF32([]int{2, 1, 2}, 1, 2, 3, 4)},
			want: []*tensor.Tensor{bF32([]int{2, 2}, 1, 2, 3, 4)}},
		{name: "reshape size", node: bNode("Reshape", 2, 1), opset: 14,
			in: []*tensor.Tensor{bF32([]int{4}, 1, 2, 3, 4), bI64([]int{2}, 3, -1)}, err: "cannot reshape"},
		{name: "reshape two -1", node: bNode("Reshape", 2, 1), opset: 14,
			in: []*tensor.Tensor{bF32([]int{4}, 1, 2, 3, 4), bI64([]int{2}, -1, -1)}, err: "more than one"},
		{name: "reshape bad dim", node: bNode("Reshape", 2, 1), opset: 14,
			in: []*tensor.Tensor{bF32([]int{4}, 1, 2, 3, 4), bI64([]int{2}, -2, -2)}, err: "invalid"},
		{name: "reshape allowzero -1", node: bNode("Reshape", 2, 1, bAttrInt("allowzero", 1)), opset: 14,
			in: []*tensor.Tensor{bF32([]int{0, 2}), bI64([]int{2}, 0, -1)}, err: "allowzero"},
		{name: "reshape zero past rank", node: bNode("Reshape", 2, 1), opset: 14,
			in: []*tensor.Tensor{bF32([]int{4}, 1, 2, 3, 4), bI64([]int{2}, 4, 0)}, err: "copies dimension"},
		{name: "reshape shape type", node: bNode("Reshape", 2, 1), opset: 14,
			in: []*tensor.Tensor{bF32([]int{4}, 1, 2, 3, 4), bF32([]int{1}, 4)}, err: "type"},
		{name: "flatten axis range", node: bNode("Flatten", 1, 1, bAttrInt("axis", 3)), opset: 13,
			in: []*tensor.Tensor{bF32([]int{1, 2}, 1, 2)}, err: "axis"},
		{name: "squeeze attr", node: bNode("Squeeze", 1, 1, bAttrInts("axes", 0)), opset: 11,
			in: []*tensor.Tensor{bF32([]int{1, 2}, 1, 2)}, want: []*tensor.Tensor{bF32([]int{2}, 1, 2)}},
		{name: "squeeze all", node: bNode("Squeeze", 1, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{1, 2, 1}, 1, 2)}, want: []*tensor.Tensor{bF32([]int{2}, 1, 2)}},
		{name: "squeeze not 1", node: bNode("Squeeze", 2, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{1, 2}, 1, 2), bI64([]int{1}, 1)}, err: "cannot squeeze"},
		{name: "unsqueeze attr", node: bNode("Unsqueeze", 1, 1, bAttrInts("axes", -1, 0)), opset: 11,
			in: []*tensor.Tensor{bF32([]int{2}, 1, 2)}, want: []*tensor.Tensor{bF32([]int{1, 2, 1}, 1, 2)}},
		{name: "unsqueeze dup", node: bNode("Unsqueeze", 2, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{2}, 1, 2), bI64([]int{2}, 0, -3)}, err: "repeated"},
		{name: "concat int64 empty", node: bNode("Concat", 3, 1, bAttrInt("axis", 0)), opset: 13,
			in:   []*tensor.Tensor{bI64([]int{1}, 1), bI64([]int{0}), bI64([]int{2}, 2, 3)},
			want: []*tensor.Tensor{bI64([]int{3}, 1, 2, 3)}},
		{name: "concat mismatch", node: bNode("Concat", 2, 1, bAttrInt("axis", 0)), opset: 13,
			in: []*tensor.Tensor{bF32([]int{1, 2}, 1, 2), bF32([]int{1, 3}, 1, 2, 3)}, err: "shape"},
		{name: "concat no axis", node: bNode("Concat", 2, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{1}, 1), bF32([]int{1}, 1)}, err: "axis"},
		{name: "split attr", node: bNode("Split", 1, 2, bAttrInts("split", 1, 2)), opset: 11,
			in:   []*tensor.Tensor{bF32([]int{3}, 1, 2, 3)},
			want: []*tensor.Tensor{bF32([]int{1}, 1), bF32([]int{2}, 2, 3)}},
		{name: "split uneven", node: bNode("Split", 1, 2), opset: 13,
			in: []*tensor.Tensor{bF32([]int{3}, 1, 2, 3)}, err: "equal parts"},
		{name: "split num_outputs", node: bNode("Split", 1, 2, bAttrInt("num_outputs", 2)), opset: 18,
			in:   []*tensor.Tensor{bF32([]int{3}, 1, 2, 3)},
			want: []*tensor.Tensor{bF32([]int{2}, 1, 2), bF32([]int{1}, 3)}},
		{name: "split bad sum", node: bNode("Split", 2, 2), opset: 13,
			in: []*tensor.Tensor{bF32([]int{3}, 1, 2, 3), bI64([]int{2}, 1, 1)}, err: "add up"},
		{name: "transpose bad perm", node: bNode("Transpose", 1, 1, bAttrInts("perm", 0, 0)), opset: 13,
			in: []*tensor.Tensor{bF32([]int{1, 1}, 1)}, err: "permutation"},
		{name: "transpose 3d", node: bNode("Transpose", 1, 1, bAttrInts("perm", 2, 0, 1)), opset: 13,
			in:   []*tensor.Tensor{bI32([]int{1, 2, 3}, 0, 1, 2, 3, 4, 5)},
			want: []*tensor.Tensor{bI32([]int{3, 1, 2}, 0, 3, 1, 4, 2, 5)}},
		{name: "expand", node: bNode("Expand", 2, 1), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2, 1}, 1, 2), bI64([]int{3}, 2, 1, 3)},
			want: []*tensor.Tensor{bF32([]int{2, 2, 3}, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2)}},
		{name: "expand smaller shape", node: bNode("Expand", 2, 1), opset: 13,
			in:   []*tensor.Tensor{bBools([]int{2, 1}, true, false), bI64([]int{1}, 2)},
			want: []*tensor.Tensor{bBools([]int{2, 2}, true, true, false, false)}},
		{name: "expand bad", node: bNode("Expand", 2, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{2}, 1, 2), bI64([]int{1}, 3)}, err: "broadcast"},
		{name: "tile", node: bNode("Tile", 2, 1), opset: 13,
			in:   []*tensor.Tensor{bI64([]int{2, 1}, 1, 2), bI64([]int{2}, 2, 3)},
			want: []*tensor.Tensor{bI64([]int{4, 3}, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2)}},
		{name: "tile zero", node: bNode("Tile", 2, 1), opset: 13,
			in:   []*tensor.Tensor{bI64([]int{2}, 1, 2), bI64([]int{1}, 0)},
			want: []*tensor.Tensor{bI64([]int{0})}},
		{name: "tile bad repeats", node: bNode("Tile", 2, 1), opset: 13,
			in: []*tensor.Tensor{bI64([]int{2}, 1, 2), bI64([]int{2}, 1, 1)}, err: "repeats"},

		// Slice.
		{name: "slice attrs", node: bNode("Slice", 1, 1, bAttrInts("starts", 1), bAttrInts("ends", 1000), bAttrInts("axes", 1)), opset: 1,
			in:   []*tensor.Tensor{bF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)},
			want: []*tensor.Tensor{bF32([]int{2, 2}, 2, 3, 5, 6)}},
		{name: "slice reverse all", node: bNode("Slice", 5, 1), opset: 13,
			in: []*tensor.Tensor{bI32([]int{4}, 1, 2, 3, 4), bI32([]int{1}, -1), bI32([]int{1}, math.MinInt32),
				bI32([]int{1}, 0), bI32([]int{1}, -1)},
			want: []*tensor.Tensor{bI32([]int{4}, 4, 3, 2, 1)}},
		{name: "slice positive step past start", node: bNode("Slice", 4, 1), opset: 13,
			in: []*tensor.Tensor{bI32([]int{4}, 1, 2, 3, 4), bI32([]int{1}, -1), bI32([]int{1}, math.MinInt32),
				bI32([]int{1}, 0)},
			want: []*tensor.Tensor{bI32([]int{0})}},
		{name: "slice reverse", node: bNode("Slice", 5, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{4}, 1, 2, 3, 4), bI64([]int{1}, -1), bI64([]int{1}, math.MinInt64),
				bI64([]int{1}, 0), bI64([]int{1}, -2)},
			want: []*tensor.Tensor{bF32([]int{2}, 4, 2)}},
		{name: "slice huge step", node: bNode("Slice", 5, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{4}, 1, 2, 3, 4), bI64([]int{1}, 1), bI64([]int{1}, math.MaxInt64),
				bI64([]int{1}, 0), bI64([]int{1}, math.MaxInt64)},
			want: []*tensor.Tensor{bF32([]int{1}, 2)}},
		{name: "slice min step", node: bNode("Slice", 5, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{4}, 1, 2, 3, 4), bI64([]int{1}, 3), bI64([]int{1}, math.MinInt64),
				bI64([]int{1}, 0), bI64([]int{1}, math.MinInt64)},
			want: []*tensor.Tensor{bF32([]int{1}, 4)}},
		{name: "slice empty dim neg step", node: bNode("Slice", 5, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{0}), bI64([]int{1}, -1), bI64([]int{1}, math.MinInt64),
				bI64([]int{1}, 0), bI64([]int{1}, -1)},
			want: []*tensor.Tensor{bF32([]int{0})}},
		{name: "slice step 0", node: bNode("Slice", 5, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{4}, 1, 2, 3, 4), bI64([]int{1}, 0), bI64([]int{1}, 4),
				bI64([]int{1}, 0), bI64([]int{1}, 0)}, err: "step is 0"},
		{name: "slice lengths", node: bNode("Slice", 3, 1), opset: 13,
			in: []*tensor.Tensor{bF32([]int{4}, 1, 2, 3, 4), bI64([]int{1}, 0), bI64([]int{2}, 4, 4)}, err: "lengths"},

		// Gather.
		{name: "gather int32 axis 1", node: bNode("Gather", 2, 1, bAttrInt("axis", 1)), opset: 13,
			in:   []*tensor.Tensor{bF32([]int{2, 3}, 1, 2, 3, 4, 5, 6), bI32([]int{2}, -1, 0)},
			want: []*tensor.Tensor{bF32([]int{2, 2}, 3, 1, 6, 4)}},
		{name: "gather scalar index", node: bNode("Gather", 2, 1), opset: 13,
			in:   []*tensor.Tensor{bI64([]int{3}, 5, 6, 7), bI64([]int{}, 1)},
			want: []*tensor.Tensor{bI64([]int{}, 6)}},
		{name: "gather out of range", node: bNode("Gather", 2, 1), opset: 13,
			in: []*tensor.Tensor{bI64([]int{3}, 5, 6, 7), bI64([]int{1}, 3)}, err: "out of range"},
		{name: "gather negative out of range", node: bNode("Gather", 2, 1), opset: 13,
			in: []*tensor.Tensor{bI64([]int{3}, 5, 6, 7), bI64([]int{1}, -4)}, err: "out of range"},
		{name: "gather float indices", node: bNode("Gather", 2, 1), opset: 13,
			in: []*tensor.Tensor{bI64([]int{3}, 5, 6, 7), bF32([]int{1}, 1)}, err: "indices"},

		// Constants.
		{name: "constant value_floats", node: bNode("Constant", 0, 1, bAttrFloats("value_floats", 1, 2)), opset: 13,
			want: []*tensor.Tensor{bF32([]int{2}, 1, 2)}},
		{name: "constant value_int", node: bNode("Constant", 0, 1, bAttrInt("value_int", 7)), opset: 13,
			want: []*tensor.Tensor{bI64([]int{}, 7)}},
		{name: "constant value_ints", node: bNode("Constant", 0, 1, bAttrInts("value_ints", 7, 8)), opset: 13,
			want: []*tensor.Tensor{bI64([]int{2}, 7, 8)}},
		{name: "constant value_float", node: bNode("Constant", 0, 1, bAttrFloat("value_float", 1.5)), opset: 13,
			want: []*tensor.Tensor{bF32([]int{}, 1.5)}},
		{name: "constant two", node: bNode("Constant", 0, 1, bAttrFloat("value_float", 1.5), bAttrInt("value_int", 1)), opset: 13,
			err: "exactly one"},
		{name: "constant string", node: bNode("Constant", 0, 1, bAttrString("value_string", "x")), opset: 13,
			err: "unsupported attribute"},
		{name: "constantofshape default", node: bNode("ConstantOfShape", 1, 1), opset: 9,
			in: []*tensor.Tensor{bI64([]int{2}, 1, 2)}, want: []*tensor.Tensor{bF32([]int{1, 2}, 0, 0)}},
		{name: "constantofshape int", node: bNode("ConstantOfShape", 1, 1, bAttrTensor("value", bI64([]int{1}, 3))), opset: 9,
			in: []*tensor.Tensor{bI64([]int{1}, 2)}, want: []*tensor.Tensor{bI64([]int{2}, 3, 3)}},
		{name: "constantofshape scalar", node: bNode("ConstantOfShape", 1, 1, bAttrTensor("value", bI64([]int{1}, 3))), opset: 9,
			in: []*tensor.Tensor{bI64([]int{0})}, want: []*tensor.Tensor{bI64([]int{}, 3)}},
		{name: "constantofshape negative", node: bNode("ConstantOfShape", 1, 1), opset: 9,
			in: []*tensor.Tensor{bI64([]int{1}, -2)}, err: "invalid"},
		{name: "range float", node: bNode("Range", 3, 1), opset: 11,
			in:   []*tensor.Tensor{bF32([]int{}, 1), bF32([]int{}, 2), bF32([]int{}, 0.25)},
			want: []*tensor.Tensor{bF32([]int{4}, 1, 1.25, 1.5, 1.75)}},
		{name: "range int down", node: bNode("Range", 3, 1), opset: 11,
			in:   []*tensor.Tensor{bI64([]int{}, 10), bI64([]int{}, 4), bI64([]int{}, -3)},
			want: []*tensor.Tensor{bI64([]int{2}, 10, 7)}},
		{name: "range empty", node: bNode("Range", 3, 1), opset: 11,
			in:   []*tensor.Tensor{bI32([]int{}, 10), bI32([]int{}, 4), bI32([]int{}, 3)},
			want: []*tensor.Tensor{bI32([]int{0})}},
		{name: "range huge", node: bNode("Range", 3, 1), opset: 11,
			in:  []*tensor.Tensor{bI64([]int{}, math.MinInt64), bI64([]int{}, math.MaxInt64), bI64([]int{}, 1)},
			err: "too many"},
		{name: "range delta 0", node: bNode("Range", 3, 1), opset: 11,
			in: []*tensor.Tensor{bF32([]int{}, 1), bF32([]int{}, 2), bF32([]int{}, 0)}, err: "delta"},

		// Attributes that became inputs.
		{name: "pad pads attribute at 11", node: bNode("Pad", 2, 1, bAttrInts("pads", 0, 0)), opset: 11,
			in: []*tensor.Tensor{bF32([]int{1}, 1), bI64([]int{2}, 0, 0)}, err: "is an input from opset 11"},

		// Counts.
		{name: "too few inputs", node: bNode("Add", 1, 1), opset: 14, err: "inputs"},
		{name: "unsupported opset", node: bNode("Range", 3, 1), opset: 10, err: "unsupported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := bRun(c.node, c.opset, c.in...)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("%d outputs, want %d", len(got), len(c.want))
			}
			for i := range got {
				if err := bCompareTensors(got[i], c.want[i]); err != nil {
					t.Errorf("output %d: %v", i, err)
				}
			}
		})
	}
}

// TestDynamicB checks that operators whose output shape depends on input
// values report ErrDynamic when those values are unknown.
func TestDynamicB(t *testing.T) {
	cases := []struct {
		node  *onnx.Node
		opset int64
		in    []*tensor.Tensor
	}{
		{bNode("Reshape", 2, 1), 14, []*tensor.Tensor{bF32([]int{4}), {DType: tensor.Int64, Shape: []int{2}}}},
		{bNode("Expand", 2, 1), 13, []*tensor.Tensor{bF32([]int{4}), {DType: tensor.Int64, Shape: []int{2}}}},
		{bNode("Tile", 2, 1), 13, []*tensor.Tensor{bF32([]int{4}), {DType: tensor.Int64, Shape: []int{1}}}},
		{bNode("ConstantOfShape", 1, 1), 13, []*tensor.Tensor{{DType: tensor.Int64, Shape: []int{2}}}},
		{bNode("Range", 3, 1), 13, []*tensor.Tensor{{DType: tensor.Int64, Shape: []int{}}, {DType: tensor.Int64, Shape: []int{}}, {DType: tensor.Int64, Shape: []int{}}}},
		{bNode("Slice", 3, 1), 13, []*tensor.Tensor{bF32([]int{4}), {DType: tensor.Int64, Shape: []int{1}}, {DType: tensor.Int64, Shape: []int{1}}}},
		{bNode("Squeeze", 2, 1), 13, []*tensor.Tensor{bF32([]int{4}), {DType: tensor.Int64, Shape: []int{1}}}},
		{bNode("Unsqueeze", 2, 1), 13, []*tensor.Tensor{bF32([]int{4}), {DType: tensor.Int64, Shape: []int{1}}}},
		{bNode("ReduceSum", 2, 1), 13, []*tensor.Tensor{bF32([]int{4}), {DType: tensor.Int64, Shape: []int{1}}}},
		{bNode("Split", 2, 2), 13, []*tensor.Tensor{bF32([]int{4}), {DType: tensor.Int64, Shape: []int{2}}}},
	}
	for _, c := range cases {
		k, err := New(c.node, c.opset)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range c.in {
			c.in[i] = x.Meta()
		}
		if _, err := k.Infer(c.in); !errors.Is(err, ErrDynamic) {
			t.Errorf("%s: Infer error %v, want ErrDynamic", c.node.OpType, err)
		}
	}
}

// TestRunChecksB checks that Run rejects outputs and inputs that do not
// match what Infer returned, rather than panicking.
func TestRunChecksB(t *testing.T) {
	k, err := New(bNode("Add", 2, 1), 14)
	if err != nil {
		t.Fatal(err)
	}
	a, b := bF32([]int{2}, 1, 2), bF32([]int{2}, 3, 4)
	if err := k.Run([]*tensor.Tensor{a, b}, []*tensor.Tensor{bF32([]int{3}, 0, 0, 0)}); err == nil {
		t.Error("Run accepted an output of the wrong shape")
	}
	if err := k.Run([]*tensor.Tensor{a, b}, []*tensor.Tensor{bI64([]int{2}, 0, 0)}); err == nil {
		t.Error("Run accepted an output of the wrong type")
	}
	if err := k.Run([]*tensor.Tensor{a, bF32([]int{2}, 1)}, []*tensor.Tensor{bF32([]int{2}, 0, 0)}); err == nil {
		t.Error("Run accepted an input with too little data")
	}
	if err := k.Run([]*tensor.Tensor{a, b}, nil); err == nil {
		t.Error("Run accepted no outputs")
	}
	// Same-shape float32 fast path and the general path agree.
	x := bF32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	y := bF32([]int{2, 3}, 6, 5, 4, 3, 2, 1)
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		fast, err := bRun(bNode(op, 2, 1), 14, x, y)
		if err != nil {
			t.Fatal(err)
		}
		slow := make([]float32, 6)
		binaryBcast(x.Float32s(), []int{2, 3}, y.Float32s(), []int{1, 2, 3}, slow, []int{1, 2, 3}, arithFunc[float32](op))
		if d := tensor.MaxAbsDiff(fast[0].Float32s(), slow); d != 0 {
			t.Errorf("%s: fast and general paths differ by %v", op, d)
		}
	}
}
