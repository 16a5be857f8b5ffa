package conv

import (
	"math"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/internal/parallel"
)

// A deep im2col product (sliceMinK or more rows of B, ResNet's 3×3 layers
// on 256 and 512 channels) whose B is implicit (small maps: see
// im2colPacks) is computed as two K slices, the halves of the input
// channels, each its own GEMM with its own packed half of the weights:
// slice 0 writes the output plainly, slice 1 a scratch matrix S, and a
// last pass over the output adds S, the bias and the residual and applies
// the activation. On maps of at most sliceMaxN outputs and two threads or
// more, the slices run side by side, each thread filling its channels'
// padded planes and multiplying them, instead of both threads packing the
// whole of B for their rows of W (the M split gemm makes when N is a
// strip or two). BenchmarkConv, two threads, medians of five: ResNet-18's
// 512→512 at 7×7 930 → 763 µs, ResNet-50's 3×3/2 on 512 channels 914 →
// 797; one thread even (1.0–1.4 % either way), and column chunks (OW ≥ 14)
// measured 5–9 % slower sliced, so they are not. Every thread count
// computes the same sums in the same order: results do not depend on it.
const sliceMaxN = 64

var sliceMinK = 2048 // a variable so tests can slice small products

// kSlices returns the K slices the product's weights may be packed in: 2
// for an ungrouped im2col product of at least sliceMinK on an even
// channel count, else 1.
func (k *Conv) kSlices() int {
	if k.group == 1 && k.kh*k.kw > 1 && k.cg%2 == 0 && k.kDim >= sliceMinK {
		return 2
	}
	return 1
}

// slicesTogether reports whether a Run on g multiplies the K slices side
// by side (sliceTask) rather than one after the other on all threads.
func (k *Conv) slicesTogether(g *geometry) bool {
	return k.threads() > 1 && !explicit(g) && g.outPlane <= sliceMaxN && k.slicesOf(g) > 1
}

// sliceScratch takes S, slice 1's product (M/g × OH·OW), from sh when the
// product is sliced.
func (k *Conv) sliceScratch(sh *carver, g *geometry) []float32 {
	if k.algoFor(g) != AlgoIm2col || k.slicesOf(g) == 1 {
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

// sumSlices finishes a sliced product p on the pool, part i a range of
// its rows (finishSlices).
func (k *Conv) sumSlices(st *runState, p *gemm.Params, part []float32) {
	st.sum = sumTask{k: k, p: *p, part: part, parts: k.parts(p.M, p.M*p.N, 16<<10)}
	parallel.Default().Run(&st.sum, st.sum.parts)
	st.sum = sumTask{}
}

// sliceTask runs K slice i as part i: it fills the slice's padded planes
// (its share of pad) and multiplies them on one thread.
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
	size := im2colSize(c, g, k.kh, k.kw)
	pad := t.pad[s*size : (s+1)*size]
	x := t.x[s*c*g.inPlane:]
	src := &t.src[s]
	*src = newIm2col(k.kern, &pad, x, c, g, k.kh, k.kw, false)
	src.fill(x, 0, c)
	mine, none := t.sc.part(s), carver{}
	_, _, ws := k.gemmScratch(&mine, &none, g, t.withGemm)
	p := t.p
	p.PackedA, p.BSource, p.Threads, p.Workspace = t.packed[s], src, 1, ws
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
// product p: C gets slice 1's product (part, laid out as C), then p's
// epilogue as a GEMM's micro-kernel applies it: the bias, the residual,
// the clamp or activation.
func finishSlices(kt *asm.Kernels, p *gemm.Params, part []float32, m0, m1, n0, n1 int) {
	w, ld := n1-n0, p.LDC
	if m0 >= m1 || w <= 0 {
		return
	}
	e := &p.Epilogue
	// Whole rows are one block of C.
	rows, span := m1-m0, w
	if w == p.N && ld == p.N && (e.Residual == nil || e.LDR == p.N) {
		rows, span = 1, (m1-m0)*w
	}
	lo, hi, clamp := e.Act.Clamp()
	fuse := clamp && e.Residual == nil // the clamp rides on the bias
	if !fuse {
		lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	}
	for r := range rows {
		at := (m0+r)*ld + n0
		c := p.C[at : at+span]
		kt.Add(span, &c[0], &part[at], &c[0])
	}
	for i := m0; i < m1; i++ {
		c := p.C[i*ld+n0 : i*ld+n1]
		switch {
		case e.BiasMode == gemm.BiasRow:
			kt.ScaleShift(w, &c[0], &c[0], 1, e.Bias[i], lo, hi)
		case fuse && rows > 1:
			kt.Activate(e.Act, w, &c[0], &c[0])
		}
	}
	for r := range rows {
		at := (m0+r)*ld + n0
		c := p.C[at : at+span]
		if fuse && rows == 1 && e.BiasMode != gemm.BiasRow {
			kt.Activate(e.Act, span, &c[0], &c[0])
		}
		if e.Residual != nil {
			ra := (m0+r)*e.LDR + n0
			kt.Add(span, &c[0], &c[0], &e.Residual[ra])
		}
		if !fuse {
			kt.Activate(e.Act, span, &c[0], &c[0])
		}
	}
}
