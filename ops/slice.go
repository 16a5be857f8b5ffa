package ops

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

func init() {
	register("Slice", 1, buildSlice)
}

// buildSlice: before opset 10 starts, ends and axes are attributes; from 10
// they are inputs (starts, ends, optional axes and steps, int32 or int64).
// Missing axes mean 0..len(starts)-1, missing steps 1. Negative starts and
// ends count from the end of the dimension; then, for a positive step,
// both are clamped to [0, dim], for a negative step start to [0, dim-1]
// and end to [-1, dim-1]. A step of 0 and repeated axes are errors.
func buildSlice(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	if err := movedAttrs(n, opset, 10, "starts", "ends", "axes"); err != nil {
		return nil, err
	}
	var attrStarts, attrEnds, attrAxes []int64
	if opset < 10 {
		if err := nodeInputs(n, 1, 1); err != nil {
			return nil, err
		}
		a := n.AttrReader()
		attrStarts = a.Ints("starts", nil)
		attrEnds = a.Ints("ends", nil)
		attrAxes = a.Ints("axes", nil)
		if err := a.Err(); err != nil {
			return nil, err
		}
		if attrStarts == nil || attrEnds == nil {
			return nil, a.Fail("attributes starts and ends are required")
		}
	} else if err := nodeInputs(n, 3, 5); err != nil {
		return nil, err
	}
	// plan returns the output shape, the first element's offset and the
	// input strides that step through the slice.
	plan := func(in []*tensor.Tensor) (shape []int, off int, strides []int, err error) {
		x := in[0]
		starts, ends, axes := attrStarts, attrEnds, attrAxes
		var steps []int64
		if opset >= 10 {
			if err := need(in, 3); err != nil {
				return nil, 0, nil, err
			}
			args := make([][]int64, 4)
			for i, what := range []string{"starts", "ends", "axes", "steps"} {
				t := input(in, i+1)
				if t == nil {
					continue
				}
				if err := wantType(t, what, indexTypes...); err != nil {
					return nil, 0, nil, err
				}
				if t.Rank() != 1 {
					return nil, 0, nil, fmt.Errorf("%s must be 1-D, has shape %v", what, t.Shape)
				}
				if args[i], err = values(t, what); err != nil {
					return nil, 0, nil, err
				}
			}
			starts, ends, axes, steps = args[0], args[1], args[2], args[3]
		}
		k := len(starts)
		if len(ends) != k || axes != nil && len(axes) != k || steps != nil && len(steps) != k {
			return nil, 0, nil, fmt.Errorf("starts, ends, axes and steps have different lengths")
		}
		var ax []int
		if axes == nil {
			if k > x.Rank() {
				return nil, 0, nil, fmt.Errorf("%d starts for rank %d", k, x.Rank())
			}
			ax = make([]int, k)
			for i := range ax {
				ax[i] = i
			}
		} else if ax, err = normAxes(axes, x.Rank()); err != nil {
			return nil, 0, nil, err
		}
		shape = append([]int(nil), x.Shape...)
		xs := tensor.Strides(x.Shape)
		strides = append([]int(nil), xs...)
		for i, d := range ax {
			step := int64(1)
			if steps != nil {
				step = steps[i]
			}
			if step == 0 {
				return nil, 0, nil, fmt.Errorf("step is 0 for axis %d", d)
			}
			start, size := sliceRange(starts[i], ends[i], step, int64(x.Shape[d]))
			shape[d] = int(size)
			strides[d] = 0
			if size > 1 {
				strides[d] = xs[d] * int(step)
			}
			if size > 0 {
				off += int(start) * xs[d]
			}
		}
		return shape, off, strides, nil
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := anyInput(in); err != nil {
			return nil, err
		}
		s, _, _, err := plan(in)
		if err != nil {
			return nil, err
		}
		return one(in[0].DType, s)
	}
	run := func(in, out []*tensor.Tensor) error {
		shape, off, strides, _ := plan(in)
		o := out[0]
		if o.Len() == 0 {
			return nil
		}
		copyStrided(o, 0, tensor.Strides(shape), in[0], off, strides, shape)
		return nil
	}
	return checked{infer, run}, nil
}

// SliceRange is sliceRange, for fast paths outside the package.
func SliceRange(start, end, step, dim int64) (first, size int64) {
	return sliceRange(start, end, step, dim)
}

// sliceRange returns the clamped start index and the element count of the
// slice start:end:step of a dimension of size dim (step != 0).
func sliceRange(start, end, step, dim int64) (int64, int64) {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	var size int64
	if step > 0 {
		start = min(max(start, 0), dim)
		end = min(max(end, 0), dim)
		if end > start {
			size = (end-start-1)/step + 1
		}
	} else {
		start = min(max(start, 0), dim-1)
		end = min(max(end, -1), dim-1)
		if step == math.MinInt64 {
			step = -math.MaxInt64 // same slice: dim < 2^63
		}
		if start > end {
			size = (start-end-1)/-step + 1
		}
	}
	return start, size
}
