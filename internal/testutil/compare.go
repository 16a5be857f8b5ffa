// Package testutil holds helpers shared by the project's tests: tolerance
// comparison of tensors, loading of test cases, and the memory reference
// of the benchmarks (Stream).
package testutil

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/tensor"
)

// AllClose reports whether got matches want: same type and shape, floats
// within |got-want| <= atol + rtol*|want| (NaN matching NaN), integers and
// booleans exactly. The error names the first mismatch.
func AllClose(got, want *tensor.Tensor, rtol, atol float64) error {
	if got == nil {
		return fmt.Errorf("no output")
	}
	if got.DType != want.DType {
		return fmt.Errorf("type %v, want %v", got.DType, want.DType)
	}
	if !tensor.SameShape(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	switch want.DType {
	case tensor.Float32, tensor.Float64:
		g, _ := got.Float64Values()
		w, _ := want.Float64Values()
		for i := range w {
			if math.IsNaN(w[i]) && math.IsNaN(g[i]) {
				continue
			}
			if math.IsInf(w[i], 0) && g[i] == w[i] {
				continue
			}
			if !(math.Abs(g[i]-w[i]) <= atol+rtol*math.Abs(w[i])) {
				return fmt.Errorf("element %d: got %g, want %g (|diff| %.3g > %.3g)", i, g[i], w[i],
					math.Abs(g[i]-w[i]), atol+rtol*math.Abs(w[i]))
			}
		}
	default:
		ge := tensor.EncodeLittleEndian(got.Data)
		we := tensor.EncodeLittleEndian(want.Data)
		if string(ge) != string(we) {
			return fmt.Errorf("%v values differ: got %v, want %v", want.DType, got.Data, want.Data)
		}
	}
	return nil
}

// MaxRelErr returns max|got-want| / max|want| over two float32 slices.
func MaxRelErr(got, want []float32) float64 {
	var m float64
	for _, w := range want {
		m = math.Max(m, math.Abs(float64(w)))
	}
	d := tensor.MaxAbsDiff(got, want)
	if m == 0 {
		return d
	}
	return d / m
}
