package gocnn

import (
	"math"
	"math/rand/v2"
	"testing"

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
		v := x.Float32s()
		for i := range v {
			v[i] = float32(r.NormFloat64()) + 3
		}
		// Signed zeros, NaN and infinities must come out as the reference's.
		specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
		for i := 0; i < len(v); i += 7 {
			v[i] = specials[(i/7)%len(specials)]
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
			for i, g := range got.Float32s() {
				w := want.Float32s()[i]
				if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
					t.Errorf("%s %v %v: y[%d] = %g (%#x), want %g (%#x)", op, p[0].Shape, p[1].Shape, i, g, math.Float32bits(g), w, math.Float32bits(w))
					break
				}
			}
		}
	}
}

// TestMeanKernel checks the ReduceMean fast path bit for bit against the
// reference: trailing axes in any sign and order, all axes, and axes it
// hands back; with the axes as attribute (opset 13) and as input (18).
func TestMeanKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(tensor.Float32, 2, 3, 4, 5)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(r.NormFloat64())
	}
	x.Float32s()[7] = float32(math.NaN())
	for _, axes := range [][]int64{{2, 3}, {-1, -2}, {3}, {1, 2, 3}, {1}, {0, 3}, nil} {
		for _, opset := range []int64{13, 18} {
			for _, keep := range []int64{0, 1} {
				n := &onnx.Node{OpType: "ReduceMean", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: map[string]*onnx.Attr{
					"keepdims": {Name: "keepdims", Type: onnx.AttrInt, I: keep}}}
				in := []*tensor.Tensor{x}
				consts := []*tensor.Tensor{nil}
				if opset < 18 && axes != nil {
					n.Attrs["axes"] = &onnx.Attr{Name: "axes", Type: onnx.AttrInts, Ints: axes}
				} else if axes != nil {
					c := tensor.New(tensor.Int64, len(axes))
					copy(c.Int64s(), axes)
					n.Inputs = append(n.Inputs, "axes")
					in, consts = append(in, c), append(consts, c)
				}
				ref, err := ops.New(n, opset)
				if err != nil {
					t.Fatal(err)
				}
				fast := newMeanKernel(n, opset, consts, ref)
				if fast == nil {
					t.Fatalf("axes %v opset %d: no fast kernel", axes, opset)
				}
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
				for i, g := range got.Float32s() {
					w := want.Float32s()[i]
					if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
						t.Fatalf("axes %v opset %d keepdims %d: y[%d] = %g, want %g", axes, opset, keep, i, g, w)
					}
				}
			}
		}
	}
}
