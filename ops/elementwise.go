package ops

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Element-wise operators of two or more inputs, with numpy broadcasting
// (opset >= 7) or the legacy broadcast/axis attributes (opset < 7).

func init() {
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		register(op, 1, buildArith(op))
	}
	register("Pow", 1, buildPow)
	for _, op := range []string{"Max", "Min", "Sum", "Mean"} {
		register(op, 1, buildVariadic(op))
	}
	register("PRelu", 1, buildPRelu)
	for _, op := range []string{"Equal", "Less", "Greater"} {
		register(op, 1, buildCompare(op))
	}
	for _, op := range []string{"LessOrEqual", "GreaterOrEqual"} {
		register(op, 12, buildCompare(op))
	}
	for _, op := range []string{"And", "Or", "Xor"} {
		register(op, 1, buildLogic(op))
	}
	register("Where", 9, buildWhere)
}

// bcastMode says how a binary operator broadcasts its second input.
type bcastMode struct {
	legacy  bool // opset < 7: the broadcast and axis attributes
	bcast   int64
	axis    int64
	hasAxis bool
}

func readBcastMode(n *onnx.Node, opset int64) (bcastMode, error) {
	if opset >= 7 {
		return bcastMode{}, nil
	}
	a := n.AttrReader()
	m := bcastMode{legacy: true, bcast: a.Int("broadcast", 0), axis: a.Int("axis", 0), hasAxis: a.Has("axis")}
	return m, a.Err()
}

// shapes returns the shapes to read a and b with and the output shape.
func (m bcastMode) shapes(a, b []int) (as, bs, os []int, err error) {
	if !m.legacy {
		os, err = broadcast(a, b)
		return a, b, os, err
	}
	bs, err = legacyBroadcast(a, b, m.bcast, m.axis, m.hasAxis)
	if err != nil {
		return nil, nil, nil, err
	}
	os, err = broadcast(a, bs)
	if err == nil && !tensor.SameShape(os, a) {
		err = fmt.Errorf("cannot broadcast %v onto %v", b, a)
	}
	return a, bs, os, err
}

// binaryNode checks the input and output counts of a two-input operator and
// reads its broadcasting mode.
func binaryNode(n *onnx.Node, opset int64) (bcastMode, error) {
	if err := nodeInputs(n, 2, 2); err != nil {
		return bcastMode{}, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return bcastMode{}, err
	}
	return readBcastMode(n, opset)
}

// --- Add, Sub, Mul, Div ---

func buildArith(op string) Builder {
	return func(n *onnx.Node, opset int64) (Kernel, error) {
		m, err := binaryNode(n, opset)
		if err != nil {
			return nil, err
		}
		infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 2); err != nil {
				return nil, err
			}
			if err := wantType(in[0], "input A", numTypes...); err != nil {
				return nil, err
			}
			if err := sameTypes(in[:2]); err != nil {
				return nil, err
			}
			_, _, os, err := m.shapes(in[0].Shape, in[1].Shape)
			if err != nil {
				return nil, err
			}
			return one(in[0].DType, os)
		}
		run := func(in, out []*tensor.Tensor) error {
			as, bs, os, _ := m.shapes(in[0].Shape, in[1].Shape)
			return arithRun(op, in[0].Data, as, in[1].Data, bs, out[0].Data, os)
		}
		return checked{infer, run}, nil
	}
}

func arithRun(op string, a any, as []int, b any, bs []int, out any, os []int) error {
	switch x := a.(type) {
	case []float32:
		y, o := b.([]float32), out.([]float32)
		if arithFastF32(op, x, as, y, bs, o, os) {
			return nil
		}
		binaryBcast(x, as, y, bs, o, os, arithFunc[float32](op))
	case []float64:
		binaryBcast(x, as, b.([]float64), bs, out.([]float64), os, arithFunc[float64](op))
	case []int64:
		return arithInt(op, x, as, b.([]int64), bs, out.([]int64), os)
	case []int32:
		return arithInt(op, x, as, b.([]int32), bs, out.([]int32), os)
	case []uint8:
		return arithInt(op, x, as, b.([]uint8), bs, out.([]uint8), os)
	case []int8:
		return arithInt(op, x, as, b.([]int8), bs, out.([]int8), os)
	}
	return nil
}

func arithInt[T elemInt](op string, a []T, as []int, b []T, bs []int, out []T, os []int) error {
	if op == "Div" && len(out) > 0 {
		for _, v := range b {
			if v == 0 {
				return fmt.Errorf("integer division by zero")
			}
		}
	}
	binaryBcast(a, as, b, bs, out, os, arithFunc[T](op))
	return nil
}

func arithFunc[T elemNum](op string) func(a, b T) T {
	switch op {
	case "Add":
		return func(a, b T) T { return a + b }
	case "Sub":
		return func(a, b T) T { return a - b }
	case "Mul":
		return func(a, b T) T { return a * b }
	case "Div":
		return func(a, b T) T { return a / b }
	}
	panic("ops: unknown arithmetic operator " + op)
}

// arithFastF32 computes the common float32 cases, equal shapes and a scalar
// second operand, with plain loops. It reports whether it handled the case.
func arithFastF32(op string, a []float32, as []int, b []float32, bs []int, o []float32, os []int) bool {
	if !tensor.SameShape(as, os) {
		return false
	}
	if tensor.SameShape(bs, os) {
		b = b[:len(o)]
		a = a[:len(o)]
		switch op {
		case "Add":
			for i := range o {
				o[i] = a[i] + b[i]
			}
		case "Sub":
			for i := range o {
				o[i] = a[i] - b[i]
			}
		case "Mul":
			for i := range o {
				o[i] = a[i] * b[i]
			}
		case "Div":
			for i := range o {
				o[i] = a[i] / b[i]
			}
		default:
			return false
		}
		return true
	}
	if len(b) == 1 {
		y := b[0]
		a = a[:len(o)]
		switch op {
		case "Add":
			for i := range o {
				o[i] = a[i] + y
			}
		case "Sub":
			for i := range o {
				o[i] = a[i] - y
			}
		case "Mul":
			for i := range o {
				o[i] = a[i] * y
			}
		case "Div":
			for i := range o {
				o[i] = a[i] / y
			}
		default:
			return false
		}
		return true
	}
	return false
}

// --- Pow ---

// buildPow: the output has the base's type; the exponent may have another
// numeric type (opset >= 12). Integer bases with integer exponents use exact
// integer powers; otherwise the power is computed in float64 and converted
// (truncating for integer bases).
func buildPow(n *onnx.Node, opset int64) (Kernel, error) {
	m, err := binaryNode(n, opset)
	if err != nil {
		return nil, err
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 2); err != nil {
			return nil, err
		}
		if err := wantType(in[0], "input X", tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32); err != nil {
			return nil, err
		}
		if err := wantType(in[1], "input Y", numTypes...); err != nil {
			return nil, err
		}
		_, _, os, err := m.shapes(in[0].Shape, in[1].Shape)
		if err != nil {
			return nil, err
		}
		return one(in[0].DType, os)
	}
	run := func(in, out []*tensor.Tensor) error {
		as, bs, os, _ := m.shapes(in[0].Shape, in[1].Shape)
		x, y := in[0], in[1]
		if x.DType == tensor.Float32 && y.DType == tensor.Float32 {
			binaryBcast(x.Float32s(), as, y.Data.([]float32), bs, out[0].Float32s(), os, func(a, b float32) float32 {
				return float32(math.Pow(float64(a), float64(b)))
			})
			return nil
		}
		if !isFloat(x.DType) && !isFloat(y.DType) {
			e := convertInts(y)
			switch a := x.Data.(type) {
			case []int64:
				binaryBcast(a, as, e, bs, out[0].Data.([]int64), os, ipow[int64])
			case []int32:
				binaryBcast(a, as, e, bs, out[0].Data.([]int32), os, ipow[int32])
			}
			return nil
		}
		e := toFloat64s(y)
		switch a := x.Data.(type) {
		case []float32:
			binaryBcast(a, as, e, bs, out[0].Data.([]float32), os, fpow[float32])
		case []float64:
			binaryBcast(a, as, e, bs, out[0].Data.([]float64), os, fpow[float64])
		case []int64:
			binaryBcast(a, as, e, bs, out[0].Data.([]int64), os, fpow[int64])
		case []int32:
			binaryBcast(a, as, e, bs, out[0].Data.([]int32), os, fpow[int32])
		}
		return nil
	}
	return checked{infer, run}, nil
}

func fpow[T elemNum](a T, b float64) T { return T(math.Pow(float64(a), b)) }

// ipow is a**b for integers; a negative exponent gives the truncated
// reciprocal (0 unless |a| is 1).
func ipow[T int64 | int32](a T, b int64) T {
	if b < 0 {
		switch a {
		case 1:
			return 1
		case -1:
			if b%2 == 0 {
				return 1
			}
			return -1
		}
		return 0
	}
	r := T(1)
	for b > 0 {
		if b&1 == 1 {
			r *= a
		}
		a *= a
		b >>= 1
	}
	return r
}

// convertInts returns an integer tensor's elements as int64s.
func convertInts(t *tensor.Tensor) []int64 {
	switch d := t.Data.(type) {
	case []int64:
		return d
	case []int32:
		return convertSlice[int32, int64](d)
	case []uint8:
		return convertSlice[uint8, int64](d)
	case []int8:
		return convertSlice[int8, int64](d)
	}
	return nil
}

// --- Max, Min, Sum, Mean ---

func buildVariadic(op string) Builder {
	return func(n *onnx.Node, opset int64) (Kernel, error) {
		if len(n.Inputs) < 1 {
			return nil, fmt.Errorf("%v: needs at least one input", n)
		}
		if err := nodeOutputs(n, 1, 1); err != nil {
			return nil, err
		}
		types := numTypes
		if op == "Mean" {
			types = floatTypes
		}
		infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, len(in)); err != nil {
				return nil, err
			}
			if len(in) == 0 {
				return nil, fmt.Errorf("needs at least one input")
			}
			if err := wantType(in[0], "input 0", types...); err != nil {
				return nil, err
			}
			if err := sameTypes(in); err != nil {
				return nil, err
			}
			shapes := make([][]int, len(in))
			for i, t := range in {
				shapes[i] = t.Shape
			}
			os, err := broadcast(shapes...)
			if err != nil {
				return nil, err
			}
			return one(in[0].DType, os)
		}
		run := func(in, out []*tensor.Tensor) error {
			o := out[0]
			expandInto(o, in[0])
			switch d := o.Data.(type) {
			case []float32:
				variadicRun(op, d, o.Shape, in)
			case []float64:
				variadicRun(op, d, o.Shape, in)
			case []int64:
				variadicRun(op, d, o.Shape, in)
			case []int32:
				variadicRun(op, d, o.Shape, in)
			case []uint8:
				variadicRun(op, d, o.Shape, in)
			case []int8:
				variadicRun(op, d, o.Shape, in)
			}
			return nil
		}
		return checked{infer, run}, nil
	}
}

// variadicRun folds inputs 1.. into out, which holds input 0 broadcast.
func variadicRun[T elemNum](op string, out []T, os []int, in []*tensor.Tensor) {
	var f func(a, b T) T
	switch op {
	case "Max":
		f = func(a, b T) T { return max(a, b) }
	case "Min":
		f = func(a, b T) T { return min(a, b) }
	default: // Sum, Mean
		f = func(a, b T) T { return a + b }
	}
	for _, t := range in[1:] {
		binaryBcast(out, os, t.Data.([]T), t.Shape, out, os, f)
	}
	if op == "Mean" {
		k := T(len(in))
		for i := range out {
			out[i] /= k
		}
	}
}

// --- PRelu ---

// buildPRelu: slope broadcasts to X's shape (unidirectionally). Before
// opset 7, a 1-D slope whose length is X's dimension 1 is per channel.
func buildPRelu(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeInputs(n, 2, 2); err != nil {
		return nil, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	slopeShape := func(x, s []int) ([]int, error) {
		os, err := broadcast(x, s)
		if err == nil && tensor.SameShape(os, x) {
			return s, nil
		}
		if opset < 7 && len(s) == 1 && len(x) >= 2 && s[0] == x[1] {
			cs := make([]int, len(x)-1)
			for i := range cs {
				cs[i] = 1
			}
			cs[0] = s[0]
			return cs, nil
		}
		return nil, fmt.Errorf("slope shape %v does not broadcast to input shape %v", s, x)
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 2); err != nil {
			return nil, err
		}
		if err := wantType(in[0], "input X", tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32); err != nil {
			return nil, err
		}
		if err := sameTypes(in[:2]); err != nil {
			return nil, err
		}
		if _, err := slopeShape(in[0].Shape, in[1].Shape); err != nil {
			return nil, err
		}
		return one(in[0].DType, in[0].Shape)
	}
	run := func(in, out []*tensor.Tensor) error {
		x := in[0]
		ss, _ := slopeShape(x.Shape, in[1].Shape)
		switch d := x.Data.(type) {
		case []float32:
			binaryBcast(d, x.Shape, in[1].Data.([]float32), ss, out[0].Data.([]float32), x.Shape, prelu[float32])
		case []float64:
			binaryBcast(d, x.Shape, in[1].Data.([]float64), ss, out[0].Data.([]float64), x.Shape, prelu[float64])
		case []int64:
			binaryBcast(d, x.Shape, in[1].Data.([]int64), ss, out[0].Data.([]int64), x.Shape, prelu[int64])
		case []int32:
			binaryBcast(d, x.Shape, in[1].Data.([]int32), ss, out[0].Data.([]int32), x.Shape, prelu[int32])
		}
		return nil
	}
	return checked{infer, run}, nil
}

func prelu[T elemNum](x, s T) T {
	if x < 0 {
		return s * x
	}
	return x
}

// --- Equal, Less, Greater, LessOrEqual, GreaterOrEqual ---

func buildCompare(op string) Builder {
	return func(n *onnx.Node, opset int64) (Kernel, error) {
		m, err := binaryNode(n, opset)
		if err != nil {
			return nil, err
		}
		types := numTypes
		if op == "Equal" {
			types = allTypes
		}
		infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 2); err != nil {
				return nil, err
			}
			if err := wantType(in[0], "input A", types...); err != nil {
				return nil, err
			}
			if err := sameTypes(in[:2]); err != nil {
				return nil, err
			}
			_, _, os, err := m.shapes(in[0].Shape, in[1].Shape)
			if err != nil {
				return nil, err
			}
			return one(tensor.Bool, os)
		}
		run := func(in, out []*tensor.Tensor) error {
			as, bs, os, _ := m.shapes(in[0].Shape, in[1].Shape)
			o := out[0].Data.([]bool)
			b := in[1].Data
			switch a := in[0].Data.(type) {
			case []float32:
				binaryBcast(a, as, b.([]float32), bs, o, os, compareFunc[float32](op))
			case []float64:
				binaryBcast(a, as, b.([]float64), bs, o, os, compareFunc[float64](op))
			case []int64:
				binaryBcast(a, as, b.([]int64), bs, o, os, compareFunc[int64](op))
			case []int32:
				binaryBcast(a, as, b.([]int32), bs, o, os, compareFunc[int32](op))
			case []uint8:
				binaryBcast(a, as, b.([]uint8), bs, o, os, compareFunc[uint8](op))
			case []int8:
				binaryBcast(a, as, b.([]int8), bs, o, os, compareFunc[int8](op))
			case []bool:
				binaryBcast(a, as, b.([]bool), bs, o, os, func(x, y bool) bool { return x == y })
			}
			return nil
		}
		return checked{infer, run}, nil
	}
}

func compareFunc[T elemNum](op string) func(a, b T) bool {
	switch op {
	case "Equal":
		return func(a, b T) bool { return a == b }
	case "Less":
		return func(a, b T) bool { return a < b }
	case "Greater":
		return func(a, b T) bool { return a > b }
	case "LessOrEqual":
		return func(a, b T) bool { return a <= b }
	case "GreaterOrEqual":
		return func(a, b T) bool { return a >= b }
	}
	panic("ops: unknown comparison " + op)
}

// --- And, Or, Xor ---

func buildLogic(op string) Builder {
	return func(n *onnx.Node, opset int64) (Kernel, error) {
		m, err := binaryNode(n, opset)
		if err != nil {
			return nil, err
		}
		var f func(a, b bool) bool
		switch op {
		case "And":
			f = func(a, b bool) bool { return a && b }
		case "Or":
			f = func(a, b bool) bool { return a || b }
		default:
			f = func(a, b bool) bool { return a != b }
		}
		infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 2); err != nil {
				return nil, err
			}
			if err := wantType(in[0], "input A", tensor.Bool); err != nil {
				return nil, err
			}
			if err := wantType(in[1], "input B", tensor.Bool); err != nil {
				return nil, err
			}
			_, _, os, err := m.shapes(in[0].Shape, in[1].Shape)
			if err != nil {
				return nil, err
			}
			return one(tensor.Bool, os)
		}
		run := func(in, out []*tensor.Tensor) error {
			as, bs, os, _ := m.shapes(in[0].Shape, in[1].Shape)
			binaryBcast(in[0].Data.([]bool), as, in[1].Data.([]bool), bs, out[0].Data.([]bool), os, f)
			return nil
		}
		return checked{infer, run}, nil
	}
}

// --- Where ---

func buildWhere(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeInputs(n, 3, 3); err != nil {
		return nil, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 3); err != nil {
			return nil, err
		}
		if err := wantType(in[0], "condition", tensor.Bool); err != nil {
			return nil, err
		}
		if err := wantType(in[1], "input X", allTypes...); err != nil {
			return nil, err
		}
		if err := sameTypes(in[1:3]); err != nil {
			return nil, err
		}
		os, err := broadcast(in[0].Shape, in[1].Shape, in[2].Shape)
		if err != nil {
			return nil, err
		}
		return one(in[1].DType, os)
	}
	run := func(in, out []*tensor.Tensor) error {
		c, x, y, o := in[0], in[1], in[2], out[0]
		switch d := o.Data.(type) {
		case []float32:
			whereRun(c, x.Data.([]float32), x.Shape, y.Data.([]float32), y.Shape, d, o.Shape)
		case []float64:
			whereRun(c, x.Data.([]float64), x.Shape, y.Data.([]float64), y.Shape, d, o.Shape)
		case []int64:
			whereRun(c, x.Data.([]int64), x.Shape, y.Data.([]int64), y.Shape, d, o.Shape)
		case []int32:
			whereRun(c, x.Data.([]int32), x.Shape, y.Data.([]int32), y.Shape, d, o.Shape)
		case []uint8:
			whereRun(c, x.Data.([]uint8), x.Shape, y.Data.([]uint8), y.Shape, d, o.Shape)
		case []int8:
			whereRun(c, x.Data.([]int8), x.Shape, y.Data.([]int8), y.Shape, d, o.Shape)
		case []bool:
			whereRun(c, x.Data.([]bool), x.Shape, y.Data.([]bool), y.Shape, d, o.Shape)
		}
		return nil
	}
	return checked{infer, run}, nil
}

func whereRun[T elemAny](c *tensor.Tensor, x []T, xs []int, y []T, ys []int, out []T, os []int) {
	cond := c.Data.([]bool)
	strides := [][]int{broadcastStrides(c.Shape, os), broadcastStrides(xs, os), broadcastStrides(ys, os)}
	walk(os, strides, func(o int, offs []int) {
		if cond[offs[0]] {
			out[o] = x[offs[1]]
		} else {
			out[o] = y[offs[2]]
		}
	})
}
