package ops

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

func init() {
	register("BatchNormalization", 1, buildBatchNorm)
	register("LRN", 1, buildLRN)
}

// batchNormKernel is BatchNormalization in inference mode:
//
//	Y = (X - mean) / sqrt(var + epsilon) * scale + B
//
// X is [N, C, D1..Dk] (k >= 0); scale, B, mean and var are [C], or with
// spatial=0 (opset 7 and below) X.shape[1:]. Outputs 2 and 3 (running mean
// and variance), when the node lists them, are copies of the mean and var
// inputs, which inference leaves unchanged. Outputs 4 and 5 (saved_mean,
// saved_var; opsets below 14, training only) must be unnamed if listed;
// they are filled with copies of mean and var too.
type batchNormKernel struct {
	eps     float64
	spatial bool
	nOut    int
}

func buildBatchNorm(n *onnx.Node, opset int64) (Kernel, error) {
	a := n.AttrReader()
	eps := a.Float("epsilon", 1e-5)
	spatial := a.Int("spatial", 1)
	training := a.Int("training_mode", 0)
	if err := a.Err(); err != nil {
		return nil, err
	}
	if training != 0 {
		return nil, fmt.Errorf("%v: training_mode=%d is not supported (inference only)", n, training)
	}
	if spatial != 0 && spatial != 1 {
		return nil, fmt.Errorf("%v: spatial %d is not 0 or 1", n, spatial)
	}
	if !(eps >= 0) || math.IsInf(float64(eps), 0) {
		return nil, fmt.Errorf("%v: epsilon %v is not a finite non-negative number", n, eps)
	}
	nOut := len(n.Outputs)
	for i := 3; i < nOut; i++ {
		if n.Outputs[i] != "" {
			return nil, fmt.Errorf("%v: outputs saved_mean and saved_var exist only in training mode", n)
		}
	}
	if nOut < 1 || nOut > 5 {
		return nil, fmt.Errorf("%v: has %d outputs, want 1 to 5", n, nOut)
	}
	return batchNormKernel{eps: float64(eps), spatial: spatial == 1, nOut: nOut}, nil
}

func (k batchNormKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 5); err != nil {
		return nil, err
	}
	names := []string{"X", "scale", "B", "mean", "var"}
	for i, name := range names {
		if err := float32In(in[i], name); err != nil {
			return nil, err
		}
	}
	x := in[0].Shape
	if len(x) < 2 {
		return nil, fmt.Errorf("X has rank %d, want at least 2 (N, C, ...)", len(x))
	}
	want := x[1:2]
	if !k.spatial {
		want = x[1:]
	}
	for i := 1; i < 5; i++ {
		if !tensor.SameShape(in[i].Shape, want) {
			return nil, fmt.Errorf("%s has shape %v, want %v", names[i], in[i].Shape, want)
		}
	}
	outs := []*tensor.Tensor{meta(tensor.Float32, cloneInts(x))}
	for i := 1; i < k.nOut; i++ {
		outs = append(outs, meta(tensor.Float32, cloneInts(want)))
	}
	return outs, nil
}

func (k batchNormKernel) Run(in, out []*tensor.Tensor) error {
	if _, err := k.Infer(in); err != nil {
		return err
	}
	var d [5][]float32
	for i := range d {
		var err error
		if d[i], err = inFloat32(in[i], fmt.Sprint("input ", i)); err != nil {
			return err
		}
	}
	x, scale, bias, mean, vr := d[0], d[1], d[2], d[3], d[4]
	y, err := outFloat32(out, 0, len(x))
	if err != nil {
		return err
	}
	// Each parameter element p applies to inner consecutive elements of X,
	// repeating every len(scale)*inner elements.
	np := len(scale)
	inner := 1
	if np > 0 {
		inner = len(x) / max(in[0].Shape[0], 1) / np
	}
	for i, v := range x {
		p := (i / max(inner, 1)) % max(np, 1)
		s := float64(scale[p]) / math.Sqrt(float64(vr[p])+k.eps)
		y[i] = float32((float64(v)-float64(mean[p]))*s + float64(bias[p]))
	}
	for i := 1; i < k.nOut; i++ {
		o, err := outFloat32(out, i, np)
		if err != nil {
			return err
		}
		copy(o, d[3+(i-1)%2])
	}
	return nil
}

// lrnKernel is LRN over the channel axis of X [N, C, D1..Dk]:
//
//	square_sum[n,c,...] = sum of X[n,i,...]^2 for i in
//	    [max(0, c - floor((size-1)/2)), min(C-1, c + ceil((size-1)/2))]
//	Y = X / (bias + alpha/size * square_sum)^beta
type lrnKernel struct {
	size              int
	alpha, beta, bias float64
}

func buildLRN(n *onnx.Node, opset int64) (Kernel, error) {
	a := n.AttrReader()
	if !a.Has("size") {
		return nil, fmt.Errorf("%v: attribute size is required", n)
	}
	size := a.Int("size", 0)
	alpha := a.Float("alpha", 1e-4)
	beta := a.Float("beta", 0.75)
	bias := a.Float("bias", 1)
	if err := a.Err(); err != nil {
		return nil, err
	}
	if size < 1 {
		return nil, fmt.Errorf("%v: size %d is not positive", n, size)
	}
	return lrnKernel{int(size), float64(alpha), float64(beta), float64(bias)}, nil
}

func (k lrnKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	if err := float32In(in[0], "X"); err != nil {
		return nil, err
	}
	if len(in[0].Shape) < 2 {
		return nil, fmt.Errorf("X has rank %d, want at least 2 (N, C, ...)", len(in[0].Shape))
	}
	return one(tensor.Float32, cloneInts(in[0].Shape))
}

func (k lrnKernel) Run(in, out []*tensor.Tensor) error {
	if _, err := k.Infer(in); err != nil {
		return err
	}
	x, err := inFloat32(in[0], "X")
	if err != nil {
		return err
	}
	y, err := outFloat32(out, 0, len(x))
	if err != nil {
		return err
	}
	s := in[0].Shape
	nb, c, inner := s[0], s[1], sizeOf(s[2:])
	lo, hi := (k.size-1)/2, k.size-1-(k.size-1)/2 // channels before and after
	for n := 0; n < nb; n++ {
		for ch := 0; ch < c; ch++ {
			for j := 0; j < inner; j++ {
				var sq float64
				for i := max(0, ch-lo); i <= min(c-1, ch+hi); i++ {
					v := float64(x[(n*c+i)*inner+j])
					sq += v * v
				}
				at := (n*c+ch)*inner + j
				y[at] = float32(float64(x[at]) / math.Pow(k.bias+k.alpha/float64(k.size)*sq, k.beta))
			}
		}
	}
	return nil
}
