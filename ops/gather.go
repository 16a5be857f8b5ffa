package ops

import (
	"fmt"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

func init() {
	register("Gather", 1, buildGather)
}

// buildGather picks entries of the data input along axis (default 0) with
// int32 or int64 indices, which may be negative (counting from the end).
// The output shape is data.shape[:axis] + indices.shape +
// data.shape[axis+1:]. An index out of range is an error at Run.
func buildGather(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeInputs(n, 2, 2); err != nil {
		return nil, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	a := n.AttrReader()
	axis := a.Int("axis", 0)
	if err := a.Err(); err != nil {
		return nil, err
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := anyInput(in); err != nil {
			return nil, err
		}
		if err := need(in, 2); err != nil {
			return nil, err
		}
		if err := wantType(in[1], "indices", indexTypes...); err != nil {
			return nil, err
		}
		ds := in[0].Shape
		ax, err := normAxis(axis, len(ds))
		if err != nil {
			return nil, err
		}
		s := append([]int(nil), ds[:ax]...)
		s = append(s, in[1].Shape...)
		s = append(s, ds[ax+1:]...)
		if _, err := checkedNumel(s); err != nil {
			return nil, err
		}
		return one(in[0].DType, s)
	}
	run := func(in, out []*tensor.Tensor) error {
		x, o := in[0], out[0]
		ax, _ := normAxis(axis, x.Rank())
		idx, _ := in[1].Int64Values()
		dim := int64(x.Shape[ax])
		for _, v := range idx {
			if v < -dim || v >= dim {
				return fmt.Errorf("index %d out of range for dimension %d of size %d", v, ax, dim)
			}
		}
		outer := numel(x.Shape[:ax])
		inner := numel(x.Shape[ax+1:])
		for i := 0; i < outer; i++ {
			for j, v := range idx {
				if v < 0 {
					v += dim
				}
				copyRange(o, (i*len(idx)+j)*inner, x, (i*int(dim)+int(v))*inner, inner)
			}
		}
		return nil
	}
	return checked{infer, run}, nil
}
