package ops

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Reductions and ArgMax/ArgMin.
//
// The axes to reduce come from the "axes" attribute before the opset in
// reduceAxesInput (13 for ReduceSum, 18 for the others) and from the
// optional second input from then on. No axes means all axes, unless
// noop_with_empty_axes (input form only) is set, which makes the operator
// an identity. keepdims (default 1) keeps reduced dimensions as size 1.
// Floating-point reductions accumulate in float64, integer ones in int64.

// reduceAxesInput is the opset from which each reduction reads its axes
// from an input.
var reduceAxesInput = map[string]int64{
	"ReduceSum": 13, "ReduceMean": 18, "ReduceMax": 18, "ReduceMin": 18, "ReduceProd": 18,
	"ReduceL1": 18, "ReduceL2": 18, "ReduceSumSquare": 18, "ReduceLogSum": 18, "ReduceLogSumExp": 18,
}

func init() {
	for op := range reduceAxesInput {
		register(op, 1, buildReduce(op))
	}
	register("ArgMax", 1, buildArg(true))
	register("ArgMin", 1, buildArg(false))
}

func buildReduce(op string) Builder {
	return func(n *onnx.Node, opset int64) (Kernel, error) {
		if err := nodeOutputs(n, 1, 1); err != nil {
			return nil, err
		}
		axesInput := opset >= reduceAxesInput[op]
		if err := movedAttrs(n, opset, reduceAxesInput[op], "axes"); err != nil {
			return nil, err
		}
		maxIn := 1
		if axesInput {
			maxIn = 2
		}
		if err := nodeInputs(n, 1, maxIn); err != nil {
			return nil, err
		}
		a := n.AttrReader()
		keep := a.Int("keepdims", 1) != 0
		var attrAxes []int64
		noop := false
		if axesInput {
			noop = a.Int("noop_with_empty_axes", 0) != 0
		} else {
			attrAxes = a.Ints("axes", nil)
		}
		if err := a.Err(); err != nil {
			return nil, err
		}
		types := numTypes
		switch op {
		case "ReduceL2", "ReduceLogSum", "ReduceLogSumExp":
			types = floatTypes
		}
		// plan returns the output shape, the input shape with reduced
		// dimensions set to 1, and whether the operator is an identity.
		plan := func(in []*tensor.Tensor) (os, keepShape []int, identity bool, err error) {
			x := in[0]
			axes := attrAxes
			if t := input(in, 1); t != nil {
				if err := wantType(t, "axes", tensor.Int64); err != nil {
					return nil, nil, false, err
				}
				if t.Rank() != 1 {
					return nil, nil, false, fmt.Errorf("axes must be 1-D, has shape %v", t.Shape)
				}
				if axes, err = values(t, "axes"); err != nil {
					return nil, nil, false, err
				}
			}
			if len(axes) == 0 && noop {
				return x.Shape, x.Shape, true, nil
			}
			red := make([]bool, x.Rank())
			if len(axes) == 0 {
				for i := range red {
					red[i] = true
				}
			} else {
				ax, err := normAxes(axes, x.Rank())
				if err != nil {
					return nil, nil, false, err
				}
				for _, d := range ax {
					red[d] = true
				}
			}
			keepShape = make([]int, x.Rank())
			os = []int{}
			for i, d := range x.Shape {
				keepShape[i] = d
				if red[i] {
					keepShape[i] = 1
				}
				if keep || !red[i] {
					os = append(os, keepShape[i])
				}
			}
			return os, keepShape, false, nil
		}
		infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 1); err != nil {
				return nil, err
			}
			if err := wantType(in[0], "input", types...); err != nil {
				return nil, err
			}
			os, _, _, err := plan(in)
			if err != nil {
				return nil, err
			}
			return one(in[0].DType, os)
		}
		run := func(in, out []*tensor.Tensor) error {
			_, keepShape, identity, _ := plan(in)
			x, o := in[0], out[0]
			if identity {
				tensor.Copy(o, x)
				return nil
			}
			switch d := x.Data.(type) {
			case []float32:
				reduceFloat(op, d, x.Shape, keepShape, o.Data.([]float32))
			case []float64:
				reduceFloat(op, d, x.Shape, keepShape, o.Data.([]float64))
			case []int64:
				reduceInt(op, d, x.Shape, keepShape, o.Data.([]int64))
			case []int32:
				reduceInt(op, d, x.Shape, keepShape, o.Data.([]int32))
			case []uint8:
				reduceInt(op, d, x.Shape, keepShape, o.Data.([]uint8))
			case []int8:
				reduceInt(op, d, x.Shape, keepShape, o.Data.([]int8))
			}
			return nil
		}
		return checked{infer, run}, nil
	}
}

// reduceFloat reduces x (of shape) into out, whose elements correspond to
// keepShape (shape with reduced dimensions 1).
func reduceFloat[T elemFloat](op string, x []T, shape, keepShape []int, out []T) {
	acc := make([]float64, len(out))
	strides := [][]int{broadcastStrides(keepShape, shape)}
	var init float64
	var f func(a, v float64) float64
	switch op {
	case "ReduceSum", "ReduceMean", "ReduceLogSum":
		f = func(a, v float64) float64 { return a + v }
	case "ReduceProd":
		init, f = 1, func(a, v float64) float64 { return a * v }
	case "ReduceMax":
		init, f = math.Inf(-1), func(a, v float64) float64 { return max(a, v) }
	case "ReduceMin":
		init, f = math.Inf(1), func(a, v float64) float64 { return min(a, v) }
	case "ReduceL1":
		f = func(a, v float64) float64 { return a + math.Abs(v) }
	case "ReduceL2", "ReduceSumSquare":
		f = func(a, v float64) float64 { return a + v*v }
	case "ReduceLogSumExp":
		// Shift by the maximum of each output's inputs.
		shift := make([]float64, len(out))
		for i := range shift {
			shift[i] = math.Inf(-1)
		}
		walk(shape, strides, func(i int, offs []int) {
			shift[offs[0]] = max(shift[offs[0]], float64(x[i]))
		})
		for i, s := range shift {
			if math.IsInf(s, 0) {
				shift[i] = 0
			}
		}
		walk(shape, strides, func(i int, offs []int) {
			acc[offs[0]] += math.Exp(float64(x[i]) - shift[offs[0]])
		})
		for i := range out {
			out[i] = T(shift[i] + math.Log(acc[i]))
		}
		return
	}
	for i := range acc {
		acc[i] = init
	}
	walk(shape, strides, func(i int, offs []int) {
		acc[offs[0]] = f(acc[offs[0]], float64(x[i]))
	})
	count := 0
	if len(out) > 0 {
		count = numel(shape) / len(out)
	}
	for i, v := range acc {
		switch op {
		case "ReduceMean":
			v /= float64(count)
		case "ReduceL2":
			v = math.Sqrt(v)
		case "ReduceLogSum":
			v = math.Log(v)
		}
		out[i] = T(v)
	}
}

// reduceInt is reduceFloat for integers (no L2, LogSum, LogSumExp).
func reduceInt[T elemInt](op string, x []T, shape, keepShape []int, out []T) {
	acc := make([]int64, len(out))
	lo, hi := minMaxOf[T]()
	var init int64
	var f func(a, v int64) int64
	switch op {
	case "ReduceProd":
		init, f = 1, func(a, v int64) int64 { return a * v }
	case "ReduceMax":
		init, f = int64(lo), func(a, v int64) int64 { return max(a, v) }
	case "ReduceMin":
		init, f = int64(hi), func(a, v int64) int64 { return min(a, v) }
	case "ReduceL1":
		f = func(a, v int64) int64 {
			if v < 0 {
				v = -v
			}
			return a + v
		}
	case "ReduceSumSquare":
		f = func(a, v int64) int64 { return a + v*v }
	default: // ReduceSum, ReduceMean
		f = func(a, v int64) int64 { return a + v }
	}
	for i := range acc {
		acc[i] = init
	}
	walk(shape, [][]int{broadcastStrides(keepShape, shape)}, func(i int, offs []int) {
		acc[offs[0]] = f(acc[offs[0]], int64(x[i]))
	})
	count := int64(0)
	if len(out) > 0 {
		count = int64(numel(shape) / len(out))
	}
	for i, v := range acc {
		if op == "ReduceMean" {
			if count == 0 {
				v = 0
			} else {
				v /= count
			}
		}
		out[i] = T(v)
	}
}

// --- ArgMax, ArgMin ---

// buildArg: attributes axis (default 0), keepdims (default 1) and
// select_last_index (opset 12, default 0: the first extreme wins). A NaN
// counts as the extreme (the first NaN, or the last with
// select_last_index), as in numpy.
func buildArg(isMax bool) Builder {
	return func(n *onnx.Node, opset int64) (Kernel, error) {
		if err := nodeInputs(n, 1, 1); err != nil {
			return nil, err
		}
		if err := nodeOutputs(n, 1, 1); err != nil {
			return nil, err
		}
		a := n.AttrReader()
		axis := a.Int("axis", 0)
		keep := a.Int("keepdims", 1) != 0
		last := a.Int("select_last_index", 0) != 0
		if err := a.Err(); err != nil {
			return nil, err
		}
		plan := func(shape []int) (os []int, outer, size, inner int, err error) {
			ax, err := normAxis(axis, len(shape))
			if err != nil {
				return nil, 0, 0, 0, err
			}
			if shape[ax] == 0 {
				return nil, 0, 0, 0, fmt.Errorf("cannot take the arg %s of an empty dimension (shape %v, axis %d)", map[bool]string{true: "max", false: "min"}[isMax], shape, axis)
			}
			os = append(os, shape[:ax]...)
			if keep {
				os = append(os, 1)
			}
			os = append(os, shape[ax+1:]...)
			return os, numel(shape[:ax]), shape[ax], numel(shape[ax+1:]), nil
		}
		infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 1); err != nil {
				return nil, err
			}
			if err := wantType(in[0], "input", numTypes...); err != nil {
				return nil, err
			}
			os, _, _, _, err := plan(in[0].Shape)
			if err != nil {
				return nil, err
			}
			return one(tensor.Int64, os)
		}
		run := func(in, out []*tensor.Tensor) error {
			_, outer, size, inner, _ := plan(in[0].Shape)
			o := out[0].Data.([]int64)
			switch x := in[0].Data.(type) {
			case []float32:
				argRun(x, o, outer, size, inner, isMax, last)
			case []float64:
				argRun(x, o, outer, size, inner, isMax, last)
			case []int64:
				argRun(x, o, outer, size, inner, isMax, last)
			case []int32:
				argRun(x, o, outer, size, inner, isMax, last)
			case []uint8:
				argRun(x, o, outer, size, inner, isMax, last)
			case []int8:
				argRun(x, o, outer, size, inner, isMax, last)
			}
			return nil
		}
		return checked{infer, run}, nil
	}
}

func argRun[T elemNum](x []T, out []int64, outer, size, inner int, isMax, last bool) {
	for o := 0; o < outer; o++ {
		for j := 0; j < inner; j++ {
			base := o*size*inner + j
			best, bi := x[base], 0
			for k := 1; k < size; k++ {
				v := x[base+k*inner]
				switch {
				case best != best: // a NaN is already chosen
					if last && v != v {
						bi = k
					}
				case v != v:
					best, bi = v, k
				case isMax && v > best, !isMax && v < best, last && v == best:
					best, bi = v, k
				}
			}
			out[o*inner+j] = int64(bi)
		}
	}
}
