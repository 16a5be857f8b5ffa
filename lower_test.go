package gocnn

import (
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/internal/testutil"
	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// TestBinaryKernel checks the element-wise fast path against the reference
// on the shapes it handles and on ones it hands back.
func TestBinaryKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func(shape ...int) *tensor.Tensor {
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(r.NormFloat64()) + 3
		}
		return x
	}
	pairs := [][2]*tensor.Tensor{
		{random(2, 3, 4, 5), random(2, 3, 4, 5)},
		{random(2, 3, 4, 5), random(2, 3, 1, 1)},
		{random(2, 3, 1, 1), random(2, 3, 4, 5)},
		{random(1, 7, 3), random(1, 7, 1)},
		{random(2, 3, 4, 5), random(5)}, // general broadcast: reference
	}
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		n := &onnx.Node{OpType: op, Inputs: []string{"a", "b"}, Outputs: []string{"y"}, Attrs: map[string]*onnx.Attr{}}
		ref, err := ops.New(n, 13)
		if err != nil {
			t.Fatal(err)
		}
		fast := newBinaryKernel(n, ref)
		for _, p := range pairs {
			in := p[:]
			metas, err := fast.Infer(in)
			if err != nil {
				t.Fatal(err)
			}
			got := tensor.New(tensor.Float32, metas[0].Shape...)
			want := tensor.New(tensor.Float32, metas[0].Shape...)
			if err := fast.Run(in, []*tensor.Tensor{got}); err != nil {
				t.Fatal(err)
			}
			if err := ref.Run(in, []*tensor.Tensor{want}); err != nil {
				t.Fatal(err)
			}
			if err := testutil.AllClose(got, want, 0, 0); err != nil {
				t.Errorf("%s %v %v: %v", op, p[0].Shape, p[1].Shape, err)
			}
		}
	}
}
