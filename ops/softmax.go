package ops

import (
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at
// axis (default 1) and the softmax runs over the flattened trailing
// dimensions; from 13 it runs along the single dimension axis (default -1).
// Both subtract the maximum first and accumulate in float64.

func init() {
	register("Softmax", 1, buildSoftmax(false))
	register("LogSoftmax", 1, buildSoftmax(true))
}

func buildSoftmax(logOut bool) Builder {
	return func(n *onnx.Node, opset int64) (Kernel, error) {
		if err := nodeInputs(n, 1, 1); err != nil {
			return nil, err
		}
		if err := nodeOutputs(n, 1, 1); err != nil {
			return nil, err
		}
		a := n.AttrReader()
		def := int64(-1)
		if opset < 13 {
			def = 1
		}
		axis := a.Int("axis", def)
		if err := a.Err(); err != nil {
			return nil, err
		}
		// split returns the sizes of the dimensions before, along and after
		// the softmax.
		split := func(shape []int) (outer, size, inner int, err error) {
			ax, err := normAxis(axis, len(shape))
			if err != nil {
				return 0, 0, 0, err
			}
			outer = numel(shape[:ax])
			if opset < 13 {
				return outer, numel(shape[ax:]), 1, nil
			}
			return outer, shape[ax], numel(shape[ax+1:]), nil
		}
		infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 1); err != nil {
				return nil, err
			}
			if err := wantType(in[0], "input", floatTypes...); err != nil {
				return nil, err
			}
			if _, _, _, err := split(in[0].Shape); err != nil {
				return nil, err
			}
			return one(in[0].DType, in[0].Shape)
		}
		run := func(in, out []*tensor.Tensor) error {
			outer, size, inner, _ := split(in[0].Shape)
			switch x := in[0].Data.(type) {
			case []float32:
				softmaxRun(x, out[0].Data.([]float32), outer, size, inner, logOut)
			case []float64:
				softmaxRun(x, out[0].Data.([]float64), outer, size, inner, logOut)
			}
			return nil
		}
		return checked{infer, run}, nil
	}
}

// softmaxRun computes the softmax of x viewed as [outer, size, inner] along
// the middle dimension.
func softmaxRun[T elemFloat](x, out []T, outer, size, inner int, logOut bool) {
	for o := 0; o < outer; o++ {
		for j := 0; j < inner; j++ {
			base := o*size*inner + j
			m := math.Inf(-1)
			for k := 0; k < size; k++ {
				m = max(m, float64(x[base+k*inner]))
			}
			var sum float64
			for k := 0; k < size; k++ {
				sum += math.Exp(float64(x[base+k*inner]) - m)
			}
			logSum := math.Log(sum)
			for k := 0; k < size; k++ {
				i := base + k*inner
				if logOut {
					out[i] = T(float64(x[i]) - m - logSum)
				} else {
					out[i] = T(math.Exp(float64(x[i])-m) / sum)
				}
			}
		}
	}
}
