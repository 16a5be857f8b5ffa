package conv

import (
	"math"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/internal/cpu"
	"github.com/gocnn/gocnn/internal/freelist"
	"github.com/gocnn/gocnn/internal/parallel"
)

// im2colSource is the implicit im2col matrix of one image and group, a
// gemm.BSource. Row q = (ci·kH + i)·kW + j (W's layout) and column
// t = oh·OW + ow hold
//
//	B[q][t] = X[ci][oh·sH − pH + i·dH][ow·sW − pW + j·dW]   (0 outside X)
//
// so W_g·B is the convolution. x is the group's channels with the padding
// already materialised (im2colPad), so PackB has no edge checks: for each
// panel strip a table of the columns' offsets is built once, then every row
// of the strip is row[j] = x[δ(q) + off[j]]: with the table's PermuteRows
// each 16 columns are lanes of one window of x (see permute), else the
// row is copied run by run where the offsets are consecutive and gathered
// otherwise. No column buffer exists.
//
// At a column stride sW > 1 (without dilation) the padded planes are
// stored as sW column phases, x[φ][ci][r][u] = padded[ci][r][u·sW + φ],
// so that the windows' columns ow·sW + j are consecutive within phase
// j mod sW: copies again, not gathers.
//
// An explicit column matrix at column stride 2 (direct) is written from
// the image itself instead, by CopyRowsS2, padding as zeros: the phases
// had been a second copy of the input, written before the first column
// (9 % of ResNet-50's 3×3/2 layers' time on one thread; with two, a pass
// over the input that both threads wait for).
type im2colSource struct {
	x      []float32 // phases × C/g padded planes of hp·wp (direct: the C/g planes of X)
	hp, wp int       // wp: the width of one phase's rows
	phases int       // 1, or sW
	c      int       // planes per phase
	g      *geometry
	kh, kw int
	top    int  // x's planes start at padded row top (a thread's band; else 0)
	owned  bool // x is scratch that fill writes (not the input itself)
	direct bool // x is X's planes, unpadded, for colsInto and colsIntoPacked at stride 2 only
	kt     *asm.Kernels
}

const maxNR = 64

// PackB implements gemm.BSource.
func (s *im2colSource) PackB(dst []float32, k0, kc, n0, nc, nr int) {
	if nr > maxNR {
		panic("conv: micro-kernel NR above 64")
	}
	if s.direct {
		panic("conv: implicit packing from a direct im2col source")
	}
	g := s.g
	OW := g.ow
	kk := s.kh * s.kw
	// Column step of the window origin in x (1 inside a phase).
	step := g.sw
	if s.phases > 1 {
		step = 1
	}
	var offs [maxNR]int
	var segs [maxNR][2]int // first column, length
	var ps *permScratch
	if s.kt.PermuteRows != nil && nr%16 == 0 {
		ps = permScratches.Get()
		defer permScratches.Put(ps)
	}
	for st := 0; st*nr < nc; st++ {
		w := min(nr, nc-st*nr)
		d := dst[st*kc*nr : (st+1)*kc*nr]
		col := n0 + st*nr
		oh, ow := col/OW, col%OW
		// Runs of consecutive offsets (stride 1 within an output row) are
		// copied; short runs are gathered.
		nseg := 0
		for j := 0; j < w; j++ {
			offs[j] = s.origin(oh, ow*step)
			if j == 0 || offs[j] != offs[j-1]+1 {
				segs[nseg] = [2]int{j, 0}
				nseg++
			}
			segs[nseg-1][1]++
			if ow++; ow == OW {
				ow = 0
				oh++
			}
		}
		off := offs[:w]
		if ps != nil && s.permute(ps, d, off, nr, k0, kc) {
			continue
		}
		copies := nseg*8 <= w
		ci := k0 / kk
		r := k0 % kk
		ki, kj := r/s.kw, r%s.kw
		for p := 0; p < kc; p++ {
			s.packRow(d[p*nr:p*nr+nr], s.x[s.base(ci, ki, kj):], off, segs[:nseg], copies)
			if kj++; kj == s.kw {
				kj = 0
				if ki++; ki == s.kh {
					ki = 0
					ci++
				}
			}
		}
	}
}

// packRow writes one packed row from src (the row's window origin): the
// columns at off, copied run by run (segs: first column, length) or
// gathered, then zeros to the strip's width.
func (s *im2colSource) packRow(row, src []float32, off []int, segs [][2]int, copies bool) {
	w := len(off)
	if copies {
		for _, sg := range segs {
			o := off[sg[0]]
			copy(row[sg[0]:sg[0]+sg[1]], src[o:o+sg[1]])
		}
	} else {
		out := row[:w]
		for j, o := range off {
			out[j] = src[o]
		}
	}
	for i := w; i < len(row); i++ {
		row[i] = 0
	}
}

// permRows is how many rows' window origins permute lists at a time.
const permRows = 128

// permScratch holds permute's tables, which PermuteRows reads through
// pointers (on the stack they would escape: the kernel is a func value).
type permScratch struct {
	idx   [maxNR / 16][16]int32
	bases [permRows]int
}

var permScratches freelist.List[permScratch]

// permute packs the kc rows from k0 of one strip (columns at off, nr
// wide, a multiple of 16) with the table's PermuteRows, its tables in ps:
// each 16 columns of a row are lanes of the 48-float window at their first
// offset, so any pattern of columns spanning at most 48 floats per 16
// (three rows of a 7×7 map, plain or in stride-2 phases; a run) is three
// loads, two permutes and one store. It reports false, packing nothing,
// when a group of 16 spans more. A row whose window would end past x (the
// last plane's last rows) is packed by packRow.
func (s *im2colSource) permute(ps *permScratch, d []float32, off []int, nr, k0, kc int) bool {
	w, nv := len(off), nr/16
	for j0 := 0; j0 < w; j0 += 16 {
		if off[min(j0+16, w)-1]-off[j0] >= 48 {
			return false
		}
	}
	idx, bases := &ps.idx, &ps.bases
	var lo [maxNR / 16]int
	var mask [maxNR / 16]int
	far := 0 // the furthest window start past a row's origin
	for v := range nv {
		j0, j1 := 16*v, min(16*v+16, w)
		lo[v] = off[0] // (a group past w: zeros, from the first window)
		if j0 < j1 {
			lo[v] = off[j0]
			for j := j0; j < j1; j++ {
				idx[v][j-j0] = int32(off[j] - lo[v])
			}
			mask[v] = 1<<(j1-j0) - 1
		}
		far = max(far, lo[v])
	}
	kk := s.kh * s.kw
	ci, r := k0/kk, k0%kk
	ki, kj := r/s.kw, r%s.kw
	last := len(s.x) - 48 - far // a window origin past it ends past x
	for p0 := 0; p0 < kc; p0 += permRows {
		n := min(permRows, kc-p0)
		for i := range n {
			bases[i] = s.base(ci, ki, kj)
			if kj++; kj == s.kw {
				kj = 0
				if ki++; ki == s.kh {
					ki = 0
					ci++
				}
			}
		}
		for i := 0; i < n; {
			e := i
			for e < n && bases[e] <= last {
				e++
			}
			if e > i {
				for v := range nv {
					s.kt.PermuteRows(e-i, &d[(p0+i)*nr+16*v], nr, &s.x[lo[v]], &bases[i], &idx[v][0], mask[v])
				}
			}
			if e < n { // a window past x
				s.packRow(d[(p0+e)*nr:(p0+e)*nr+nr], s.x[bases[e]:], off, nil, false)
				e++
			}
			i = e
		}
	}
	return true
}

// phased reports whether im2col stores g's padded planes as column
// phases (see im2colSource).
func phased(g *geometry) bool { return g.sw > 1 && g.dw == 1 }

// im2colPad returns the B source of c planes of x (one image's group):
// padded (or x itself), or at stride sW > 1 its sW column phases, written
// into buf (im2colSize floats).
func im2colPad(kt *asm.Kernels, buf *[]float32, x []float32, c int, g *geometry, kh, kw int) im2colSource {
	s := newIm2col(kt, buf, x, c, g, kh, kw, false)
	s.fill(x, 0, c)
	return s
}

// newIm2col lays out the B source of c planes of x in buf (grown to
// im2colSize floats if needed) without writing it: fill does, per range
// of planes, so that threads can share the copy. Without padding or
// phases, or for direct (see direct), the source is x itself and fill
// does nothing.
func newIm2col(kt *asm.Kernels, buf *[]float32, x []float32, c int, g *geometry, kh, kw int, direct bool) im2colSource {
	if direct {
		return im2colSource{x: x[:c*g.inPlane], hp: g.h, wp: g.w, phases: 1, c: c, g: g, kh: kh, kw: kw, direct: true, kt: kt}
	}
	s := im2colLayout(kt, x, c, g, kh, kw)
	if !s.owned {
		return s
	}
	n := s.phases * c * s.hp * s.wp
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	s.x = (*buf)[:n]
	return s
}

// im2colLayout is newIm2col's source before it has a buffer: x itself
// without padding or phases, else owned with x unset.
func im2colLayout(kt *asm.Kernels, x []float32, c int, g *geometry, kh, kw int) im2colSource {
	hp, wp, pads := padDims(g, kh, kw)
	phases := 1
	if phased(g) {
		phases = g.sw
		wp = (wp + phases - 1) / phases
	} else if !pads {
		return im2colSource{x: x[:c*g.inPlane], hp: hp, wp: wp, phases: 1, c: c, g: g, kh: kh, kw: kw, kt: kt}
	}
	return im2colSource{hp: hp, wp: wp, phases: phases, c: c, g: g, kh: kh, kw: kw, owned: true, kt: kt}
}

// fill writes planes c0..c1 of the source from x (all of the group's
// planes). Rows and phases no window reads (a 1×1 kernel at stride 2
// reads every other row of phase 0) are left unwritten.
func (s *im2colSource) fill(x []float32, c0, c1 int) {
	if !s.owned {
		return
	}
	g := s.g
	plane := s.hp * s.wp
	// The padded rows this source holds: [top, bot).
	top := s.top
	hpAll, _, _ := padDims(g, s.kh, s.kw)
	bot := min(top+s.hp, hpAll)
	if s.phases == 1 {
		for ci := c0; ci < c1; ci++ {
			padRows(s.kt, s.x[ci*plane:(ci+1)*plane], x[ci*g.inPlane:(ci+1)*g.inPlane], g, s.wp, top, bot-top)
		}
		return
	}
	st := s.phases
	wq := s.wp
	every := g.dh == 1 && s.kh >= g.sh // windows overlap: every row is read
	quad := st == 4 && s.kw >= st && g.w >= 8
	var tmp *[]float32
	if quad {
		tmp = rowTemps.Get()
		defer rowTemps.Put(tmp)
		if len(*tmp) < g.w {
			*tmp = make([]float32, g.w)
		}
	}
	s.edges(c0, c1, every)
	// Row by row, every phase of a row before the next (phase φ holds
	// kernel columns φ, φ+sW, …): the input row comes from memory once.
	// Phase by phase, the bands of AlexNet's 11×11/4 stem had filled at
	// half the rate on two threads. (Stride 2: both phases at once below.)
	for ci := c0; ci < c1 && st > 2; ci++ {
		for r := max(top, g.ph); r < min(bot, g.ph+g.h); r++ {
			if !every && !s.rowRead(r) {
				continue
			}
			line := x[ci*g.inPlane+(r-g.ph)*g.w:][:g.w]
			if quad {
				s.quarter(*tmp, line, ci, r)
				continue
			}
			for φ := 0; φ < min(st, s.kw); φ++ {
				if u0, u1 := s.inside(φ); u1 > u0 {
					row := s.x[(φ*s.c+ci)*plane+(r-top)*wq:][:wq]
					gather(row[u0:u1], line[u0*st+φ-g.pw:], st)
				}
			}
		}
	}
	if st == 2 && g.w > 0 {
		// (The unread phase of a 1×1 kernel is scratch.)
		pe, ue, po, uo := deinterleaved(g.pw)
		ne, no := (g.w+1)/2, g.w/2 // even and odd input columns
		for ci := c0; ci < c1; ci++ {
			ev := s.x[(pe*s.c+ci)*plane+ue : (pe*s.c+ci+1)*plane]
			od := s.x[(po*s.c+ci)*plane+uo : (po*s.c+ci+1)*plane]
			xc := x[ci*g.inPlane : (ci+1)*g.inPlane]
			// rows writes padded rows r0…r0+n−1 of both phases.
			rows := func(r0, n int) {
				b := r0 - top
				_ = ev[(b+n-1)*wq+ne-1] // the last even column written
				odd := &ev[b*wq]        // (one input column: none odd, never written)
				if no > 0 {
					_ = od[(b+n-1)*wq+no-1]
					odd = &od[b*wq]
				}
				s.kt.Deinterleave(n, g.w, &ev[b*wq], odd, wq, &xc[(r0-g.ph)*g.w], g.w)
			}
			// The input's rows within [top, bot).
			v0, v1 := max(top, g.ph), min(bot, g.ph+g.h)
			if every {
				if v0 < v1 {
					rows(v0, v1-v0)
				}
				continue
			}
			for r := v0; r < v1; r++ {
				if s.rowRead(r) {
					rows(r, 1)
				}
			}
		}
	}
}

// edges zeroes what the phases of planes c0..c1 hold outside X: the
// padding rows, and in each row the columns before and after the span
// inside returns. Each row's edge is a few floats, cleared in line: a
// memclr call per row and phase, with its columns worked out again for
// each row, had cost the 3-channel stride-2 stems as long as the
// Deinterleave that copies the rows.
func (s *im2colSource) edges(c0, c1 int, every bool) {
	g := s.g
	plane, wq := s.hp*s.wp, s.wp
	hpAll, _, _ := padDims(g, s.kh, s.kw)
	bot := min(s.top+s.hp, hpAll)
	for φ := 0; φ < min(s.phases, s.kw); φ++ {
		u0, u1 := s.inside(φ)
		for ci := c0; ci < c1; ci++ {
			p := s.x[(φ*s.c+ci)*plane : (φ*s.c+ci+1)*plane]
			for r := s.top; r < bot; r++ {
				if !every && !s.rowRead(r) {
					continue
				}
				row := p[(r-s.top)*wq:][:wq]
				if ih := r - g.ph; ih < 0 || ih >= g.h {
					clear(row)
					continue
				}
				for u := 0; u < u0; u++ {
					row[u] = 0
				}
				for u := u1; u < wq; u++ {
					row[u] = 0
				}
			}
		}
	}
}

// inside returns the columns [u0, u1) of phase φ's rows that hold input
// columns u·sW + φ − pW inside X.
func (s *im2colSource) inside(φ int) (u0, u1 int) {
	g, st := s.g, s.phases
	u0 = max(0, (g.pw-φ+st-1)/st)
	return u0, max(u0, min(s.wp, (g.w+g.pw-φ+st-1)/st))
}

// rowTemps hold quarter's halves of a row.
var rowTemps freelist.List[[]float32]

// quarter writes input row line (plane ci, padded row r; at least 8
// columns) into its four phases at column stride 4: Deinterleave splits
// it into its even and odd columns (in tmp), then each of those into
// theirs, columns j, j+4, … (j = 0…3) landing in phase (j+pW) mod 4. On
// AlexNet's stem (one thread) the fill took 84–94 µs a run with a scalar
// gather per phase, 70 µs this way.
func (s *im2colSource) quarter(tmp, line []float32, ci, r int) {
	g, plane, w := s.g, s.hp*s.wp, len(line)
	dst := func(j int) *float32 { // where input column j lands
		p := j + g.pw
		row := s.x[((p%4)*s.c+ci)*plane+(r-s.top)*s.wp:][:s.wp]
		return &row[p/4 : p/4+(w-j+3)/4][0]
	}
	ne := (w + 1) / 2
	_ = tmp[w-1]
	s.kt.Deinterleave(1, w, &tmp[0], &tmp[ne], 0, &line[0], 0)
	s.kt.Deinterleave(1, ne, dst(0), dst(2), 0, &tmp[0], 0)
	s.kt.Deinterleave(1, w/2, dst(1), dst(3), 0, &tmp[ne], 0)
}

// deinterleaved says where Deinterleave puts a row padded by pw columns
// on the left: input column iw is padded column iw + pw, so the even input
// columns land in phase pe (padded columns of that parity) from phase
// column ue on, the odd ones in phase po from uo.
func deinterleaved(pw int) (pe, ue, po, uo int) {
	return pw % 2, pw / 2, (pw + 1) % 2, (pw + 1) / 2
}

// rowRead reports whether some window reads padded row r.
func (s *im2colSource) rowRead(r int) bool {
	g := s.g
	for i := 0; i < s.kh; i++ {
		d := r - i*g.dh
		if d >= 0 && d%g.sh == 0 && d/g.sh < g.oh {
			return true
		}
	}
	return false
}

// gather sets dst[u] = src[u·step] (strides above 2: stride 2 is
// Deinterleave's).
func gather(dst, src []float32, step int) {
	if len(dst) == 0 {
		return
	}
	src = src[:(len(dst)-1)*step+1]
	for u := range dst {
		dst[u] = src[u*step]
	}
}

// im2colTask runs fill on the pool's threads, part i a range of the
// planes.
type im2colTask struct {
	src   *im2colSource
	x     []float32
	parts int
}

func (t *im2colTask) Run(part int) {
	c := t.src.c
	t.src.fill(t.x, part*c/t.parts, (part+1)*c/t.parts)
}

// explicit reports whether the B matrix is better materialised (colsInto)
// than packed implicitly: when output rows are long, a column-matrix row
// is a few long copies, and gemm then packs B at full speed. Implicit
// packing costs a copy per row per NR-wide strip, which made the
// stems (3×3/2 and 7×7/2 on 224×224 images, K = 27…147) run at a third
// to a half of the GEMM rate. The matrix is written and multiplied in
// chunks of columns (colChunk) that stay in L2. Rows of 14 and 28 (the
// ResNets' 3×3/2 and 1×1/2 layers, 3×3 at 14×14) measured 5–10 % faster
// explicit, rows of 7 (copies of 28 bytes) 10–15 % slower.
func explicit(g *geometry) bool {
	return g.dw == 1 && g.ow >= 14
}

// direct reports whether an explicit column matrix on g is written from
// the image itself (im2colSource): at column stride 2. Stride 1 keeps its
// padded planes (one cheap copy; zeroing each tap's edge columns instead
// measured 6 % slower on AlexNet's 5×5 layer), wider strides (AlexNet's
// 11×11/4 stem) their phases, copied rather than gathered.
func direct(g *geometry) bool { return explicit(g) && g.sw == 2 }

// packedCols reports whether column chunks of c channels are written in
// gemm's packed layout (colsIntoPacked) rather than row-major (colsInto),
// which gemm packs: each CopyRows then moves c rows of at most NR floats.
// Measured (BenchmarkConv im2col, six alternations): ResNet's 3×3/2
// layers, c = 64…256, 7–12 % faster packed; AlexNet's 11×11/4 stem, c = 3,
// 6–16 % slower.
func packedCols(c int) bool { return c >= 16 }

// colSpan returns part's share of n columns: whole strips of nr, dealt
// evenly (the last strip may be partial). Chunks of the whole matrix dealt
// to the parts had split ResNet's 14×14 outputs 128/68 between two
// threads.
func colSpan(nr, n, part, parts int) (lo, hi int) {
	strips := (n + nr - 1) / nr
	return min(n, part*strips/parts*nr), min(n, (part+1)*strips/parts*nr)
}

// colChunk is the columns per chunk of a part's w columns of an explicit
// column matrix with kdim rows: chunks of at most about half of L2, each a
// multiple of nr wide (so that gemm's column strips do not depend on the
// chunking). The whole 147×12544 matrix of a 7×7 stem (7 MB) had come
// back from memory when gemm read it: the stem ran at 80 % of the rate of
// a 1×1 layer.
func colChunk(nr, kdim, w int) int {
	most := max(nr, cpu.L2/2/4/kdim)
	count := max(1, (w+most-1)/most)
	return min(w, roundUp((w+count-1)/count, nr))
}

// colsInto writes columns t0..t1 of the column matrix (N = OH·OW columns),
// every row, into cols: row q at cols[q*ld:], column t at t−t0. Requires
// unit column steps (dW = 1). Row q = ci·kk + tap reads plane ci at the
// tap's offset, so one CopyRows per tap and output row covers every input
// channel (rows a plane apart in x, kk·ld apart in cols); copying row by
// row was a call per 20–60 floats.
func (s *im2colSource) colsInto(cols []float32, ld, t0, t1 int) {
	g := s.g
	kk := s.kh * s.kw
	if s.c == 0 || t1 <= t0 {
		return
	}
	for r := 0; r < kk; r++ {
		row := cols[r*ld:]
		oh, ow := t0/g.ow, t0%g.ow
		for t := t0; t < t1; oh, ow = oh+1, 0 {
			n := min(g.ow-ow, t1-t)
			s.tapRows(row[t-t0:], kk*ld, r, oh, ow, n)
			t += n
		}
	}
}

// colsIntoPacked writes columns t0..t1 of the column matrix as gemm packs
// B (gemm.PackedB): strips of nr columns, each its K rows of nr floats,
// the partial last strip's extra columns left as they are (a column's
// products do not read other columns). One CopyRows per tap and run of
// an output row within a strip covers every input channel (rows a plane
// apart in x, kk·nr apart in the panel; a call per row had cost a call per
// 20–60 floats). gemm then reads the chunk without packing it again
// (colsInto's row-major chunk it packs: one copy more). With few channels
// a call moves too little (packedCols).
func (s *im2colSource) colsIntoPacked(panel []float32, nr, t0, t1 int) {
	g := s.g
	kk := s.kh * s.kw
	kdim := s.c * kk
	if s.c == 0 || t1 <= t0 {
		return
	}
	for r := 0; r < kk; r++ {
		oh, ow := t0/g.ow, t0%g.ow
		for t := t0; t < t1; {
			col := (t - t0) % nr
			n := min(g.ow-ow, t1-t, nr-col)
			s.tapRows(panel[((t-t0)/nr*kdim+r)*nr+col:], kk*nr, r, oh, ow, n)
			t += n
			if ow += n; ow == g.ow {
				oh, ow = oh+1, 0
			}
		}
	}
}

// tapRows writes the n columns from output (oh, ow) on, within one output
// row, of the column matrix's rows ci·kk + tap for every plane ci, to d,
// rows step apart.
func (s *im2colSource) tapRows(d []float32, step, tap, oh, ow, n int) {
	g := s.g
	ki, kj := tap/s.kw, tap%s.kw
	last := (s.c-1)*step + n - 1 // d's last element written
	if !s.direct {
		plane := s.hp * s.wp
		x := s.x[s.base(0, ki, kj)+s.origin(oh, ow):]
		_, _ = d[last], x[(s.c-1)*plane+n-1]
		s.kt.CopyRows(s.c, n, &d[0], step, &x[0], plane)
		return
	}
	_ = d[last]
	ih := oh*g.sh - g.ph + ki*g.dh
	if ih < 0 || ih >= g.h {
		for ci := range s.c {
			clear(d[ci*step : ci*step+n])
		}
		return
	}
	// Columns i < n read input column iw0 + 2i; those outside X are zeros.
	iw0 := ow*2 - g.pw + kj
	i0 := min(n, max(0, (-iw0+1)/2))
	i1 := max(i0, min(n, (g.w-iw0+1)/2))
	if i0 > 0 || i1 < n {
		// Stores, not clear: a clear is a memclr call, for the one or two
		// floats of each channel's row that a 3×3/2 layer's padding covers
		// (1.5 % of ResNet's 3×3/2 layers).
		for ci := range s.c {
			row := d[ci*step : ci*step+n]
			for j := range i0 {
				row[j] = 0
			}
			for j := i1; j < n; j++ {
				row[j] = 0
			}
		}
	}
	if i1 == i0 {
		return
	}
	m := i1 - i0
	x := s.x[ih*g.w+iw0+2*i0:]
	_ = x[(s.c-1)*g.inPlane+2*(m-1)]
	s.kt.CopyRowsS2(s.c, m, &d[i0], step, &x[0], g.inPlane)
}

// origin is the offset in x of the window of output row oh whose origin
// is column u of its phase (u = ow at stride 1 or with phases).
func (s *im2colSource) origin(oh, u int) int { return (oh*s.g.sh-s.top)*s.wp + u }

// base is the offset in x of window origin (0, 0)'s element for kernel
// tap (ki, kj) of plane ci: its phase's planes, then its row and column.
func (s *im2colSource) base(ci, ki, kj int) int {
	plane := s.hp * s.wp
	jo := kj * s.g.dw
	if s.phases > 1 {
		jo = (kj%s.phases)*s.c*plane + kj/s.phases
	}
	return ci*plane + ki*s.g.dh*s.wp + jo
}

// im2colSize is the float32s im2colPad writes into buf.
func im2colSize(c int, g *geometry, kh, kw int) int {
	if !phased(g) {
		return padSize(c, g, kh, kw)
	}
	hp, wp, _ := padDims(g, kh, kw)
	return c * hp * ((wp + g.sw - 1) / g.sw) * g.sw
}

// padded returns x's c planes (h×w) with the padding of g materialised:
// planes of hp×wp with the image at (pH, pW) and zeros around, written into
// buf (grown if needed). Without padding x itself is returned.
func padded(kt *asm.Kernels, buf *[]float32, x []float32, c int, g *geometry, kh, kw int) (xp []float32, hp, wp int) {
	hp, wp, pads := padDims(g, kh, kw)
	if !pads {
		return x[:c*g.inPlane], g.h, g.w
	}
	n := c * hp * wp
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	xp = (*buf)[:n]
	for ci := 0; ci < c; ci++ {
		padPlane(kt, xp[ci*hp*wp:(ci+1)*hp*wp], x[ci*g.inPlane:(ci+1)*g.inPlane], g, wp)
	}
	return xp, hp, wp
}

// padPlane writes plane x (h×w) into dp, rows wp apart, at (pH, pW) with
// zeros around.
func padPlane(kt *asm.Kernels, dp, x []float32, g *geometry, wp int) {
	padRows(kt, dp, x, g, wp, 0, len(dp)/wp)
}

// padRows writes rows [top, top+n) of plane x padded as padPlane does into
// dp, padded row r at dp[(r−top)·wp].
func padRows(kt *asm.Kernels, dp, x []float32, g *geometry, wp, top, n int) {
	v0, v1 := max(top, g.ph), min(top+n, g.ph+g.h) // the rows holding input
	if g.w == 0 || v0 >= v1 {
		clear(dp[:n*wp])
		return
	}
	clear(dp[:(v0-top)*wp])
	clear(dp[(v1-top)*wp : n*wp])
	for r := v0 - top; r < v1-top; r++ {
		clear(dp[r*wp : r*wp+g.pw])
		clear(dp[r*wp+g.pw+g.w : (r+1)*wp])
	}
	in := dp[(v0-top)*wp+g.pw:]
	_, _ = in[(v1-v0-1)*wp+g.w-1], x[(v1-g.ph)*g.w-1]
	kt.CopyRows(v1-v0, g.w, &in[0], wp, &x[(v0-g.ph)*g.w], g.w)
}

// padDims returns the size of the planes padded builds for g and a kh×kw
// kernel, and whether it builds any (false: g has no padding).
func padDims(g *geometry, kh, kw int) (hp, wp int, pads bool) {
	// Rows/columns the windows reach past the end.
	endH := max(0, (g.oh-1)*g.sh+(kh-1)*g.dh+1-g.ph-g.h)
	endW := max(0, (g.ow-1)*g.sw+(kw-1)*g.dw+1-g.pw-g.w)
	if g.ph == 0 && g.pw == 0 && endH == 0 && endW == 0 {
		return g.h, g.w, false
	}
	return g.h + g.ph + endH, g.w + g.pw + endW, true
}

// padSize is the float32s padded writes into buf for c planes (0 without
// padding).
func padSize(c int, g *geometry, kh, kw int) int {
	hp, wp, pads := padDims(g, kh, kw)
	if !pads {
		return 0
	}
	return c * hp * wp
}

// useOffs reports whether the im2col product on g runs through SgemmOffs
// (offsTask) rather than column chunks or implicit packing: the table has
// it; K is small (a column strip's K×NR floats of B, read in place by its
// first tile, stay in half of L1 for its other tiles, and K is one gemm k
// block): the 3×3 and 7×7 stems, not AlexNet's 11×11 (K = 363, which
// measured 6–18 % slower than column chunks); output rows are at least a
// strip wide; whole MR-row tiles cover each group's output channels; and
// the source is scratch (padded or phased planes, not the input) that
// int32 offsets can address.
func (k *Conv) useOffs(g *geometry) bool {
	kt := k.kern
	return kt.SgemmOffs != nil && 4*k.kDim*kt.NR <= cpu.L1D/2 && gemm.OneBlock(kt, k.kDim) &&
		g.dw == 1 && g.ow >= kt.NR && (k.m/k.group)%kt.MR == 0 &&
		k.ownsSource(g) && im2colSize(k.cg, g, k.kh, k.kw) <= math.MaxInt32
}

// ownsSource reports whether the im2col source on g is a copy (padded or
// phased planes), not the input itself.
func (k *Conv) ownsSource(g *geometry) bool {
	_, _, pads := padDims(g, k.kh, k.kw)
	return phased(g) || pads
}

// offsBands returns the parts an offsTask on g runs in and the padded
// rows the widest part's band holds.
func (k *Conv) offsBands(g *geometry) (parts, rows int) {
	parts = k.parts(g.oh, k.m/k.group*g.outPlane, 16<<10)
	for part := range parts {
		if r0, r1 := part*g.oh/parts, (part+1)*g.oh/parts; r1 > r0 {
			rows = max(rows, k.bandRows(g, r0, r1))
		}
	}
	return parts, rows
}

// bandRows is the padded rows the windows of output rows oh0…oh1−1 read.
func (k *Conv) bandRows(g *geometry, oh0, oh1 int) int {
	return (oh1-oh0-1)*g.sh + (k.kh-1)*g.dh + 1
}

// band is the floats of a band of rows padded rows (all phases and
// channels of a group).
func (k *Conv) band(g *geometry, rows int) int {
	hp, _, _ := padDims(g, k.kh, k.kw)
	return im2colSize(k.cg, g, k.kh, k.kw) / hp * rows
}

// offsTask computes the output rows of one image and group of an im2col
// convolution with SgemmOffs: part i a range of output rows; per row, its
// column strips of NR outputs with all the group's output channels.
type offsTask struct {
	kt     *asm.Kernels
	g      *geometry
	src    *im2colSource // the layout of a band (top 0); x unset
	in     []float32     // the group's input planes
	sc     scratchBuf    // part i's band in region i
	band   int           // the band's floats
	a      []float32     // the packed weights (PackedA.Panels)
	offs   []int32       // per (channel, kernel row, column): its offset from the window origin
	maxOff int
	c      []float32 // the group's outputs: mg planes
	bias   []float32 // nil or mg
	res    []float32 // nil or like c
	flags  int
	lo, hi float32
	act    asm.Activation // run on finished rows (not a clamp)
	parts  int
}

func (t *offsTask) Run(part int) {
	kt, g := t.kt, t.g
	mr, nr, kd := kt.MR, kt.NR, len(t.offs)
	n := g.outPlane
	mg := len(t.c) / n
	r0, r1 := part*g.oh/t.parts, (part+1)*g.oh/t.parts
	if r0 >= r1 {
		return
	}
	// This part's band of the padded (or phased) planes, from the first
	// padded row its windows read: each thread writes what it reads.
	s := *t.src
	mine := t.sc.part(part)
	s.top, s.x = r0*g.sh, mine.take(t.band)
	s.fill(t.in, 0, s.c)
	x := s.x
	var bias, res *float32
	if t.flags&asm.FlagRowBias != 0 {
		bias = &t.bias[0]
	}
	// A row's last columns run on the narrowest edge kernel that covers
	// them, else on a full strip; either way the strip ends at OW, and
	// columns before the previous strip's end are written twice with the
	// same values (a column's sum does not depend on its lane or the
	// kernel's width). Full strips there had cost the 112-wide stems a
	// seventh of their columns.
	last, lw := kt.SgemmOffs, nr
	if rem := g.ow % nr; rem > 0 {
		for _, e := range kt.Edge {
			if e.NR >= rem && e.SgemmOffs != nil {
				last, lw = e.SgemmOffs, e.NR
				break
			}
		}
	}
	for oh := r0; oh < r1; oh++ {
		for j0 := 0; j0 < g.ow; j0 += nr {
			f, w := kt.SgemmOffs, nr
			if j0+nr > g.ow {
				f, w = last, lw
				j0 = g.ow - w
			}
			o, q := s.origin(oh, j0), oh*g.ow+j0
			_ = x[o+t.maxOff+w-1]
			if t.res != nil {
				res = &t.res[q]
			}
			f(mg/mr, kd, &t.a[0], mr*kd, &x[o], &t.offs[0], &t.c[q], n, t.flags, 1, 0, t.lo, t.hi, bias, res, n)
		}
	}
	if t.act.Kind != asm.ActNone {
		for i := 0; i < mg; i++ {
			row := t.c[i*n+r0*g.ow : i*n+r1*g.ow]
			kt.Activate(t.act, len(row), &row[0], &row[0])
		}
	}
}

// runOffs computes one image and group (p: its gemm call, A the packed
// weights, x its input planes) through offsTask on the pool, st.src laid
// out (im2colLayout) and each part's band filled by the part, in its
// region of the scratch.
func (k *Conv) runOffs(st *runState, g *geometry, p *gemm.Params, a, x []float32) {
	s := &st.src
	parts, rows := k.offsBands(g)
	s.hp, s.x = rows, nil // (the offsets below are a band's)
	kk := k.kh * k.kw
	if len(st.offs) != p.K { // (the product's K: all of the group's channels, or a K slice's)
		st.offs = make([]int32, p.K) // (once per Conv and state)
	}
	maxOff := 0
	for ci := 0; ci < s.c; ci++ {
		for ki := 0; ki < k.kh; ki++ {
			for kj := 0; kj < k.kw; kj++ {
				o := s.base(ci, ki, kj)
				st.offs[ci*kk+ki*k.kw+kj] = int32(o)
				maxOff = max(maxOff, o)
			}
		}
	}
	e := &p.Epilogue
	t := offsTask{kt: k.kern, g: g, src: s, in: x, sc: st.sc, band: k.band(g, rows), a: a, offs: st.offs, maxOff: maxOff, c: p.C,
		bias: e.Bias, res: e.Residual, parts: parts}
	var act bool
	t.flags, t.lo, t.hi, act = e.KernelFlags()
	if act {
		t.act = e.Act
	}
	st.offt = t
	parallel.Default().Run(&st.offt, t.parts)
	st.offt = offsTask{}
}
