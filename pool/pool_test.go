package pool

import (
	"fmt"
	"github.com/gocnn/gocnn/asm"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

type poolCase struct {
	shape                 []int // X
	kernel, strides, dils []int
	pads                  []int
	autoPad               string
	ceil, countPad        bool
}

func (pc poolCase) String() string {
	return fmt.Sprintf("x%v_k%v_s%v_d%v_p%v_%s_ceil%v_cip%v", pc.shape, pc.kernel, pc.strides, pc.dils, pc.pads, pc.autoPad, pc.ceil, pc.countPad)
}

func intsAttr(name string, v []int) *onnx.Attr {
	a := &onnx.Attr{Name: name, Type: onnx.AttrInts}
	for _, x := range v {
		a.Ints = append(a.Ints, int64(x))
	}
	return a
}

func intAttr(name string, v int) *onnx.Attr {
	return &onnx.Attr{Name: name, Type: onnx.AttrInt, I: int64(v)}
}

func (pc poolCase) node(op string) *onnx.Node {
	n := &onnx.Node{OpType: op, Inputs: []string{"X"}, Outputs: []string{"Y"}, Attrs: map[string]*onnx.Attr{}}
	n.Attrs["kernel_shape"] = intsAttr("kernel_shape", pc.kernel)
	if pc.strides != nil {
		n.Attrs["strides"] = intsAttr("strides", pc.strides)
	}
	if pc.dils != nil {
		n.Attrs["dilations"] = intsAttr("dilations", pc.dils)
	}
	if pc.pads != nil {
		n.Attrs["pads"] = intsAttr("pads", pc.pads)
	}
	if pc.autoPad != "" {
		n.Attrs["auto_pad"] = &onnx.Attr{Name: "auto_pad", Type: onnx.AttrString, S: pc.autoPad}
	}
	if pc.ceil {
		n.Attrs["ceil_mode"] = intAttr("ceil_mode", 1)
	}
	if pc.countPad {
		n.Attrs["count_include_pad"] = intAttr("count_include_pad", 1)
	}
	return n
}

func randT(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	d := t.Float32s()
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	return t
}

// runRef runs the reference kernel of package ops for node on in.
func runRef(t *testing.T, node *onnx.Node, in []*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	ref, err := ops.New(node, 14)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ref.Infer(in)
	if err != nil {
		t.Fatal(err)
	}
	y := tensor.New(tensor.Float32, o[0].Shape...)
	if err := ref.Run(in, []*tensor.Tensor{y}); err != nil {
		t.Fatal(err)
	}
	return y
}

// runFast runs k on in with NaN-prefilled output.
func runFast(t *testing.T, k ops.Kernel, in []*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	o, err := k.Infer(in)
	if err != nil {
		t.Fatal(err)
	}
	y := tensor.New(tensor.Float32, o[0].Shape...)
	for i := range y.Float32s() {
		y.Float32s()[i] = float32(math.NaN())
	}
	if err := k.Run(in, []*tensor.Tensor{y}); err != nil {
		t.Fatal(err)
	}
	return y
}

// compare checks |got − want| ≤ tol·(|want| + 1) (tol 0: exact, NaN
// matching NaN).
func compare(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if !tensor.SameShape(got.Shape, want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	g, w := got.Float32s(), want.Float32s()
	bad := 0
	for i := range w {
		a, b := float64(g[i]), float64(w[i])
		if math.IsNaN(a) && math.IsNaN(b) || a == b {
			continue
		}
		if !(math.Abs(a-b) <= tol*(math.Abs(b)+1)) {
			if bad++; bad <= 3 {
				t.Errorf("%s: y[%d] = %g, want %g", what, i, a, b)
			}
		}
	}
}

var poolCases = []poolCase{
	{shape: []int{1, 3, 8, 8}, kernel: []int{2, 2}, strides: []int{2, 2}},
	{shape: []int{2, 5, 9, 11}, kernel: []int{2, 2}, strides: []int{2, 2}},
	{shape: []int{2, 5, 9, 11}, kernel: []int{2, 2}, strides: []int{2, 2}, ceil: true},
	{shape: []int{1, 4, 112, 112}, kernel: []int{3, 3}, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}},
	{shape: []int{1, 3, 13, 13}, kernel: []int{3, 3}, strides: []int{2, 2}, ceil: true},
	{shape: []int{1, 3, 14, 15}, kernel: []int{3, 3}, strides: []int{2, 2}, pads: []int{0, 1, 1, 0}, ceil: true},
	{shape: []int{1, 2, 10, 10}, kernel: []int{3, 3}, strides: []int{1, 1}, pads: []int{1, 1, 1, 1}, countPad: true},
	{shape: []int{1, 2, 10, 10}, kernel: []int{3, 3}, strides: []int{1, 1}, pads: []int{1, 1, 1, 1}},
	{shape: []int{1, 2, 11, 9}, kernel: []int{3, 2}, strides: []int{2, 3}, pads: []int{2, 1, 1, 1}, countPad: true, ceil: true},
	{shape: []int{1, 2, 12, 12}, kernel: []int{3, 3}, strides: []int{2, 2}, dils: []int{2, 2}, pads: []int{1, 1, 1, 1}},
	{shape: []int{1, 2, 9, 9}, kernel: []int{3, 3}, strides: []int{2, 2}, autoPad: ops.AutoPadSameUpper, countPad: true},
	{shape: []int{1, 2, 9, 10}, kernel: []int{2, 2}, strides: []int{2, 2}, autoPad: ops.AutoPadSameLower},
	{shape: []int{1, 3, 7, 7}, kernel: []int{7, 7}},
	{shape: []int{2, 3, 17}, kernel: []int{3}, strides: []int{2}, pads: []int{1, 1}, countPad: true},
	{shape: []int{1, 2, 5, 5}, kernel: []int{5, 5}, pads: []int{4, 4, 4, 4}, strides: []int{3, 3}, ceil: true},
	{shape: []int{1, 64, 56, 56}, kernel: []int{2, 2}, strides: []int{2, 2}}, // several parts
	// Stride 2 across, another down: the rows kernels a row at a time.
	{shape: []int{1, 2, 9, 40}, kernel: []int{3, 3}, strides: []int{1, 2}},
	{shape: []int{1, 2, 17, 37}, kernel: []int{2, 2}, strides: []int{3, 2}, pads: []int{1, 0, 0, 1}},
	// Stride 2, rows shorter than 8 (computed 8 wide, the last ones in scratch).
	{shape: []int{1, 3, 4, 4}, kernel: []int{3, 3}, strides: []int{2, 2}, ceil: true},
	{shape: []int{2, 3, 6, 6}, kernel: []int{2, 2}, strides: []int{2, 2}},
	{shape: []int{1, 5, 14, 14}, kernel: []int{2, 2}, strides: []int{2, 2}, ceil: true},
	{shape: []int{1, 2, 5, 5}, kernel: []int{3, 3}, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}},
	{shape: []int{2, 3, 15, 13}, kernel: []int{3, 3}, strides: []int{2, 2}},
	{shape: []int{1, 2, 3, 3}, kernel: []int{2, 2}, strides: []int{2, 2}},
	// 2×2 stride 2 with H = 2·OH: the planes pooled as one stack of rows
	// (stacked2x2), rows of 7 and of 8 read 15 and 17 apart.
	{shape: []int{1, 6, 10, 15}, kernel: []int{2, 2}, strides: []int{2, 2}},
	{shape: []int{2, 7, 4, 17}, kernel: []int{2, 2}, strides: []int{2, 2}},
	{shape: []int{1, 9, 2, 2}, kernel: []int{2, 2}, strides: []int{2, 2}, ceil: true},
	// Stride 1 (GoogLeNet's inception pools), also with windows past the end.
	{shape: []int{1, 3, 14, 14}, kernel: []int{3, 3}, strides: []int{1, 1}, pads: []int{1, 1, 1, 1}, ceil: true},
	{shape: []int{2, 3, 9, 11}, kernel: []int{5, 5}, pads: []int{2, 2, 2, 2}},
	{shape: []int{1, 2, 6, 7}, kernel: []int{2, 3}},
	// Dilated windows whose taps leave the input on both sides.
	{shape: []int{1, 2, 5, 4}, kernel: []int{3, 3}, dils: []int{3, 3}, pads: []int{3, 3, 3, 3}},
	{shape: []int{1, 2, 5, 4}, kernel: []int{3, 3}, dils: []int{3, 3}, pads: []int{3, 3, 3, 3}, countPad: true},
	// A window of tensor.MaxElements taps (2⁴⁰ on 64-bit platforms) over a
	// padded input of two (kernel_shape comes from the file): taps are
	// computed per output, not enumerated.
	{shape: []int{1, 2, 2}, kernel: []int{tensor.MaxElements}, pads: []int{tensor.MaxElements - 1, 0}},
	{shape: []int{1, 2, 2}, kernel: []int{tensor.MaxElements}, pads: []int{tensor.MaxElements - 1, 0}, countPad: true},
	{shape: []int{1, 4, 8, 9}, kernel: []int{3, 3}, pads: []int{0, 1, 2, 0}},
	{shape: []int{1, 2, 3, 3}, kernel: []int{3, 3}, pads: []int{4, 4, 4, 4}},
	{shape: []int{2, 3, 21}, kernel: []int{4}, pads: []int{1, 2}},
	{shape: []int{1, 96, 28, 28}, kernel: []int{3, 3}, strides: []int{1, 1}, pads: []int{1, 1, 1, 1}, ceil: true}, // several parts
	// 3×3 stride 1 on rows shorter than 8 (computed 8 wide into the next
	// row, the last ones in scratch).
	{shape: []int{2, 3, 5, 5}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}},
	{shape: []int{1, 1, 2, 2}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}},
	{shape: []int{1, 40, 7, 7}, kernel: []int{3, 3}, pads: []int{1, 1, 1, 1}},
}

func TestMaxPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i, pc := range poolCases {
		if pc.countPad {
			continue
		}
		node := pc.node("MaxPool")
		x := randT(rng, pc.shape...)
		if i%2 == 0 { // NaNs are never selected
			xs := x.Float32s()
			xs[0], xs[len(xs)/2], xs[len(xs)-1] = float32(math.NaN()), float32(math.NaN()), float32(math.NaN())
			if i%4 == 0 { // most values: windows of NaN only (−Inf), NaN first, last, between
				for j := range xs {
					if j%5 != 2 {
						xs[j] = float32(math.NaN())
					}
				}
			}
		}
		p, err := ops.ParsePoolParams(node)
		if err != nil {
			t.Fatal(err)
		}
		for _, kt := range asm.Tables() {
			k, err := NewMax(p, Options{Threads: 1 + i%2, Kernels: kt})
			if err != nil {
				t.Fatal(err)
			}
			in := []*tensor.Tensor{x}
			compare(t, "MaxPool "+pc.String()+" "+kt.Name, runFast(t, k, in), runRef(t, node, in), 0)
		}
	}
}

func TestAveragePool(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i, pc := range poolCases {
		node := pc.node("AveragePool")
		x := randT(rng, pc.shape...)
		p, err := ops.ParsePoolParams(node)
		if err != nil {
			t.Fatal(err)
		}
		k, err := NewAverage(p, Options{Threads: 1 + i%2})
		if err != nil {
			t.Fatal(err)
		}
		in := []*tensor.Tensor{x}
		compare(t, "AveragePool "+pc.String(), runFast(t, k, in), runRef(t, node, in), 1e-6)
	}
}

func TestGlobal(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shape := range [][]int{{1, 3, 7, 7}, {2, 5, 1, 1}, {1, 512, 7, 7}, {2, 3, 1000}, {1, 2, 3, 4, 5}, {1, 64, 56, 56}, {1, 2, 112, 112}} {
		for _, isMax := range []bool{false, true} {
			op := "GlobalAveragePool"
			if isMax {
				op = "GlobalMaxPool"
			}
			x := randT(rng, shape...)
			if isMax {
				x.Float32s()[1] = float32(math.NaN())
			}
			node := &onnx.Node{OpType: op, Inputs: []string{"X"}, Outputs: []string{"Y"}}
			in := []*tensor.Tensor{x}
			for _, kt := range asm.Tables() {
				compare(t, fmt.Sprint(op, shape, kt.Name), runFast(t, NewGlobal(isMax, Options{Kernels: kt}), in), runRef(t, node, in), 1e-6)
			}
		}
	}
}

var acts = []struct {
	act  asm.Activation
	node *onnx.Node // reference node (opset 13); nil for SiLU
}{
	{asm.Activation{Kind: asm.ActNone}, &onnx.Node{OpType: "Identity"}},
	{asm.Activation{Kind: asm.ActReLU}, &onnx.Node{OpType: "Relu"}},
	{asm.Activation{Kind: asm.ActLeakyReLU, Alpha: 0.1}, &onnx.Node{OpType: "LeakyRelu", Attrs: map[string]*onnx.Attr{"alpha": {Name: "alpha", Type: onnx.AttrFloat, F: 0.1}}}},
	{asm.Activation{Kind: asm.ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, &onnx.Node{OpType: "HardSigmoid"}},
	{asm.Activation{Kind: asm.ActHardSwish}, &onnx.Node{OpType: "HardSwish"}},
	{asm.Activation{Kind: asm.ActSigmoid}, &onnx.Node{OpType: "Sigmoid"}},
	{asm.Activation{Kind: asm.ActClip, Min: 0, Max: 6}, nil},
	{asm.Activation{Kind: asm.ActSiLU}, nil},
}

// refAct is the float64 definition of each activation.
func refAct(a asm.Activation, x float64) float64 {
	switch a.Kind {
	case asm.ActReLU:
		return math.Max(x, 0)
	case asm.ActClip:
		return math.Min(math.Max(x, float64(a.Min)), float64(a.Max))
	case asm.ActLeakyReLU:
		if x < 0 {
			return float64(a.Alpha) * x
		}
	case asm.ActHardSigmoid:
		return math.Min(math.Max(float64(a.Alpha)*x+float64(a.Beta), 0), 1)
	case asm.ActHardSwish:
		return x * math.Min(math.Max(x/6+0.5, 0), 1)
	case asm.ActSigmoid:
		return 1 / (1 + math.Exp(-x))
	case asm.ActSiLU:
		return x / (1 + math.Exp(-x))
	}
	return x
}

func TestActivation(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, a := range acts {
		for _, shape := range [][]int{{3}, {2, 3, 5, 7}, {1, 64, 56, 56}} {
			x := randT(rng, shape...)
			for i := range x.Float32s() {
				x.Float32s()[i] *= 4
			}
			k, err := NewActivation(a.act, Options{})
			if err != nil {
				t.Fatal(err)
			}
			in := []*tensor.Tensor{x}
			got := runFast(t, k, in)
			want := tensor.New(tensor.Float32, shape...)
			for i, v := range x.Float32s() {
				want.Float32s()[i] = float32(refAct(a.act, float64(v)))
			}
			compare(t, fmt.Sprint(a.act, shape), got, want, 1e-6)
			if a.node != nil {
				n := *a.node
				n.Inputs, n.Outputs = []string{"X"}, []string{"Y"}
				compare(t, fmt.Sprint(a.act, shape, " vs ops"), got, runRef(t, &n, in), 1e-6)
			}
		}
	}
	if _, err := NewActivation(asm.Activation{Kind: asm.ActClip, Min: 1, Max: 0}, Options{}); err == nil {
		t.Error("empty clip accepted")
	}
}

func TestBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, shape := range [][]int{{2, 5, 3, 4}, {1, 64, 56, 56}, {3, 7}, {2, 4, 9}} {
		c := shape[1]
		scale, bias, mean := randT(rng, c), randT(rng, c), randT(rng, c)
		variance := randT(rng, c)
		for i := range variance.Float32s() {
			variance.Float32s()[i] = float32(math.Abs(float64(variance.Float32s()[i])) + 0.1)
		}
		x := randT(rng, shape...)
		node := &onnx.Node{OpType: "BatchNormalization", Inputs: []string{"X", "s", "b", "m", "v"}, Outputs: []string{"Y"},
			Attrs: map[string]*onnx.Attr{"epsilon": {Name: "epsilon", Type: onnx.AttrFloat, F: 1e-3}}}
		want := runRef(t, node, []*tensor.Tensor{x, scale, bias, mean, variance})
		for _, a := range []asm.Activation{{}, {Kind: asm.ActReLU}, {Kind: asm.ActClip, Min: 0, Max: 6}} {
			k, err := NewBatchNorm(scale, bias, mean, variance, 1e-3, a, Options{})
			if err != nil {
				t.Fatal(err)
			}
			w := want.Clone()
			for i, v := range w.Float32s() {
				w.Float32s()[i] = float32(refAct(a, float64(v)))
			}
			compare(t, fmt.Sprint("BatchNorm", shape, a), runFast(t, k, []*tensor.Tensor{x}), w, 1e-5)
		}
	}
}

func TestZeroAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := randT(rng, 1, 64, 56, 56)
	in := []*tensor.Tensor{x}
	p, _ := ops.ParsePoolParams(poolCases[3].node("MaxPool"))
	mp, _ := NewMax(p, Options{Threads: 2})
	act, _ := NewActivation(asm.Activation{Kind: asm.ActReLU}, Options{Threads: 2})
	bn, _ := NewBatchNorm(randT(rng, 64), randT(rng, 64), randT(rng, 64), randT(rng, 64), 1e-3, asm.Activation{}, Options{Threads: 2})
	for name, k := range map[string]ops.Kernel{"maxpool": mp, "relu": act, "batchnorm": bn, "gap": NewGlobal(false, Options{Threads: 2})} {
		o, err := k.Infer(in)
		if err != nil {
			t.Fatal(err)
		}
		out := []*tensor.Tensor{tensor.New(tensor.Float32, o[0].Shape...)}
		k.Run(in, out)
		if a := testing.AllocsPerRun(20, func() { k.Run(in, out) }); a != 0 {
			t.Errorf("%s: %v allocations per Run", name, a)
		}
	}
}

// TestMaxPoolBufferReuse: a worker's padded plane keeps its −Inf borders
// between runs of one geometry; a narrower input of another geometry with
// the same padded size must not see the previous input's columns (found
// by FuzzPool).
func TestMaxPoolBufferReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	wide := poolCase{shape: []int{1, 1, 5}, kernel: []int{4}, strides: []int{1}, pads: []int{2, 1}}
	narrow := poolCase{shape: []int{1, 1, 3}, kernel: []int{4}, strides: []int{1}, pads: []int{2, 3}, ceil: true}
	for _, pc := range []poolCase{wide, narrow} {
		node := pc.node("MaxPool")
		x := randT(rng, pc.shape...)
		if pc.shape[2] == 5 {
			for i := range x.Float32s() {
				x.Float32s()[i] = 100 // larger than anything the narrow input holds
			}
		}
		p, err := ops.ParsePoolParams(node)
		if err != nil {
			t.Fatal(err)
		}
		k, err := NewMax(p, Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		in := []*tensor.Tensor{x}
		compare(t, "MaxPool "+pc.String(), runFast(t, k, in), runRef(t, node, in), 0)
	}
}

// TestAxis checks newAxis's computed tap ranges against counting every
// tap, over small axes with padding, strides, dilations and ceil mode.
func TestAxis(t *testing.T) {
	for in := 1; in <= 6; in++ {
		for k := 1; k <= 4; k++ {
			for s := 1; s <= 3; s++ {
				for d := 1; d <= 3; d++ {
					for pb := 0; pb <= 3; pb++ {
						for pe := 0; pe <= 3; pe++ {
							for _, ceil := range []bool{false, true} {
								a, err := ops.WindowOutput(in, k, s, d, pb, pe, ops.AutoPadNotSet, ceil)
								if err != nil {
									continue
								}
								checkAxis(t, a, newAxis(a))
							}
						}
					}
				}
			}
		}
	}
}

func checkAxis(t *testing.T, a ops.WindowAxis, x axis) {
	t.Helper()
	inLo, inHi := -1, -1
	for o := 0; o < a.Out; o++ {
		st := o*a.Stride - a.PadBegin
		lo, hi, pc := a.Kernel, 0, 0
		for t := 0; t < a.Kernel; t++ {
			i := st + t*a.Dilation
			if i >= 0 && i < a.In {
				lo, hi = min(lo, t), max(hi, t+1)
			}
			if i >= -a.PadBegin && i < a.In+a.PadEnd {
				pc++
			}
		}
		if hi == 0 {
			lo = 0
		}
		if lo == 0 && hi == a.Kernel {
			if inLo < 0 {
				inLo = o
			}
			inHi = o + 1
		}
		if x.start[o] != st || x.lo[o] != lo || x.hi[o] != hi || x.padCnt[o] != pc {
			t.Fatalf("%+v output %d: start %d, taps [%d, %d), %d in the padding; want %d, [%d, %d), %d",
				a, o, x.start[o], x.lo[o], x.hi[o], x.padCnt[o], st, lo, hi, pc)
		}
	}
	if inLo < 0 {
		inLo, inHi = 0, 0
	}
	if x.inLo != inLo || x.inHi != inHi {
		t.Fatalf("%+v: outputs with every tap inside [%d, %d), want [%d, %d)", a, x.inLo, x.inHi, inLo, inHi)
	}
}

// TestInferShapeOnly checks that Infer returns the output shape without
// building the per-output tables (the runtime refuses outputs over its
// limits after Infer, before Run): a pad of 10⁸ columns had filled 3 GB.
func TestInferShapeOnly(t *testing.T) {
	pc := poolCase{shape: []int{1, 1, 1, 1}, kernel: []int{32, 5}, pads: []int{97, 48, 2, 101554998}}
	p, err := ops.ParsePoolParams(pc.node("AveragePool"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewAverage(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := k.Infer([]*tensor.Tensor{tensor.New(tensor.Float32, pc.shape...)})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 1, 69, 101555043}; !tensor.SameShape(out[0].Shape, want) {
		t.Errorf("shape %v, want %v", out[0].Shape, want)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("Infer allocated %d bytes", got)
	}
}
