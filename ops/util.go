package ops

import (
	"fmt"

	"github.com/gocnn/gocnn/tensor"
)

// kernel adapts a pair of functions to the Kernel interface, for operators
// whose kernels need no state beyond what the closures capture.
type kernel struct {
	infer func(in []*tensor.Tensor) ([]*tensor.Tensor, error)
	run   func(in, out []*tensor.Tensor) error
}

func (k kernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) { return k.infer(in) }
func (k kernel) Run(in, out []*tensor.Tensor) error                  { return k.run(in, out) }

// meta describes an output of type dt and the given shape.
func meta(dt tensor.DType, shape []int) *tensor.Tensor {
	return &tensor.Tensor{DType: dt, Shape: shape}
}

// one wraps a single output.
func one(dt tensor.DType, shape []int) ([]*tensor.Tensor, error) {
	return []*tensor.Tensor{meta(dt, shape)}, nil
}

// need checks that the first n inputs are present.
func need(in []*tensor.Tensor, n int) error {
	if len(in) < n {
		return fmt.Errorf("needs %d inputs, has %d", n, len(in))
	}
	for i := 0; i < n; i++ {
		if in[i] == nil {
			return fmt.Errorf("input %d is missing", i)
		}
	}
	return nil
}

// input returns in[i], or nil when the optional input is absent.
func input(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// wantType checks t's element type.
func wantType(t *tensor.Tensor, what string, dts ...tensor.DType) error {
	for _, dt := range dts {
		if t.DType == dt {
			return nil
		}
	}
	return fmt.Errorf("%s has type %v, want one of %v", what, t.DType, dts)
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// broadcast returns the multidirectional (numpy) broadcast of shapes.
func broadcast(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			switch o := out[off+i]; {
			case o == d || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v are not broadcast-compatible", shapes)
			}
		}
	}
	return out, nil
}

// broadcastStrides returns strides that read a tensor of shape in as if
// broadcast to shape out: broadcast dimensions get stride 0.
func broadcastStrides(in, out []int) []int {
	s := make([]int, len(out))
	st := tensor.Strides(in)
	off := len(out) - len(in)
	for i := range in {
		if in[i] != 1 {
			s[off+i] = st[i]
		}
	}
	return s
}

// ints converts an int64 slice from an attribute or tensor to ints.
func ints(v []int64) []int {
	r := make([]int, len(v))
	for i, x := range v {
		r[i] = int(x)
	}
	return r
}

// values returns the int64 values of a known integer input, ErrDynamic if
// they are not known yet.
func values(t *tensor.Tensor, what string) ([]int64, error) {
	if t.Data == nil {
		return nil, ErrDynamic
	}
	v, err := t.Int64Values()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}
