package gocnn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/gocnn/gocnn/internal/testutil"
	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// concatModel is Y = Concat(Relu(X), Neg(X), Relu(Neg(X))) along axis 1.
func concatModel() *onnx.Model {
	m := graphModel(
		&onnx.Node{OpType: "Relu", Inputs: []string{"X"}, Outputs: []string{"a"}},
		&onnx.Node{OpType: "Neg", Inputs: []string{"X"}, Outputs: []string{"b"}},
		&onnx.Node{OpType: "Relu", Inputs: []string{"b"}, Outputs: []string{"c"}},
		&onnx.Node{OpType: "Concat", Inputs: []string{"a", "b", "c"}, Outputs: []string{"Y"},
			Attrs: map[string]*onnx.Attr{"axis": {Type: onnx.AttrInt, I: 1}}},
	)
	m.Graph.Outputs[0].Shape = []int{-1, 9}
	return m
}

// TestConcatInPlace: with batch 1 the Concat's inputs are written straight
// into its output (the node does not run); with batch 2 they cannot be, and
// it runs. Both give the reference result.
func TestConcatInPlace(t *testing.T) {
	m, err := Decode(encode(t, concatModel()), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 2} {
		x := tensor.New(tensor.Float32, batch, 3)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(i) - 2.5
		}
		out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"X": x})
		if err != nil {
			t.Fatal(err)
		}
		y := out["Y"].Float32s()
		for b := range batch {
			for j := range 3 {
				v := x.Float32s()[b*3+j]
				want := []float32{max(v, 0), -v, max(-v, 0)}
				for k, w := range want {
					if got := y[b*9+k*3+j]; got != w {
						t.Fatalf("batch %d: Y[%d,%d] = %g, want %g", batch, b, k*3+j, got, w)
					}
				}
			}
		}
		p := m.plans[0]
		concatRuns := p.run[len(m.nodes)-1]
		if concatRuns != (batch > 1) {
			t.Errorf("batch %d: Concat runs = %v", batch, concatRuns)
		}
	}
}

// TestArenaReuse: a chain reuses memory, so the arena holds two values,
// not one per node.
func TestArenaReuse(t *testing.T) {
	m, err := Decode(encode(t, chainModel(50, 1000)), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.ArenaBytes(nil)
	if err != nil {
		t.Fatal(err)
	}
	if per := int64(4 * 1008); b != 2*per {
		t.Errorf("arena %d bytes, want %d (two values of 1000 floats, 64-byte aligned)", b, 2*per)
	}
}

// scratchModel is Y = Gemm(Flatten(Conv_s2(Relu(a + Conv(a))), W4) with
// a = Conv(X): two Winograd convolutions (the second with a residual that
// stays live across it), a padded strided im2col one and a Gemm, all of
// which take scratch.
func scratchModel(rng *rand.Rand) *onnx.Model {
	w := func(shape ...int) *tensor.Tensor {
		t := tensor.New(tensor.Float32, shape...)
		for i := range t.Float32s() {
			t.Float32s()[i] = float32(rng.NormFloat64()) * 0.2
		}
		return t
	}
	ints := func(name string, v ...int64) *onnx.Attr { return &onnx.Attr{Name: name, Type: onnx.AttrInts, Ints: v} }
	m := graphModel(
		&onnx.Node{OpType: "Conv", Inputs: []string{"X", "W1", "B1"}, Outputs: []string{"a"},
			Attrs: map[string]*onnx.Attr{"pads": ints("pads", 1, 1, 1, 1)}},
		&onnx.Node{OpType: "Conv", Inputs: []string{"a", "W2"}, Outputs: []string{"b"},
			Attrs: map[string]*onnx.Attr{"pads": ints("pads", 1, 1, 1, 1)}},
		&onnx.Node{OpType: "Add", Inputs: []string{"a", "b"}, Outputs: []string{"c"}},
		&onnx.Node{OpType: "Relu", Inputs: []string{"c"}, Outputs: []string{"r"}},
		&onnx.Node{OpType: "Conv", Inputs: []string{"r", "W3", "B3"}, Outputs: []string{"d"},
			Attrs: map[string]*onnx.Attr{"pads": ints("pads", 1, 1, 1, 1), "strides": ints("strides", 2, 2)}},
		&onnx.Node{OpType: "Flatten", Inputs: []string{"d"}, Outputs: []string{"f"}},
		&onnx.Node{OpType: "Gemm", Inputs: []string{"f", "W4", "B4"}, Outputs: []string{"Y"}},
	)
	g := m.Graph
	g.Inputs[0].Shape, g.Inputs[0].DimNames = []int{1, 16, 20, 20}, nil
	g.Outputs[0].Shape, g.Outputs[0].DimNames = []int{1, 10}, nil
	g.Initializers = map[string]*tensor.Tensor{
		"W1": w(16, 16, 3, 3), "B1": w(16), "W2": w(16, 16, 3, 3),
		"W3": w(32, 16, 3, 3), "B3": w(32), "W4": w(32*10*10, 10), "B4": w(10),
	}
	return m
}

// TestArenaScratch: every node that takes scratch gets its ScratchSize in
// the arena, disjoint from its inputs and outputs, at one offset with its
// threads' regions at one stride (ops.Scratch), and the arena counts it;
// runs on that scratch match the reference kernels.
func TestArenaScratch(t *testing.T) {
	for _, threads := range []int{1, 2} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) { testArenaScratch(t, threads) })
	}
}

func testArenaScratch(t *testing.T, threads int) {
	rng := rand.New(rand.NewPCG(5, 6))
	file := encode(t, scratchModel(rng))
	m, err := Decode(file, &Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.Float32, 1, 16, 20, 20)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(rng.NormFloat64())
	}
	in := map[string]*tensor.Tensor{"X": x}
	got, err := m.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Decode(file, &Options{Reference: true, NoOptimize: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if e := testutil.MaxRelErr(got["Y"].Float32s(), want["Y"].Float32s()); !(e < 1e-4) {
		t.Errorf("output differs from the reference kernels' by %.3g × max|Y|", e)
	}

	arena, err := m.ArenaBytes(nil)
	if err != nil {
		t.Fatal(err)
	}
	scratch, err := m.ScratchBytes(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := m.plans[0]
	if arena != 4*int64(p.floats) || scratch != arena-4*int64(p.valueFloats) || scratch <= 0 {
		t.Errorf("ArenaBytes %d, ScratchBytes %d; plan: %d floats, %d for values", arena, scratch, p.floats, p.valueFloats)
	}
	takers, base, stride := 0, -1, -1
	for ni, n := range m.nodes {
		if !p.run[ni] || p.view[ni] {
			continue
		}
		ins := make([]*tensor.Tensor, len(n.in))
		for i, s := range n.in {
			if s >= 0 {
				if ins[i] = p.values[s]; ins[i] == nil {
					ins[i] = p.metas[s]
				}
			}
		}
		sc, need := p.scratch[ni], scratchSize(n.kernel, ins)
		if need != p.need[ni] {
			t.Errorf("%v: planned for scratch %+v, ScratchSize %+v", n, p.need[ni], need)
		}
		if need.Size() == 0 {
			if sc.n != 0 {
				t.Errorf("%v: %d floats of scratch planned, none needed", n, sc.n)
			}
			continue
		}
		takers++
		if base < 0 {
			base, stride = sc.off, need.Stride(make([]float32, sc.n))
		}
		if threads == 1 && sc.n != need.Size() {
			t.Errorf("%v: %d floats of scratch planned for %+v", n, sc.n, need)
		}
		if s := need.Stride(make([]float32, sc.n)); threads > 1 && (sc.off != base || s != stride || s < need.Per || sc.n != need.Parts*s+need.Shared) {
			t.Errorf("%v: scratch [%d, %d), stride %d for %+v; the first node's at %d, stride %d", n, sc.off, sc.off+sc.n, s, need, base, stride)
		}
		if sc.off%arenaAlign != 0 || sc.off < 0 || sc.off+sc.n > p.floats {
			t.Errorf("%v: scratch [%d, %d) in an arena of %d floats", n, sc.off, sc.off+sc.n, p.floats)
		}
		held := sc.n // the node's arena values plus its scratch
		seen := map[int]bool{}
		for _, s := range append(append([]int(nil), n.in...), n.out...) {
			if s < 0 || p.offset[s] < 0 || seen[s] {
				continue
			}
			seen[s] = true
			lo, hi := p.offset[s], p.offset[s]+p.metas[s].Len()
			held += hi - lo
			if lo < sc.off+sc.n && sc.off < hi {
				t.Errorf("%v: scratch [%d, %d) overlaps %s at [%d, %d)", n, sc.off, sc.off+sc.n, m.values[s], lo, hi)
			}
		}
		if 4*int64(held) > arena {
			t.Errorf("%v: arena %d bytes, the node alone holds %d", n, arena, 4*held)
		}
	}
	if takers != 4 {
		t.Errorf("%d nodes take scratch, want 4 (three convolutions and the Gemm); kernels: %v", takers, kernelNames(m))
	}
}

// TestZeroPadRemoved: a Pad whose pads are all zero (PyTorch puts one
// before average pooling) is dropped at load, whether its pads are an
// initializer, a Constant node or an attribute; a real Pad stays.
func TestZeroPadRemoved(t *testing.T) {
	pads := func(v ...int64) *tensor.Tensor {
		p := tensor.New(tensor.Int64, len(v))
		copy(p.Int64s(), v)
		return p
	}
	for _, tc := range []struct {
		name  string
		pads  []int64
		how   string // "init", "const", "attr"
		stays bool
	}{
		{"initializer zeros", []int64{0, 0, 0, 0}, "init", false},
		{"constant zeros", []int64{0, 0, 0, 0}, "const", false},
		{"attribute zeros", []int64{0, 0, 0, 0}, "attr", false},
		{"real padding", []int64{0, 1, 0, 2}, "init", true},
	} {
		pad := &onnx.Node{OpType: "Pad", Inputs: []string{"a", "pads"}, Outputs: []string{"b"}}
		m := graphModel(
			&onnx.Node{OpType: "Relu", Inputs: []string{"X"}, Outputs: []string{"a"}},
			pad,
			&onnx.Node{OpType: "Neg", Inputs: []string{"b"}, Outputs: []string{"Y"}},
		)
		m.Graph.Outputs[0].Shape = []int{-1, -1}
		switch tc.how {
		case "init":
			m.Graph.Initializers["pads"] = pads(tc.pads...)
		case "const":
			m.Graph.Nodes = append([]*onnx.Node{{OpType: "Constant", Outputs: []string{"pads"},
				Attrs: map[string]*onnx.Attr{"value": {Type: onnx.AttrTensor, T: pads(tc.pads...)}}}}, m.Graph.Nodes...)
		case "attr":
			m.Opsets[""] = 10
			pad.Inputs = pad.Inputs[:1]
			pad.Attrs["pads"] = &onnx.Attr{Type: onnx.AttrInts, Ints: tc.pads}
		}
		opt, err := Decode(encode(t, m), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ref, err := Decode(encode(t, m), &Options{NoOptimize: true, Reference: true})
		if err != nil {
			t.Fatal(err)
		}
		has := false
		for _, n := range opt.nodes {
			has = has || n.src.OpType == "Pad"
		}
		if has != tc.stays {
			t.Errorf("%s: Pad kept = %v, want %v", tc.name, has, tc.stays)
		}
		x := tensor.New(tensor.Float32, 2, 3)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(i) - 2.5
		}
		got, err := opt.Run(context.Background(), map[string]*tensor.Tensor{"X": x})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want, err := ref.Run(context.Background(), map[string]*tensor.Tensor{"X": x})
		if err != nil {
			t.Fatal(err)
		}
		if err := testutil.AllClose(got["Y"], want["Y"], 0, 0); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestProfile: every node that runs, in execution order, with a mean and a
// median time; a cancelled context stops it with the context's error.
func TestProfile(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "torch", "tiny_resnet_op13.onnx"), nil)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.Float32, 1, 3, 32, 32)
	in := map[string]*tensor.Tensor{m.Inputs()[0].Name: x}
	prof, err := m.Profile(context.Background(), in, 4)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := m.Layers(nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range layers {
		if l.Kernel != "view" {
			want = append(want, l.Name)
		}
	}
	if len(prof) != len(want) || len(want) != 8 {
		t.Fatalf("%d nodes profiled, %d run (want 8)", len(prof), len(want))
	}
	for i, l := range prof {
		if l.Name != want[i] || l.Kernel == "" || l.Time <= 0 || l.Median <= 0 {
			t.Errorf("entry %d: %+v, want node %s", i, l, want[i])
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Profile(ctx, in, 2); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		d    []time.Duration
		want time.Duration
	}{{[]time.Duration{3, 1, 2}, 2}, {[]time.Duration{4, 1, 3, 2}, 2}, {[]time.Duration{9, 1, 30, 2}, 5}, {[]time.Duration{7}, 7}} {
		if got := median(tc.d); got != tc.want {
			t.Errorf("median %v = %v, want %v", tc.d, got, tc.want)
		}
	}
}

func TestScratchFits(t *testing.T) {
	const m = tensor.MaxElements
	for _, tc := range []struct {
		s  ops.Scratch
		ok bool
	}{
		{ops.Scratch{}, true},
		{ops.Scratch{Parts: 2, Per: 1024, Shared: 4096}, true},
		{ops.Scratch{Parts: 1, Per: m / 2, Shared: m / 2}, true},
		{ops.Scratch{Parts: 1, Per: m/2 + 1, Shared: m / 2}, false},
		{ops.Scratch{Parts: 2, Per: m, Shared: 0}, false},    // (2m would still fit an int)
		{ops.Scratch{Parts: 4, Per: math.MaxInt / 2}, false}, // Parts·Per overflows
		{ops.Scratch{Shared: m + 1}, false},
		{ops.Scratch{Parts: 1, Per: -16}, false},
	} {
		if got := scratchFits(tc.s); got != tc.ok {
			t.Errorf("%+v: fits %v, want %v", tc.s, got, tc.ok)
		}
	}
}
