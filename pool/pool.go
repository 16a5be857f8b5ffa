package pool

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/freelist"
	"github.com/gocnn/gocnn/internal/parallel"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// ErrUnsupported is returned for pooling this package has no fast path for
// (more than two spatial axes); the caller should use the reference kernel.
var ErrUnsupported = errors.New("pool: unsupported pooling")

// Options tune the kernels of this package.
type Options struct {
	Threads int          // ≤ 0: GOMAXPROCS
	Kernels *asm.Kernels // row kernels; nil: asm.Default()
}

// kern returns the kernel table of o.
func (o *Options) kern() *asm.Kernels {
	if o.Kernels != nil {
		return o.Kernels
	}
	return asm.Default()
}

// Pool is a MaxPool (single output, no Indices) or AveragePool node over
// one or two spatial axes. It implements ops.Kernel and is safe for
// concurrent use.
type Pool struct {
	p    ops.PoolParams
	max  bool
	opts Options
	geo  atomic.Pointer[geometry]
}

// NewMax returns a MaxPool kernel. Nodes that also produce the Indices
// output must use the reference kernel.
func NewMax(p *ops.PoolParams, opts Options) (*Pool, error) { return newPool(p, true, opts) }

// NewAverage returns an AveragePool kernel.
func NewAverage(p *ops.PoolParams, opts Options) (*Pool, error) { return newPool(p, false, opts) }

func newPool(p *ops.PoolParams, isMax bool, opts Options) (*Pool, error) {
	if p == nil {
		return nil, errors.New("pool: nil params")
	}
	if k := len(p.KernelShape); k < 1 || k > 2 {
		return nil, fmt.Errorf("%w: %d spatial axes", ErrUnsupported, k)
	}
	return &Pool{p: *p, max: isMax, opts: opts}, nil
}

// axis holds, per output index o of one spatial axis, the first input
// position start[o] = o·stride − padBegin, the range [lo, hi) of kernel taps
// that fall inside the input, and the tap count inside the padded input
// (count_include_pad).
type axis struct {
	in, k, s, d int
	start       []int
	lo, hi      []int
	padCnt      []int
	inLo, inHi  int // outputs [inLo, inHi) have every tap inside the input
}

func newAxis(a ops.WindowAxis) axis {
	x := axis{in: a.In, k: a.Kernel, s: a.Stride, d: a.Dilation}
	x.start = make([]int, a.Out)
	x.lo = make([]int, a.Out)
	x.hi = make([]int, a.Out)
	x.padCnt = make([]int, a.Out)
	x.inLo, x.inHi = -1, -1
	for o := 0; o < a.Out; o++ {
		x.start[o] = o*a.Stride - a.PadBegin
		lo, hi := a.Taps(o, 0, a.In)
		p0, p1 := a.Taps(o, -a.PadBegin, a.In+a.PadEnd)
		x.lo[o], x.hi[o], x.padCnt[o] = lo, hi, p1-p0
		if lo == 0 && hi == a.Kernel {
			if x.inLo < 0 {
				x.inLo = o
			}
			x.inHi = o + 1
		}
	}
	if x.inLo < 0 {
		x.inLo, x.inHi = 0, 0
	}
	return x
}

type geometry struct {
	in, out []int
	planes  int // N·C
	h, w    axis
	inPlane int
	oh, ow  int
	fix33   []fixup // 3×3 stride-1 average pooling: see avg3x3Counts
	s1      bool    // the stride-1 routes run it (stride1)
	stacked bool    // the planes pool as one tall plane (stacked2x2)
}

func (k *Pool) geometry(x []int) (*geometry, error) {
	if g := k.geo.Load(); g != nil && tensor.SameShape(g.in, x) {
		return g, nil
	}
	pg, err := k.p.Geometry(x)
	if err != nil {
		return nil, err
	}
	g := &geometry{in: append([]int(nil), x...), out: pg.OutShape, planes: pg.N * pg.C}
	if len(pg.Axes) == 1 {
		g.h = newAxis(ops.WindowAxis{In: 1, Kernel: 1, Stride: 1, Dilation: 1, Out: 1})
		g.w = newAxis(pg.Axes[0])
	} else {
		g.h = newAxis(pg.Axes[0])
		g.w = newAxis(pg.Axes[1])
	}
	g.inPlane = g.h.in * g.w.in
	g.oh, g.ow = len(g.h.start), len(g.w.start)
	g.s1 = stride1(g)
	g.stacked = stacked2x2(g)
	if !k.max && g.s1 && g.h.k == 3 && g.w.k == 3 {
		g.fix33 = counts33(g, k.p.CountIncludePad)
	}
	k.geo.Store(g)
	return g, nil
}

// Infer implements ops.Kernel.
// It computes the output shape only: the geometry's per-output tables are
// built by the first Run, after the runtime has checked that shape
// against its limits (a fuzzed pad of 10⁸ columns had made Infer fill
// 3 GB of tables for an output the limits then refused).
func (k *Pool) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := input(in); err != nil {
		return nil, err
	}
	out := func(shape []int) []*tensor.Tensor {
		return []*tensor.Tensor{{DType: tensor.Float32, Shape: append([]int(nil), shape...)}}
	}
	if g := k.geo.Load(); g != nil && tensor.SameShape(g.in, in[0].Shape) {
		return out(g.out), nil
	}
	pg, err := k.p.Geometry(in[0].Shape)
	if err != nil {
		return nil, err
	}
	return out(pg.OutShape), nil
}

func (k *Pool) check(in []*tensor.Tensor) (*geometry, error) {
	if err := input(in); err != nil {
		return nil, err
	}
	return k.geometry(in[0].Shape)
}

// input checks that X is there and float32.
func input(in []*tensor.Tensor) error {
	if len(in) < 1 || in[0] == nil {
		return errors.New("pool: input X is missing")
	}
	if in[0].DType != tensor.Float32 {
		return fmt.Errorf("pool: X is %v, want float32", in[0].DType)
	}
	return nil
}

// Run implements ops.Kernel.
func (k *Pool) Run(in, out []*tensor.Tensor) error {
	g, err := k.check(in)
	if err != nil {
		return err
	}
	x, y, err := io(in, out, g.planes*g.inPlane, g.planes*g.oh*g.ow)
	if err != nil {
		return err
	}
	t := poolTasks.Get()
	*t = poolTask{k: k, g: g, x: x, y: y}
	t.parts = parts(k.opts.Threads, g.planes, g.planes*(g.inPlane+g.oh*g.ow))
	parallel.Default().Run(t, t.parts)
	*t = poolTask{}
	poolTasks.Put(t)
	return nil
}

// io checks and returns the data of in[0] and out[0].
func io(in, out []*tensor.Tensor, nx, ny int) (x, y []float32, err error) {
	x = in[0].Float32s()
	if len(x) != nx {
		return nil, nil, fmt.Errorf("pool: X has %d elements, want %d", len(x), nx)
	}
	if len(out) < 1 || out[0] == nil {
		return nil, nil, errors.New("pool: output is missing")
	}
	y = out[0].Float32s()
	if len(y) != ny {
		return nil, nil, fmt.Errorf("pool: output has %d elements, want %d", len(y), ny)
	}
	return x, y, nil
}

// parts returns how many parallel parts to cut units of work into, with at
// least ~32K elements touched per part.
func parts(threads, units, elems int) int {
	return max(1, min(parallel.Threads(threads), units, elems/(32<<10)))
}

type poolTask struct {
	k     *Pool
	g     *geometry
	x, y  []float32
	parts int
}

var poolTasks freelist.List[poolTask]

func (t *poolTask) Run(part int) {
	g := t.g
	lo, hi := part*g.planes/t.parts, (part+1)*g.planes/t.parts
	kt := t.k.opts.kern()
	planesF := kt.MaxPool3x3s1Planes
	if !t.k.max {
		planesF = kt.AvgPool3x3s1Planes
	}
	if planesF != nil && narrow33(g) {
		x, y := t.x[lo*g.inPlane:hi*g.inPlane], t.y[lo*g.oh*g.ow:hi*g.oh*g.ow]
		if len(x) > 0 {
			planesF(hi-lo, g.h.in, g.w.in, &y[0], &x[0])
		}
		if !t.k.max { // the border windows' counts (a mean of nine above)
			for p := 0; p < hi-lo; p++ {
				avg3x3Counts(g, y[p*g.oh*g.ow:])
			}
		}
		return
	}
	if g.stacked {
		buf := s1Bufs.Get()
		defer s1Bufs.Put(buf)
		rowsInto(s2Kernel(kt, g, t.k.max), (hi-lo)*g.oh, g.ow, t.y[lo*g.oh*g.ow:hi*g.oh*g.ow], t.x[lo*g.inPlane:hi*g.inPlane], g.w.in, 2, 2, negInf, buf)
		return
	}
	var buf *s1Buf
	if g.s1 || t.k.max && (padS2(g) || s2Short(g)) {
		buf = s1Bufs.Get()
		defer s1Bufs.Put(buf)
	}
	if t.k.max && g.s1 {
		nb := s1Stack(g)
		for pl := lo; pl < hi; pl += nb {
			n := min(nb, hi-pl)
			maxPlanesS1(t.k.opts.kern(), g, buf, t.x[pl*g.inPlane:(pl+n)*g.inPlane], t.y[pl*g.oh*g.ow:(pl+n)*g.oh*g.ow], n, nb)
		}
		return
	}
	for pl := lo; pl < hi; pl++ {
		x := t.x[pl*g.inPlane : (pl+1)*g.inPlane]
		y := t.y[pl*g.oh*g.ow : (pl+1)*g.oh*g.ow]
		if buf != nil && g.s1 {
			avgPlaneS1(t.k.opts.kern(), g, buf, t.k.p.CountIncludePad, x, y)
		} else if buf != nil && !padS2(g) {
			maxPlaneShort(t.k.opts.kern(), g, buf, x, y)
		} else if buf != nil {
			maxPlaneS2(t.k.opts.kern(), g, buf, x, y)
		} else if t.k.max {
			maxPlane(t.k.opts.kern(), g, x, y)
		} else {
			avgPlane(t.k.opts.kern(), g, t.k.p.CountIncludePad, x, y)
		}
	}
}

var negInf = float32(math.Inf(-1))

// maxPlane pools one plane. The interior of 2×2 and 3×3 stride-2 windows
// goes through the specialised rows kernels in one call, the rest through
// the general row kernel. All of them skip NaN, as the reference does (NaN
// is never selected; −Inf for a window without a number).
func maxPlane(kt *asm.Kernels, g *geometry, x, y []float32) {
	oh0, oh1, a, b, r, ok := s2Rows(g, x)
	if ok {
		s2Interior(s2Kernel(kt, g, true), g, oh0, oh1, a, b, r, y)
	}
	for oh := 0; oh < g.oh; oh++ {
		row := y[oh*g.ow : oh*g.ow+g.ow]
		if ok && oh >= oh0 && oh < oh1 {
			rowGeneral(kt, g, true, x, row, oh, 0, a)
			rowGeneral(kt, g, true, x, row, oh, b, g.ow)
		} else {
			rowGeneral(kt, g, true, x, row, oh, 0, g.ow)
		}
	}
}

// s2Rows reports whether the output rows [oh0, oh1) have interior outputs
// [a, b) that the 2×2 / 3×3 stride-2 rows kernels compute, reading x from
// r (rows W.in apart); the rest of the plane takes rowGeneral.
func s2Rows(g *geometry, x []float32) (oh0, oh1, a, b int, r []float32, ok bool) {
	H, W := &g.h, &g.w
	oh0, oh1, a, b = H.inLo, H.inHi, W.inLo, W.inHi
	if oh1 <= oh0 || H.d != 1 || W.d != 1 || W.s != 2 || H.k != W.k || (H.k != 2 && H.k != 3) || b <= a {
		return 0, 0, 0, 0, nil, false
	}
	st, x0 := H.start[oh0], W.start[a]
	_ = x[(H.start[oh1-1]+H.k-1)*W.in+x0+2*(b-a)+H.k-3] // last tap the rows kernels read
	return oh0, oh1, a, b, x[st*W.in+x0:], true
}

// s2Interior runs f over the interior [oh0, oh1) × [a, b) that s2Rows
// reported: one call when output rows are two input rows apart (stride 2
// down too, the rows kernels' layout), else a call per row.
func s2Interior(f asm.PoolRowsFunc, g *geometry, oh0, oh1, a, b int, r, y []float32) {
	if g.h.s == 2 {
		f(oh1-oh0, b-a, &y[oh0*g.ow+a], g.ow, &r[0], g.w.in)
		return
	}
	for oh := oh0; oh < oh1; oh++ {
		f(1, b-a, &y[oh*g.ow+a], g.ow, &r[(g.h.start[oh]-g.h.start[oh0])*g.w.in], g.w.in)
	}
}

// s2Kernel is the table's rows kernel for g's 2×2 or 3×3 stride-2
// windows.
func s2Kernel(kt *asm.Kernels, g *geometry, isMax bool) asm.PoolRowsFunc {
	switch {
	case isMax && g.h.k == 2:
		return kt.MaxPool2x2s2
	case isMax:
		return kt.MaxPool3x3s2
	case g.h.k == 2:
		return kt.AvgPool2x2s2
	}
	return kt.AvgPool3x3s2
}

// stride1 reports whether the stride-1 routes (maxPlanesS1, avgPlaneS1)
// run g: stride 1, no dilation, and a padded plane (which they copy whole)
// within a few times the input and output planes. Kernel sizes and pads
// come from the file: a 2⁴⁰-tap window over a padded input of two columns
// had asked for a 4 TB plane. Other windows take maxPlane and avgPlane,
// which visit only the taps inside the input.
func stride1(g *geometry) bool {
	if g.h.s != 1 || g.w.s != 1 || g.h.d != 1 || g.w.d != 1 || g.oh <= 0 || g.ow <= 0 {
		return false
	}
	hp, wp := padDims(g)
	return hp <= (4*(g.inPlane+g.oh*g.ow)+64)/wp
}

// narrow33 reports whether g is 3×3 stride-1 pooling padded by one on every
// side over planes the assembly MaxPool3x3s1Planes and AvgPool3x3s1Planes
// take, which compute all of a part's planes in one call (average pooling
// then scales the border windows by their counts, avg3x3Counts).
// GoogLeNet's inception pools had spent their time in a padded copy and a
// call per plane; BenchmarkPool, one thread, four alternations: 192@28
// 12.2 → 38.7 GB/s, 512@14 10.9 → 35.5, 832@7 7.5 → 29.1.
func narrow33(g *geometry) bool {
	H, W := &g.h, &g.w
	plane := H.in * W.in
	return g.s1 && H.k == 3 && W.k == 3 && H.start[0] == -1 && W.start[0] == -1 &&
		g.oh == H.in && g.ow == W.in && H.in >= 2 && W.in <= asm.PlanesWidest &&
		plane >= asm.PlanesMin && plane <= asm.PlanesMax
}

// s1Buf is one worker's scratch for the stride-1 and padded stride-2
// planes: the plane padded with −Inf or zeros (its borders kept between
// planes of the geometry and fill in key), the vertical and horizontal
// maxima or sums, and a row of −Inf to start folds from.
type s1Buf struct {
	pad, v, h, neg []float32
	key            [8]int
}

// grow makes room for n elements in v, h and neg.
func (buf *s1Buf) grow(n int) {
	if cap(buf.v) < n {
		buf.v, buf.h, buf.neg = make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range buf.neg {
			buf.neg[i] = negInf
		}
	}
}

var s1Bufs freelist.List[s1Buf]

// maxPlanesS1 pools n planes at stride 1 in two separable passes over
// copies of the planes padded with −Inf to hp×wp, stacked (nb at most).
// With rows wp apart, the stack is one flat row: v = max of the kh rows
// starting at each element (kH folds), then h = max of kw neighbours of v
// (kW folds), and output row oh of plane p is h[(p·hp+oh)·wp:][:OW]; the
// windows that straddle two planes are computed and never read. Stacking
// makes the folds a few calls for many small planes (a 7×7 plane cost ten
// calls). 3×3 windows, the common case (GoogLeNet's inception pools), take
// both passes in one MaxPool3x3s1 call per plane straight into y: 2.3× the
// rate of the six folds and their −Inf fills over the stack, and no copy
// of the rows out of it. MaxFold skips NaN in its source and
// the folds start from −Inf, so no NaN is ever selected and a window
// without a number gives −Inf, as the reference.
func maxPlanesS1(kt *asm.Kernels, g *geometry, buf *s1Buf, x, y []float32, n, nb int) {
	H, W := &g.h, &g.w
	wp, hp := buf.padPlanes(kt, g, x, n, nb, negInf)
	if H.k == 3 && W.k == 3 {
		// Both passes in one kernel, a call per plane straight into y.
		for p := 0; p < n; p++ {
			rowsInto(kt.MaxPool3x3s1, g.oh, g.ow, y[p*g.oh*g.ow:], buf.pad[p*hp*wp:], wp, 1, 3, negInf, buf)
		}
		return
	}
	nv := ((n-1)*hp + g.oh) * wp
	nh := nv - wp + g.ow
	buf.grow(nv)
	v, h := buf.v[:nv], buf.h[:nh]
	copy(v, buf.neg[:nv])
	for i := 0; i < H.k; i++ {
		src := buf.pad[i*wp : i*wp+nv]
		kt.MaxFold(nv, &v[0], &src[0], 1)
	}
	copy(h, buf.neg[:nh])
	for j := 0; j < W.k; j++ {
		src := v[j : j+nh]
		kt.MaxFold(nh, &h[0], &src[0], 1)
	}
	copyOut(kt, g, y, h, n, hp, wp)
}

// copyOut copies the n planes' output rows from the flat stack h (planes
// hp·wp apart, rows wp) to y.
func copyOut(kt *asm.Kernels, g *geometry, y, h []float32, n, hp, wp int) {
	for p := 0; p < n; p++ {
		dst, src := y[p*g.oh*g.ow:], h[p*hp*wp:]
		_, _ = dst[g.oh*g.ow-1], src[(g.oh-1)*wp+g.ow-1]
		kt.CopyRows(g.oh, g.ow, &dst[0], g.ow, &src[0], wp)
	}
}

// s1Stack is how many padded planes maxPlanesS1 stacks: about 4 K floats
// of planes up to 16×16 padded (14×14 maps); larger planes one by one,
// which kept the passes in L1 (28×28 maps: 7.2 GB/s one by one, 6.1
// stacked).
func s1Stack(g *geometry) int {
	hp, wp := padDims(g)
	if hp*wp > 256 {
		return 1
	}
	return (4 << 10) / (hp * wp)
}

// padDims is the size of a plane padded for g's windows: the pads before,
// the input, and what the last windows reach past it.
func padDims(g *geometry) (hp, wp int) {
	H, W := &g.h, &g.w
	return max(H.in-H.start[0], (g.oh-1)*H.s+H.k), max(W.in-W.start[0], (g.ow-1)*W.s+W.k)
}

// avgPlaneS1 pools one plane at stride 1 as maxPlaneS1 does, with sums
// (Add passes) over a copy padded with zeros: v = the sum of the kh rows
// starting at each element, h = the sum of kw neighbours of v, then each
// output row divided by its windows' counts (divide). The order of the
// additions differs from the windows' row-major order by rounding only.
// 3×3 windows take one AvgPool3x3s1 call (the nine taps' mean) straight
// into y instead, and the windows with fewer taps their count after
// (avg3x3Counts): Inception's 35×35 pools 5.2 → 12.5 GB/s, which had
// spent their time in seven passes and their copies.
func avgPlaneS1(kt *asm.Kernels, g *geometry, buf *s1Buf, cip bool, x, y []float32) {
	H, W := &g.h, &g.w
	wp := buf.padPlane(kt, g, x, 0)
	if H.k == 3 && W.k == 3 {
		rowsInto(kt.AvgPool3x3s1, g.oh, g.ow, y, buf.pad, wp, 1, 3, 0, buf)
		avg3x3Counts(g, y)
		return
	}
	nv, nh := g.oh*wp, (g.oh-1)*wp+g.ow
	buf.grow(nv)
	v, h := buf.v[:nv], buf.h[:nh]
	copy(v, buf.pad[:nv])
	for i := 1; i < H.k; i++ {
		src := buf.pad[i*wp : i*wp+nv]
		kt.Add(nv, &v[0], &v[0], &src[0])
	}
	copy(h, v[:nh])
	for j := 1; j < W.k; j++ {
		src := v[j : j+nh]
		kt.Add(nh, &h[0], &h[0], &src[0])
	}
	// Columns a…b−1 have whole windows across: there each row's count is
	// fixed, and the division a multiplication by its inverse on the row
	// kernels (within an ulp of the quotient; a division per element was
	// most of the time).
	a, b := 0, g.ow
	for a < b && colCount(g, cip, a) != W.k {
		a++
	}
	for b > a && colCount(g, cip, b-1) != W.k {
		b--
	}
	inf := float32(math.Inf(1))
	for oh := 0; oh < g.oh; oh++ {
		row := y[oh*g.ow : (oh+1)*g.ow]
		copy(row, h[oh*wp:oh*wp+g.ow])
		hc := H.hi[oh] - H.lo[oh]
		if cip {
			hc = H.padCnt[oh]
		}
		if hc > 0 && a < b {
			kt.ScaleShift(b-a, &row[a], &row[a], 1/float32(hc*W.k), negZero, -inf, inf)
			divide(g, cip, row, oh, 0, a)
			divide(g, cip, row, oh, b, g.ow)
			continue
		}
		divide(g, cip, row, oh, 0, g.ow)
	}
}

// avg3x3Counts turns the means of nine taps that AvgPool3x3s1 left in
// the plane y into means over each window's count where that is not nine
// (the borders, without count_include_pad): g.fix33 lists those outputs
// with their factors 9/count (0 for an empty window, whose taps are all
// padding zeros).
func avg3x3Counts(g *geometry, y []float32) {
	for _, f := range g.fix33 {
		y[f.i] *= f.f
	}
}

// fixup scales output i of a plane by f.
type fixup struct {
	i int32
	f float32
}

// counts33 lists the outputs of a 3×3 stride-1 average pooling plane
// whose windows count other than nine taps, with the factor that turns a
// mean of nine into their mean (see avg3x3Counts).
func counts33(g *geometry, cip bool) []fixup {
	var fix []fixup
	for oh := 0; oh < g.oh; oh++ {
		rc := g.h.hi[oh] - g.h.lo[oh]
		if cip {
			rc = g.h.padCnt[oh]
		}
		for ow := 0; ow < g.ow; ow++ {
			c := rc * colCount(g, cip, ow)
			switch {
			case c == 0:
				fix = append(fix, fixup{int32(oh*g.ow + ow), 0})
			case c != 9:
				fix = append(fix, fixup{int32(oh*g.ow + ow), 9 / float32(c)})
			}
		}
	}
	return fix
}

// negZero is −0: x·s + (−0) is x·s for every x, −0 included.
var negZero = float32(math.Copysign(0, -1))

// colCount is the number of elements column ow's windows count across.
func colCount(g *geometry, cip bool, ow int) int {
	if cip {
		return g.w.padCnt[ow]
	}
	return g.w.hi[ow] - g.w.lo[ow]
}

// padPlane copies plane x into buf.pad, padded with −Inf to cover every
// window (stride s: hp = (OH−1)·s + kH rows, likewise columns), and
// returns the row stride wp. The −Inf borders are written only when the
// geometry changes.
func (buf *s1Buf) padPlane(kt *asm.Kernels, g *geometry, x []float32, fill float32) (wp int) {
	wp, _ = buf.padPlanes(kt, g, x, 1, 1, fill)
	return wp
}

// padPlanes writes n planes of x (n ≤ nb) one under the other into
// buf.pad, each padded with fill to hp×wp; the buffer, its padding and 32
// floats of slack after it (maxPlaneS2's rounded-up rows read past the
// plane) are kept between calls with the same geometry, fill and nb.
func (buf *s1Buf) padPlanes(kt *asm.Kernels, g *geometry, x []float32, n, nb int, fill float32) (wp, hp int) {
	H, W := &g.h, &g.w
	ph, pw := -H.start[0], -W.start[0]
	hp, wp = padDims(g)
	size := nb*hp*wp + 32
	if key := [8]int{hp, wp, ph, pw, H.in, W.in, int(math.Float32bits(fill)), nb}; key != buf.key || len(buf.pad) < size {
		if cap(buf.pad) < size {
			buf.pad = make([]float32, size)
		}
		buf.pad = buf.pad[:size]
		for i := range buf.pad {
			buf.pad[i] = fill
		}
		buf.key = key
	}
	if H.in > 0 && W.in > 0 {
		for p := 0; p < n; p++ {
			dst, src := buf.pad[p*hp*wp+ph*wp+pw:], x[p*g.inPlane:]
			_, _ = dst[(H.in-1)*wp+W.in-1], src[H.in*W.in-1]
			kt.CopyRows(H.in, W.in, &dst[0], wp, &src[0], W.in)
		}
	}
	return wp, hp
}

// padS2 reports whether maxPlaneS2 runs g: 2×2 or 3×3 windows at stride 2
// that reach into padding (else maxPlane's row kernels cover every row).
func padS2(g *geometry) bool {
	H, W := &g.h, &g.w
	return H.s == 2 && W.s == 2 && H.d == 1 && W.d == 1 && H.k == W.k && (H.k == 2 || H.k == 3) &&
		g.oh > 0 && g.ow > 0 && (H.inLo != 0 || H.inHi != g.oh || W.inLo != 0 || W.inHi != g.ow)
}

// maxPlaneS2 pools one plane with padS2's windows, or with short rows
// (s2Short): one rows-kernel call over the plane padded with −Inf (the
// kernels skip NaN, and the padding never wins; rowsInto takes rows
// shorter than 8, which read up to 2·7+1 floats past a row: slack in
// buf.pad).
func maxPlaneS2(kt *asm.Kernels, g *geometry, buf *s1Buf, x, y []float32) {
	wp := buf.padPlane(kt, g, x, negInf)
	rowsInto(s2Kernel(kt, g, true), g.oh, g.ow, y, buf.pad, wp, 2, g.h.k, negInf, buf)
}

// maxPlaneShort pools one plane of 2×2 or 3×3 stride-2 windows that all
// lie inside it, in rows under 8 wide (s2Short, not padS2): rowsInto
// straight from x, whose 8-wide rows read on into the next input rows.
// Those reads stay inside x: with every window inside the plane (H ≥
// 2·OH+k−2, W ≥ 2·OW+k−2), at least (2·OH−2q−1)·W ≥ (16/OW−1)·2·OW ≥ 18
// floats follow the start of row q's last window row, of which it reads
// 14+k, for every row q whose extra outputs stay inside y (the others go
// through rowsInto's copy). The padded copy of the plane that maxPlaneS2
// makes was a third of GoogLeNet's 14→7 pool.
func maxPlaneShort(kt *asm.Kernels, g *geometry, buf *s1Buf, x, y []float32) {
	rowsInto(s2Kernel(kt, g, true), g.oh, g.ow, y, x, g.w.in, 2, g.h.k, negInf, buf)
}

// rowsInto computes rows output rows of y (ow apart) with the rows kernel
// f from r (k window rows ldr apart, each output row s input rows on).
// Rows shorter than 8 are computed 8 wide, so the kernels take whole
// blocks (a row of seven went to the Go twin, whose data-dependent
// branches cost ~90 cycles an output): the extra outputs land on the next
// row's, which the kernel computes after, and their extra reads on the
// rows after in r (the caller keeps them inside it). The rows whose extra
// outputs would pass the end of y go one by one from a copy of their
// input rows with fill after each (buf.v) into buf.h.
func rowsInto(f asm.PoolRowsFunc, rows, ow int, y, r []float32, ldr, s, k int, fill float32, buf *s1Buf) {
	nr := max(ow, 8)
	direct := rows
	if nr > ow {
		direct = 0
		if len(y) >= nr {
			direct = min(rows, (len(y)-nr)/ow+1)
		}
	}
	if direct > 0 {
		_, _ = r[(s*(direct-1)+k-1)*ldr+s*(nr-1)+k-1], y[(direct-1)*ow+nr-1] // last tap read, last output
		f(direct, nr, &y[0], ow, &r[0], ldr)
	}
	if direct == rows {
		return
	}
	span := s*(nr-1) + k // the columns an 8-wide row reads
	buf.grow(max(nr, k*span))
	in, out := buf.v[:k*span], buf.h[:nr]
	for q := direct; q < rows; q++ {
		for i := 0; i < k; i++ {
			row := in[i*span : (i+1)*span]
			n := copy(row, r[(s*q+i)*ldr:][:min(ldr, span)])
			for j := n; j < span; j++ {
				row[j] = fill
			}
		}
		f(1, nr, &out[0], nr, &in[0], span)
		copy(y[q*ow:(q+1)*ow], out[:ow])
	}
}

// stacked2x2 reports whether g's planes pool as one plane of planes·H
// rows, in one rows-kernel call (rowsInto) instead of one or more per
// plane: 2×2 windows at stride 2, all inside the input, and H = 2·OH, so
// that output row q of the stack reads input rows 2q and 2q+1 of it.
// GoogLeNet's 832×14×14 → 7×7 pool had spent most of its time in the
// per-plane calls (2.0× the time to stream it through memory).
func stacked2x2(g *geometry) bool {
	H, W := &g.h, &g.w
	return H.s == 2 && W.s == 2 && H.d == 1 && W.d == 1 && H.k == 2 && W.k == 2 &&
		g.oh > 0 && g.ow > 0 && H.in == 2*g.oh && H.inLo == 0 && H.inHi == g.oh && W.inLo == 0 && W.inHi == g.ow
}

// s2Short reports whether stride-2 max pooling with 2×2 or 3×3 windows
// has output rows too short for the row kernels' blocks of 8.
func s2Short(g *geometry) bool {
	H, W := &g.h, &g.w
	return H.s == 2 && W.s == 2 && H.d == 1 && W.d == 1 && H.k == W.k && (H.k == 2 || H.k == 3) &&
		g.oh > 0 && g.ow > 0 && g.ow < 8
}

// rowGeneral computes row[o0:o1] of output row oh for any window: the row
// is initialised (−Inf or 0), then each kernel tap is folded in over the
// output range where it lies inside the input, a streaming loop per tap.
// For average pooling the row holds sums; avgPlane divides.
func rowGeneral(kt *asm.Kernels, g *geometry, isMax bool, x, row []float32, oh, o0, o1 int) {
	if o0 >= o1 {
		return
	}
	H, W := &g.h, &g.w
	seg := row[o0:o1]
	init := float32(0)
	if isMax {
		init = negInf
	}
	for i := range seg {
		seg[i] = init
	}
	// The column taps inside the input for some output of the range: from
	// the last window's first inside tap to the first window's last (not
	// all W.k: kernel sizes come from the file).
	j0, j1 := 0, 0
	if first := W.start[o0]; first < W.in {
		j1 = min(W.k, (W.in-first+W.d-1)/W.d)
	}
	if last := W.start[o1-1]; last < 0 {
		j0 = (-last + W.d - 1) / W.d
	}
	hs := H.start[oh]
	for i := H.lo[oh]; i < H.hi[oh]; i++ {
		line := x[(hs+i*H.d)*W.in : (hs+i*H.d+1)*W.in]
		for j := j0; j < j1; j++ {
			off := j * W.d
			// ow in [o0, o1) with 0 ≤ start[ow] + off < in; start[ow] = ow·s − pad.
			a, e := o0, o1
			for a < e && W.start[a]+off < 0 {
				a++
			}
			for e > a && W.start[e-1]+off >= W.in {
				e--
			}
			if a >= e {
				continue
			}
			src := line[W.start[a]+off:]
			dst := row[a:e]
			if isMax {
				_ = src[(len(dst)-1)*W.s]
				kt.MaxFold(len(dst), &dst[0], &src[0], W.s)
			} else {
				foldAdd(dst, src, W.s)
			}
		}
	}
}

// foldAdd sets dst[i] += src[i·s].
func foldAdd(dst, src []float32, s int) {
	if s == 1 {
		src = src[:len(dst)]
		for i, v := range src {
			dst[i] += v
		}
		return
	}
	for i := range dst {
		dst[i] += src[i*s]
	}
}

// avgPlane pools one plane (interior rows of 2×2 and 3×3 stride-2 windows
// through avg2x2s2 / avg3x3s2): sum of the taps inside the input divided by
// their count (or, with countIncludePad, by the taps inside the padded
// input); 0 for an empty window.
func avgPlane(kt *asm.Kernels, g *geometry, cip bool, x, y []float32) {
	oh0, oh1, a, b, r, ok := s2Rows(g, x)
	if ok {
		s2Interior(s2Kernel(kt, g, false), g, oh0, oh1, a, b, r, y)
	}
	for oh := 0; oh < g.oh; oh++ {
		row := y[oh*g.ow : oh*g.ow+g.ow]
		if ok && oh >= oh0 && oh < oh1 {
			rowGeneral(kt, g, false, x, row, oh, 0, a)
			rowGeneral(kt, g, false, x, row, oh, b, g.ow)
			divide(g, cip, row, oh, 0, a)
			divide(g, cip, row, oh, b, g.ow)
			continue
		}
		rowGeneral(kt, g, false, x, row, oh, 0, g.ow)
		divide(g, cip, row, oh, 0, g.ow)
	}
}

// divide turns the sums in row[o0:o1] into averages.
func divide(g *geometry, cip bool, row []float32, oh, o0, o1 int) {
	H := &g.h
	hc := H.hi[oh] - H.lo[oh]
	if cip {
		hc = H.padCnt[oh]
	}
	for ow := o0; ow < o1; ow++ {
		cnt := hc * colCount(g, cip, ow)
		if cnt > 0 && row[ow] != 0 {
			row[ow] /= float32(cnt)
		} else {
			row[ow] = 0
		}
	}
}

// Describe names the kernel and the table whose row kernels it runs on.
func (k *Pool) Describe() string {
	if k.max {
		return "pool/maxpool/" + k.opts.kern().Name
	}
	return "pool/avgpool/" + k.opts.kern().Name
}
