package ops

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// aNode builds a node of the default domain. attrs values may be int,
// int64, float32, float64, string, []int, []int64 or []float32.
func aNode(op string, nIn, nOut int, attrs map[string]any) *onnx.Node {
	n := &onnx.Node{OpType: op, Name: "t_" + strings.ToLower(op), Attrs: map[string]*onnx.Attr{}}
	for i := 0; i < nIn; i++ {
		n.Inputs = append(n.Inputs, fmt.Sprint("in", i))
	}
	for i := 0; i < nOut; i++ {
		n.Outputs = append(n.Outputs, fmt.Sprint("out", i))
	}
	for k, v := range attrs {
		a := &onnx.Attr{Name: k}
		switch v := v.(type) {
		case int:
			a.Type, a.I = onnx.AttrInt, int64(v)
		case int64:
			a.Type, a.I = onnx.AttrInt, v
		case float32:
			a.Type, a.F = onnx.AttrFloat, v
		case float64:
			a.Type, a.F = onnx.AttrFloat, float32(v)
		case string:
			a.Type, a.S = onnx.AttrString, v
		case []int:
			a.Type = onnx.AttrInts
			for _, x := range v {
				a.Ints = append(a.Ints, int64(x))
			}
		case []int64:
			a.Type, a.Ints = onnx.AttrInts, v
		case []float32:
			a.Type, a.Floats = onnx.AttrFloats, v
		default:
			panic(fmt.Sprintf("attr %s: %T", k, v))
		}
		n.Attrs[k] = a
	}
	return n
}

// aRand returns a float32 tensor of the given shape with values in [-1, 1).
func aRand(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	for i := range t.Float32s() {
		t.Float32s()[i] = r.Float32()*2 - 1
	}
	return t
}

// aF32 wraps values as a float32 tensor.
func aF32(shape []int, v ...float32) *tensor.Tensor { return tensor.FromFloat32(shape, v) }

// aI64 wraps values as an int64 tensor.
func aI64(shape []int, v ...int64) *tensor.Tensor { return tensor.FromInt64(shape, v) }

// aExec builds the node's kernel under opset, infers, fills the outputs
// with garbage and runs it. Any panic is reported as an error.
func aExec(n *onnx.Node, opset int64, in ...*tensor.Tensor) (out []*tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	k, err := New(n, opset)
	if err != nil {
		return nil, err
	}
	metas, err := k.Infer(in)
	if err != nil {
		return nil, err
	}
	for _, m := range metas {
		if _, err := tensor.NumElements(m.Shape); err != nil {
			return nil, err
		}
		t := tensor.New(m.DType, m.Shape...)
		fillGarbageA(t)
		out = append(out, t)
	}
	if err := k.Run(in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// aMust is aExec failing the test on error.
func aMust(t *testing.T, n *onnx.Node, opset int64, in ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	out, err := aExec(n, opset, in...)
	if err != nil {
		t.Fatalf("%v: %v", n, err)
	}
	return out
}

// aClose fails unless got has the shape and (within 1e-5 + 1e-4 rel) the
// values of want.
func aClose(t *testing.T, what string, got *tensor.Tensor, shape []int, want []float32) {
	t.Helper()
	if !tensor.SameShape(got.Shape, shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, shape)
	}
	g := got.Float32s()
	for i := range want {
		if d := math.Abs(float64(g[i]) - float64(want[i])); !(d <= 1e-5+1e-4*math.Abs(float64(want[i]))) && g[i] != want[i] {
			t.Fatalf("%s: element %d = %v, want %v\ngot  %v\nwant %v", what, i, g[i], want[i], g, want)
		}
	}
}

// aWantErr fails unless running the node fails with an error containing
// substr (and does not panic).
func aWantErr(t *testing.T, substr string, n *onnx.Node, opset int64, in ...*tensor.Tensor) {
	t.Helper()
	_, err := aExec(n, opset, in...)
	if err == nil {
		t.Fatalf("%v: no error, want one containing %q", n, substr)
	}
	if strings.HasPrefix(err.Error(), "panic") || !strings.Contains(err.Error(), substr) {
		t.Fatalf("%v: error %q, want one containing %q", n, err, substr)
	}
}

// aIsDynamic reports whether err is ErrDynamic.
func aIsDynamic(err error) bool { return errors.Is(err, ErrDynamic) }
