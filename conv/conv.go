package conv

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/internal/freelist"
	"github.com/gocnn/gocnn/internal/parallel"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// Algorithm names, as returned by Conv.Algorithm and accepted by
// Options.Algorithm.
const (
	AlgoGEMM1x1   = "gemm1x1"   // 1×1, no padding: W·X straight on NCHW (strided: on X subsampled)
	AlgoIm2col    = "im2col"    // implicit im2col (packed straight from NCHW) + GEMM, per group
	AlgoWinograd  = "winograd"  // F(4×4, 3×3)
	AlgoDepthwise = "depthwise" // direct, one output plane at a time
)

// ErrUnsupported is returned by New for convolutions this package has no
// fast path for (more than two spatial axes, non-float32 tensors); the
// caller should fall back to the reference kernel.
var ErrUnsupported = errors.New("conv: unsupported convolution")

// Options tune a Conv.
type Options struct {
	Threads   int          // ≤ 0: GOMAXPROCS
	Kernels   *asm.Kernels // nil: asm.Default()
	Algorithm string       // "" chooses by shape; else one of the Algo* names (error if it does not apply)
}

// Conv is a convolution with constant weights, prepared once (weights packed
// or transformed for the chosen algorithm) and then run many times. It
// implements ops.Kernel: in[0] is X, in[1] the residual when
// Epilogue.Residual is set. It is safe for concurrent use.
type Conv struct {
	p      ops.ConvParams
	wShape []int
	bShape []int // nil without bias
	bias   []float32
	ep     Epilogue
	opts   Options
	kern   *asm.Kernels
	algo   string

	// 2-D view of the kernel (a 1-D conv has kh = 1).
	rank1         bool
	m, cg, kh, kw int
	group         int
	kDim          int // cg·kh·kw
	wRaw          []float32
	packed        []*gemm.PackedA // per group (gemm1x1, im2col)
	gemmEp        gemm.Epilogue   // template: the activation
	geo           atomic.Pointer[geometry]
	states        freelist.List[runState]
	winoOnce      sync.Once
	wino          atomic.Pointer[winoPlan] // built on the first input large enough for Winograd
	dwW           []float32                // depthwise weights [m][kh][kw]
	dwSplit       []float32                // at stride 2: [m][even columns | odd columns] (see dwLayout)
	dwL, dwLBias  []float32                // k.lanes channels in the lanes: [m/L][kh][kw][L], [m/L][L] (see dwc8.go)
	lanes         int                      // L: 8 or 16, 0 without a lanes route
	dwL16, dwB16  []float32                // 3×3 with eight lanes: sixteen too, for small planes (see lanesFor)
	wino2Once     sync.Once
	wino2         atomic.Pointer[wino2Plan] // F(2×2), built on the first input too small for F(4×4)
	winoTOnce     sync.Once
	winoT         atomic.Pointer[winoTPlan] // F(4×4) with the tiles as rows, built on the first small map
	fallbackOnce  sync.Once
	fallback      atomic.Pointer[[]*gemm.PackedA] // im2col packing for Winograd's small inputs
}

// geometry is a Conv resolved against one input shape (cached: inputs
// rarely change shape).
type geometry struct {
	in          []int
	out         []int
	n, c, h, w  int
	oh, ow      int
	sh, sw      int
	dh, dw      int
	ph, pw      int // begin pads
	inPlane     int // h·w
	outPlane    int // oh·ow
	tilesH      int // winograd tiles per column / row
	tilesW      int
	tilesPerImg int
}

// New prepares a Conv node with attributes p, constant weight w ([M, C/group,
// kH, kW] or [M, C/group, k]), optional bias b ([M], may be nil) and fused
// epilogue ep. It returns an error wrapping ErrUnsupported for shapes without
// a fast path. w and b are referenced, not copied, and must not change.
// At Run, the residual (in[1]) must not alias the output.
func New(p *ops.ConvParams, w, b *tensor.Tensor, ep Epilogue, opts Options) (*Conv, error) {
	if p == nil || w == nil {
		return nil, errors.New("conv: nil params or weight")
	}
	wd := w.Float32s()
	if wd == nil || len(wd) != w.Len() {
		return nil, fmt.Errorf("%w: weight %v", ErrUnsupported, w)
	}
	if r := len(w.Shape); r != 3 && r != 4 {
		return nil, fmt.Errorf("%w: weight rank %d (only 1-D and 2-D convolutions)", ErrUnsupported, r)
	}
	if err := ep.check(); err != nil {
		return nil, err
	}
	k := &Conv{p: *p, wShape: append([]int(nil), w.Shape...), ep: ep, opts: opts}
	k.kern = opts.Kernels
	if k.kern == nil {
		k.kern = asm.Default()
	}
	k.m, k.cg = w.Shape[0], w.Shape[1]
	k.rank1 = len(w.Shape) == 3
	if k.rank1 {
		k.kh, k.kw = 1, w.Shape[2]
	} else {
		k.kh, k.kw = w.Shape[2], w.Shape[3]
	}
	k.group = p.Group
	if k.group < 1 || k.m%k.group != 0 {
		return nil, fmt.Errorf("conv: %d output channels in %d groups", k.m, k.group)
	}
	k.kDim = k.cg * k.kh * k.kw
	k.wRaw = wd
	if b != nil {
		bd := b.Float32s()
		if bd == nil || len(b.Shape) != 1 || b.Shape[0] != k.m || len(bd) != k.m {
			return nil, fmt.Errorf("conv: bias %v, want float32[%d]", b, k.m)
		}
		k.bias = bd
		k.bShape = []int{k.m}
	}
	// Validate the attributes against a dummy input big enough for any
	// kernel, so attribute errors surface at load time.
	probe := []int{1, k.cg * k.group}
	for i := 2; i < len(w.Shape); i++ {
		d := 1
		if len(p.Dilations) == len(w.Shape)-2 {
			d = max(1, p.Dilations[i-2])
		}
		probe = append(probe, (w.Shape[i]-1)*d+17)
	}
	if _, err := k.p.Geometry(probe, k.wShape, k.bShape); err != nil {
		return nil, err
	}
	k.gemmEp = gemm.Epilogue{Act: ep.Act}

	algo := opts.Algorithm
	if algo == "" {
		algo = k.choose()
	} else if !k.applies(algo) {
		return nil, fmt.Errorf("conv: algorithm %q does not apply to this convolution", algo)
	}
	k.algo = algo
	switch algo {
	case AlgoGEMM1x1, AlgoIm2col:
		if k.kSlices() == 1 {
			k.packed = k.packGroups(1)
			k.wRaw = nil // the packed copy is all Run reads
		} // (else packed on first need, in K slices or not: im2colPacks)
	case AlgoWinograd:
		// Transformed lazily (winoPlan): inputs too small for Winograd run
		// im2col, and a model may never see a large one (ResNet's 7×7
		// stages at 224×224), so the 4× larger transformed weights, and
		// the load time they cost, are only spent where used. wRaw stays
		// for the im2col fallback.
	case AlgoDepthwise:
		k.dwW = wd
		k.wRaw = nil
		if st := k.p.Strides; len(st) > 0 && st[len(st)-1] == 2 && splitTaps(k.kh, k.kw) {
			k.dwSplit = splitColumns(wd, k.kh, k.kw)
		}
		if k.lanes = dwLanes(k.kern, k.m, k.kh*k.kw); k.lanes > 0 && k.m == k.group {
			k.dwL, k.dwLBias = lanesL(wd, k.bias, k.m, k.kh*k.kw, k.lanes)
			if k.lanes == 8 && k.kern.DWC16S1 != nil && k.m%16 == 0 {
				k.dwL16, k.dwB16 = lanesL(wd, k.bias, k.m, k.kh*k.kw, 16)
			}
		}
	}
	return k, nil
}

// Prepare builds the weight layout Run will need for input shape x (the
// Winograd transform, or a GEMM packing built on first need), so the
// first Run does not pay for it. The runtime calls it when it plans a shape.
func (k *Conv) Prepare(x []int) {
	switch {
	case k.algo == AlgoIm2col || k.algo == AlgoGEMM1x1:
		if g, err := k.geometry(x); err == nil {
			k.im2colPacks(g)
		}
	case k.algo != AlgoWinograd:
	case k.AlgorithmFor(x) == AlgoWinograd:
		k.winoPlan()
	case k.AlgorithmFor(x) == AlgoWinograd2:
		k.wino2Plan()
	case k.AlgorithmFor(x) == AlgoWinogradT:
		k.winoTPlan()
	default:
		if g, err := k.geometry(x); err == nil {
			k.im2colPacks(g)
		}
	}
}

// winoPlan returns the Winograd weights, transforming them on first use.
func (k *Conv) winoPlan() *winoPlan {
	k.winoOnce.Do(func() { k.wino.Store(newWinoPlan(k.kern, k.wRaw, k.m, k.cg)) })
	return k.wino.Load()
}

// WeightBytes is the memory the kernel holds for weights: packed,
// transformed (once built) and raw copies, and the bias.
func (k *Conv) WeightBytes() int64 {
	n := len(k.wRaw) + len(k.dwW) + len(k.dwSplit) + len(k.dwL) + len(k.dwLBias) + len(k.dwL16) + len(k.dwB16) + len(k.bias)
	packs := k.packed
	if fb := k.fallback.Load(); fb != nil {
		packs = append(append([]*gemm.PackedA{}, packs...), *fb...)
	}
	for _, p := range packs {
		n += len(p.Data)
	}
	if w := k.wino.Load(); w != nil {
		for _, p := range w.packed {
			if p != nil {
				n += len(p.Data)
			}
		}
	}
	if w := k.wino2.Load(); w != nil {
		for _, p := range w.packed {
			n += len(p.Data)
		}
	}
	if w := k.winoT.Load(); w != nil {
		for _, p := range w.packed {
			n += len(p.Data)
		}
	}
	return 4 * int64(n)
}

// packGroups packs each group's M/g × C/g·kH·kW weight matrix, in sl
// slices of its columns (packed[g·sl + s]).
func (k *Conv) packGroups(sl int) []*gemm.PackedA {
	mg := k.m / k.group
	kd := k.kDim / sl
	var ps []*gemm.PackedA
	for g := 0; g < k.group; g++ {
		for s := range sl {
			ps = append(ps, gemm.PackA(k.kern, false, mg, kd, k.wRaw[g*mg*k.kDim+s*kd:], k.kDim, nil))
		}
	}
	return ps
}

// im2colPacks returns the im2col weight packing, built on first use (by
// algorithms that fall back to im2col for some input shapes, and for a
// product that may be sliced, see slices.go) for input geometry g: in K
// slices when kSlices allows and g's B matrix is implicit. Later inputs
// run on the same packing, whatever their geometry.
func (k *Conv) im2colPacks(g *geometry) []*gemm.PackedA {
	if k.packed != nil {
		return k.packed
	}
	k.fallbackOnce.Do(func() {
		sl := 1
		if k.sliced(g) {
			sl = k.kSlices()
		}
		ps := k.packGroups(sl)
		k.fallback.Store(&ps)
	})
	return *k.fallback.Load()
}

// slicesOf returns the K slices of the im2col packing on g.
func (k *Conv) slicesOf(g *geometry) int { return len(k.im2colPacks(g)) / k.group }

// AlgorithmFor returns the algorithm Run uses for input shape x: the
// load-time choice, except that Winograd runs im2col on several threads
// with fewer than winoMinChannelsThreaded input channels (twice that on
// at most winoSmallTiles tiles), F(2×2, 3×3)
// (AlgoWinograd2) when the input has fewer than 16 output tiles of 4×4
// but at least 16 of 2×2 and C·M is large enough to pay for its fixed
// costs and small enough for its weights (see wino2MaxWork), and im2col
// otherwise; and F(4×4) with the tiles as the GEMMs'
// rows (AlgoWinogradT) on small maps (see useWinoT).
func (k *Conv) AlgorithmFor(x []int) string {
	if g, err := k.geometry(x); err == nil {
		return k.algoFor(g)
	}
	return k.algo
}

// algoFor returns the algorithm Run uses on g (see AlgorithmFor).
func (k *Conv) algoFor(g *geometry) string {
	if k.algo == AlgoWinograd && k.threads() > 1 && (k.cg < winoMinChannelsThreaded ||
		g.n*g.tilesPerImg <= winoSmallTiles && k.cg < 2*winoMinChannelsThreaded) {
		return AlgoIm2col
	}
	if k.algo == AlgoWinograd && g.n*g.tilesPerImg < winoMinTiles {
		if th, tw := wino2Tiles(g); g.n*th*tw >= wino2MinTiles && k.cg*k.m >= wino2MinWork && k.cg*k.m <= wino2MaxWork {
			return AlgoWinograd2
		}
		return AlgoIm2col
	}
	if k.algo == AlgoWinograd && k.useWinoT(g) {
		return AlgoWinogradT
	}
	return k.algo
}

// allOnes reports whether an optional attribute is absent or all 1.
func allOnes(v []int) bool {
	for _, x := range v {
		if x != 1 {
			return false
		}
	}
	return true
}

func allZero(v []int) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

func (k *Conv) is1x1() bool {
	pads0 := allZero(k.p.Pads) && (k.p.AutoPad == ops.AutoPadNotSet || k.p.AutoPad == ops.AutoPadValid || k.p.AutoPad == "")
	// SAME padding of a 1×1 kernel is zero as well: (⌈in/s⌉−1)·s+1 ≤ in.
	if k.p.AutoPad == ops.AutoPadSameUpper || k.p.AutoPad == ops.AutoPadSameLower {
		pads0 = true
	}
	return k.kh == 1 && k.kw == 1 && pads0
}

func (k *Conv) isDepthwise() bool { return k.group > 1 && k.cg == 1 }

func (k *Conv) isWinograd() bool {
	return !k.rank1 && k.group == 1 && k.kh == 3 && k.kw == 3 && allOnes(k.p.Strides) && allOnes(k.p.Dilations)
}

func (k *Conv) applies(algo string) bool {
	switch algo {
	case AlgoGEMM1x1:
		return k.is1x1()
	case AlgoIm2col:
		return true
	case AlgoWinograd:
		return k.isWinograd()
	case AlgoDepthwise:
		return k.cg == 1 // one input channel per group (also group 1, C 1)
	}
	return false
}

// choose implements the selection rules documented in the package doc.
func (k *Conv) choose() string {
	switch {
	case k.isDepthwise():
		return AlgoDepthwise
	case k.is1x1():
		return AlgoGEMM1x1
	case k.isWinograd() && k.cg >= winoMinChannels && k.m >= winoMinChannels:
		return AlgoWinograd
	}
	return AlgoIm2col
}

// winoMinChannels: below this many input or output channels the
// transforms dominate and im2col is faster.
const winoMinChannels = 16

// winoMinChannelsThreaded is the same bound on several threads, where
// each thread's share of the GEMMs shrinks but not its transforms:
// SqueezeNet's 16→64 layers at 55×55 ran at 318 effective GFLOP/s through
// im2col on two threads against 279 through Winograd (BenchmarkConv
// squeezenet.fire2.expand3x3), the model 2.74 → 2.60 and 2.65 → 2.55 ms;
// GoogLeNet's 24- and 16-channel branches measured the same either way.
// A variable so tests can run Winograd on small cases.
var winoMinChannelsThreaded = 32

// winoSmallTiles: on several threads, a Run of at most this many output
// tiles needs twice winoMinChannelsThreaded input channels for Winograd:
// SqueezeNet's 48→192 layers at 13×13 (16 tiles) took 0.135 ms through
// Winograd (split by output channels, each thread transforming the whole
// input) against 0.112 through im2col in the model on two threads (gocnn
// bench -profile, four alternations), its 64→256 ones 0.197 against 0.191.
const winoSmallTiles = 16

// Algorithm returns the algorithm chosen at load time (an Algo* name).
func (k *Conv) Algorithm() string { return k.algo }

// geometry resolves (and caches) the shapes for input shape x.
func (k *Conv) geometry(x []int) (*geometry, error) {
	if g := k.geo.Load(); g != nil && tensor.SameShape(g.in, x) {
		return g, nil
	}
	og, err := k.p.Geometry(x, k.wShape, k.bShape)
	if err != nil {
		return nil, err
	}
	g := &geometry{in: append([]int(nil), x...), out: og.OutShape, n: og.N, c: og.C}
	a := og.Axes
	if k.rank1 {
		g.h, g.oh, g.sh, g.dh = 1, 1, 1, 1
		g.w, g.ow, g.sw, g.dw, g.pw = a[0].In, a[0].Out, a[0].Stride, a[0].Dilation, a[0].PadBegin
	} else {
		g.h, g.oh, g.sh, g.dh, g.ph = a[0].In, a[0].Out, a[0].Stride, a[0].Dilation, a[0].PadBegin
		g.w, g.ow, g.sw, g.dw, g.pw = a[1].In, a[1].Out, a[1].Stride, a[1].Dilation, a[1].PadBegin
	}
	g.inPlane, g.outPlane = g.h*g.w, g.oh*g.ow
	g.tilesH, g.tilesW = (g.oh+3)/4, (g.ow+3)/4
	g.tilesPerImg = g.tilesH * g.tilesW
	if hp, wp := k.paddedPlane(g); hp > k.maxPadded(g)/wp/max(g.c, 1) {
		return nil, fmt.Errorf("conv: input %v padded to %d×%d planes for %d×%d outputs: the padding is too large", x, hp, wp, g.oh, g.ow)
	}
	k.geo.Store(g)
	return g, nil
}

// paddedPlane is the largest padded plane a route copies the input into
// (im2col's and depthwise's).
func (k *Conv) paddedPlane(g *geometry) (hp, wp int) {
	hp, wp, _ = padDims(g, k.kh, k.kw)
	dh, dw := dwPadDims(g, k.kh, k.kw)
	return max(hp, dh, 1), max(wp, dw, 1)
}

// maxPadded bounds the floats of the padded copy of an image's planes: 16
// times its input and output, or 4 Mi. Pads and dilations come from the
// file; networks pad far less (DeepLab's dilation 36 on 32×32 maps of 2048
// channels pads to 104×104, 60 % of the bound), while a 4×4 input padded
// by 2²⁰ a side had asked the arena for 26 TB, and the Go runtime's
// out-of-memory error cannot be recovered.
func (k *Conv) maxPadded(g *geometry) int { return max(16*(g.c*g.inPlane+k.m*g.outPlane), 4<<20) }

// Infer implements ops.Kernel.
func (k *Conv) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	g, err := k.check(in)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{{DType: tensor.Float32, Shape: append([]int(nil), g.out...)}}, nil
}

func (k *Conv) check(in []*tensor.Tensor) (*geometry, error) {
	if len(in) < 1 || in[0] == nil {
		return nil, errors.New("conv: input X is missing")
	}
	if in[0].DType != tensor.Float32 {
		return nil, fmt.Errorf("conv: X is %v, want float32", in[0].DType)
	}
	g, err := k.geometry(in[0].Shape)
	if err != nil {
		return nil, err
	}
	if k.ep.Residual {
		if len(in) < 2 || in[1] == nil {
			return nil, errors.New("conv: residual input is missing")
		}
		if in[1].DType != tensor.Float32 || !tensor.SameShape(in[1].Shape, g.out) {
			return nil, fmt.Errorf("conv: residual is %v, want float32%s", in[1], tensor.ShapeString(g.out))
		}
	}
	return g, nil
}

// runState is the per-Run state that must live on the heap (gemm keeps
// pointers to the B operands), pooled per Conv, and the Run's scratch.
type runState struct {
	src    im2colSource
	cols   im2colTask
	chunks colChunks
	task   dwTask
	taskL  dwcTask
	taskP  dwPlanesTask
	sub    subTask
	offt   offsTask
	slice  sliceTask
	sum    sumTask
	offs   []int32 // offsTask's offsets
	wt     winoTask
	w2     wino2Task
	wT     winoTTask
	wTCols [][winoTiles]gemm.PackedB // per winoT part split by output channels: its columns of Uᵀ_ξ
	wvs    []gemm.PackedB            // per Winograd worker: its V_ξ
	cpbs   []gemm.PackedB            // per column-chunk worker: its chunk
	wsubs  [][winoTiles]gemm.PackedA // per Winograd worker (split: its rows of U)
	gemms  []gemm.State              // per worker running its own GEMMs: their state

	// sc is this Run's scratch (see scratch.go): the caller's, or buf
	// when the caller gave none (or too little). withGemm says whether it
	// holds gemm's workspaces.
	sc       scratchBuf
	withGemm bool
	buf      []float32
}

// gemmStates returns a gemm.State for each of parts workers that run
// their own GEMMs, so that they share no lock or cache line.
func (st *runState) gemmStates(parts int) []gemm.State {
	if len(st.gemms) < parts {
		st.gemms = make([]gemm.State, parts)
	}
	return st.gemms[:parts]
}

// Run implements ops.Kernel. Its scratch is kept by the Conv, one buffer
// per concurrent Run; RunScratch takes it from the caller instead.
func (k *Conv) Run(in, out []*tensor.Tensor) error { return k.run(in, out, nil) }

func (k *Conv) run(in, out []*tensor.Tensor, scratch []float32) error {
	g, err := k.check(in)
	if err != nil {
		return err
	}
	x := in[0].Float32s()
	if len(x) != g.n*g.c*g.inPlane {
		return fmt.Errorf("conv: X data has %d elements, shape %v", len(x), in[0].Shape)
	}
	if len(out) < 1 || out[0] == nil {
		return errors.New("conv: output is missing")
	}
	y := out[0].Float32s()
	if len(y) != g.n*k.m*g.outPlane {
		return fmt.Errorf("conv: output has %d elements, want %d", len(y), g.n*k.m*g.outPlane)
	}
	var res []float32
	if k.ep.Residual {
		res = in[1].Float32s()
		if len(res) != len(y) {
			return fmt.Errorf("conv: residual data has %d elements, want %d", len(res), len(y))
		}
		if overlaps(res, y) { // (tiles write y before they read all of it)
			return errors.New("conv: the residual input shares memory with the output")
		}
	}
	st := k.states.Get()
	// (The caller's scratch whole: its length sets the regions' stride.)
	if lay := k.scratchLayout(g, true); scratch != nil && len(scratch) >= lay.Size() {
		st.sc, st.withGemm = scratchBuf{scratch, lay}, true
	} else {
		lay := k.scratchLayout(g, false)
		if n := lay.Size(); cap(st.buf) < n {
			st.buf = make([]float32, n)
		}
		st.sc, st.withGemm = scratchBuf{st.buf[:lay.Size()], lay}, false
	}
	switch k.algo {
	case AlgoGEMM1x1, AlgoIm2col:
		k.runGEMM(st, g, x, y, res, k.im2colPacks(g))
	case AlgoWinograd:
		k.runWinograd(st, g, x, y, res)
	case AlgoDepthwise:
		k.runDepthwise(st, g, x, y, res)
	}
	st.sc = scratchBuf{}
	k.states.Put(st)
	return nil
}

// threads returns the thread count to use.
func (k *Conv) threads() int { return parallel.Threads(k.opts.Threads) }

// parts returns how many of the conv's threads share work over units
// (planes, groups of planes) of floats outputs in all: at most one per
// unit and per per floats, below which the pool's hand-off costs more
// than it saves.
func (k *Conv) parts(units, floats, per int) int {
	return max(1, min(k.threads(), floats/per, units))
}

// runGEMM runs the gemm1x1 and im2col algorithms: per image and group,
// Y_g [M/g × OH·OW] = W_g [M/g × C/g·kH·kW] · B_g, where B_g is X_g itself
// (1×1) or its im2col matrix, implicit or written in chunks (colChunks).
func (k *Conv) runGEMM(st *runState, g *geometry, x, y, res []float32, packed []*gemm.PackedA) {
	mg := k.m / k.group
	n := g.outPlane
	sl := len(packed) / k.group           // the K slices of each group's product (packGroups)
	sh, sizes := st.sc.shared(), carver{} // (the threads carve their regions)
	pad, _, _ := k.gemmScratch(&sizes, &sh, g, st.withGemm)
	part := k.sliceScratch(&sh, g)
	var ws []float32 // a multi-threaded gemm's: thread i's region i
	if st.withGemm {
		ws = st.sc.regions()
	}
	for img := 0; img < g.n; img++ {
		for gr := 0; gr < k.group; gr++ {
			xoff := (img*g.c + gr*k.cg) * g.inPlane
			yoff := (img*k.m + gr*mg) * n
			p := gemm.Params{
				M: mg, N: n, K: k.kDim / sl, Alpha: 1,
				PackedA: packed[gr*sl],
				C:       y[yoff : yoff+mg*n], LDC: n,
				Epilogue:  k.gemmEp,
				Threads:   k.opts.Threads,
				Kernels:   k.kern,
				Workspace: ws,
			}
			if k.bias != nil {
				p.Epilogue.Bias, p.Epilogue.BiasMode = k.bias[gr*mg:(gr+1)*mg], gemm.BiasRow
			}
			if res != nil {
				p.Epilogue.Residual, p.Epilogue.LDR = res[yoff:yoff+mg*n], n
			}
			switch {
			case k.slicesTogether(g):
				k.runSlices(st, g, &p, packed[gr*sl:(gr+1)*sl], x[xoff:], pad, part)
			case k.algo == AlgoGEMM1x1 && sl > 1:
				k.run1x1Slices(st, g, &p, packed, x[xoff:], part)
			case k.algo == AlgoGEMM1x1: // (Winograd's fallback is im2col)
				p.B, p.LDB = x[xoff:xoff+k.cg*g.inPlane], n
				if strided(g) {
					p.B = k.subsample(st, pad, x[xoff:xoff+k.cg*g.inPlane], g)
				}
				gemm.Gemm(&p)
			default:
				k.runIm2col(st, g, &p, packed[gr*sl:(gr+1)*sl], x[xoff:], pad, part)
			}
		}
	}
	st.src = im2colSource{}
}

// runIm2col runs p, one image and group's im2col product, with B the
// im2col matrix of x's planes and packed the weights' K slices (one, or
// two: see slices.go; part receives slice 1's product): through
// SgemmOffs, packed implicitly, or in column chunks.
func (k *Conv) runIm2col(st *runState, g *geometry, p *gemm.Params, packed []*gemm.PackedA, x, pad, part []float32) {
	c := k.cg / len(packed) // planes per slice
	offs := k.useOffs(g)
	if explicit(g) && !offs {
		if direct(g) {
			st.src = newIm2col(k.kern, nil, x, c, g, k.kh, k.kw, true)
		} else {
			st.src = im2colLayout(k.kern, x, c, g, k.kh, k.kw) // (each part fills its band)
		}
		parts, chunk, _ := k.chunking(g)
		if len(st.cpbs) < parts {
			st.cpbs = make([]gemm.PackedB, parts)
		}
		st.chunks = colChunks{k: k, g: g, src: &st.src, in: x, p: *p, packed: packed, part: part, sc: st.sc, withGemm: st.withGemm,
			pbs: st.cpbs, gs: st.gemmStates(parts), parts: parts, chunk: chunk}
		parallel.Default().Run(&st.chunks, st.chunks.parts)
		st.chunks = colChunks{}
		return
	}
	q := *p
	if len(packed) > 1 {
		q.Epilogue = gemm.Epilogue{} // (finishSlices applies it)
	}
	for s, pa := range packed {
		xs := x[s*c*g.inPlane:]
		q.PackedA = pa
		if s > 0 {
			q.C = part
		}
		if a, ok := pa.Panels(); ok && offs {
			st.src = im2colLayout(k.kern, xs, c, g, k.kh, k.kw)
			k.runOffs(st, g, &q, a, xs) // (each thread fills its band)
			continue
		}
		st.src = newIm2col(k.kern, &pad, xs, c, g, k.kh, k.kw, false)
		k.im2col(st, xs)
		q.BSource = &st.src
		gemm.Gemm(&q)
	}
	if len(packed) > 1 {
		k.sumSlices(st, p, part)
	}
}

// colChunks multiplies an explicit column matrix chunk by chunk: part i
// takes its share of the column strips (colSpan), writes them chunk by
// chunk into its own cols (in L2, in its region of the scratch), in gemm's
// packed-B layout where packedCols, and runs a one-thread gemm on each.
// Chunks start at multiples of NR whatever the thread count, so gemm's
// column strips, and with them the results, do not depend on it. A padded
// or phased source is filled by each part, the rows its windows read, in
// its region: filled once for all by threads splitting the planes, each
// thread's copies read lines the other had written, and AlexNet's 11×11/4
// stem ran 5–10 % faster on two threads than on one.
type colChunks struct {
	k        *Conv
	g        *geometry
	src      *im2colSource   // its layout; x unset if owned (each part's band)
	in       []float32       // the group's input planes
	p        gemm.Params     // the whole product; B comes from cols
	packed   []*gemm.PackedA // the weights' K slices (see slices.go)
	part     []float32       // slice 1's product
	sc       scratchBuf      // part i's cols and gemm workspace in region i
	withGemm bool
	pbs      []gemm.PackedB // per part: its chunk as gemm's B
	gs       []gemm.State   // per part: its gemm calls' state
	chunk    int            // the widest chunk of any part
	parts    int
}

func (t *colChunks) Run(part int) {
	k, nr, g := t.p.K, t.p.Kernels.NR, t.g
	mine, none := t.sc.part(part), carver{}
	band, cols, ws := t.k.gemmScratch(&mine, &none, g, t.withGemm)
	pb := &t.pbs[part]
	lo, hi := colSpan(nr, t.p.N, part, t.parts)
	if lo >= hi {
		return
	}
	sl := len(t.packed)
	var srcs [2]im2colSource // each K slice's (sl ≤ 2)
	for s := range sl {
		src := *t.src
		xs := t.in[s*src.c*g.inPlane:]
		if src.owned {
			oh0, oh1 := lo/g.ow, (hi-1)/g.ow+1
			src.top, src.hp = oh0*g.sh, t.k.bandRows(g, oh0, oh1)
			size := t.k.band(g, src.hp) / sl
			src.x = band[s*size : (s+1)*size]
			src.fill(xs, 0, src.c)
		} else {
			src.x = xs[:len(src.x)]
		}
		srcs[s] = src
	}
	chunk := colChunk(nr, k, hi-lo)
	for t0 := lo; t0 < hi; t0 += chunk {
		t1 := min(hi, t0+chunk)
		for s, src := range srcs[:sl] {
			p := t.p
			p.N, p.PackedA = t1-t0, t.packed[s]
			if kern := p.Kernels; packedCols(src.c) {
				size := gemm.PackedBSize(kern, k, t1-t0)
				src.colsIntoPacked(cols[:size], kern.NR, t0, t1)
				*pb = gemm.PackedB{K: k, N: t1 - t0, Kernels: kern, Data: cols[:size]}
				p.PackedB = pb
			} else {
				ld := gemm.LD(t.chunk)
				src.colsInto(cols, ld, t0, t1)
				p.B, p.LDB = cols[:(k-1)*ld+t1-t0], ld
			}
			p.C = t.p.C[t0:]
			switch {
			case sl > 1 && s > 0:
				p.C = t.part[t0:]
				fallthrough
			case sl > 1:
				p.Epilogue = gemm.Epilogue{} // (finishSlices applies it)
			case p.Epilogue.Residual != nil:
				p.Epilogue.Residual = p.Epilogue.Residual[t0:]
			}
			p.Threads, p.Workspace = 1, ws
			t.gs[part].Gemm(&p)
		}
	}
	if sl > 1 {
		finishSlices(t.k.kern, &t.p, t.part, 0, t.p.M, lo, hi)
	}
}

// chunking returns how many threads share an explicit column matrix, the
// widest chunk any of them writes and the most padded rows any of them
// reads.
func (k *Conv) chunking(g *geometry) (parts, chunk, rows int) {
	n, nr := g.outPlane, k.kern.NR
	parts = max(1, min(k.threads(), n/nr))
	for part := range parts {
		lo, hi := colSpan(nr, n, part, parts)
		if lo < hi {
			chunk = max(chunk, colChunk(nr, k.kDim/k.slicesOf(g), hi-lo)) // (as colChunks.Run)
			rows = max(rows, k.bandRows(g, lo/g.ow, (hi-1)/g.ow+1))
		}
	}
	return parts, chunk, rows
}

// strided reports whether a 1×1 convolution on g skips input pixels.
func strided(g *geometry) bool { return g.sh != 1 || g.sw != 1 }

// subsample writes the pixels of the cg planes of x that a strided 1×1
// convolution reads, as the cg×OH·OW B matrix, into buf (then a tail of
// scratch, subScratch), on several threads when the copy is large enough
// to pay for the hand-off, and returns the matrix. The im2col route
// copied them twice (column phases, then the column chunks) and ran its
// GEMM chunk by chunk, streaming the weights once per chunk: ResNet-50's
// 1×1/2 layers ran at 76 % of the rate of a plain GEMM of their shape.
func (k *Conv) subsample(st *runState, buf, x []float32, g *geometry) []float32 {
	if g.outPlane == 0 {
		return buf[:0]
	}
	parts := k.subParts(g)
	st.sub = subTask{kt: k.kern, dst: buf, x: x, c: k.cg, g: g, parts: parts}
	parallel.Default().Run(&st.sub, parts)
	st.sub = subTask{}
	return buf[:k.cg*g.outPlane]
}

// subParts is how many threads share subsample's copy.
func (k *Conv) subParts(g *geometry) int {
	return k.parts(k.cg, k.cg*g.outPlane, 16<<10)
}

// subScratch is the float32s subsample takes: the matrix, then for stride
// 2 a plane per part for the odd columns that Deinterleave also writes.
func (k *Conv) subScratch(g *geometry) int {
	return (k.cg + k.subParts(g)) * g.outPlane
}

// subTask runs subsample, part i a range of the planes.
type subTask struct {
	kt     *asm.Kernels
	dst, x []float32
	c      int
	g      *geometry
	parts  int
}

func (t *subTask) Run(part int) {
	g := t.g
	odd := t.dst[(t.c+part)*g.outPlane:]
	for ci := part * t.c / t.parts; ci < (part+1)*t.c/t.parts; ci++ {
		d, x := t.dst[ci*g.outPlane:(ci+1)*g.outPlane], t.x[ci*g.inPlane:(ci+1)*g.inPlane]
		lds := g.sh * g.w // input rows read, sh rows apart
		switch g.sw {
		case 1:
			t.kt.CopyRows(g.oh, g.ow, &d[0], g.ow, &x[0], lds)
		case 2:
			// Columns 0, 2, …, 2·OW−2; the odd ones land in odd.
			_ = x[(g.oh-1)*lds+2*g.ow-2]
			t.kt.Deinterleave(g.oh, 2*g.ow-1, &d[0], &odd[0], g.ow, &x[0], lds)
		default:
			for oh := range g.oh {
				gather(d[oh*g.ow:(oh+1)*g.ow], x[oh*lds:], g.sw)
			}
		}
	}
}

// im2col runs st.src's fill from x, on several threads when the copy is
// large enough to pay for the hand-off.
func (k *Conv) im2col(st *runState, x []float32) {
	s := &st.src
	if !s.owned {
		return
	}
	parts := k.parts(s.c, len(s.x), 32<<10)
	st.cols = im2colTask{src: s, x: x, parts: parts}
	parallel.Default().Run(&st.cols, parts)
	st.cols = im2colTask{}
}

// Describe names the algorithm and kernel table, e.g. "conv/winograd/avx2".
func (k *Conv) Describe() string { return "conv/" + k.algo + "/" + k.kern.Name }

// overlaps reports whether a and b share memory.
func overlaps(a, b []float32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, b0 := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&b[0]))
	return a0 < b0+4*uintptr(len(b)) && b0 < a0+4*uintptr(len(a))
}
