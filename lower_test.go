package gocnn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// TestBinaryKernel checks the element-wise fast path bit for bit against
// the reference on the shapes it handles and on ones it hands back, on one
// thread and split over three.
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
		{random(1, 5, 7, 9), random(1, 5, 7, 9)}, // a partial last 64-element block
		{random(1, 5, 7, 9), random(1, 5, 1, 1)},
		{random(0, 3, 4, 5), random(0, 3, 1, 1)}, // empty
		{random(2, 3, 4, 5), random(5)},          // general broadcast: reference
	}
	// Parts of at least 16 elements: these small tensors split over threads.
	defer func(n int) { binaryMinPart = n }(binaryMinPart)
	binaryMinPart = 16
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		n := &onnx.Node{OpType: op, Inputs: []string{"a", "b"}, Outputs: []string{"y"}, Attrs: map[string]*onnx.Attr{}}
		ref, err := ops.New(n, 13)
		if err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 3} {
			fast := newBinaryKernel(n, ref, threads)
			for _, p := range pairs {
				got, want := runBoth(t, fast, ref, p[:])
				for i, g := range got.Float32s() {
					w := want.Float32s()[i]
					if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
						t.Errorf("%s %v %v, %d threads: y[%d] = %g (%#x), want %g (%#x)", op, p[0].Shape, p[1].Shape, threads, i, g, math.Float32bits(g), w, math.Float32bits(w))
						break
					}
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
				got, want := runBoth(t, fast, ref, in)
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

// TestGlueKernels checks the Concat, Transpose and Slice fast paths bit for
// bit against the reference, and that they allocate nothing.
func TestGlueKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	random := func(shape ...int) *tensor.Tensor {
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(r.NormFloat64())
		}
		return x
	}
	ints := func(v ...int64) *tensor.Tensor {
		t := tensor.New(tensor.Int64, len(v))
		copy(t.Int64s(), v)
		return t
	}
	type tc struct {
		name string
		node *onnx.Node
		in   []*tensor.Tensor
	}
	attrs := func(kv ...any) map[string]*onnx.Attr {
		m := map[string]*onnx.Attr{}
		for i := 0; i < len(kv); i += 2 {
			switch v := kv[i+1].(type) {
			case int64:
				m[kv[i].(string)] = &onnx.Attr{Name: kv[i].(string), Type: onnx.AttrInt, I: v}
			case []int64:
				m[kv[i].(string)] = &onnx.Attr{Name: kv[i].(string), Type: onnx.AttrInts, Ints: v}
			}
		}
		return m
	}
	var cases []tc
	x4 := random(2, 3, 4, 5)
	for _, perm := range [][]int64{{0, 2, 1, 3}, {3, 2, 1, 0}, {1, 0, 2, 3}, {0, 1, 2, 3}, {2, 3, 0, 1}, nil} {
		n := &onnx.Node{OpType: "Transpose", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: attrs()}
		if perm != nil {
			n.Attrs = attrs("perm", perm)
		}
		cases = append(cases, tc{"transpose", n, []*tensor.Tensor{x4}})
	}
	// ShuffleNet's channel shuffle: [1, 2, 58, 28, 28] → (0, 2, 1, 3, 4).
	cases = append(cases, tc{"shuffle", &onnx.Node{OpType: "Transpose", Inputs: []string{"x"}, Outputs: []string{"y"},
		Attrs: attrs("perm", []int64{0, 2, 1, 3, 4})}, []*tensor.Tensor{random(1, 2, 58, 7, 7)}})
	for _, axis := range []int64{0, 1, 3, -1, -3} {
		shape := []int{2, 3, 4, 5}
		var in []*tensor.Tensor
		for i := 0; i < 3; i++ {
			s := append([]int(nil), shape...)
			s[(axis+4)%4] = i + 1
			in = append(in, random(s...))
		}
		n := &onnx.Node{OpType: "Concat", Inputs: []string{"a", "b", "c"}, Outputs: []string{"y"}, Attrs: attrs("axis", axis)}
		cases = append(cases, tc{"concat", n, in})
	}
	for _, sl := range [][4][]int64{
		{{0}, {29}, {1}, nil},
		{{29, -100}, {0, 100}, {1, -1}, {1, -2}},
		{{1, 0, -1}, {3, 4, -6}, {0, 2, 3}, {1, 2, -2}},
		{{-1}, {-1000}, {-2}, {-3}},
		{{2}, {1}, {1}, nil}, // empty
		{{0, 1}, {9, 3}, nil, nil},
	} {
		in := []*tensor.Tensor{x4, ints(sl[0]...), ints(sl[1]...)}
		names := []string{"x", "s", "e"}
		if sl[2] != nil {
			in, names = append(in, ints(sl[2]...)), append(names, "a")
		}
		if sl[3] != nil {
			if sl[2] == nil {
				in, names = append(in, nil), append(names, "")
			}
			in, names = append(in, ints(sl[3]...)), append(names, "p")
		}
		n := &onnx.Node{OpType: "Slice", Inputs: names, Outputs: []string{"y"}, Attrs: attrs()}
		cases = append(cases, tc{"slice", n, in})
	}
	for i, c := range cases {
		ref, err := ops.New(c.node, 13)
		if err != nil {
			t.Fatal(err)
		}
		fast := newGlueKernel(c.node, 13, ref)
		if fast == nil {
			t.Fatalf("case %d %s: no fast kernel", i, c.name)
		}
		got, want := runBoth(t, fast, ref, c.in)
		for j, g := range got.Float32s() {
			if math.Float32bits(g) != math.Float32bits(want.Float32s()[j]) {
				t.Fatalf("case %d %s %v: y[%d] = %g, want %g", i, c.name, got.Shape, j, g, want.Float32s()[j])
			}
		}
		outs := []*tensor.Tensor{got}
		if allocs := testing.AllocsPerRun(3, func() { fast.Run(c.in, outs) }); allocs != 0 {
			t.Errorf("case %d %s: %v allocations per run", i, c.name, allocs)
		}
	}
}

// runBoth runs a fast kernel and its reference on in, each into a new
// float32 output of the reference's shape; the fast kernel's starts as NaN,
// so an element it does not write shows.
func runBoth(t *testing.T, fast, ref ops.Kernel, in []*tensor.Tensor) (got, want *tensor.Tensor) {
	t.Helper()
	metas, err := ref.Infer(in)
	if err != nil {
		t.Fatal(err)
	}
	got = tensor.New(tensor.Float32, metas[0].Shape...)
	want = tensor.New(tensor.Float32, metas[0].Shape...)
	for j := range got.Float32s() {
		got.Float32s()[j] = float32(math.NaN())
	}
	if err := fast.Run(in, []*tensor.Tensor{got}); err != nil {
		t.Fatal(err)
	}
	if err := ref.Run(in, []*tensor.Tensor{want}); err != nil {
		t.Fatal(err)
	}
	return got, want
}
