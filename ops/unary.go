package ops

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Element-wise operators of one input, plus Clip, Dropout (inference),
// Cast, Identity and Not.

// unaryFn is the scalar function of a unary operator: f for floating-point
// inputs (computed in float64 and rounded to the input's type), i for
// integer inputs (nil where the operator accepts only floats).
type unaryFn struct {
	f func(float64) float64
	i func(int64) int64
}

func init() {
	plain := func(f func(float64) float64, i func(int64) int64) func(*onnx.Attrs) unaryFn {
		return func(*onnx.Attrs) unaryFn { return unaryFn{f, i} }
	}
	absInt := func(x int64) int64 {
		if x < 0 {
			return -x
		}
		return x
	}
	signInt := func(x int64) int64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	}
	reluInt := func(x int64) int64 { return max(x, 0) }
	registerUnary("Abs", 1, plain(math.Abs, absInt))
	registerUnary("Neg", 1, plain(func(x float64) float64 { return -x }, func(x int64) int64 { return -x }))
	registerUnary("Exp", 1, plain(math.Exp, nil))
	registerUnary("Log", 1, plain(math.Log, nil))
	registerUnary("Sqrt", 1, plain(math.Sqrt, nil))
	registerUnary("Reciprocal", 1, plain(func(x float64) float64 { return 1 / x }, nil))
	registerUnary("Erf", 9, plain(math.Erf, nil))
	registerUnary("Tanh", 1, plain(math.Tanh, nil))
	registerUnary("Sigmoid", 1, plain(sigmoid, nil))
	registerUnary("Relu", 1, plain(func(x float64) float64 {
		if x < 0 {
			return 0
		}
		return x
	}, reluInt))
	registerUnary("Floor", 1, plain(math.Floor, nil))
	registerUnary("Ceil", 1, plain(math.Ceil, nil))
	registerUnary("Round", 11, plain(math.RoundToEven, nil))
	registerUnary("Sign", 9, plain(func(x float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return x // 0 or NaN
	}, signInt))
	registerUnary("Softsign", 1, plain(func(x float64) float64 { return x / (1 + math.Abs(x)) }, nil))
	registerUnary("Softplus", 1, plain(softplus, nil))
	registerUnary("LeakyRelu", 1, func(a *onnx.Attrs) unaryFn {
		alpha := float64(a.Float("alpha", 0.01))
		return unaryFn{f: func(x float64) float64 {
			if x < 0 {
				return alpha * x
			}
			return x
		}}
	})
	registerUnary("Elu", 1, func(a *onnx.Attrs) unaryFn {
		alpha := float64(a.Float("alpha", 1))
		return unaryFn{f: func(x float64) float64 {
			if x < 0 {
				return alpha * math.Expm1(x)
			}
			return x
		}}
	})
	registerUnary("Selu", 1, func(a *onnx.Attrs) unaryFn {
		alpha := float64(a.Float("alpha", 1.67326319217681884765625))
		gamma := float64(a.Float("gamma", 1.05070102214813232421875))
		return unaryFn{f: func(x float64) float64 {
			if x > 0 {
				return gamma * x
			}
			return gamma * alpha * math.Expm1(x)
		}}
	})
	registerUnary("Celu", 12, func(a *onnx.Attrs) unaryFn {
		alpha := float64(a.Float("alpha", 1))
		return unaryFn{f: func(x float64) float64 {
			return max(0, x) + min(0, alpha*math.Expm1(x/alpha))
		}}
	})
	registerUnary("HardSigmoid", 1, func(a *onnx.Attrs) unaryFn {
		alpha := float64(a.Float("alpha", 0.2))
		beta := float64(a.Float("beta", 0.5))
		return unaryFn{f: func(x float64) float64 { return max(0, min(1, alpha*x+beta)) }}
	})
	registerUnary("HardSwish", 14, plain(func(x float64) float64 { return x * max(0, min(1, x/6+0.5)) }, nil))

	register("Identity", 1, buildIdentity)
	register("Not", 1, buildNot)
	register("Clip", 1, buildClip)
	register("Dropout", 1, buildDropout)
	register("Cast", 1, buildCast)
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// registerUnary registers op with a kernel that applies the function mk
// builds from the node's attributes.
func registerUnary(op string, since int64, mk func(*onnx.Attrs) unaryFn) {
	register(op, since, func(n *onnx.Node, opset int64) (Kernel, error) {
		if err := nodeInputs(n, 1, 1); err != nil {
			return nil, err
		}
		if err := nodeOutputs(n, 1, 1); err != nil {
			return nil, err
		}
		a := n.AttrReader()
		fn := mk(a)
		if err := a.Err(); err != nil {
			return nil, err
		}
		types := floatTypes
		if fn.i != nil {
			types = numTypes
			if op == "Neg" || op == "Relu" {
				types = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Int8}
			}
		}
		infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 1); err != nil {
				return nil, err
			}
			if err := wantType(in[0], "input", types...); err != nil {
				return nil, err
			}
			return one(in[0].DType, in[0].Shape)
		}
		run := func(in, out []*tensor.Tensor) error {
			switch x := in[0].Data.(type) {
			case []float32:
				o := out[0].Data.([]float32)
				if op == "Relu" {
					for i, v := range x {
						if v < 0 {
							v = 0
						}
						o[i] = v
					}
					return nil
				}
				unaryFloat(x, o, fn.f)
			case []float64:
				unaryFloat(x, out[0].Data.([]float64), fn.f)
			case []int64:
				unaryInt(x, out[0].Data.([]int64), fn.i)
			case []int32:
				unaryInt(x, out[0].Data.([]int32), fn.i)
			case []uint8:
				unaryInt(x, out[0].Data.([]uint8), fn.i)
			case []int8:
				unaryInt(x, out[0].Data.([]int8), fn.i)
			}
			return nil
		}
		return checked{infer, run}, nil
	})
}

func unaryFloat[T elemFloat](x, out []T, f func(float64) float64) {
	for i, v := range x {
		out[i] = T(f(float64(v)))
	}
}

func unaryInt[T elemInt](x, out []T, f func(int64) int64) {
	for i, v := range x {
		out[i] = T(f(int64(v)))
	}
}

// --- Identity, Not ---

func buildIdentity(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeInputs(n, 1, 1); err != nil {
		return nil, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		if err := wantType(in[0], "input", allTypes...); err != nil {
			return nil, err
		}
		return one(in[0].DType, in[0].Shape)
	}
	run := func(in, out []*tensor.Tensor) error {
		tensor.Copy(out[0], in[0])
		return nil
	}
	return checked{infer, run}, nil
}

func buildNot(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeInputs(n, 1, 1); err != nil {
		return nil, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		if err := wantType(in[0], "input", tensor.Bool); err != nil {
			return nil, err
		}
		return one(tensor.Bool, in[0].Shape)
	}
	run := func(in, out []*tensor.Tensor) error {
		o := out[0].Data.([]bool)
		for i, v := range in[0].Data.([]bool) {
			o[i] = !v
		}
		return nil
	}
	return checked{infer, run}, nil
}

// --- Clip ---

// buildClip: before opset 11 the bounds are the float attributes min and
// max; from 11 they are optional one-element inputs of the input's type.
// Missing bounds are ±Inf (the type's limits for integers). The result is
// min(max(x, lo), hi), so lo > hi gives hi everywhere.
func buildClip(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	if err := movedAttrs(n, opset, 11, "min", "max"); err != nil {
		return nil, err
	}
	attrLo, attrHi := float32(math.Inf(-1)), float32(math.Inf(1))
	if opset < 11 {
		if err := nodeInputs(n, 1, 1); err != nil {
			return nil, err
		}
		a := n.AttrReader()
		attrLo = a.Float("min", attrLo)
		attrHi = a.Float("max", attrHi)
		if err := a.Err(); err != nil {
			return nil, err
		}
	} else if err := nodeInputs(n, 1, 3); err != nil {
		return nil, err
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		types := numTypes
		if opset < 11 {
			types = floatTypes
		}
		if err := wantType(in[0], "input", types...); err != nil {
			return nil, err
		}
		for i, what := range []string{"", "min", "max"} {
			b := input(in, i)
			if i == 0 || b == nil {
				continue
			}
			if b.DType != in[0].DType {
				return nil, fmt.Errorf("%s has type %v, input has %v", what, b.DType, in[0].DType)
			}
			if b.Len() != 1 {
				return nil, fmt.Errorf("%s must be a scalar, has shape %v", what, b.Shape)
			}
		}
		return one(in[0].DType, in[0].Shape)
	}
	run := func(in, out []*tensor.Tensor) error {
		lo, hi := input(in, 1), input(in, 2)
		switch x := in[0].Data.(type) {
		case []float32:
			clipRun(x, out[0].Data.([]float32), lo, hi, attrLo, attrHi)
		case []float64:
			clipRun(x, out[0].Data.([]float64), lo, hi, float64(attrLo), float64(attrHi))
		case []int64:
			clipRun(x, out[0].Data.([]int64), lo, hi, math.MinInt64, math.MaxInt64)
		case []int32:
			clipRun(x, out[0].Data.([]int32), lo, hi, math.MinInt32, math.MaxInt32)
		case []uint8:
			clipRun(x, out[0].Data.([]uint8), lo, hi, 0, math.MaxUint8)
		case []int8:
			clipRun(x, out[0].Data.([]int8), lo, hi, math.MinInt8, math.MaxInt8)
		}
		return nil
	}
	return checked{infer, run}, nil
}

// clipRun clips x into out; loT and hiT are one-element bounds or nil for
// the defaults lo and hi.
func clipRun[T elemNum](x, out []T, loT, hiT *tensor.Tensor, lo, hi T) {
	if loT != nil {
		lo = loT.Data.([]T)[0]
	}
	if hiT != nil {
		hi = hiT.Data.([]T)[0]
	}
	for i, v := range x {
		out[i] = min(max(v, lo), hi)
	}
}

// --- Dropout ---

// buildDropout implements inference: the output is the input and the
// optional mask is all true (all ones before opset 10, where the mask has
// the input's type). A training_mode input (opset 12) that is true is an
// error; the is_test attribute of opsets < 7 is ignored.
func buildDropout(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeOutputs(n, 1, 2); err != nil {
		return nil, err
	}
	maxIn := 1
	if opset >= 12 {
		maxIn = 3
	}
	if err := nodeInputs(n, 1, maxIn); err != nil {
		return nil, err
	}
	a := n.AttrReader()
	a.Float("ratio", 0.5) // irrelevant to inference, but type-checked
	if err := a.Err(); err != nil {
		return nil, err
	}
	nout := len(n.Outputs)
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		if err := wantType(in[0], "input", floatTypes...); err != nil {
			return nil, err
		}
		if r := input(in, 1); r != nil {
			if err := wantType(r, "ratio", floatTypes...); err != nil {
				return nil, err
			}
			if r.Len() != 1 {
				return nil, fmt.Errorf("ratio must be a scalar, has shape %v", r.Shape)
			}
		}
		if tm := input(in, 2); tm != nil {
			if err := wantType(tm, "training_mode", tensor.Bool); err != nil {
				return nil, err
			}
			if tm.Len() != 1 {
				return nil, fmt.Errorf("training_mode must be a scalar, has shape %v", tm.Shape)
			}
			if tm.Data != nil && tm.Data.([]bool)[0] {
				return nil, fmt.Errorf("%v: training_mode is true; only inference is supported", n)
			}
		}
		outs := []*tensor.Tensor{meta(in[0].DType, in[0].Shape)}
		if nout == 2 {
			dt := tensor.Bool
			if opset < 10 {
				dt = in[0].DType
			}
			outs = append(outs, meta(dt, in[0].Shape))
		}
		return outs, nil
	}
	run := func(in, out []*tensor.Tensor) error {
		if out[0] != nil {
			tensor.Copy(out[0], in[0])
		}
		if len(out) == 2 && out[1] != nil {
			switch m := out[1].Data.(type) {
			case []bool:
				for i := range m {
					m[i] = true
				}
			case []float32:
				for i := range m {
					m[i] = 1
				}
			case []float64:
				for i := range m {
					m[i] = 1
				}
			}
		}
		return nil
	}
	return checked{infer, run}, nil
}

// --- Cast ---

// castNames maps the string form of Cast's "to" (opsets 1–5) to types.
var castNames = map[string]tensor.DType{
	"FLOAT": tensor.Float32, "DOUBLE": tensor.Float64, "INT64": tensor.Int64,
	"INT32": tensor.Int32, "UINT8": tensor.Uint8, "INT8": tensor.Int8, "BOOL": tensor.Bool,
}

// buildCast converts between the supported types. Float to integer
// truncates toward zero (out-of-range values are unspecified); anything to
// bool is "not zero"; bool to a number is 0 or 1.
func buildCast(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeInputs(n, 1, 1); err != nil {
		return nil, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	at, ok := n.Attrs["to"]
	if !ok {
		return nil, fmt.Errorf("%v: attribute \"to\" is missing", n)
	}
	var to tensor.DType
	switch at.Type {
	case onnx.AttrInt:
		to = tensor.DType(at.I)
	case onnx.AttrString:
		dt, ok := castNames[at.S]
		if !ok {
			return nil, fmt.Errorf("%v: cannot cast to %q", n, at.S)
		}
		to = dt
	default:
		return nil, fmt.Errorf("%v: attribute \"to\" is %v, want int", n, at.Type)
	}
	if !to.Valid() {
		return nil, fmt.Errorf("%v: cannot cast to %v", n, to)
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		if err := wantType(in[0], "input", allTypes...); err != nil {
			return nil, err
		}
		return one(to, in[0].Shape)
	}
	run := func(in, out []*tensor.Tensor) error {
		castInto(out[0], in[0])
		return nil
	}
	return checked{infer, run}, nil
}

// castInto converts src's elements into dst (same length).
func castInto(dst, src *tensor.Tensor) {
	switch d := dst.Data.(type) {
	case []float32:
		castNum(d, src.Data)
	case []float64:
		castNum(d, src.Data)
	case []int64:
		castNum(d, src.Data)
	case []int32:
		castNum(d, src.Data)
	case []uint8:
		castNum(d, src.Data)
	case []int8:
		castNum(d, src.Data)
	case []bool:
		if s, ok := src.Data.([]bool); ok {
			copy(d, s)
			return
		}
		for i, v := range toFloat64s(src) {
			d[i] = v != 0
		}
	}
}

func castNum[D elemNum](dst []D, src any) {
	switch s := src.(type) {
	case []float32:
		castSlice(dst, s)
	case []float64:
		castSlice(dst, s)
	case []int64:
		castSlice(dst, s)
	case []int32:
		castSlice(dst, s)
	case []uint8:
		castSlice(dst, s)
	case []int8:
		castSlice(dst, s)
	case []bool:
		for i, v := range s {
			if v {
				dst[i] = 1
			} else {
				dst[i] = 0
			}
		}
	}
}

func castSlice[D, S elemNum](dst []D, src []S) {
	for i, v := range src {
		dst[i] = D(v)
	}
}
