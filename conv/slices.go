package conv

import (
	"math"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/internal/parallel"
)

// A deep im2col product (sliceMinK or more rows of B, ResNet's 3×3 layers
// on 256 and 512 channels) whose B is implicit, and a 1×1 product with at
// least four input channels per output channel (and sliceMinK/4) on a
// map of at most sliceMax1x1 pixels (ResNet-50's 1024→256 and 2048→512
// layers; see sliced), is computed as two K slices, the halves of the
// input channels, each its own GEMM with its own packed half of the
// weights: slice 0 writes the output plainly, slice 1 a scratch matrix S,
// and a last pass over the output adds S, the bias and the residual and
// applies the activation. On two threads or more (im2col: on maps of at
// most sliceMaxN outputs) the slices run side by side, each thread
// packing only its half of B, and reading the input channels that the
// layer before, split by output channels, wrote on its core; gemm's M
// split had both threads pack the whole of B, half of it from the other
// core. Two threads, medians of five: BenchmarkConv ResNet-18's 512→512
// at 7×7 930 → 763 µs, ResNet-50's 3×3/2 on 512 channels 914 → 797;
// ResNet-50's seven 1×1 layers so sliced 2.48–2.60 → 2.22–2.26 ms a run
// (gocnn bench -profile, three alternations). One thread even (1–2 %
// either way); column chunks (OW ≥ 14) measured 5–9 % slower sliced, so
// they are not. Every thread count computes the same sums in the same
// order: results do not depend on it.
const (
	sliceMaxN   = 64
	sliceMax1x1 = 256
)

var sliceMinK = 2048 // a variable so tests can slice small products

// kSlices returns the K slices the product's weights may be packed in: 2
// for an ungrouped product on an even channel count, im2col of at least
// sliceMinK rows of B, or 1×1 with four input channels per output channel
// and sliceMinK/4 in all; else 1.
func (k *Conv) kSlices() int {
	if k.group != 1 || k.cg%2 != 0 || k.kDim < sliceMinK/4 {
		return 1
	}
	if k.kh*k.kw > 1 && k.kDim >= sliceMinK || k.kh*k.kw == 1 && k.cg >= 4*k.m {
		return 2
	}
	return 1
}

// sliced reports whether a product whose weights kSlices allows to slice
// is sliced for its first input's geometry g: im2col when its B is
// implicit (not column chunks), 1×1 unstrided on at most sliceMax1x1
// pixels.
func (k *Conv) sliced(g *geometry) bool {
	if k.algo == AlgoGEMM1x1 {
		return !strided(g) && g.outPlane <= sliceMax1x1
	}
	return !explicit(g)
}

// slicesTogether reports whether a Run on g multiplies the K slices side
// by side (sliceTask) rather than one after the other on all threads.
func (k *Conv) slicesTogether(g *geometry) bool {
	return k.threads() > 1 && (k.algo == AlgoGEMM1x1 || !explicit(g) && g.outPlane <= sliceMaxN) && k.slicesOf(g) > 1
}

// sliceScratch takes S, slice 1's product (M/g × OH·OW), from sh when the
// product is sliced.
func (k *Conv) sliceScratch(sh *carver, g *geometry) []float32 {
	if a := k.algoFor(g); a != AlgoIm2col && a != AlgoGEMM1x1 || k.slicesOf(g) == 1 {
		return nil
	}
	return sh.take(k.m / k.group * g.outPlane)
}

// runSlices computes p, one image's product, as its K slices side by
// side (slicesTogether), with packed their weights and x the image's
// planes; pad holds their padded planes, part receives slice 1's product.
func (k *Conv) runSlices(st *runState, g *geometry, p *gemm.Params, packed []*gemm.PackedA, x, pad, part []float32) {
	q := *p
	q.Epilogue = gemm.Epilogue{}
	st.slice = sliceTask{k: k, g: g, p: q, packed: packed, x: x, pad: pad, part: part, sc: st.sc, withGemm: st.withGemm, gs: st.gemmStates(len(packed))}
	parallel.Default().Run(&st.slice, len(packed))
	st.slice = sliceTask{}
	k.sumSlices(st, p, part)
}

// run1x1Slices computes p, a 1×1 product (group 1), as its K slices one
// after the other on all threads, B read in place.
func (k *Conv) run1x1Slices(st *runState, g *geometry, p *gemm.Params, packed []*gemm.PackedA, x, part []float32) {
	c := k.cg / len(packed)
	q := *p
	q.Epilogue = gemm.Epilogue{}
	for s, pa := range packed {
		q.PackedA, q.B, q.LDB = pa, x[s*c*g.inPlane:(s+1)*c*g.inPlane], g.outPlane
		if s > 0 {
			q.C = part
		}
		gemm.Gemm(&q)
	}
	k.sumSlices(st, p, part)
}

// sumSlices finishes a sliced product p on the pool, part i a range of
// its rows (finishSlices).
func (k *Conv) sumSlices(st *runState, p *gemm.Params, part []float32) {
	st.sum = sumTask{k: k, p: *p, part: part, parts: k.parts(p.M, p.M*p.N, 16<<10)}
	parallel.Default().Run(&st.sum, st.sum.parts)
	st.sum = sumTask{}
}

// sliceTask runs K slice i as part i: it fills the slice's padded planes
// (its share of pad; a 1×1 product reads its planes in place) and
// multiplies them on one thread.
type sliceTask struct {
	k         *Conv
	g         *geometry
	p         gemm.Params // the product without its epilogue
	packed    []*gemm.PackedA
	x         []float32 // the image's planes
	pad, part []float32
	sc        scratchBuf
	withGemm  bool
	gs        []gemm.State
	src       [2]im2colSource
}

func (t *sliceTask) Run(s int) {
	k, g := t.k, t.g
	c := k.cg / len(t.packed)
	x := t.x[s*c*g.inPlane:]
	mine, none := t.sc.part(s), carver{}
	_, _, ws := k.gemmScratch(&mine, &none, g, t.withGemm)
	p := t.p
	p.PackedA, p.Threads, p.Workspace = t.packed[s], 1, ws
	src := &t.src[s]
	if k.algo == AlgoGEMM1x1 {
		p.B, p.LDB = x[:c*g.inPlane], g.outPlane
	} else {
		size := im2colSize(c, g, k.kh, k.kw)
		pad := t.pad[s*size : (s+1)*size]
		*src = newIm2col(k.kern, &pad, x, c, g, k.kh, k.kw, false)
		src.fill(x, 0, c)
		p.BSource = src
	}
	if s > 0 {
		p.C = t.part
	}
	t.gs[s].Gemm(&p)
	*src = im2colSource{}
}

// sumTask runs finishSlices on p's rows, part i a range of them.
type sumTask struct {
	k     *Conv
	p     gemm.Params
	part  []float32
	parts int
}

func (t *sumTask) Run(i int) {
	finishSlices(t.k.kern, &t.p, t.part, i*t.p.M/t.parts, (i+1)*t.p.M/t.parts, 0, t.p.N)
}

// finishSlices finishes rows [m0, m1), columns [n0, n1) of a sliced
// product p: C gets slice 1's product, then p's epilogue as a GEMM's
// micro-kernel applies it: the bias, the residual, the clamp or
// activation. C, the residual and part (slice 1's) are alike: M×N, rows
// N apart.
func finishSlices(kt *asm.Kernels, p *gemm.Params, part []float32, m0, m1, n0, n1 int) {
	w, ld, e := n1-n0, p.LDC, &p.Epilogue
	if m0 >= m1 || w <= 0 {
		return
	}
	// each runs f on the block's rows, or on the block at once when its
	// rows are whole.
	each := func(f func(c []float32, at int)) {
		if w == ld {
			f(p.C[m0*ld:m1*ld], m0*ld)
			return
		}
		for i := m0; i < m1; i++ {
			f(p.C[i*ld+n0:i*ld+n1], i*ld+n0)
		}
	}
	each(func(c []float32, at int) { kt.Add(len(c), &c[0], &part[at], &c[0]) })
	lo, hi, clamp := e.Act.Clamp()
	fuse := clamp && e.Residual == nil // the clamp rides on the bias
	if !fuse {
		lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	}
	if e.BiasMode == gemm.BiasRow {
		for i := m0; i < m1; i++ {
			c := p.C[i*ld+n0 : i*ld+n1]
			kt.ScaleShift(w, &c[0], &c[0], 1, e.Bias[i], lo, hi)
		}
	} else if fuse {
		each(func(c []float32, _ int) { kt.Activate(e.Act, len(c), &c[0], &c[0]) })
	}
	if e.Residual != nil {
		each(func(c []float32, at int) { kt.Add(len(c), &c[0], &c[0], &e.Residual[at]) })
	}
	if !fuse {
		each(func(c []float32, _ int) { kt.Activate(e.Act, len(c), &c[0], &c[0]) })
	}
}
