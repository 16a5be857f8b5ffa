package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/asm"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// convCase is one convolution shape; nil attribute slices are omitted.
type convCase struct {
	n, c, h, w, m, kh, kw int // kh == 0: 1-D convolution over w
	strides, dils, pads   []int
	group                 int
	autoPad               string
	bias                  bool
	first                 []int // an input shape Prepared before this one's (nil: none)
}

func (cc convCase) String() string {
	return fmt.Sprintf("N%d_C%d_%dx%d_M%d_k%dx%d_s%v_d%v_p%v_g%d_%s_b%v", cc.n, cc.c, cc.h, cc.w, cc.m, cc.kh, cc.kw,
		cc.strides, cc.dils, cc.pads, cc.group, cc.autoPad, cc.bias)
}

func intsAttr(name string, v []int) *onnx.Attr {
	a := &onnx.Attr{Name: name, Type: onnx.AttrInts}
	for _, x := range v {
		a.Ints = append(a.Ints, int64(x))
	}
	return a
}

func (cc convCase) node() *onnx.Node {
	n := &onnx.Node{OpType: "Conv", Inputs: []string{"X", "W"}, Outputs: []string{"Y"}, Attrs: map[string]*onnx.Attr{}}
	if cc.bias {
		n.Inputs = append(n.Inputs, "B")
	}
	if cc.strides != nil {
		n.Attrs["strides"] = intsAttr("strides", cc.strides)
	}
	if cc.dils != nil {
		n.Attrs["dilations"] = intsAttr("dilations", cc.dils)
	}
	if cc.pads != nil {
		n.Attrs["pads"] = intsAttr("pads", cc.pads)
	}
	if cc.group > 1 {
		n.Attrs["group"] = &onnx.Attr{Name: "group", Type: onnx.AttrInt, I: int64(cc.group)}
	}
	if cc.autoPad != "" {
		n.Attrs["auto_pad"] = &onnx.Attr{Name: "auto_pad", Type: onnx.AttrString, S: cc.autoPad}
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

func absT(t *tensor.Tensor) *tensor.Tensor {
	c := t.Clone()
	d := c.Float32s()
	for i := range d {
		d[i] = float32(math.Abs(float64(d[i])))
	}
	return c
}

// operands builds X, W and B (nil without bias) for cc.
func (cc convCase) operands(rng *rand.Rand) (x, w, b *tensor.Tensor) {
	g := max(cc.group, 1)
	if cc.kh == 0 {
		x = randT(rng, cc.n, cc.c, cc.w)
		w = randT(rng, cc.m, cc.c/g, cc.kw)
	} else {
		x = randT(rng, cc.n, cc.c, cc.h, cc.w)
		w = randT(rng, cc.m, cc.c/g, cc.kh, cc.kw)
	}
	if cc.bias {
		b = randT(rng, cc.m)
	}
	return
}

// refActivation is the float64 reference of each activation.
func refActivation(ep Epilogue, x float64) float64 {
	switch ep.Act.Kind {
	case asm.ActReLU:
		return math.Max(x, 0)
	case asm.ActClip:
		return math.Min(math.Max(x, float64(ep.Act.Min)), float64(ep.Act.Max))
	case asm.ActLeakyReLU:
		if x < 0 {
			return float64(ep.Act.Alpha) * x
		}
	case asm.ActHardSigmoid:
		return math.Min(math.Max(float64(ep.Act.Alpha)*x+float64(ep.Act.Beta), 0), 1)
	case asm.ActHardSwish:
		return x * math.Min(math.Max(x/6+0.5, 0), 1)
	case asm.ActSigmoid:
		return 1 / (1 + math.Exp(-x))
	case asm.ActSiLU:
		return x / (1 + math.Exp(-x))
	}
	return x
}

var epilogues = []Epilogue{
	{},
	{Act: asm.Activation{Kind: asm.ActReLU}},
	{Act: asm.Activation{Kind: asm.ActClip, Min: 0, Max: 6}},
	{Act: asm.Activation{Kind: asm.ActClip, Min: -0.5, Max: 0.75}},
	{Act: asm.Activation{Kind: asm.ActLeakyReLU, Alpha: 0.1}},
	{Act: asm.Activation{Kind: asm.ActHardSigmoid, Alpha: 0.2, Beta: 0.5}},
	{Act: asm.Activation{Kind: asm.ActHardSwish}},
	{Act: asm.Activation{Kind: asm.ActSigmoid}},
	{Act: asm.Activation{Kind: asm.ActSiLU}},
	{Residual: true},
	{Act: asm.Activation{Kind: asm.ActReLU}, Residual: true},
	{Act: asm.Activation{Kind: asm.ActClip, Min: 0, Max: 6}, Residual: true},
	{Act: asm.Activation{Kind: asm.ActLeakyReLU, Alpha: 0.2}, Residual: true},
	{Act: asm.Activation{Kind: asm.ActHardSwish}, Residual: true},
	{Act: asm.Activation{Kind: asm.ActSiLU}, Residual: true},
}

// check runs cc with the given algorithm, table and epilogue against the
// reference Conv kernel of package ops, with the error scaled by
// S = Σ|w·x| + |b| + |residual| per output: |got − want| ≤ tol·S·2 (the
// factor 2 covers the slope of HardSwish) + 5e-7·|want| + 1e-30.
func check(t *testing.T, rng *rand.Rand, cc convCase, algo string, kern *asm.Kernels, ep Epilogue, threads int, tol float64) {
	t.Helper()
	x, w, b := cc.operands(rng)
	node := cc.node()
	params, err := ops.ParseConvParams(node)
	if err != nil {
		t.Fatal(err)
	}
	k, err := New(params, w, b, ep, Options{Algorithm: algo, Kernels: kern, Threads: threads})
	if err != nil {
		t.Fatalf("%v algo=%s: %v", cc, algo, err)
	}
	if cc.first != nil {
		k.Prepare(cc.first)
	}
	if algo != "" && k.Algorithm() != algo {
		t.Fatalf("algorithm %s, want %s", k.Algorithm(), algo)
	}
	in := []*tensor.Tensor{x}
	ref, err := ops.New(node, 13)
	if err != nil {
		t.Fatal(err)
	}
	refIn := []*tensor.Tensor{x, w}
	absIn := []*tensor.Tensor{absT(x), absT(w)}
	if b != nil {
		refIn = append(refIn, b)
		absIn = append(absIn, absT(b))
	}
	outs, err := ref.Infer(refIn)
	if err != nil {
		t.Fatal(err)
	}
	want := tensor.New(tensor.Float32, outs[0].Shape...)
	scale := tensor.New(tensor.Float32, outs[0].Shape...)
	if err := ref.Run(refIn, []*tensor.Tensor{want}); err != nil {
		t.Fatal(err)
	}
	if err := ref.Run(absIn, []*tensor.Tensor{scale}); err != nil {
		t.Fatal(err)
	}
	var res *tensor.Tensor
	if ep.Residual {
		res = randT(rng, outs[0].Shape...)
		in = append(in, res)
	}
	got, err := k.Infer(in)
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.SameShape(got[0].Shape, want.Shape) {
		t.Fatalf("%v: Infer shape %v, want %v", cc, got[0].Shape, want.Shape)
	}
	y := tensor.New(tensor.Float32, want.Shape...)
	yd := y.Float32s()
	for i := range yd {
		yd[i] = float32(math.NaN())
	}
	for rep := 0; rep < 2; rep++ { // second run exercises the cached geometry
		if err := k.Run(in, []*tensor.Tensor{y}); err != nil {
			t.Fatal(err)
		}
	}
	wd, sd := want.Float32s(), scale.Float32s()
	if a := k.AlgorithmFor(x.Shape); a == AlgoWinograd || a == AlgoWinogradT {
		sd = winoScale(t, k, x, w, b)
	}
	bad := 0
	for i := range yd {
		v, s := float64(wd[i]), float64(sd[i])
		if res != nil {
			r := float64(res.Float32s()[i])
			v += r
			s += math.Abs(r)
		}
		v = refActivation(ep, v)
		// Plus 5e-7·|y|: the float32 rounding of the activation itself
		// (and expf's error) when S is tiny.
		if d := math.Abs(float64(yd[i]) - v); !(d <= 2*tol*s+5e-7*math.Abs(v)+1e-30) {
			if bad++; bad <= 3 {
				t.Errorf("%v algo=%s isa=%s ep=%+v: y[%d] = %g, want %g (|diff| %.3g, bound %.3g)",
					cc, k.Algorithm(), kern.Name, ep, i, yd[i], v, d, 2*tol*s)
			}
		}
	}
	if bad > 3 {
		t.Errorf("... %d mismatches in total", bad)
	}
}

// winoScale returns, per output, the scale of Winograd's rounding error:
// the transforms mix the whole 6×6 input patch of the output's tile, so
// S_W = Σ_c ‖w[m,c]‖₁ · max_patch |x[n,c]| (+|b[m]|) replaces Σ|w·x|.
func winoScale(t *testing.T, k *Conv, x, w, b *tensor.Tensor) []float32 {
	g, err := k.geometry(x.Shape)
	if err != nil {
		t.Fatal(err)
	}
	xd, wd := x.Float32s(), w.Float32s()
	C, M := g.c, k.m
	// patchMax[n][c][ty][tx]
	pm := make([]float64, g.n*C*g.tilesPerImg)
	for n := 0; n < g.n; n++ {
		for c := 0; c < C; c++ {
			for ty := 0; ty < g.tilesH; ty++ {
				for tx := 0; tx < g.tilesW; tx++ {
					var mx float64
					for i := 4*ty - g.ph; i < 4*ty-g.ph+6; i++ {
						for j := 4*tx - g.pw; j < 4*tx-g.pw+6; j++ {
							if i >= 0 && i < g.h && j >= 0 && j < g.w {
								mx = math.Max(mx, math.Abs(float64(xd[(n*C+c)*g.inPlane+i*g.w+j])))
							}
						}
					}
					pm[(n*C+c)*g.tilesPerImg+ty*g.tilesW+tx] = mx
				}
			}
		}
	}
	out := make([]float32, g.n*M*g.outPlane)
	for n := 0; n < g.n; n++ {
		for m := 0; m < M; m++ {
			for oy := 0; oy < g.oh; oy++ {
				for ox := 0; ox < g.ow; ox++ {
					tile := (oy/4)*g.tilesW + ox/4
					var s float64
					if b != nil {
						s = math.Abs(float64(b.Float32s()[m]))
					}
					for c := 0; c < C; c++ {
						var w1 float64
						for _, v := range wd[(m*C+c)*9 : (m*C+c)*9+9] {
							w1 += math.Abs(float64(v))
						}
						s += w1 * pm[(n*C+c)*g.tilesPerImg+tile]
					}
					out[((n*M+m)*g.oh+oy)*g.ow+ox] = float32(s)
				}
			}
		}
	}
	return out
}

// Tolerances relative to Σ|w·x| for the GEMM paths, to S_W (winoScale)
// for Winograd; see the package doc.
const (
	tolGEMM     = 1e-5
	tolWinograd = winogradBound
)

var gemmCases = []convCase{
	// 1×1
	{n: 1, c: 7, h: 5, w: 3, m: 9, kh: 1, kw: 1, bias: true},
	{n: 2, c: 64, h: 9, w: 11, m: 40, kh: 1, kw: 1},
	{n: 1, c: 33, h: 1, w: 1, m: 17, kh: 1, kw: 1, bias: true},
	{n: 1, c: 12, h: 6, w: 6, m: 16, kh: 1, kw: 1, group: 4, bias: true},
	{n: 1, c: 5, h: 7, w: 7, m: 6, kh: 1, kw: 1, strides: []int{2, 2}, bias: true},
	// k×k with strides, pads, dilations
	{n: 1, c: 3, h: 15, w: 13, m: 10, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 5, h: 9, w: 10, m: 7, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 0, 1, 2}},
	{n: 1, c: 3, h: 23, w: 21, m: 16, kh: 7, kw: 7, strides: []int{2, 2}, pads: []int{3, 3, 3, 3}, bias: true},
	{n: 1, c: 6, h: 12, w: 14, m: 5, kh: 3, kw: 3, dils: []int{2, 3}, pads: []int{2, 3, 2, 3}, bias: true},
	{n: 1, c: 4, h: 8, w: 9, m: 4, kh: 2, kw: 3, strides: []int{3, 1}, dils: []int{2, 1}},
	{n: 1, c: 9, h: 10, w: 10, m: 12, kh: 5, kw: 5, autoPad: ops.AutoPadSameUpper, bias: true},
	{n: 1, c: 9, h: 10, w: 11, m: 12, kh: 4, kw: 4, strides: []int{2, 2}, autoPad: ops.AutoPadSameLower},
	{n: 1, c: 8, h: 6, w: 6, m: 8, kh: 3, kw: 3, autoPad: ops.AutoPadValid},
	// grouped, not depthwise
	{n: 2, c: 12, h: 9, w: 8, m: 18, kh: 3, kw: 3, group: 3, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 16, h: 7, w: 7, m: 8, kh: 3, kw: 3, group: 8, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}},
	// 1-D
	{n: 2, c: 5, w: 17, m: 6, kw: 3, pads: []int{1, 1}, bias: true},
	{n: 1, c: 4, w: 20, m: 3, kw: 5, strides: []int{2}, dils: []int{2}},
	// big K (several KC blocks) and odd N
	{n: 1, c: 70, h: 9, w: 7, m: 21, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 3, h: 9, w: 17, m: 5, kh: 3, kw: 5, strides: []int{1, 3}, pads: []int{1, 2, 0, 1}, bias: true}, // three column phases
	{n: 1, c: 5, h: 11, w: 13, m: 4, kh: 2, kw: 2, strides: []int{3, 3}, pads: []int{1, 1, 1, 1}},            // phase 2 and every third row unread
	{n: 1, c: 6, h: 9, w: 10, m: 5, kh: 1, kw: 1, strides: []int{3, 2}, pads: []int{1, 0, 0, 1}, bias: true}, // padded 1×1, strided
	// stride 4 (column phases by two Deinterleaves from 8 columns on):
	// explicit with AlexNet's 11×11 and pads, implicit with pW 5, and a
	// 7-wide input (gathered)
	{n: 1, c: 3, h: 23, w: 70, m: 6, kh: 11, kw: 11, strides: []int{4, 4}, pads: []int{2, 3, 2, 1}, bias: true},
	{n: 1, c: 2, h: 13, w: 21, m: 5, kh: 5, kw: 6, strides: []int{4, 4}, pads: []int{0, 5, 1, 0}},
	{n: 1, c: 2, h: 9, w: 7, m: 3, kh: 4, kw: 4, strides: []int{4, 4}, pads: []int{1, 1, 1, 1}},
	// OW ≥ 14: an explicit column matrix in chunks that split output rows
	// (several where L2 ≤ 1 MB, resp. 2 MB), the last one partial.
	{n: 2, c: 3, h: 30, w: 80, m: 7, kh: 7, kw: 7, strides: []int{2, 2}, pads: []int{3, 3, 3, 3}, bias: true},
	{n: 1, c: 64, h: 27, w: 42, m: 10, kh: 3, kw: 3, bias: true},
	// ... in gemm's packed layout (packedCols): column phases with strips
	// across output rows, two images; groups of 20 channels
	{n: 2, c: 32, h: 31, w: 45, m: 12, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 40, h: 29, w: 30, m: 8, kh: 3, kw: 3, group: 2, pads: []int{1, 1, 1, 1}},
	// 1×1 strided (subsampled): each column step, row steps, groups, 1-D,
	// and one large enough for several copying threads
	{n: 2, c: 6, h: 8, w: 9, m: 5, kh: 1, kw: 1, strides: []int{3, 2}},
	{n: 1, c: 4, h: 9, w: 10, m: 7, kh: 1, kw: 1, strides: []int{2, 1}, bias: true},
	{n: 1, c: 5, h: 11, w: 13, m: 6, kh: 1, kw: 1, strides: []int{1, 3}},
	{n: 1, c: 12, h: 6, w: 7, m: 8, kh: 1, kw: 1, strides: []int{2, 2}, group: 4, bias: true},
	{n: 1, c: 3, w: 9, m: 4, kw: 1, strides: []int{2}},
	{n: 1, c: 64, h: 64, w: 63, m: 24, kh: 1, kw: 1, strides: []int{2, 2}, bias: true},
}

var winoCases = []convCase{
	{n: 1, c: 16, h: 8, w: 8, m: 16, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 19, h: 13, w: 11, m: 21, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 3, h: 7, w: 9, m: 5, kh: 3, kw: 3},
	{n: 1, c: 8, h: 10, w: 10, m: 40, kh: 3, kw: 3, pads: []int{0, 2, 1, 0}},
	{n: 3, c: 17, h: 5, w: 6, m: 9, kh: 3, kw: 3, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 1, c: 32, h: 30, w: 27, m: 24, kh: 3, kw: 3, autoPad: ops.AutoPadSameUpper, bias: true},
	{n: 1, c: 64, h: 3, w: 3, m: 70, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 600, h: 8, w: 8, m: 12, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}, // K over two k blocks
}

var dwCases = []convCase{
	{n: 1, c: 9, h: 11, w: 13, m: 9, kh: 3, kw: 3, group: 9, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 10, h: 12, w: 9, m: 10, kh: 3, kw: 3, group: 10, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 10, h: 13, w: 14, m: 10, kh: 3, kw: 3, group: 10, strides: []int{2, 2}, pads: []int{0, 0, 1, 1}},
	{n: 1, c: 6, h: 14, w: 15, m: 6, kh: 5, kw: 5, group: 6, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 1, c: 6, h: 15, w: 15, m: 6, kh: 5, kw: 5, group: 6, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}},
	{n: 1, c: 4, h: 9, w: 9, m: 12, kh: 3, kw: 3, group: 4, pads: []int{1, 1, 1, 1}, bias: true}, // multiplier 3
	{n: 1, c: 5, h: 10, w: 8, m: 5, kh: 3, kw: 3, group: 5, dils: []int{2, 2}, pads: []int{2, 2, 2, 2}},
	{n: 1, c: 3, h: 4, w: 3, m: 3, kh: 3, kw: 3, group: 3},
	{n: 1, c: 3, h: 2, w: 2, m: 3, kh: 3, kw: 3, group: 3, pads: []int{1, 1, 1, 1}},
	{n: 1, c: 5, h: 9, w: 10, m: 5, kh: 3, kw: 2, group: 5, strides: []int{1, 3}, pads: []int{1, 0, 1, 1}},
	{n: 2, c: 4, w: 19, m: 8, kw: 3, group: 4, pads: []int{1, 1}, bias: true},
	{n: 1, c: 20, h: 40, w: 40, m: 20, kh: 3, kw: 3, group: 20, pads: []int{1, 1, 1, 1}, bias: true}, // threaded
	// Longer rows, odd and even widths and pads (the stride-2 planes are
	// stored deinterleaved where the table has DWConv3x3s2P).
	{n: 1, c: 3, h: 50, w: 49, m: 3, kh: 3, kw: 3, group: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 2, h: 9, w: 52, m: 4, kh: 3, kw: 3, group: 2, strides: []int{2, 2}, pads: []int{0, 1, 1, 0}},
	{n: 1, c: 3, h: 6, w: 30, m: 3, kh: 3, kw: 3, group: 3, bias: true},
	{n: 1, c: 2, h: 2, w: 33, m: 2, kh: 3, kw: 3, group: 2, pads: []int{1, 2, 1, 2}},
	{n: 1, c: 3, h: 11, w: 12, m: 6, kh: 3, kw: 3, group: 3, strides: []int{2, 2}, pads: []int{2, 1, 0, 2}, bias: true}, // multiplier 2
	// Stride 2 split into even and odd kernel columns.
	{n: 2, c: 4, h: 13, w: 16, m: 4, kh: 5, kw: 5, group: 4, strides: []int{2, 2}, pads: []int{1, 2, 2, 1}, bias: true},
	{n: 1, c: 3, h: 9, w: 11, m: 3, kh: 2, kw: 4, group: 3, strides: []int{2, 2}, pads: []int{0, 1, 1, 2}},
	{n: 1, c: 2, h: 17, w: 30, m: 4, kh: 7, kw: 7, group: 2, strides: []int{2, 2}, pads: []int{3, 3, 3, 3}, bias: true},
	{n: 1, c: 2, w: 21, m: 2, kw: 5, group: 2, strides: []int{2}, pads: []int{2, 2}},
}

// dwcCases are depthwise layers the lanes route takes on a table with its
// kernels: channels a multiple of 8 (16 lanes where also of 16), output
// planes up to dwc8MaxPlane.
var dwcCases = []convCase{
	{n: 1, c: 16, h: 7, w: 7, m: 16, kh: 3, kw: 3, group: 16, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 24, h: 14, w: 14, m: 24, kh: 3, kw: 3, group: 24, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 16, h: 9, w: 11, m: 16, kh: 5, kw: 5, group: 16, pads: []int{2, 2, 2, 2}},
	{n: 1, c: 8, h: 15, w: 13, m: 8, kh: 5, kw: 5, group: 8, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 2, c: 32, h: 15, w: 13, m: 32, kh: 5, kw: 5, group: 32, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 1, c: 32, h: 5, w: 6, m: 32, kh: 3, kw: 3, group: 32, pads: []int{0, 1, 1, 0}, bias: true},
	{n: 1, c: 8, h: 3, w: 3, m: 8, kh: 3, kw: 3, group: 8},
	{n: 1, c: 8, h: 6, w: 5, m: 8, kh: 1, kw: 1, group: 8, bias: true},
	{n: 1, c: 16, h: 4, w: 7, m: 16, kh: 5, kw: 5, group: 16, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 1, c: 8, h: 17, w: 17, m: 8, kh: 7, kw: 7, group: 8, strides: []int{2, 2}, pads: []int{3, 3, 3, 3}},
	{n: 1, c: 40, h: 14, w: 14, m: 40, kh: 3, kw: 3, group: 40, pads: []int{1, 1, 1, 1}, bias: true}, // threaded
	{n: 1, c: 48, h: 12, w: 10, m: 48, kh: 5, kw: 5, group: 48, pads: []int{2, 2, 2, 2}, bias: true}, // threaded, 16 lanes
	// Sixteen lanes on rows of 16 or more (Interleave16 per row).
	{n: 1, c: 32, h: 18, w: 20, m: 32, kh: 5, kw: 5, group: 32, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 2, c: 16, h: 28, w: 27, m: 16, kh: 5, kw: 5, group: 16, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}},
}

// routeOf builds depthwise layer cc with table kt and returns it and the
// route its Run takes.
func routeOf(t *testing.T, rng *rand.Rand, cc convCase, kt *asm.Kernels) (*Conv, dwRoute) {
	t.Helper()
	x, w, b := cc.operands(rng)
	params, err := ops.ParseConvParams(cc.node())
	if err != nil {
		t.Fatal(err)
	}
	k, err := New(params, w, b, Epilogue{}, Options{Algorithm: AlgoDepthwise, Kernels: kt})
	if err != nil {
		t.Fatal(err)
	}
	g, err := k.geometry(x.Shape)
	if err != nil {
		t.Fatal(err)
	}
	return k, k.dwRoute(g)
}

// requireRoute fails t unless depthwise layer cc takes route with table
// kt.
func requireRoute(t *testing.T, rng *rand.Rand, cc convCase, kt *asm.Kernels, route dwRoute) *Conv {
	t.Helper()
	k, got := routeOf(t, rng, cc, kt)
	if got != route {
		t.Fatalf("%v with %s: route %d, want %d", cc, kt.Name, got, route)
	}
	return k
}

// TestDWC runs depthwise layers on the lanes route with every table that
// has its kernels (so 8 and 16 lanes on an AVX-512 machine), every
// epilogue and 1 to 3 threads, and one plane too large for it both ways.
func TestDWC(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	defer func(w int, p [3]int, f func(k, h, w int) bool) {
		dwPlanesWidest, dwPlaneWidths, dwPlaneFlat = w, p, f
	}(dwPlanesWidest, dwPlaneWidths, dwPlaneFlat)
	dwPlanesWidest = 0                                    // planes up to 40 wide would take DWConv3x3Planes
	dwPlaneWidths = [3]int{99, 99, 0}                     // and those from 9 wide DWPlaneK3S1/DWPlaneK5S1,
	dwPlaneFlat = func(k, h, w int) bool { return false } // 7×7 ones too
	lanes := map[int]bool{}
	for _, kt := range asm.Tables() {
		if kt.DWC8S1 == nil {
			t.Logf("table %s has no lanes depthwise kernels", kt.Name)
			continue
		}
		for i, cc := range dwcCases {
			k := requireRoute(t, rng, cc, kt, routeLanes)
			x, _, _ := cc.operands(rng)
			g, err := k.geometry(x.Shape)
			if err != nil {
				t.Fatal(err)
			}
			want := dwLanes(kt, cc.m, cc.kh*cc.kw)
			if want == 8 && kt.DWC16S1 != nil && cc.m%16 == 0 && g.oh*g.ow <= dwc16Plane3 {
				want = 16 // a small 3×3 plane (lanesFor)
			}
			if L, _, _ := k.lanesFor(g); L != want || want == 0 {
				t.Fatalf("%s %v: %d lanes, want %d", kt.Name, cc, L, want)
			}
			lanes[want] = true
			for j := 0; j < 3; j++ {
				check(t, rng, cc, AlgoDepthwise, kt, epilogues[(3*i+j)%len(epilogues)], 1+j, tolGEMM)
			}
		}
		big := convCase{n: 1, c: 16, h: 20, w: 20, m: 16, kh: 3, kw: 3, group: 16, pads: []int{1, 1, 1, 1}, bias: true}
		check(t, rng, big, AlgoDepthwise, kt, epilogues[8], 2, tolGEMM)
		func() {
			defer func(n [2]int) { dwc8MaxPlane = n }(dwc8MaxPlane)
			dwc8MaxPlane = [2]int{1 << 20, 1 << 20}
			check(t, rng, big, AlgoDepthwise, kt, epilogues[8], 2, tolGEMM)
		}()
	}
	t.Logf("lanes routes run: %v", lanes)
}

// dwPlane16Cases are depthwise layers on the DWPlaneK3S1/DWPlaneK5S1
// route: the narrowest and widest rows each takes (one and two vectors),
// heights around k, large planes, two images, enough planes to thread.
var dwPlane16Cases = []convCase{
	{n: 1, c: 4, h: 9, w: 9, m: 4, kh: 3, kw: 3, group: 4, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 3, h: 5, w: 16, m: 3, kh: 3, kw: 3, group: 3, pads: []int{1, 1, 1, 1}},
	{n: 1, c: 5, h: 11, w: 17, m: 5, kh: 3, kw: 3, group: 5, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 2, h: 1, w: 32, m: 2, kh: 3, kw: 3, group: 2, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 48, h: 28, w: 28, m: 48, kh: 3, kw: 3, group: 48, pads: []int{1, 1, 1, 1}, bias: true}, // threaded
	{n: 1, c: 3, h: 9, w: 41, m: 3, kh: 3, kw: 3, group: 3, pads: []int{1, 1, 1, 1}},
	{n: 2, c: 2, h: 12, w: 56, m: 2, kh: 3, kw: 3, group: 2, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 5, h: 5, w: 97, m: 5, kh: 3, kw: 3, group: 5, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 3, h: 14, w: 112, m: 3, kh: 3, kw: 3, group: 3, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 3, h: 7, w: 9, m: 3, kh: 5, kw: 5, group: 3, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 2, c: 5, h: 14, w: 14, m: 5, kh: 5, kw: 5, group: 5, pads: []int{2, 2, 2, 2}},
	{n: 1, c: 3, h: 7, w: 18, m: 3, kh: 5, kw: 5, group: 3, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 2, c: 4, h: 2, w: 32, m: 4, kh: 5, kw: 5, group: 4, pads: []int{2, 2, 2, 2}},
	{n: 1, c: 5, h: 30, w: 23, m: 5, kh: 5, kw: 5, group: 5, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 1, c: 40, h: 28, w: 28, m: 40, kh: 5, kw: 5, group: 40, pads: []int{2, 2, 2, 2}, bias: true}, // threaded
	// 7×7 planes flattened (asm.DWPlaneFlat): one, an odd and an even run, threaded.
	{n: 1, c: 1, h: 7, w: 7, m: 1, kh: 3, kw: 3, group: 1, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 5, h: 7, w: 7, m: 5, kh: 3, kw: 3, group: 5, pads: []int{1, 1, 1, 1}},
	{n: 1, c: 96, h: 7, w: 7, m: 96, kh: 3, kw: 3, group: 96, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 3, h: 7, w: 7, m: 3, kh: 5, kw: 5, group: 3, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 1, c: 64, h: 7, w: 7, m: 64, kh: 5, kw: 5, group: 64, pads: []int{2, 2, 2, 2}},
	// Two images in three parts, the middle one across the images.
	{n: 2, c: 40, h: 28, w: 28, m: 40, kh: 3, kw: 3, group: 40, pads: []int{1, 1, 1, 1}, bias: true},
	// Large planes.
	{n: 1, c: 2, h: 45, w: 112, m: 2, kh: 3, kw: 3, group: 2, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 2, h: 46, w: 112, m: 2, kh: 3, kw: 3, group: 2, pads: []int{1, 1, 1, 1}},
	{n: 1, c: 3, h: 60, w: 32, m: 3, kh: 5, kw: 5, group: 3, pads: []int{2, 2, 2, 2}, bias: true},
}

// TestDWPlane16 runs dwPlane16Cases (when the table has the kernels) with
// every epilogue, residuals included, and 1 to 3 threads, and checks
// that rows narrower or wider than dwPlaneWidths and other geometries
// (stride 2, padding not "same", a channel multiplier) take other routes.
func TestDWPlane16(t *testing.T) {
	rng := rand.New(rand.NewPCG(49, 50))
	kt := asm.Default()
	if kt.DWPlaneK3S1 == nil {
		t.Skipf("table %s has no DWPlaneK3S1/DWPlaneK5S1", kt.Name)
	}
	for i, cc := range dwPlane16Cases {
		requireRoute(t, rng, cc, kt, routePlane16)
		for j := range epilogues {
			check(t, rng, cc, AlgoDepthwise, kt, epilogues[j], 1+(i+j)%3, tolGEMM)
		}
	}
	for _, cc := range []convCase{
		{n: 1, c: 2, h: 9, w: 8, m: 2, kh: 3, kw: 3, group: 2, pads: []int{1, 1, 1, 1}},
		{n: 1, c: 2, h: 9, w: 113, m: 2, kh: 3, kw: 3, group: 2, pads: []int{1, 1, 1, 1}},
		{n: 1, c: 2, h: 9, w: 33, m: 2, kh: 5, kw: 5, group: 2, pads: []int{2, 2, 2, 2}},
		{n: 1, c: 2, h: 9, w: 17, m: 2, kh: 5, kw: 5, group: 2, pads: []int{2, 2, 2, 2}},
		{n: 1, c: 2, h: 9, w: 8, m: 2, kh: 5, kw: 5, group: 2, pads: []int{2, 2, 2, 2}},
		{n: 1, c: 2, h: 9, w: 20, m: 2, kh: 3, kw: 3, group: 2, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}},
		{n: 1, c: 2, h: 9, w: 20, m: 2, kh: 3, kw: 3, group: 2, pads: []int{0, 1, 1, 1}},
		{n: 1, c: 2, h: 9, w: 20, m: 4, kh: 3, kw: 3, group: 2, pads: []int{1, 1, 1, 1}},
	} {
		if _, r := routeOf(t, rng, cc, kt); r == routePlane16 {
			t.Errorf("%v: on DWPlaneK%dS1", cc, cc.kh)
		}
		check(t, rng, cc, AlgoDepthwise, kt, epilogues[1], 1, tolGEMM)
	}
}

// dw5S2PCases are 5×5 stride-2 depthwise layers whose output rows are at
// least 16 wide, which the rows route computes with DWConv5x5s2P: one and
// two vectors, column chunks of two and a last vector ending inside the
// row, odd and even input widths and pads, two images, a channel
// multiplier, enough planes to thread.
var dw5S2PCases = []convCase{
	{n: 1, c: 3, h: 13, w: 32, m: 3, kh: 5, kw: 5, group: 3, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 2, c: 2, h: 9, w: 35, m: 2, kh: 5, kw: 5, group: 2, strides: []int{2, 2}, pads: []int{1, 2, 2, 1}},
	{n: 1, c: 4, h: 20, w: 56, m: 4, kh: 5, kw: 5, group: 4, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 1, c: 2, h: 6, w: 67, m: 2, kh: 5, kw: 5, group: 2, strides: []int{2, 2}, pads: []int{0, 2, 1, 0}, bias: true},
	{n: 1, c: 3, h: 11, w: 130, m: 6, kh: 5, kw: 5, group: 3, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}},               // multiplier 2
	{n: 1, c: 48, h: 36, w: 36, m: 48, kh: 5, kw: 5, group: 48, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}, bias: true}, // threaded
}

// TestDW5S2P runs dw5S2PCases (when the table has DWConv5x5s2P) with every
// epilogue, residuals included, and 1 to 3 threads, and checks that rows
// of 15 outputs do not take it.
func TestDW5S2P(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	kt := asm.Default()
	if kt.DWConv5x5s2P == nil {
		t.Skipf("table %s has no DWConv5x5s2P", kt.Name)
	}
	uses := func(cc convCase) bool {
		k, route := routeOf(t, rng, cc, kt)
		x, _, _ := cc.operands(rng)
		g, err := k.geometry(x.Shape)
		if err != nil {
			t.Fatal(err)
		}
		return route == routeRows && k.useDW5S2P(g)
	}
	for i, cc := range dw5S2PCases {
		if !uses(cc) {
			t.Fatalf("%v: not on DWConv5x5s2P", cc)
		}
		for j := range epilogues {
			check(t, rng, cc, AlgoDepthwise, kt, epilogues[j], 1+(i+j)%3, tolGEMM)
		}
	}
	narrow := convCase{n: 1, c: 16, h: 29, w: 29, m: 16, kh: 5, kw: 5, group: 16, strides: []int{2, 2}, pads: []int{2, 2, 2, 2}, bias: true}
	if uses(narrow) {
		t.Errorf("%v: rows of 15 on DWConv5x5s2P", narrow)
	}
	check(t, rng, narrow, AlgoDepthwise, kt, epilogues[1], 1, tolGEMM)
}

// dwPlanesCases are depthwise layers on the DWConv3x3Planes route: the
// smallest and largest planes it takes, rows of 4 to 32, two images (a call each),
// channel counts that are not multiples of 8, enough planes to thread.
var dwPlanesCases = []convCase{
	{n: 1, c: 16, h: 7, w: 7, m: 16, kh: 3, kw: 3, group: 16, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 12, h: 7, w: 7, m: 12, kh: 3, kw: 3, group: 12, pads: []int{1, 1, 1, 1}},
	{n: 1, c: 5, h: 2, w: 5, m: 5, kh: 3, kw: 3, group: 5, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 3, h: 16, w: 8, m: 3, kh: 3, kw: 3, group: 3, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 1, h: 9, w: 6, m: 1, kh: 3, kw: 3, group: 1, pads: []int{1, 1, 1, 1}},
	{n: 1, c: 200, h: 7, w: 4, m: 200, kh: 3, kw: 3, group: 200, pads: []int{1, 1, 1, 1}, bias: true}, // threaded
	{n: 1, c: 24, h: 14, w: 14, m: 24, kh: 3, kw: 3, group: 24, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 7, h: 3, w: 9, m: 7, kh: 3, kw: 3, group: 7, pads: []int{1, 1, 1, 1}},
	{n: 1, c: 9, h: 16, w: 16, m: 9, kh: 3, kw: 3, group: 9, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 8, h: 28, w: 28, m: 8, kh: 3, kw: 3, group: 8, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 1, c: 5, h: 5, w: 17, m: 5, kh: 3, kw: 3, group: 5, pads: []int{1, 1, 1, 1}},
	{n: 1, c: 4, h: 32, w: 32, m: 4, kh: 3, kw: 3, group: 4, pads: []int{1, 1, 1, 1}, bias: true},
}

// TestDWPlanes runs dwPlanesCases (when the table has DWConv3x3Planes) with
// every epilogue, residuals included, and 1 to 3 threads.
func TestDWPlanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	kt := asm.Default()
	if kt.DWConv3x3Planes == nil {
		t.Skipf("table %s has no DWConv3x3Planes", kt.Name)
	}
	defer func(p [3]int, n int, f func(k, h, w int) bool) {
		dwPlaneWidths, dwc16Plane3, dwPlaneFlat = p, n, f
	}(dwPlaneWidths, dwc16Plane3, dwPlaneFlat)
	dwPlaneWidths = [3]int{99, 99, 0}                     // planes from 9 wide would take DWPlaneK3S1,
	dwPlaneFlat = func(k, h, w int) bool { return false } // 7×7 ones too,
	dwc16Plane3 = 0                                       // or sixteen lanes
	for i, cc := range dwPlanesCases {
		requireRoute(t, rng, cc, kt, routePlanes)
		for j := range epilogues {
			check(t, rng, cc, AlgoDepthwise, kt, epilogues[j], 1+(i+j)%3, tolGEMM)
		}
	}
}

func tables(t *testing.T) []*asm.Kernels {
	ts := asm.Tables()
	if testing.Short() {
		ts = ts[:1]
	}
	return ts
}

func TestIm2col(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kern := range tables(t) {
		for i, cc := range gemmCases {
			ep := epilogues[i%len(epilogues)]
			check(t, rng, cc, AlgoIm2col, kern, ep, 1+i%2, tolGEMM)
		}
		// Explicit column matrices (row-major and packed chunks): the
		// parts' column shares must not move gemm's strips.
		for _, cc := range []convCase{gemmCases[len(gemmCases)-10], gemmCases[len(gemmCases)-9],
			{n: 1, c: 16, h: 28, w: 28, m: 9, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}} {
			sameBitsAtThreads(t, rng, cc, AlgoIm2col, kern, epilogues[10], func(out []int) *tensor.Tensor { return randT(rng, out...) })
		}
	}
}

// sliceCases are products that, with sliceMinK lowered, run as two K
// slices (slices.go), or not, on two threads: im2col on small maps side by
// side (plain, strided, several images) or one after the other (an
// implicit map too wide to run side by side; explicit column chunks,
// row-major, packed and direct, after a small map's shape has sliced the
// packing); 1×1 products with four times the output channels in input
// channels side by side; not an odd channel count, an explicit matrix
// first, a 1×1 with too few input channels, too many columns or a stride.
var sliceCases = []struct {
	cc               convCase
	algo             string
	slices, together int // the expected slices; together 1: side by side
}{
	{convCase{n: 1, c: 16, h: 7, w: 7, m: 24, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}, AlgoIm2col, 2, 1},
	{convCase{n: 2, c: 12, h: 13, w: 14, m: 20, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true}, AlgoIm2col, 2, 1},
	{convCase{n: 1, c: 10, h: 8, w: 8, m: 9, kh: 3, kw: 3}, AlgoIm2col, 2, 1},
	{convCase{n: 1, c: 8, h: 20, w: 21, m: 12, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true, first: []int{1, 8, 5, 5}}, AlgoIm2col, 2, 0},
	{convCase{n: 1, c: 10, h: 12, w: 12, m: 16, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}}, AlgoIm2col, 2, 0},
	{convCase{n: 1, c: 9, h: 7, w: 7, m: 8, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}, AlgoIm2col, 1, 0},
	{convCase{n: 1, c: 32, h: 16, w: 16, m: 16, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true, first: []int{1, 32, 7, 7}}, AlgoIm2col, 2, 0},                     // packed chunks
	{convCase{n: 2, c: 8, h: 30, w: 29, m: 16, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true, first: []int{1, 8, 9, 9}}, AlgoIm2col, 2, 0}, // direct
	{convCase{n: 1, c: 8, h: 20, w: 21, m: 12, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}, AlgoIm2col, 1, 0},
	{convCase{n: 1, c: 36, h: 9, w: 11, m: 9, kh: 1, kw: 1, bias: true}, AlgoGEMM1x1, 2, 1},
	{convCase{n: 2, c: 64, h: 7, w: 7, m: 10, kh: 1, kw: 1}, AlgoGEMM1x1, 2, 1},
	{convCase{n: 1, c: 32, h: 9, w: 9, m: 9, kh: 1, kw: 1, bias: true}, AlgoGEMM1x1, 1, 0},
	{convCase{n: 1, c: 36, h: 17, w: 17, m: 9, kh: 1, kw: 1, bias: true}, AlgoGEMM1x1, 1, 0},
	{convCase{n: 1, c: 36, h: 9, w: 11, m: 9, kh: 1, kw: 1, strides: []int{2, 2}, bias: true}, AlgoGEMM1x1, 1, 0},
}

// TestIm2colSlices checks products sliced in K (slices.go) against the
// reference on every table and epilogue at one to three threads, that
// their bits do not depend on the thread count, and that Winograd's
// im2col fallback slices as well.
func TestIm2colSlices(t *testing.T) {
	defer func(v int) { sliceMinK = v }(sliceMinK)
	sliceMinK = 1
	rng := rand.New(rand.NewPCG(61, 62))
	for i, tc := range sliceCases {
		cc := tc.cc
		x, w, b := cc.operands(rng)
		p, _ := ops.ParseConvParams(cc.node())
		k, err := New(p, w, b, Epilogue{}, Options{Algorithm: tc.algo, Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		g, err := k.geometry(x.Shape)
		if err != nil {
			t.Fatal(err)
		}
		if cc.first != nil {
			k.Prepare(cc.first)
		}
		if k.Prepare(x.Shape); k.packed == nil && k.fallback.Load() == nil {
			t.Fatalf("%v: Prepare left the weights unpacked", cc)
		}
		if got := k.slicesOf(g); got != tc.slices {
			t.Fatalf("%v: %d slices, want %d", cc, got, tc.slices)
		}
		if together := tc.together == 1; k.slicesTogether(g) != together {
			t.Fatalf("%v: slices side by side %v, want %v", cc, !together, together)
		}
		for _, kern := range tables(t) {
			for j, ep := range epilogues {
				check(t, rng, cc, tc.algo, kern, ep, 1+(i+j)%3, tolGEMM)
			}
			for _, ep := range []Epilogue{epilogues[0], epilogues[2], epilogues[7], epilogues[10]} {
				sameBitsAtThreads(t, rng, cc, tc.algo, kern, ep, func(out []int) *tensor.Tensor { return randT(rng, out...) })
			}
		}
	}
	check(t, rng, sliceCases[0].cc, AlgoWinograd, asm.Default(), epilogues[10], 2, tolGEMM)
}

// offsCases are im2col layers that useOffs sends through SgemmOffs:
// stems (3 channels, 3×3/2, 7×7/2, 5×5/4), unpadded at stride 2, stride
// 1 padded, grouped, several images, output rows of one strip and a tail.
var offsCases = []convCase{
	{n: 1, c: 3, h: 64, w: 61, m: 16, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 3, h: 37, w: 57, m: 8, kh: 7, kw: 7, strides: []int{2, 2}, pads: []int{3, 3, 3, 3}, bias: true},
	{n: 1, c: 3, h: 35, w: 103, m: 12, kh: 5, kw: 5, strides: []int{4, 4}, pads: []int{2, 2, 2, 2}},
	{n: 1, c: 3, h: 19, w: 55, m: 4, kh: 3, kw: 3, strides: []int{2, 2}, bias: true},
	{n: 1, c: 4, h: 9, w: 30, m: 8, kh: 5, kw: 5, pads: []int{2, 2, 2, 2}, bias: true},
	{n: 1, c: 6, h: 12, w: 48, m: 16, kh: 3, kw: 3, group: 2, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}},
	{n: 1, c: 3, h: 8, w: 24, m: 4, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
	// rows of a strip or more on every table: OW 40 ends on an edge
	// kernel (avx512 16 wide, avx2 16), 50 on a full strip (avx512) or an
	// edge (avx2), 64 on whole strips
	{n: 1, c: 3, h: 80, w: 80, m: 16, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, bias: true},
	{n: 2, c: 3, h: 37, w: 100, m: 8, kh: 7, kw: 7, strides: []int{2, 2}, pads: []int{3, 3, 3, 3}},
	{n: 1, c: 4, h: 9, w: 64, m: 8, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
}

// TestIm2colOffs checks the SgemmOffs route (offsTask) of every table that
// has it against the reference, with every epilogue, on one and two
// threads, and that useOffs does choose it for these cases.
func TestIm2colOffs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kern := range tables(t) {
		if kern.SgemmOffs == nil {
			t.Logf("%s: no SgemmOffs", kern.Name)
			continue
		}
		for i, cc := range offsCases {
			params, err := ops.ParseConvParams(cc.node())
			if err != nil {
				t.Fatal(err)
			}
			x, w, b := cc.operands(rng)
			k, err := New(params, w, b, Epilogue{}, Options{Algorithm: AlgoIm2col, Kernels: kern})
			if err != nil {
				t.Fatal(err)
			}
			g, err := k.geometry(x.Shape)
			if err != nil {
				t.Fatal(err)
			}
			if g.ow >= kern.NR && !k.useOffs(g) {
				t.Fatalf("%v isa=%s: useOffs false", cc, kern.Name)
			}
			for j, ep := range epilogues {
				check(t, rng, cc, AlgoIm2col, kern, ep, 1+(i+j)%2, tolGEMM)
			}
		}
	}
}

func TestGEMM1x1(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kern := range tables(t) {
		for _, cc := range gemmCases {
			if cc.kh != 1 || cc.kw != 1 || cc.pads != nil {
				continue
			}
			for j, ep := range epilogues {
				check(t, rng, cc, AlgoGEMM1x1, kern, ep, 1+j%2, tolGEMM)
			}
		}
	}
}

// smallWinograd runs Winograd itself on every case until t ends, not the
// im2col it falls back to with few tiles or, on several threads, few
// channels.
func smallWinograd(t testing.TB) {
	a, b := winoMinTiles, winoMinChannelsThreaded
	winoMinTiles, winoMinChannelsThreaded = 1, 0
	t.Cleanup(func() { winoMinTiles, winoMinChannelsThreaded = a, b })
}

// tilesAsColumns keeps every Winograd map off the tiles-as-rows route
// (TestWinogradT runs that) until t ends.
func tilesAsColumns(t testing.TB) {
	a, b := winoTMaxTiles, winoTMaxTiles1
	winoTMaxTiles, winoTMaxTiles1 = 0, 0
	t.Cleanup(func() { winoTMaxTiles, winoTMaxTiles1 = a, b })
}

// TestWinograd runs F(4×4, 3×3) with the tiles as the GEMMs' columns on
// every table and epilogue, and its tile blocks, split blocks and
// fallbacks; then checks the choice of route.
func TestWinograd(t *testing.T) {
	defer func(a, b int) { winoTMaxTiles, winoTMaxTiles1 = a, b }(winoTMaxTiles, winoTMaxTiles1)
	smallWinograd(t)
	tilesAsColumns(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kern := range tables(t) {
		for i, cc := range winoCases {
			requireWino(t, cc, AlgoWinograd)
			check(t, rng, cc, AlgoWinograd, kern, epilogues[i%len(epilogues)], 1+i%2, tolWinograd)
		}
		for _, ep := range epilogues {
			check(t, rng, winoCases[1], AlgoWinograd, kern, ep, 2, tolWinograd)
		}
	}
	// Several tile blocks, threaded and not, and the im2col fallback.
	for _, tb := range []int{0, 48} {
		winoTBOverride = tb
		check(t, rng, convCase{n: 2, c: 16, h: 30, w: 29, m: 20, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}, AlgoWinograd, asm.Default(), epilogues[2], 2, tolWinograd)
		check(t, rng, convCase{n: 1, c: 24, h: 41, w: 37, m: 16, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}}, AlgoWinograd, asm.Default(), epilogues[9], 1, tolWinograd)
	}
	winoTBOverride = 0
	// Split blocks (fewer tile blocks than threads) give the bits of one
	// thread: the same GEMMs, by rows.
	splits := 0
	for _, cc := range []convCase{winoCases[1], winoCases[6], {n: 1, c: 40, h: 14, w: 14, m: 36, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
		{n: 1, c: 24, h: 28, w: 28, m: 20, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}}} {
		x, w, b := cc.operands(rng)
		p, _ := ops.ParseConvParams(cc.node())
		var outs [4]*tensor.Tensor
		for thr := 1; thr <= 3; thr++ {
			k, err := New(p, w, b, epilogues[3], Options{Algorithm: AlgoWinograd, Threads: thr})
			if err != nil {
				t.Fatal(err)
			}
			g, _ := k.geometry(x.Shape)
			if k.winoBlocks(g).split {
				splits++
			}
			o, _ := k.Infer([]*tensor.Tensor{x})
			outs[thr] = tensor.New(tensor.Float32, o[0].Shape...)
			if err := k.Run([]*tensor.Tensor{x}, outs[thr:thr+1]); err != nil {
				t.Fatal(err)
			}
			for i, v := range outs[thr].Float32s() {
				if u := outs[1].Float32s()[i]; math.Float32bits(u) != math.Float32bits(v) {
					t.Fatalf("%v: threads %d y[%d] = %g, 1 thread %g", cc, thr, i, v, u)
				}
			}
		}
	}
	if splits == 0 {
		t.Error("no case ran split Winograd blocks")
	}
	// At two threads and NR = 24, 49 tiles split (blocks of 24 and 25 would
	// give one thread two strips of NR tiles); 196 stay in blocks (five
	// against four and a half).
	for _, sz := range []struct {
		hw    int
		split bool
	}{{28, true}, {56, false}} {
		if nr := asm.Default().NR; nr != 24 {
			t.Logf("block or split choice not checked: NR = %d, not 24", nr)
			break
		}
		cc := convCase{n: 1, c: 64, h: sz.hw, w: sz.hw, m: 64, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}}
		p, _ := ops.ParseConvParams(cc.node())
		k, _ := New(p, tensor.New(tensor.Float32, 64, 64, 3, 3), nil, Epilogue{}, Options{Algorithm: AlgoWinograd, Threads: 2})
		g, _ := k.geometry([]int{1, 64, sz.hw, sz.hw})
		if got := k.winoBlocks(g).split; got != sz.split {
			t.Errorf("%d×%d at 2 threads: split %v, want %v", sz.hw, sz.hw, got, sz.split)
		}
	}
	winoMinTiles, winoTMaxTiles, winoTMaxTiles1 = 16, 64, 256
	cc := convCase{n: 1, c: 32, h: 3, w: 3, m: 32, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}
	check(t, rng, cc, AlgoWinograd, asm.Default(), epilogues[1], 2, tolGEMM)
	p, _ := ops.ParseConvParams(cc.node())
	k, _ := New(p, tensor.New(tensor.Float32, 32, 32, 3, 3), nil, Epilogue{}, Options{Threads: 2})
	k1, _ := New(p, tensor.New(tensor.Float32, 32, 32, 3, 3), nil, Epilogue{}, Options{Threads: 1})
	// 16 channels: in phases on two threads only up to 64 tiles; split by
	// output channels (two strips, Vᵀ and Mᵀ within winoTColsMaxFloats)
	// up to 256.
	narrow, _ := New(p, tensor.New(tensor.Float32, 32, 16, 3, 3), nil, Epilogue{}, Options{Threads: 2})
	narrow1, _ := New(p, tensor.New(tensor.Float32, 32, 16, 3, 3), nil, Epilogue{}, Options{Threads: 1})
	split, _ := New(p, tensor.New(tensor.Float32, max(32, 2*asm.Default().NR), 16, 3, 3), nil, Epilogue{}, Options{Threads: 2})
	defer func(v int) { winoTColsMaxFloats = v }(winoTColsMaxFloats)
	if a := k.AlgorithmFor([]int{1, 32, 3, 3}); a != AlgoIm2col {
		t.Errorf("AlgorithmFor 3×3 = %s, want im2col", a)
	}
	if a := k.AlgorithmFor([]int{1, 32, 7, 7}); a != AlgoIm2col {
		t.Errorf("AlgorithmFor 7×7, 32 channels = %s, want im2col", a)
	}
	big, _ := New(p, tensor.New(tensor.Float32, 256, 128, 3, 3), nil, Epilogue{}, Options{})
	if a := big.AlgorithmFor([]int{1, 128, 7, 7}); a != AlgoWinograd2 {
		t.Errorf("AlgorithmFor 7×7, 128→256 = %s, want %s", a, AlgoWinograd2)
	}
	huge, _ := New(p, tensor.New(tensor.Float32, 512, 512, 3, 3), nil, Epilogue{}, Options{})
	if a := huge.AlgorithmFor([]int{1, 512, 7, 7}); a != AlgoIm2col {
		t.Errorf("AlgorithmFor 7×7, 512→512 = %s, want im2col (F(2×2)'s weights too large)", a)
	}
	for _, c := range []struct {
		k    *Conv
		hw   int
		want string
	}{
		{k, 14, AlgoWinogradT}, {k, 28, AlgoWinogradT}, {k, 56, AlgoWinogradT}, {k, 68, AlgoWinograd},
		{k1, 56, AlgoWinogradT}, {k1, 64, AlgoWinogradT}, {k1, 68, AlgoWinograd},
		{narrow, 28, AlgoWinogradT}, {narrow, 56, AlgoWinograd}, {narrow1, 56, AlgoWinogradT},
		{split, 56, AlgoWinogradT}, {split, 68, AlgoWinograd},
	} {
		winoTColsMaxFloats = 1 << 21
		if c.k == narrow {
			winoTColsMaxFloats = 0 // in phases
		}
		if a := c.k.AlgorithmFor([]int{1, c.k.cg, c.hw, c.hw}); a != c.want {
			t.Errorf("AlgorithmFor %d×%d, %d channels, %d threads = %s, want %s", c.hw, c.hw, c.k.cg, c.k.threads(), a, c.want)
		}
	}
	// Under 32 input channels, several threads run im2col.
	winoMinChannelsThreaded = 32
	for _, c := range []struct {
		k    *Conv
		want string
	}{{narrow, AlgoIm2col}, {split, AlgoIm2col}, {narrow1, AlgoWinogradT}, {k, AlgoWinogradT}} {
		if a := c.k.AlgorithmFor([]int{1, c.k.cg, 28, 28}); a != c.want {
			t.Errorf("AlgorithmFor 28×28, %d channels, %d threads = %s, want %s", c.k.cg, c.k.threads(), a, c.want)
		}
	}
	// At most winoSmallTiles tiles (13×13: 16), twice as many.
	wide64, _ := New(p, tensor.New(tensor.Float32, 64, 64, 3, 3), nil, Epilogue{}, Options{Threads: 2})
	for _, c := range []struct {
		k    *Conv
		want string
	}{{k, AlgoIm2col}, {k1, AlgoWinogradT}, {wide64, AlgoWinogradT}} {
		if a := c.k.AlgorithmFor([]int{1, c.k.cg, 13, 13}); a != c.want {
			t.Errorf("AlgorithmFor 13×13, %d channels, %d threads = %s, want %s", c.k.cg, c.k.threads(), a, c.want)
		}
	}
	// Vᵀ and Mᵀ over winoTMaxFloats: 36·(8·49 tiles)·(512 + 512) floats.
	wide, _ := New(p, tensor.New(tensor.Float32, 512, 512, 3, 3), nil, Epilogue{}, Options{})
	if a := wide.AlgorithmFor([]int{8, 512, 28, 28}); a != AlgoWinograd {
		t.Errorf("AlgorithmFor 8 × 512@28×28 = %s, want winograd", a)
	}
}

// requireWino fails t unless cc, built with Winograd, runs algo.
func requireWino(t *testing.T, cc convCase, algo string) {
	t.Helper()
	p, _ := ops.ParseConvParams(cc.node())
	k, err := New(p, tensor.New(tensor.Float32, cc.m, cc.c, 3, 3), nil, Epilogue{}, Options{Algorithm: AlgoWinograd})
	if err != nil {
		t.Fatal(err)
	}
	x := []int{cc.n, cc.c, cc.h, cc.w}
	if a := k.AlgorithmFor(x); a != algo {
		t.Fatalf("%v: AlgorithmFor = %s, want %s", cc, a, algo)
	}
}

// TestWinogradT runs F(4×4, 3×3) with the tiles as the GEMMs' rows on
// every table and epilogue — channel counts off the transposes' eight and
// the threads' sixteen, batches, pads, M ≥ 2C, which on several threads
// splits the route by output channels (winoTCols), and a map with more
// tiles than output channels, which splits it by tile rows (winoTRows) —
// and checks that the thread count does not change its bits.
func TestWinogradT(t *testing.T) {
	smallWinograd(t)
	rng := rand.New(rand.NewPCG(9, 10))
	cases := append(winoCases[:len(winoCases):len(winoCases)],
		convCase{n: 1, c: 40, h: 14, w: 14, m: 36, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
		convCase{n: 2, c: 24, h: 28, w: 27, m: 50, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}},
		convCase{n: 2, c: 12, h: 14, w: 13, m: 72, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
		convCase{n: 1, c: 16, h: 16, w: 15, m: 100, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
	)
	for _, cc := range cases {
		requireWino(t, cc, AlgoWinogradT)
	}
	cols := cases[len(cases)-2:]
	for _, kern := range tables(t) {
		for i, cc := range cases {
			check(t, rng, cc, AlgoWinograd, kern, epilogues[i%len(epilogues)], 1+i%3, tolWinograd)
		}
		for _, ep := range epilogues {
			check(t, rng, cases[1], AlgoWinograd, kern, ep, 2, tolWinograd)
		}
	}
	for _, cc := range []convCase{cases[1], cases[len(cases)-4]} {
		sameBitsAtThreads(t, rng, cc, AlgoWinograd, nil, epilogues[10], func(out []int) *tensor.Tensor {
			res := tensor.New(tensor.Float32, out...)
			for i := range res.Float32s() {
				res.Float32s()[i] = float32(i%7) - 3
			}
			return res
		})
	}
	// Split by tile rows (winoTRows) at two and three threads: six tile
	// rows, the last band's output rows cut at 23.
	rows := convCase{n: 1, c: 20, h: 23, w: 22, m: 24, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}
	for _, kern := range tables(t) {
		for i, cc := range append(cols, rows) {
			byRows := i == len(cols)
			p, _ := ops.ParseConvParams(cc.node())
			x, w, b := cc.operands(rng)
			for thr := 2; thr <= 3; thr++ {
				k, err := New(p, w, b, Epilogue{}, Options{Algorithm: AlgoWinograd, Kernels: kern, Threads: thr})
				if err != nil {
					t.Fatal(err)
				}
				g, _ := k.geometry(x.Shape)
				if byRows {
					if !k.winoTRows(g) {
						t.Fatalf("%v %s: not split by tile rows at %d threads", cc, kern.Name, thr)
					}
				} else if thr == 2 && !k.winoTCols(g) {
					t.Fatalf("%v %s: not split by output channels", cc, kern.Name)
				}
			}
			sameBitsAtThreads(t, rng, cc, AlgoWinograd, kern, epilogues[10], func(out []int) *tensor.Tensor { return randT(rng, out...) })
		}
		for i, ep := range epilogues {
			check(t, rng, rows, AlgoWinograd, kern, ep, 2+i%2, tolWinograd)
		}
	}
}

// sameBitsAtThreads runs cc with algo on table kern and a residual (res
// makes it for the output shape, once) at 1, 2 and 3 threads and fails
// unless the outputs agree bit for bit.
func sameBitsAtThreads(t *testing.T, rng *rand.Rand, cc convCase, algo string, kern *asm.Kernels, ep Epilogue, res func(out []int) *tensor.Tensor) {
	t.Helper()
	x, w, b := cc.operands(rng)
	p, _ := ops.ParseConvParams(cc.node())
	var first []float32
	var r *tensor.Tensor
	for thr := 1; thr <= 3; thr++ {
		k, err := New(p, w, b, ep, Options{Algorithm: algo, Kernels: kern, Threads: thr})
		if err != nil {
			t.Fatal(err)
		}
		if cc.first != nil {
			k.Prepare(cc.first)
		}
		g, err := k.geometry(x.Shape)
		if err != nil {
			t.Fatal(err)
		}
		if r == nil {
			r = res(g.out)
		}
		y := tensor.New(tensor.Float32, g.out...)
		if err := k.Run([]*tensor.Tensor{x, r}, []*tensor.Tensor{y}); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = y.Float32s()
			continue
		}
		for i, v := range y.Float32s() {
			if math.Float32bits(first[i]) != math.Float32bits(v) {
				t.Fatalf("%v: threads %d y[%d] = %g, 1 thread %g", cc, thr, i, v, first[i])
			}
		}
	}
}

// TestWinograd2 runs F(2×2, 3×3), Winograd's path for inputs with fewer
// than 16 tiles of 4×4, on every table and epilogue, and checks that the
// thread count does not change its bits.
func TestWinograd2(t *testing.T) {
	defer func(v, c int) { wino2MinWork, winoMinChannelsThreaded = v, c }(wino2MinWork, winoMinChannelsThreaded)
	wino2MinWork, winoMinChannelsThreaded = 0, 0 // small channel counts too
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []convCase{
		{n: 1, c: 32, h: 7, w: 7, m: 32, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
		{n: 2, c: 17, h: 6, w: 9, m: 19, kh: 3, kw: 3, pads: []int{0, 2, 1, 0}},
		{n: 1, c: 20, h: 9, w: 8, m: 24, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true},
		{n: 3, c: 16, h: 5, w: 5, m: 16, kh: 3, kw: 3, pads: []int{2, 2, 2, 2}, bias: true},
		{n: 1, c: 600, h: 7, w: 7, m: 26, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}}, // K over two k blocks
	}
	for i, cc := range cases {
		p, _ := ops.ParseConvParams(cc.node())
		k, _ := New(p, tensor.New(tensor.Float32, cc.m, cc.c, 3, 3), nil, Epilogue{}, Options{})
		if x, _, _ := cc.operands(rng); k.AlgorithmFor(x.Shape) != AlgoWinograd2 {
			t.Fatalf("case %d: AlgorithmFor = %s, want %s", i, k.AlgorithmFor(x.Shape), AlgoWinograd2)
		}
	}
	for _, kern := range tables(t) {
		for i, cc := range cases {
			check(t, rng, cc, AlgoWinograd, kern, epilogues[i%len(epilogues)], 1+i%3, tolWinograd)
		}
		for _, ep := range epilogues {
			check(t, rng, cases[1], AlgoWinograd, kern, ep, 2, tolWinograd)
		}
	}
	sameBitsAtThreads(t, rng, cases[1], AlgoWinograd, nil, epilogues[10], func(out []int) *tensor.Tensor { return randT(rng, out...) })
}

func TestDepthwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i, cc := range dwCases {
		check(t, rng, cc, AlgoDepthwise, asm.Default(), epilogues[i%len(epilogues)], 1+i%2, tolGEMM)
		check(t, rng, cc, AlgoIm2col, asm.Default(), epilogues[(i+3)%len(epilogues)], 1, tolGEMM)
	}
	for _, ep := range epilogues {
		check(t, rng, dwCases[1], AlgoDepthwise, asm.Default(), ep, 2, tolGEMM)
	}
	// Activations applied over runs of planes (actRun floats and a rest).
	for th := 1; th <= 2; th++ {
		check(t, rng, dwCases[11], AlgoDepthwise, asm.Default(), Epilogue{Act: asm.Activation{Kind: asm.ActSiLU}}, th, tolGEMM)
	}
}

// TestEpilogues runs every epilogue through the automatic choice on a
// few layer types.
func TestEpilogues(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	cases := []convCase{gemmCases[0], gemmCases[6], winoCases[1], dwCases[0], gemmCases[13]}
	for _, cc := range cases {
		for _, ep := range epilogues {
			tol := tolGEMM
			if cc.kh == 3 && cc.strides == nil && cc.group <= 1 {
				tol = tolWinograd
			}
			check(t, rng, cc, "", asm.Default(), ep, 0, tol)
		}
	}
}

func TestSelection(t *testing.T) {
	for _, tc := range []struct {
		cc   convCase
		want string
	}{
		{convCase{c: 64, m: 256, kh: 1, kw: 1}, AlgoGEMM1x1},
		{convCase{c: 64, m: 64, kh: 1, kw: 1, strides: []int{2, 2}}, AlgoGEMM1x1},
		{convCase{c: 64, m: 64, kh: 1, kw: 1, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}}, AlgoIm2col},
		{convCase{c: 64, m: 64, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}}, AlgoWinograd},
		{convCase{c: 3, m: 64, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}}, AlgoIm2col},
		{convCase{c: 64, m: 64, kh: 3, kw: 3, strides: []int{2, 2}}, AlgoIm2col},
		{convCase{c: 3, m: 64, kh: 7, kw: 7, strides: []int{2, 2}}, AlgoIm2col},
		{convCase{c: 144, m: 144, kh: 3, kw: 3, group: 144}, AlgoDepthwise},
		{convCase{c: 32, m: 64, kh: 3, kw: 3, group: 32}, AlgoDepthwise},
		{convCase{c: 32, m: 64, kh: 3, kw: 3, group: 4}, AlgoIm2col},
	} {
		g := max(tc.cc.group, 1)
		w := tensor.New(tensor.Float32, tc.cc.m, tc.cc.c/g, tc.cc.kh, tc.cc.kw)
		p, err := ops.ParseConvParams(tc.cc.node())
		if err != nil {
			t.Fatal(err)
		}
		k, err := New(p, w, nil, Epilogue{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if k.Algorithm() != tc.want {
			t.Errorf("%v: algorithm %s, want %s", tc.cc, k.Algorithm(), tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	p := &ops.ConvParams{Group: 1}
	w3d := tensor.New(tensor.Float32, 4, 2, 3, 3, 3)
	if _, err := New(p, w3d, nil, Epilogue{}, Options{}); err == nil {
		t.Error("3-D convolution accepted")
	}
	w := tensor.New(tensor.Float32, 4, 2, 3, 3)
	if _, err := New(p, w, nil, Epilogue{}, Options{Algorithm: AlgoGEMM1x1}); err == nil {
		t.Error("gemm1x1 forced on a 3×3 kernel")
	}
	if _, err := New(p, w, tensor.New(tensor.Float32, 5), Epilogue{}, Options{}); err == nil {
		t.Error("bad bias accepted")
	}
	k, err := New(p, w, nil, Epilogue{Residual: true}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.Float32, 1, 2, 5, 5)
	if _, err := k.Infer([]*tensor.Tensor{x}); err == nil {
		t.Error("missing residual accepted")
	}
	if _, err := k.Infer([]*tensor.Tensor{tensor.New(tensor.Float32, 1, 3, 5, 5), x}); err == nil {
		t.Error("wrong channel count accepted")
	}
	y := tensor.New(tensor.Float32, 1, 4, 3, 3)
	if err := k.Run([]*tensor.Tensor{x, y}, []*tensor.Tensor{y}); err == nil {
		t.Error("residual sharing the output's memory accepted")
	}
	if err := k.Run([]*tensor.Tensor{x, tensor.New(tensor.Float32, 1, 4, 3, 3)}, []*tensor.Tensor{y}); err != nil {
		t.Errorf("residual in its own memory: %v", err)
	}
}

// TestZeroAlloc checks that steady-state Run on two threads allocates
// nothing, gemm's calls included, on every route.
func TestZeroAlloc(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	wino := func(c, h, w, m int) convCase {
		return convCase{n: 1, c: c, h: h, w: w, m: m, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}
	}
	for _, tc := range []struct {
		cc          convCase
		algo, route string
		setup       func(testing.TB) // (in force to the test's end)
	}{
		{gemmCases[1], AlgoGEMM1x1, AlgoGEMM1x1, nil},
		{gemmCases[5], AlgoIm2col, AlgoIm2col, nil},
		{dwCases[11], AlgoDepthwise, AlgoDepthwise, nil},
		{gemmCases[len(gemmCases)-1], AlgoIm2col, AlgoIm2col, nil}, // SgemmOffs where the table has it
		{wino(8, 30, 30, 10), AlgoIm2col, AlgoIm2col, nil},         // explicit: a gemm per chunk
		{wino(128, 7, 7, 256), AlgoWinograd, AlgoWinograd2, nil},
		{wino(20, 23, 22, 24), AlgoWinograd, AlgoWinogradT, smallWinograd}, // split by tile rows
		{wino(12, 14, 13, 72), AlgoWinograd, AlgoWinogradT, nil},           // split by output channels
		{wino(40, 14, 14, 36), AlgoWinograd, AlgoWinogradT, nil},           // in phases
		{winoCases[1], AlgoWinograd, AlgoWinograd, tilesAsColumns},
		{wino(600, 8, 8, 12), AlgoWinograd, AlgoWinograd, nil},
	} {
		if tc.setup != nil {
			tc.setup(t)
		}
		x, w, b := tc.cc.operands(rng)
		p, _ := ops.ParseConvParams(tc.cc.node())
		k, err := New(p, w, b, Epilogue{Act: asm.Activation{Kind: asm.ActReLU}}, Options{Algorithm: tc.algo, Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		if r := k.AlgorithmFor(x.Shape); r != tc.route {
			t.Errorf("%v: route %s, want %s", tc.cc, r, tc.route)
		}
		in := []*tensor.Tensor{x}
		o, _ := k.Infer(in)
		out := []*tensor.Tensor{tensor.New(tensor.Float32, o[0].Shape...)}
		k.Run(in, out)
		if a := testing.AllocsPerRun(20, func() { k.Run(in, out) }); a != 0 {
			t.Errorf("%v %s: %v allocations per Run", tc.cc, tc.route, a)
		}
	}
}

// TestFromNode runs fused gocnn.Conv nodes through FromNode against the
// fused reference kernel of package ops.
func TestFromNode(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	f := func(name string, v float32) *onnx.Attr { return &onnx.Attr{Name: name, Type: onnx.AttrFloat, F: v} }
	for _, tc := range []struct {
		act      string
		attrs    []*onnx.Attr
		residual bool
	}{
		{"", nil, false},
		{"Relu", nil, true},
		{"Clip", []*onnx.Attr{f("activation_min", 0), f("activation_max", 6)}, false},
		{"LeakyRelu", []*onnx.Attr{f("activation_alpha", 0.3)}, true},
		{"HardSigmoid", nil, false},
		{"HardSwish", nil, true},
		{"Sigmoid", nil, false},
		{"SiLU", nil, true},
	} {
		for _, cc := range []convCase{gemmCases[5], winoCases[1], dwCases[1], gemmCases[0]} {
			node := cc.node()
			node.Domain = ops.FusedDomain
			if !cc.bias {
				node.Inputs = append(node.Inputs, "")
			}
			if tc.residual {
				node.Inputs = append(node.Inputs, "R")
			}
			if tc.act != "" {
				node.Attrs[ops.AttrActivation] = &onnx.Attr{Name: ops.AttrActivation, Type: onnx.AttrString, S: tc.act}
			}
			for _, a := range tc.attrs {
				node.Attrs[a.Name] = a
			}
			x, w, b := cc.operands(rng)
			k, err := FromNode(node, w, b, Options{})
			if err != nil {
				t.Fatal(err)
			}
			in := []*tensor.Tensor{x, w, b}
			plain, _ := ops.New(cc.node(), 13)
			o, err := plain.Infer(in[:2])
			if err != nil {
				t.Fatal(err)
			}
			if tc.residual {
				in = append(in, randT(rng, o[0].Shape...))
			}
			if o2, err := k.Infer(in); err != nil || !tensor.SameShape(o2[0].Shape, o[0].Shape) {
				t.Fatalf("Infer: %v, %v", o2, err)
			}
			ref, err := ops.New(node, 14)
			if err != nil {
				t.Fatal(err)
			}
			want := tensor.New(tensor.Float32, o[0].Shape...)
			if err := ref.Run(in, []*tensor.Tensor{want}); err != nil {
				t.Fatal(err)
			}
			got := tensor.New(tensor.Float32, o[0].Shape...)
			if err := k.Run(in, []*tensor.Tensor{got}); err != nil {
				t.Fatal(err)
			}
			// Outputs are O(10); Winograd's bound scaled by a typical Σ|w·x|.
			if d := tensor.MaxAbsDiff(got.Float32s(), want.Float32s()); !(d < 1e-3) {
				t.Errorf("%s %v (%s): max |diff| %g", tc.act, cc, k.Algorithm(), d)
			}
		}
	}
}

// TestConcurrent shares one Conv per algorithm between goroutines running
// different input shapes (the geometry cache switches under them).
func TestConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, tc := range []struct {
		cc   convCase
		algo string
	}{
		{convCase{c: 16, m: 16, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}, AlgoWinograd},
		{convCase{c: 16, m: 16, kh: 3, kw: 3, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}}, AlgoIm2col},
		{convCase{c: 16, m: 16, kh: 1, kw: 1, bias: true}, AlgoGEMM1x1},
		{convCase{c: 16, m: 16, kh: 3, kw: 3, group: 16, pads: []int{1, 1, 1, 1}}, AlgoDepthwise},
	} {
		_, w, b := convCase{n: 1, c: 16, h: 4, w: 4, m: 16, kh: tc.cc.kh, kw: tc.cc.kw, group: tc.cc.group, bias: tc.cc.bias}.operands(rng)
		node := tc.cc.node()
		p, _ := ops.ParseConvParams(node)
		k, err := New(p, w, b, Epilogue{Act: asm.Activation{Kind: asm.ActReLU}}, Options{Algorithm: tc.algo, Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := ops.New(node, 13)
		sizes := [][2]int{{20, 20}, {13, 17}, {9, 30}}
		var xs, wants []*tensor.Tensor
		for _, s := range sizes {
			x := randT(rng, 2, 16, s[0], s[1])
			in := []*tensor.Tensor{x, w}
			if b != nil {
				in = append(in, b)
			}
			o, _ := ref.Infer(in)
			want := tensor.New(tensor.Float32, o[0].Shape...)
			ref.Run(in, []*tensor.Tensor{want})
			for i, v := range want.Float32s() {
				want.Float32s()[i] = max(v, 0)
			}
			xs, wants = append(xs, x), append(wants, want)
		}
		errs := make(chan error, 8)
		for gr := 0; gr < 8; gr++ {
			go func() {
				var err error
				for it := 0; it < 6 && err == nil; it++ {
					i := (gr + it) % len(sizes)
					y := tensor.New(tensor.Float32, wants[i].Shape...)
					if err = k.Run([]*tensor.Tensor{xs[i]}, []*tensor.Tensor{y}); err == nil {
						if d := tensor.MaxAbsDiff(y.Float32s(), wants[i].Float32s()); !(d < 1e-3) {
							err = fmt.Errorf("%s size %v: max |diff| %g", tc.algo, sizes[i], d)
						}
					}
				}
				errs <- err
			}()
		}
		for gr := 0; gr < 8; gr++ {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}
}

// TestEmptyBatch runs every algorithm on N = 0.
func TestEmptyBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, tc := range []struct {
		cc   convCase
		algo string
	}{
		{winoCases[1], AlgoWinograd}, {gemmCases[6], AlgoIm2col}, {gemmCases[1], AlgoGEMM1x1}, {dwCases[0], AlgoDepthwise},
	} {
		_, w, b := tc.cc.operands(rng)
		p, _ := ops.ParseConvParams(tc.cc.node())
		k, err := New(p, w, b, Epilogue{Act: asm.Activation{Kind: asm.ActSiLU}}, Options{Algorithm: tc.algo})
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(tensor.Float32, 0, tc.cc.c, tc.cc.h, tc.cc.w)
		o, err := k.Infer([]*tensor.Tensor{x})
		if err != nil {
			t.Fatal(err)
		}
		if o[0].Shape[0] != 0 {
			t.Fatalf("shape %v", o[0].Shape)
		}
		if err := k.Run([]*tensor.Tensor{x}, []*tensor.Tensor{tensor.New(tensor.Float32, o[0].Shape...)}); err != nil {
			t.Error(err)
		}
	}
}

// TestWinoN: a block's GEMM width is whole NR panels unless more than a
// third of the last panel is tiles (then exact, on gemm's edge kernel);
// the exact widths are exercised by TestWinograd (9 and 12 tiles at NR 24).
func TestWinoN(t *testing.T) {
	k := &Conv{kern: &asm.Kernels{NR: 24}}
	for _, tc := range [][3]int{{216, 16, 16}, {216, 196, 216}, {48, 25, 48}, {48, 24, 24}, {24, 8, 24}, {24, 9, 9}, {24, 12, 12}, {216, 200, 216}, {216, 201, 201}} {
		if got := k.winoN(tc[0], tc[1]); got != tc[2] {
			t.Errorf("winoN(tb %d, %d tiles) = %d, want %d", tc[0], tc[1], got, tc[2])
		}
	}
}

// TestPaddingTooLarge checks that padding far beyond the input is an error
// at Infer, before any scratch is planned (pads, strides and dilations come
// from the file: these had asked the arena for terabytes, and Go's
// out-of-memory error cannot be recovered), and that wide legitimate
// padding is not.
func TestPaddingTooLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const p20, p19, p30, p29 = 1 << 20, 1 << 19, 1 << 30, 1 << 29
	for _, tc := range []struct {
		cc convCase
		ok bool
	}{
		{convCase{n: 1, c: 1, h: 4, w: 4, m: 1, kh: 3, kw: 3, strides: []int{p20, p20}, pads: []int{p20, p20, p20, p20}}, false},
		{convCase{n: 1, c: 16, h: 8, w: 8, m: 16, kh: 3, kw: 3, group: 16, strides: []int{p19, p19}, pads: []int{p20, p20, p20, p20}}, false},
		{convCase{n: 1, c: 1, h: 2, w: 2, m: 1, kh: 3, kw: 3, strides: []int{p30, p30}, dils: []int{p29, p29},
			pads: []int{p30, p30, p30, p30}}, false},
		// A dilated 3×3 padded by 40 % of the map on each side (as ASPP).
		{convCase{n: 1, c: 64, h: 256, w: 256, m: 64, kh: 3, kw: 3, dils: []int{100, 100}, pads: []int{100, 100, 100, 100}}, true},
	} {
		cc := tc.cc
		p, err := ops.ParseConvParams(cc.node())
		if err != nil {
			t.Fatal(err)
		}
		w := randT(rng, cc.m, cc.c/max(cc.group, 1), cc.kh, cc.kw)
		k, err := New(p, w, nil, Epilogue{}, Options{})
		if err != nil {
			if tc.ok {
				t.Errorf("%v: %v", cc, err)
			}
			continue // (sizes past tensor.MaxElements, on 32-bit platforms)
		}
		x := &tensor.Tensor{DType: tensor.Float32, Shape: []int{cc.n, cc.c, cc.h, cc.w}}
		if _, err := k.Infer([]*tensor.Tensor{x}); (err == nil) != tc.ok {
			t.Errorf("%v: Infer error %v, want an error: %v", cc, err, !tc.ok)
		}
	}
}
