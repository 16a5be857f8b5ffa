package ops

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Shared helpers of the element-wise, reduction, shape and indexing
// operators.

// elemNum is the set of element types arithmetic is defined on.
type elemNum interface {
	float32 | float64 | int64 | int32 | uint8 | int8
}

// elemInt is the set of integer element types.
type elemInt interface {
	int64 | int32 | uint8 | int8
}

// elemFloat is the set of floating-point element types.
type elemFloat interface {
	float32 | float64
}

// elemAny is every element type a tensor can hold.
type elemAny interface {
	float32 | float64 | int64 | int32 | uint8 | int8 | bool
}

var (
	numTypes   = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Uint8, tensor.Int8}
	floatTypes = []tensor.DType{tensor.Float32, tensor.Float64}
	intTypes   = []tensor.DType{tensor.Int64, tensor.Int32, tensor.Uint8, tensor.Int8}
	allTypes   = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Uint8, tensor.Int8, tensor.Bool}
	indexTypes = []tensor.DType{tensor.Int64, tensor.Int32}
)

func isFloat(dt tensor.DType) bool { return dt == tensor.Float32 || dt == tensor.Float64 }

// checked is a Kernel whose Run first re-runs infer on the actual inputs and
// checks that every input's data matches its type and shape and that out
// matches the inferred outputs. The compute function can therefore assume
// validated inputs: its type assertions cannot fail and its indices stay in
// range. A nil entry of out is an output the caller does not want; compute
// functions skip it.
type checked struct {
	infer func(in []*tensor.Tensor) ([]*tensor.Tensor, error)
	run   func(in, out []*tensor.Tensor) error
}

// Infer checks the input shapes, and the data of inputs whose values are
// known (some operators read them), before inferring.
func (k checked) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	for i, t := range in {
		if t == nil {
			continue
		}
		if _, err := tensor.NumElements(t.Shape); err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		if t.Data != nil {
			if err := t.Check(); err != nil {
				return nil, fmt.Errorf("input %d: %w", i, err)
			}
		}
	}
	return k.infer(in)
}

func (k checked) Run(in, out []*tensor.Tensor) error {
	for i, t := range in {
		if t == nil {
			continue
		}
		if t.Data == nil {
			return fmt.Errorf("input %d has no data", i)
		}
		if err := t.Check(); err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
	}
	want, err := k.infer(in)
	if err != nil {
		return err
	}
	if len(out) != len(want) {
		return fmt.Errorf("has %d outputs, want %d", len(out), len(want))
	}
	for i, w := range want {
		o := out[i]
		if o == nil {
			continue
		}
		if o.DType != w.DType || !tensor.SameShape(o.Shape, w.Shape) {
			return fmt.Errorf("output %d is %v, want %v", i, o, w)
		}
		if err := o.Check(); err != nil {
			return fmt.Errorf("output %d: %w", i, err)
		}
	}
	return k.run(in, out)
}

// nodeOutputs checks that n has between lo and hi outputs.
func nodeOutputs(n *onnx.Node, lo, hi int) error {
	if len(n.Outputs) < lo || len(n.Outputs) > hi {
		if lo == hi {
			return fmt.Errorf("%v: has %d outputs, want %d", n, len(n.Outputs), lo)
		}
		return fmt.Errorf("%v: has %d outputs, want %d to %d", n, len(n.Outputs), lo, hi)
	}
	return nil
}

// nodeInputs checks that n has between lo and hi inputs.
func nodeInputs(n *onnx.Node, lo, hi int) error {
	if len(n.Inputs) < lo || len(n.Inputs) > hi {
		if lo == hi {
			return fmt.Errorf("%v: has %d inputs, want %d", n, len(n.Inputs), lo)
		}
		return fmt.Errorf("%v: has %d inputs, want %d to %d", n, len(n.Inputs), lo, hi)
	}
	return nil
}

// movedAttrs rejects attributes that became inputs: from opset `since`
// the named attributes no longer exist, and silently ignoring them would
// compute something else than the exporter meant.
func movedAttrs(n *onnx.Node, opset, since int64, names ...string) error {
	if opset < since {
		return nil
	}
	for _, name := range names {
		if _, ok := n.Attrs[name]; ok {
			return fmt.Errorf("%v: attribute %q is an input from opset %d (the model imports opset %d)", n, name, since, opset)
		}
	}
	return nil
}

// numel is the product of shape (shapes reaching here were validated).
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// checkedNumel is the product of shape, or an error if it is negative or
// too large.
func checkedNumel(shape []int) (int, error) {
	return tensor.NumElements(shape)
}

// walk visits every position of shape in row-major order. For position o
// (the row-major offset) it calls fn(o, offs), where offs[k] is the sum of
// index[d]*strides[k][d]: the matching element offset in operand k. The
// offsets are updated incrementally, so the cost per element is constant.
func walk(shape []int, strides [][]int, fn func(o int, offs []int)) {
	n := numel(shape)
	if n == 0 {
		return
	}
	idx := make([]int, len(shape))
	offs := make([]int, len(strides))
	for o := 0; o < n; o++ {
		fn(o, offs)
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			for k := range offs {
				offs[k] += strides[k][d]
			}
			if idx[d] < shape[d] {
				break
			}
			for k := range offs {
				offs[k] -= strides[k][d] * shape[d]
			}
			idx[d] = 0
		}
	}
}

// binaryBcast sets out[i] = f(a[ia], b[ib]) where a and b are read as if
// broadcast to shape os.
func binaryBcast[A, B, C any](a []A, as []int, b []B, bs []int, out []C, os []int, f func(A, B) C) {
	switch {
	case tensor.SameShape(as, os) && tensor.SameShape(bs, os):
		for i := range out {
			out[i] = f(a[i], b[i])
		}
	case len(b) == 1 && tensor.SameShape(as, os):
		y := b[0]
		for i := range out {
			out[i] = f(a[i], y)
		}
	case len(a) == 1 && tensor.SameShape(bs, os):
		x := a[0]
		for i := range out {
			out[i] = f(x, b[i])
		}
	default:
		// Walk all but the last dimension; loop over the last one (the
		// shapes are not all rank 0 here, or they would be equal).
		r := len(os)
		sa, sb := broadcastStrides(as, os), broadcastStrides(bs, os)
		inner, ia, ib := os[r-1], sa[r-1], sb[r-1]
		walk(os[:r-1], [][]int{sa[:r-1], sb[:r-1]}, func(o int, offs []int) {
			oa, ob, base := offs[0], offs[1], o*inner
			for j := 0; j < inner; j++ {
				out[base+j] = f(a[oa+j*ia], b[ob+j*ib])
			}
		})
	}
}

// StridedCopy copies shape's worth of elements: the element at index i of
// shape goes from src[sOff+i·sStr] to dst[dOff+i·dStr]. It first drops the
// size-1 dimensions and merges each dimension into the next where both
// sides step over it contiguously, so a transpose or slice that moves
// whole blocks copies them at once; then it walks the outer dimensions
// and copies (or strides through) the innermost. Up to rank 8 it
// allocates nothing: the runtime's float32 fast paths use it per run.
func StridedCopy[T any](dst []T, dOff int, dStr []int, src []T, sOff int, sStr []int, shape []int) {
	var buf [4][8]int
	sh, ds, ss, idx := buf[0][:0], buf[1][:0], buf[2][:0], buf[3][:0]
	for i, n := range shape {
		if n == 0 {
			return
		}
		if n == 1 {
			continue
		}
		if k := len(sh) - 1; k >= 0 && ds[k] == dStr[i]*n && ss[k] == sStr[i]*n {
			sh[k] *= n
			ds[k], ss[k] = dStr[i], sStr[i]
			continue
		}
		sh, ds, ss, idx = append(sh, n), append(ds, dStr[i]), append(ss, sStr[i]), append(idx, 0)
	}
	r := len(sh)
	if r == 0 {
		dst[dOff] = src[sOff]
		return
	}
	inner, di, si := sh[r-1], ds[r-1], ss[r-1]
	d, s := dOff, sOff
	for {
		if di == 1 && si == 1 {
			copy(dst[d:d+inner], src[s:s+inner])
		} else {
			for j := 0; j < inner; j++ {
				dst[d+j*di] = src[s+j*si]
			}
		}
		// Next index of the outer dimensions (odometer).
		k := r - 2
		for ; k >= 0; k-- {
			idx[k]++
			d += ds[k]
			s += ss[k]
			if idx[k] < sh[k] {
				break
			}
			d -= ds[k] * sh[k]
			s -= ss[k] * sh[k]
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

// copyStrided is StridedCopy for tensors of the same element type.
func copyStrided(dst *tensor.Tensor, dOff int, dStr []int, src *tensor.Tensor, sOff int, sStr []int, shape []int) {
	switch d := dst.Data.(type) {
	case []float32:
		StridedCopy(d, dOff, dStr, src.Data.([]float32), sOff, sStr, shape)
	case []float64:
		StridedCopy(d, dOff, dStr, src.Data.([]float64), sOff, sStr, shape)
	case []int64:
		StridedCopy(d, dOff, dStr, src.Data.([]int64), sOff, sStr, shape)
	case []int32:
		StridedCopy(d, dOff, dStr, src.Data.([]int32), sOff, sStr, shape)
	case []uint8:
		StridedCopy(d, dOff, dStr, src.Data.([]uint8), sOff, sStr, shape)
	case []int8:
		StridedCopy(d, dOff, dStr, src.Data.([]int8), sOff, sStr, shape)
	case []bool:
		StridedCopy(d, dOff, dStr, src.Data.([]bool), sOff, sStr, shape)
	}
}

// copyRange copies n elements from src[sOff:] to dst[dOff:] (same types).
func copyRange(dst *tensor.Tensor, dOff int, src *tensor.Tensor, sOff, n int) {
	switch d := dst.Data.(type) {
	case []float32:
		copy(d[dOff:dOff+n], src.Data.([]float32)[sOff:sOff+n])
	case []float64:
		copy(d[dOff:dOff+n], src.Data.([]float64)[sOff:sOff+n])
	case []int64:
		copy(d[dOff:dOff+n], src.Data.([]int64)[sOff:sOff+n])
	case []int32:
		copy(d[dOff:dOff+n], src.Data.([]int32)[sOff:sOff+n])
	case []uint8:
		copy(d[dOff:dOff+n], src.Data.([]uint8)[sOff:sOff+n])
	case []int8:
		copy(d[dOff:dOff+n], src.Data.([]int8)[sOff:sOff+n])
	case []bool:
		copy(d[dOff:dOff+n], src.Data.([]bool)[sOff:sOff+n])
	}
}

// expandInto writes src, broadcast to dst's shape, into dst.
func expandInto(dst, src *tensor.Tensor) {
	if tensor.SameShape(dst.Shape, src.Shape) {
		tensor.Copy(dst, src)
		return
	}
	copyStrided(dst, 0, tensor.Strides(dst.Shape), src, 0, broadcastStrides(src.Shape, dst.Shape), dst.Shape)
}

// sameTypes checks that the present inputs all have the type of the first.
func sameTypes(in []*tensor.Tensor) error {
	var first *tensor.Tensor
	for i, t := range in {
		if t == nil {
			continue
		}
		if first == nil {
			first = t
			continue
		}
		if t.DType != first.DType {
			return fmt.Errorf("input %d has type %v, input 0 has %v", i, t.DType, first.DType)
		}
	}
	return nil
}

// toFloat64s returns the elements of a numeric or bool tensor as float64s.
func toFloat64s(t *tensor.Tensor) []float64 {
	switch d := t.Data.(type) {
	case []float64:
		return d
	case []float32:
		return convertSlice[float32, float64](d)
	case []int64:
		return convertSlice[int64, float64](d)
	case []int32:
		return convertSlice[int32, float64](d)
	case []uint8:
		return convertSlice[uint8, float64](d)
	case []int8:
		return convertSlice[int8, float64](d)
	case []bool:
		v := make([]float64, len(d))
		for i, b := range d {
			if b {
				v[i] = 1
			}
		}
		return v
	}
	return nil
}

func convertSlice[S, D elemNum](s []S) []D {
	d := make([]D, len(s))
	for i, x := range s {
		d[i] = D(x)
	}
	return d
}

// scalarValue returns the single element of a one-element numeric tensor as
// a float64.
func scalarValue(t *tensor.Tensor, what string) (float64, error) {
	if t.Len() != 1 {
		return 0, fmt.Errorf("%s must hold one element, has shape %v", what, t.Shape)
	}
	v := toFloat64s(t)
	if v == nil {
		return 0, fmt.Errorf("%s has type %v", what, t.DType)
	}
	return v[0], nil
}

// normAxes normalizes axes for rank and rejects duplicates.
func normAxes(axes []int64, rank int) ([]int, error) {
	out := make([]int, len(axes))
	seen := make(map[int]bool, len(axes))
	for i, a := range axes {
		ax, err := normAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("axis %d repeated in %v", a, axes)
		}
		seen[ax] = true
		out[i] = ax
	}
	return out, nil
}

// minMaxOf returns the lowest and highest values of T (±Inf for floats).
func minMaxOf[T elemNum]() (T, T) {
	var lo, hi any
	var z T
	switch any(z).(type) {
	case float32:
		lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	case float64:
		lo, hi = math.Inf(-1), math.Inf(1)
	case int64:
		lo, hi = int64(math.MinInt64), int64(math.MaxInt64)
	case int32:
		lo, hi = int32(math.MinInt32), int32(math.MaxInt32)
	case uint8:
		lo, hi = uint8(0), uint8(math.MaxUint8)
	case int8:
		lo, hi = int8(math.MinInt8), int8(math.MaxInt8)
	default:
		return z, z
	}
	return lo.(T), hi.(T)
}

// legacyBroadcast returns the shape to read b with under the broadcasting
// rules of opsets before 7: without broadcast=1 the shapes must be equal;
// with it, b's shape must match a contiguous run of a's dimensions starting
// at axis (by default aligned to the end), or b must be a scalar.
func legacyBroadcast(a, b []int, bcast, axis int64, hasAxis bool) ([]int, error) {
	if bcast == 0 {
		if !tensor.SameShape(a, b) {
			return nil, fmt.Errorf("shapes %v and %v differ and broadcast is 0 (opset < 7)", a, b)
		}
		return b, nil
	}
	if numel(b) == 1 {
		return []int{}, nil
	}
	if len(b) > len(a) {
		return nil, fmt.Errorf("cannot broadcast %v onto %v", b, a)
	}
	start := len(a) - len(b)
	if hasAxis {
		if axis < 0 {
			axis += int64(len(a))
		}
		if axis < 0 || axis > int64(len(a)-len(b)) {
			return nil, fmt.Errorf("cannot broadcast %v onto %v at axis %d", b, a, axis)
		}
		start = int(axis)
	}
	s := make([]int, len(a)-start)
	for i := range s {
		s[i] = 1
	}
	for i, d := range b {
		if d != a[start+i] && d != 1 {
			return nil, fmt.Errorf("cannot broadcast %v onto %v at axis %d", b, a, start)
		}
		s[i] = d
	}
	return s, nil
}
