package ops

import (
	"fmt"
	"math"
	"math/big"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Constant, ConstantOfShape and Range.

func init() {
	register("Constant", 1, buildConstant)
	register("ConstantOfShape", 9, buildConstantOfShape)
	register("Range", 11, buildRange)
}

// buildConstant: exactly one of value (a tensor, all opsets), value_float,
// value_floats, value_int, value_ints (opset 12). value_string(s) and
// sparse_value are not supported.
func buildConstant(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeInputs(n, 0, 0); err != nil {
		return nil, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	var val *tensor.Tensor
	count := 0
	for name, at := range n.Attrs {
		count++
		switch name {
		case "value":
			if at.Type != onnx.AttrTensor || at.T == nil {
				return nil, fmt.Errorf("%v: attribute value is %v, want tensor", n, at.Type)
			}
			val = at.T
		case "value_float":
			if at.Type != onnx.AttrFloat {
				return nil, fmt.Errorf("%v: attribute value_float is %v, want float", n, at.Type)
			}
			val = tensor.Scalar(at.F)
		case "value_floats":
			if at.Type != onnx.AttrFloats {
				return nil, fmt.Errorf("%v: attribute value_floats is %v, want floats", n, at.Type)
			}
			val = tensor.FromFloat32([]int{len(at.Floats)}, at.Floats)
		case "value_int":
			if at.Type != onnx.AttrInt {
				return nil, fmt.Errorf("%v: attribute value_int is %v, want int", n, at.Type)
			}
			val = tensor.FromInt64([]int{}, []int64{at.I})
		case "value_ints":
			if at.Type != onnx.AttrInts {
				return nil, fmt.Errorf("%v: attribute value_ints is %v, want ints", n, at.Type)
			}
			val = tensor.FromInt64([]int{len(at.Ints)}, at.Ints)
		default:
			return nil, fmt.Errorf("%v: unsupported attribute %q", n, name)
		}
	}
	if count != 1 || val == nil {
		return nil, fmt.Errorf("%v: needs exactly one value attribute, has %d", n, count)
	}
	if val.Data == nil {
		return nil, fmt.Errorf("%v: value has no data", n)
	}
	if err := val.Check(); err != nil {
		return nil, fmt.Errorf("%v: %w", n, err)
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		return one(val.DType, val.Shape)
	}
	run := func(in, out []*tensor.Tensor) error {
		tensor.Copy(out[0], val)
		return nil
	}
	return checked{infer, run}, nil
}

// buildConstantOfShape: the output's shape is the int64 input's values; its
// type and fill value come from the one-element tensor attribute value
// (default float32 0).
func buildConstantOfShape(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeInputs(n, 1, 1); err != nil {
		return nil, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	a := n.AttrReader()
	val := a.Tensor("value")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if val == nil {
		val = tensor.FromFloat32([]int{1}, []float32{0})
	}
	if val.Data == nil || val.Check() != nil || val.Len() != 1 {
		return nil, a.Fail("value must be a tensor of one element, is %v", val)
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		if err := wantType(in[0], "shape", tensor.Int64); err != nil {
			return nil, err
		}
		if in[0].Rank() != 1 {
			return nil, fmt.Errorf("shape must be 1-D, has shape %v", in[0].Shape)
		}
		v, err := values(in[0], "shape")
		if err != nil {
			return nil, err
		}
		shape := make([]int, len(v))
		for i, d := range v {
			if d < 0 || d > tensor.MaxElements {
				return nil, fmt.Errorf("invalid output shape %v", v)
			}
			shape[i] = int(d)
		}
		if _, err := checkedNumel(shape); err != nil {
			return nil, err
		}
		return one(val.DType, shape)
	}
	run := func(in, out []*tensor.Tensor) error {
		constFill(out[0], val)
		return nil
	}
	return checked{infer, run}, nil
}

// constFill sets every element of dst to the single element of v (same type).
func constFill(dst, v *tensor.Tensor) {
	switch d := dst.Data.(type) {
	case []float32:
		constFillT(d, v.Data.([]float32)[0])
	case []float64:
		constFillT(d, v.Data.([]float64)[0])
	case []int64:
		constFillT(d, v.Data.([]int64)[0])
	case []int32:
		constFillT(d, v.Data.([]int32)[0])
	case []uint8:
		constFillT(d, v.Data.([]uint8)[0])
	case []int8:
		constFillT(d, v.Data.([]int8)[0])
	case []bool:
		constFillT(d, v.Data.([]bool)[0])
	}
}

func constFillT[T any](d []T, v T) {
	for i := range d {
		d[i] = v
	}
}

// buildRange: start, limit and delta are scalars of one type; the output
// holds start + i·delta for i < max(ceil((limit-start)/delta), 0).
func buildRange(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeInputs(n, 3, 3); err != nil {
		return nil, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	count := func(in []*tensor.Tensor) (int, error) {
		for i, what := range []string{"start", "limit", "delta"} {
			if in[i].Len() != 1 || in[i].Rank() > 1 {
				return 0, fmt.Errorf("%s must be a scalar, has shape %v", what, in[i].Shape)
			}
			if in[i].Data == nil {
				return 0, ErrDynamic
			}
		}
		var c float64
		if isFloat(in[0].DType) {
			start, _ := scalarValue(in[0], "start")
			limit, _ := scalarValue(in[1], "limit")
			delta, _ := scalarValue(in[2], "delta")
			if delta == 0 {
				return 0, fmt.Errorf("delta is 0")
			}
			c = math.Ceil((limit - start) / delta)
		} else {
			s, l, d := convertInts(in[0])[0], convertInts(in[1])[0], convertInts(in[2])[0]
			if d == 0 {
				return 0, fmt.Errorf("delta is 0")
			}
			c = intRangeCount(s, l, d)
		}
		if math.IsNaN(c) || c > tensor.MaxElements {
			return 0, fmt.Errorf("range has too many elements")
		}
		return int(max(c, 0)), nil
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 3); err != nil {
			return nil, err
		}
		if err := wantType(in[0], "start", tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32); err != nil {
			return nil, err
		}
		if err := sameTypes(in[:3]); err != nil {
			return nil, err
		}
		c, err := count(in)
		if err != nil {
			return nil, err
		}
		return one(in[0].DType, []int{c})
	}
	run := func(in, out []*tensor.Tensor) error {
		switch o := out[0].Data.(type) {
		case []float32:
			rangeRun(o, in[0].Data.([]float32)[0], in[2].Data.([]float32)[0])
		case []float64:
			rangeRun(o, in[0].Data.([]float64)[0], in[2].Data.([]float64)[0])
		case []int64:
			rangeRun(o, in[0].Data.([]int64)[0], in[2].Data.([]int64)[0])
		case []int32:
			rangeRun(o, in[0].Data.([]int32)[0], in[2].Data.([]int32)[0])
		}
		return nil
	}
	return checked{infer, run}, nil
}

// intRangeCount is max(ceil((l-s)/d), 0) computed exactly, as a float64
// (which is exact below tensor.MaxElements and only compared above it).
func intRangeCount(s, l, d int64) float64 {
	diff := new(big.Int).Sub(big.NewInt(l), big.NewInt(s))
	dd := big.NewInt(d)
	if diff.Sign() == 0 || diff.Sign() != dd.Sign() {
		return 0
	}
	diff.Abs(diff)
	dd.Abs(dd)
	diff.Add(diff, dd).Sub(diff, big.NewInt(1)).Quo(diff, dd)
	f, _ := diff.Float64()
	return f
}

func rangeRun[T elemNum](out []T, start, delta T) {
	for i := range out {
		out[i] = start + T(i)*delta
	}
}
