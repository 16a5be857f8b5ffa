package ops

import (
	"fmt"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

func init() {
	register("Pad", 1, buildPad)
}

// padKernel is Pad for every element type. Opsets 1-10 take the pads
// ("paddings" at opset 1) and the constant value from attributes; from
// opset 11 they are inputs 1 and 2, and from opset 18 an optional input 3
// lists the axes the pads apply to. Pads are [x1_begin, x2_begin, ...,
// x1_end, x2_end, ...]; a negative pad removes elements.
//
// Output element o along an axis reads input index i = o - begin. When i
// is outside [0, n) the mode decides: constant uses the constant value;
// edge clamps i into range; reflect mirrors it about the first and last
// elements without repeating them (periodically, so pads larger than n-1
// are allowed; n = 1 behaves as edge); wrap (opset 19) takes i mod n. All
// modes index the original input, also when the other side's pad is
// negative.
type padKernel struct {
	opset int64
	mode  string
	pads  []int64 // opset < 11
	value float64 // opset < 11
}

func buildPad(n *onnx.Node, opset int64) (Kernel, error) {
	if err := movedAttrs(n, opset, 11, "pads", "value"); err != nil {
		return nil, err
	}
	a := n.AttrReader()
	k := padKernel{opset: opset, mode: a.String("mode", "constant")}
	if opset < 11 {
		name := "pads"
		if opset < 2 {
			name = "paddings"
		}
		if !a.Has(name) {
			return nil, fmt.Errorf("%v: attribute %s is required at opset %d", n, name, opset)
		}
		k.pads = a.Ints(name, nil)
		k.value = float64(a.Float("value", 0))
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	switch k.mode {
	case "constant", "reflect", "edge":
	case "wrap":
		if opset < 19 {
			return nil, fmt.Errorf("%v: mode wrap needs opset 19, model has %d", n, opset)
		}
	default:
		return nil, fmt.Errorf("%v: mode %q is not constant, reflect, edge or wrap", n, k.mode)
	}
	return k, nil
}

// resolve checks the inputs and returns the per-axis begin and end pads.
func (k padKernel) resolve(in []*tensor.Tensor) (begin, end []int, err error) {
	if err := need(in, 1); err != nil {
		return nil, nil, err
	}
	x := in[0]
	if !x.DType.Valid() {
		return nil, nil, fmt.Errorf("data has unsupported type %v", x.DType)
	}
	r := len(x.Shape)
	pads := k.pads
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if k.opset >= 11 {
		if err := need(in, 2); err != nil {
			return nil, nil, err
		}
		if err := wantType(in[1], "pads", tensor.Int64); err != nil {
			return nil, nil, err
		}
		if len(in[1].Shape) != 1 {
			return nil, nil, fmt.Errorf("pads has shape %v, want rank 1", in[1].Shape)
		}
		if pads, err = values(in[1], "pads"); err != nil {
			return nil, nil, err
		}
		if c := input(in, 2); c != nil {
			if c.DType != x.DType {
				return nil, nil, fmt.Errorf("constant_value has type %v, data has %v", c.DType, x.DType)
			}
			if c.Len() != 1 {
				return nil, nil, fmt.Errorf("constant_value has shape %v, want a scalar", c.Shape)
			}
		}
		if t := input(in, 3); t != nil && k.opset >= 18 {
			if err := wantType(t, "axes", tensor.Int32, tensor.Int64); err != nil {
				return nil, nil, err
			}
			av, err := values(t, "axes")
			if err != nil {
				return nil, nil, err
			}
			axes = axes[:0]
			seen := map[int]bool{}
			for _, v := range av {
				ax, err := normAxis(v, r)
				if err != nil {
					return nil, nil, fmt.Errorf("axes: %w", err)
				}
				if seen[ax] {
					return nil, nil, fmt.Errorf("axes %v has a repeated axis", av)
				}
				seen[ax] = true
				axes = append(axes, ax)
			}
		}
	}
	if len(pads) != 2*len(axes) {
		return nil, nil, fmt.Errorf("pads has %d values, want %d for %d axes", len(pads), 2*len(axes), len(axes))
	}
	begin, end = make([]int, r), make([]int, r)
	for j, ax := range axes {
		b, e := pads[j], pads[len(axes)+j]
		lim := int64(tensor.MaxElements)
		if b > lim || b < -lim || e > lim || e < -lim {
			return nil, nil, fmt.Errorf("pads %v out of range", pads)
		}
		begin[ax], end[ax] = int(b), int(e)
	}
	return begin, end, nil
}

func (k padKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	begin, end, err := k.resolve(in)
	if err != nil {
		return nil, err
	}
	x := in[0].Shape
	out := make([]int, len(x))
	for d := range x {
		out[d] = x[d] + begin[d] + end[d]
		if out[d] < 0 {
			return nil, fmt.Errorf("axis %d: size %d with pads %d, %d gives a negative size", d, x[d], begin[d], end[d])
		}
		if k.mode != "constant" && x[d] == 0 && out[d] > 0 {
			return nil, fmt.Errorf("axis %d: cannot %s-pad an empty axis", d, k.mode)
		}
	}
	if err := checkOutputShape(out, true); err != nil {
		return nil, err
	}
	return one(in[0].DType, out)
}

func (k padKernel) Run(in, out []*tensor.Tensor) error {
	metas, err := k.Infer(in)
	if err != nil {
		return err
	}
	begin, _, _ := k.resolve(in)
	x := in[0]
	if err := x.Check(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if len(out) < 1 || out[0] == nil || out[0].DType != x.DType || out[0].Data == nil {
		return fmt.Errorf("output 0 is missing or not %v", x.DType)
	}
	oshape := metas[0].Shape
	if !tensor.SameShape(out[0].Shape, oshape) || out[0].Check() != nil {
		return fmt.Errorf("output 0 is %v, want %v%s", out[0], x.DType, tensor.ShapeString(oshape))
	}
	// src[d][o] is the input index that output index o reads along axis d,
	// or -1 for the constant value.
	src := make([][]int, len(oshape))
	for d, n := range x.Shape {
		src[d] = make([]int, oshape[d])
		for o := range src[d] {
			src[d][o] = padSource(o-begin[d], n, k.mode)
		}
	}
	var cval any
	if k.opset >= 11 {
		if c := input(in, 2); c != nil {
			cval = c.Data
		}
	}
	switch d := x.Data.(type) {
	case []float32:
		padCopy(out[0].Data.([]float32), d, x.Shape, oshape, src, padConst[float32](cval, float32(k.value)))
	case []float64:
		padCopy(out[0].Data.([]float64), d, x.Shape, oshape, src, padConst[float64](cval, k.value))
	case []int64:
		padCopy(out[0].Data.([]int64), d, x.Shape, oshape, src, padConst[int64](cval, int64(k.value)))
	case []int32:
		padCopy(out[0].Data.([]int32), d, x.Shape, oshape, src, padConst[int32](cval, int32(k.value)))
	case []int8:
		padCopy(out[0].Data.([]int8), d, x.Shape, oshape, src, padConst[int8](cval, int8(k.value)))
	case []uint8:
		padCopy(out[0].Data.([]uint8), d, x.Shape, oshape, src, padConst[uint8](cval, uint8(k.value)))
	case []bool:
		padCopy(out[0].Data.([]bool), d, x.Shape, oshape, src, padConst[bool](cval, k.value != 0))
	default:
		return fmt.Errorf("data has unsupported type %v", x.DType)
	}
	return nil
}

// padSource maps input coordinate i (possibly outside [0, n)) to the index
// it reads under mode, or -1 for the constant value.
func padSource(i, n int, mode string) int {
	if i >= 0 && i < n {
		return i
	}
	switch mode {
	case "edge":
		return min(max(i, 0), n-1)
	case "wrap":
		return ((i % n) + n) % n
	case "reflect":
		if n == 1 {
			return 0
		}
		p := 2 * (n - 1) // the reflected sequence repeats with this period
		i = ((i % p) + p) % p
		if i >= n {
			i = p - i
		}
		return i
	}
	return -1
}

// padConst returns the constant value: the first element of the
// constant_value input (a []T) when given, else def.
func padConst[T any](in any, def T) T {
	if v, ok := in.([]T); ok && len(v) > 0 {
		return v[0]
	}
	return def
}

// padCopy writes every element of dst (shape oshape) from src (shape
// ishape) through the per-axis source maps, or c where a map is -1.
func padCopy[T any](dst, src []T, ishape, oshape []int, maps [][]int, c T) {
	if len(dst) == 0 {
		return
	}
	istr := tensor.Strides(ishape)
	o := make([]int, len(oshape))
	for j := range dst {
		off := 0
		for d, v := range o {
			s := maps[d][v]
			if s < 0 {
				off = -1
				break
			}
			off += s * istr[d]
		}
		if off < 0 {
			dst[j] = c
		} else {
			dst[j] = src[off]
		}
		odometerNextIn(o, oshape)
	}
}
