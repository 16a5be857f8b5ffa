package conv

import (
	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/internal/cpu"
	"github.com/gocnn/gocnn/internal/parallel"
)

// Winograd F(4×4, 3×3): each 4×4 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A
// for the 6×6 input patch d. Summed over input channels, the element-wise
// product becomes 36 independent GEMMs, one per position ξ of the 6×6
// transformed tile:
//
//	M_ξ [M × T] = U_ξ [M × C] · V_ξ [C × T]
//
// with U_ξ the transformed weights (packed once at load) and V_ξ the
// transformed input of T tiles.

const winoTiles = 36

// winoTBOverride, when positive, replaces tileBlock (benchmarks).
var winoTBOverride int

type winoPlan struct {
	m, c   int
	packed [winoTiles]*gemm.PackedA
}

// newWinoPlan transforms the weights (winoWeights) and packs U_ξ (m×c)
// for kern.
func newWinoPlan(kern *asm.Kernels, w []float32, m, c int) *winoPlan {
	u := winoWeights(w, m, c)
	p := &winoPlan{m: m, c: c}
	for xi := 0; xi < winoTiles; xi++ {
		p.packed[xi] = gemm.PackA(kern, false, m, c, u[xi*m*c:], c, nil)
	}
	return p
}

// winoWeights returns U_ξ[o][i] at u[ξ·m·c + o·c + i] for the weights
// w [m][c][3][3]: U = G g Gᵀ with
//
//	G = ⎡ 1/4     0     0  ⎤
//	    ⎢ −1/6  −1/6  −1/6 ⎥
//	    ⎢ −1/6   1/6  −1/6 ⎥
//	    ⎢ 1/24  1/12   1/6 ⎥
//	    ⎢ 1/24 −1/12   1/6 ⎥
//	    ⎣  0      0     1  ⎦
//
// computed in float64.
func winoWeights(w []float32, m, c int) []float32 {
	G := [6][3]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}
	u := make([]float32, winoTiles*m*c)
	for o := 0; o < m; o++ {
		for i := 0; i < c; i++ {
			g := w[(o*c+i)*9 : (o*c+i)*9+9]
			var t [6][3]float64 // G g
			for r := 0; r < 6; r++ {
				for j := 0; j < 3; j++ {
					t[r][j] = G[r][0]*float64(g[j]) + G[r][1]*float64(g[3+j]) + G[r][2]*float64(g[6+j])
				}
			}
			for r := 0; r < 6; r++ {
				for s := 0; s < 6; s++ { // (G g) Gᵀ
					v := t[r][0]*G[s][0] + t[r][1]*G[s][1] + t[r][2]*G[s][2]
					u[(r*6+s)*m*c+o*c+i] = float32(v)
				}
			}
		}
	}
	return u
}

// Each V_ξ (C×TB, TB a multiple of NR) is written directly in gemm's
// pre-packed B layout (gemm.PackedB: NR-column panels over all of K = C),
// so the GEMMs read it in place:
//
//	V_ξ[c][t] = v[(t/NR)·C·NR + c·NR + t%NR]

// tileBlock returns the number of tiles per block, the N of the 36 GEMMs:
// a multiple of the micro-kernel's NR (partial tiles are slow), at least
// 2·NR, and otherwise as many as keep the V and M blocks within
// max(L2, 4 MB) (larger blocks measured faster than L2-sized ones: the
// transforms stream and gemm blocks for cache itself), up to 256.
func tileBlock(nr, m, c int) int {
	tb := max(cpu.L2, 4<<20) / 4 / (winoTiles * (m + c))
	tb = min(tb, 256) / nr * nr
	return max(2*nr, tb)
}

// winoN returns the GEMM width for a block of nt tiles (tb at most):
// rounded up to whole NR panels, whose columns nt…n−1 of V hold stale
// (finite or not) values whose outputs are never read, so that the last
// panel runs on the full kernel rather than on gemm's edge path; but kept
// exact when more than a third of that panel is tiles: the edge kernel
// (4×16 for AVX2) then costs less than the padding. The 16 tiles of a
// 14×14 map (one panel, a third of it padding) measured 7–10 % faster
// exact (ResNet-18's 256-channel layer); 196 tiles (8 panels + 4 columns
// on the 4×8 kernel) 1–3 % slower.
func (k *Conv) winoN(tb, nt int) int {
	nr := k.kern.NR
	if w := nt % nr; 3*w > nr {
		return nt
	}
	return min(tb, (nt+nr-1)/nr*nr)
}

// winoMinTiles: with fewer output tiles in a Run, Winograd falls back to
// im2col.
var winoMinTiles = 16 // a variable so tests can exercise Winograd on small inputs

// winoTask runs the tile blocks of one Run; part i takes blocks
// [i·nb/parts, (i+1)·nb/parts), with region i of the scratch and the B
// operand vs[i].
//
// In split mode, the Run calls it per block and phase: the block's tiles
// [t0, t0+nt), V and M in the scratch's shared pieces, and part i's own
// in region i.
type winoTask struct {
	k         *Conv
	g         *geometry
	x, y, res []float32
	winoBlocks
	sc       scratchBuf
	withGemm bool
	vs       []gemm.PackedB
	subs     [][winoTiles]gemm.PackedA // split: part i's rows of each U_ξ
	gs       []gemm.State              // part i's gemm calls' state

	t0, nt int
	phase  winoPhase
}

type winoPhase uint8

const (
	winoInput  winoPhase = iota // split: input transform of some input channels
	winoOutput                  // split: GEMMs and output transform of some output channels
	wino2GEMM                   // F(2×2): its 16 GEMMs (winograd2.go)
)

// winoBlocks is how a Winograd Run splits its tiles: nb blocks of at most
// tb tiles, run by parts workers whose GEMMs use gemmThr threads. In split
// mode the blocks run one after another, each in two parallel phases: the
// input transform split over input channels, then the GEMMs and output
// transform over output channels.
type winoBlocks struct {
	tb, nb, parts, gemmThr int
	split                  bool
}

func (k *Conv) winoBlocks(g *geometry) winoBlocks {
	total := g.n * g.tilesPerImg
	nr := k.kern.NR
	thr := k.threads()
	// blocks spreads the tiles evenly over blocks of at most tb; the
	// buffers need room for the largest block rounded up to NR.
	blocks := func(tb int) (int, int) {
		if winoTBOverride > 0 {
			tb = winoTBOverride
		}
		nb := (total + tb - 1) / tb
		tb = min(tb, ((total+nb-1)/nb+nr-1)/nr*nr)
		if winoTBOverride > 0 {
			tb = max(tb, (winoTBOverride+nr-1)/nr*nr)
		}
		return tb, nb
	}
	most := tileBlock(nr, k.m, k.cg)
	// A block per thread when there are enough tiles…
	tb, nb := blocks(min(most, max(2*nr, (total+thr*nr-1)/(thr*nr)*nr)))
	// …unless the threads' share of NR-tile strips (GEMM columns) comes out
	// uneven: 49 tiles (28×28 maps) made blocks of 24 and 25, so two strips
	// for one thread where split mode costs each one and a half (measured
	// 1.3× faster at two threads on 128 and 512 channels; 196 tiles, five
	// strips against four and a half, stay in blocks).
	stb, snb := blocks(most)
	blockStrips := (nb + thr - 1) / thr * (tb / nr)
	splitStrips := float64(snb*stb/nr) / float64(thr)
	if nb < thr || float64(blockStrips) > 1.25*splitStrips {
		return winoBlocks{tb: stb, nb: snb, parts: min(thr, k.cg, (k.m+k.kern.MR-1)/k.kern.MR), gemmThr: 1, split: true}
	}
	return winoBlocks{tb: tb, nb: nb, parts: thr, gemmThr: 1}
}

func (k *Conv) runWinograd(st *runState, g *geometry, x, y, res []float32) {
	switch k.algoFor(g) {
	case AlgoWinograd2:
		k.runWinograd2(st, g, x, y, res)
		return
	case AlgoWinogradT:
		k.runWinogradT(st, g, x, y, res)
		return
	case AlgoIm2col:
		// Too few tiles: the 36 GEMMs would be all edge, and U is 4× the
		// size of W. Use im2col (weights packed on first need).
		k.runGEMM(st, g, x, y, res, k.im2colPacks(g))
		return
	}
	wb := k.winoBlocks(g)
	if len(st.wvs) < wb.parts {
		st.wvs = make([]gemm.PackedB, wb.parts)
		st.wsubs = make([][winoTiles]gemm.PackedA, wb.parts)
	}
	st.wt = winoTask{k: k, g: g, x: x, y: y, res: res, winoBlocks: wb,
		sc: st.sc, withGemm: st.withGemm, vs: st.wvs, subs: st.wsubs, gs: st.gemmStates(wb.parts)}
	if !wb.split {
		parallel.Default().Run(&st.wt, wb.parts)
	} else {
		total := g.n * g.tilesPerImg
		for blk := 0; blk < wb.nb; blk++ {
			st.wt.t0 = blk * total / wb.nb
			st.wt.nt = (blk+1)*total/wb.nb - st.wt.t0
			st.wt.phase = winoInput
			parallel.Default().Run(&st.wt, wb.parts)
			st.wt.phase = winoOutput
			parallel.Default().Run(&st.wt, wb.parts)
		}
	}
	st.wt = winoTask{}
}

func (t *winoTask) Run(part int) {
	if t.split {
		t.runSplit(part)
		return
	}
	k, g := t.k, t.g
	p := k.winoPlan()
	wp := 4*g.tilesW + 2 // padded row width
	sc := t.sc.part(part)
	v, mo, rows, ws := k.winoScratch(&sc, g, t.winoBlocks, t.withGemm)
	vb := &t.vs[part]
	total := g.n * g.tilesPerImg
	for blk := part * t.nb / t.parts; blk < (part+1)*t.nb/t.parts; blk++ {
		t0 := blk * total / t.nb
		nt := (blk+1)*total/t.nb - t0
		t.inputTransform(v, rows, wp, t0, nt, 0, k.cg)
		n := k.winoN(t.tb, nt)
		for xi := 0; xi < winoTiles; xi++ {
			*vb = gemm.PackedB{K: p.c, N: n, Kernels: k.kern, Data: v[xi*p.c*t.tb : (xi+1)*p.c*t.tb]}
			t.gs[part].Gemm(&gemm.Params{
				M: p.m, N: n, K: p.c, Alpha: 1,
				PackedA: p.packed[xi],
				PackedB: vb,
				C:       mo[xi*p.m*t.tb:], LDC: t.tb,
				Threads:   t.gemmThr,
				Kernels:   k.kern,
				Workspace: ws,
			})
		}
		t.outputTransform(mo, rows, t0, nt, 0, k.m)
	}
	*vb = gemm.PackedB{}
}

// runSplit runs part of one phase of a split block (see winoTask): input
// channels [c0, c1) of V, or output channels [m0, m1) — whole MR strips —
// of the 36 GEMMs and the output transform.
func (t *winoTask) runSplit(part int) {
	k, g := t.k, t.g
	p := k.winoPlan()
	wp := 4*g.tilesW + 2
	sh, sc := t.sc.shared(), t.sc.part(part)
	v, mo := k.winoShared(&sh, t.winoBlocks)
	rows, ws := k.winoWorker(&sc, g, t.winoBlocks, t.withGemm)
	if t.phase == winoInput {
		t.inputTransform(v, rows, wp, t.t0, t.nt, part*k.cg/t.parts, (part+1)*k.cg/t.parts)
		return
	}
	mr := k.kern.MR
	strips := (p.m + mr - 1) / mr
	m0, m1 := part*strips/t.parts*mr, min(p.m, (part+1)*strips/t.parts*mr)
	if m0 >= m1 {
		return
	}
	vb, subs := &t.vs[part], &t.subs[part]
	n := k.winoN(t.tb, t.nt)
	for xi := 0; xi < winoTiles; xi++ {
		subs[xi] = p.packed[xi].Rows(m0, m1)
		*vb = gemm.PackedB{K: p.c, N: n, Kernels: k.kern, Data: v[xi*p.c*t.tb : (xi+1)*p.c*t.tb]}
		t.gs[part].Gemm(&gemm.Params{
			M: m1 - m0, N: n, K: p.c, Alpha: 1,
			PackedA: &subs[xi],
			PackedB: vb,
			C:       mo[xi*p.m*t.tb+m0*t.tb:], LDC: t.tb,
			Threads:   1,
			Kernels:   k.kern,
			Workspace: ws,
		})
	}
	t.outputTransform(mo, rows, t.t0, t.nt, m0, m1)
	*vb = gemm.PackedB{}
}

// inputTransform writes V_ξ[c][t−t0] = (Bᵀ d B)[ξ] for the nt tiles from
// global tile t0, where
//
//	Bᵀ = ⎡ 4  0 −5  0  1  0 ⎤
//	     ⎢ 0 −4 −4  1  1  0 ⎥
//	     ⎢ 0  4 −4 −1  1  0 ⎥
//	     ⎢ 0 −2 −1  2  1  0 ⎥
//	     ⎢ 0  2 −1 −2  1  0 ⎥
//	     ⎣ 0  4  0 −5  0  1 ⎦
//
// It works on groups of up to winoPadRows tile rows of one image: each
// input channel's rows for the group are copied once into a zero-padded
// plane P (so there is no edge code), and for each run of tiles in a tile
// row Bᵀ is applied down the columns of P for the whole run at once
// (rows T), then B along each tile's six columns of T, storing each ξ
// contiguously over the run. Only input channels [c0, c1) are transformed.
func (t *winoTask) inputTransform(v, rows []float32, wp, t0, nt, c0, c1 int) {
	g, kt := t.g, t.k.kern
	C, tb, nr := t.k.cg, t.tb, kt.NR
	tr := rows[:6*wp]
	for i := 0; i < nt; {
		gt := t0 + i
		img, r := gt/g.tilesPerImg, gt%g.tilesPerImg
		ty0 := r / g.tilesW
		// The group: tiles [i, i+seg) in tile rows ty0 … ty0+nty−1.
		seg := min(nt-i, g.tilesPerImg-r, (ty0+winoPadRows)*g.tilesW-r)
		nty := (r+seg-1)/g.tilesW - ty0 + 1
		// P holds padded rows 4·ty0 … 4·(ty0+nty)+1, i.e. input rows from
		// ih0; its pad columns and the rows outside the image stay zero
		// for every channel.
		np := 4*nty + 2
		P := rows[6*wp : 6*wp+np*wp]
		clear(P)
		ih0 := 4*ty0 - g.ph
		lo, hi := max(0, -ih0), min(np, g.h-ih0) // rows of P inside the image
		for c := c0; c < c1; c++ {
			x := t.x[(img*g.c+c)*g.inPlane : (img*g.c+c+1)*g.inPlane]
			if lo < hi && g.w > 0 {
				dst := P[lo*wp+g.pw:]
				src := x[(ih0+lo)*g.w:]
				_, _ = dst[(hi-lo-1)*wp+g.w-1], src[(hi-lo)*g.w-1]
				kt.CopyRows(hi-lo, g.w, &dst[0], wp, &src[0], g.w)
			}
			for a := i; a < i+seg; {
				ty, tx0 := (r+a-i)/g.tilesW, (r+a-i)%g.tilesW
				run := min(i+seg-a, g.tilesW-tx0) // tiles left in this tile row
				width := 4*run + 2
				pr := P[4*(ty-ty0)*wp+4*tx0:]
				_ = pr[5*wp+width-1]
				kt.Winograd43InCols(width, &tr[0], wp, &pr[0], wp)
				t.rowTransform(v, tr, wp, a, run, c, C*tb, nr)
				a += run
			}
		}
		i += seg
	}
}

// rowTransform applies B along the six columns of each of the run tiles
// (from block tile a) in rows T and stores V_ξ[c][a…], ld = C·TB floats
// apart per ξ. V_ξ is stored as gemm B panels (gemm.PackedB), so the run
// is split at panel boundaries.
func (t *winoTask) rowTransform(v, tr []float32, wp, a, run, c, ld, nr int) {
	C := t.k.cg
	for b := a; b < a+run; {
		e := min(a+run, (b/nr+1)*nr)
		cnt := e - b
		base := (b/nr)*C*nr + c*nr + b%nr
		off := 4 * (b - a)
		o := v[base:]
		_, _ = tr[5*wp+off+4*cnt+1], o[35*ld+cnt-1]
		t.k.kern.Winograd43InRow(cnt, &tr[off], wp, &o[0], ld)
		b = e
	}
}

// winoPadRows is the most tile rows inputTransform pads at once: P is
// (4·winoPadRows+2) padded rows.
const winoPadRows = 8

// outputTransform computes Y = Aᵀ M A for the nt tiles from t0, with
//
//	Aᵀ = ⎡ 1  1  1  1  1  0 ⎤
//	     ⎢ 0  1 −1  2 −2  0 ⎥
//	     ⎢ 0  1  1  4  4  0 ⎥
//	     ⎣ 0  1 −1  8 −8  1 ⎦
//
// then bias, residual and activation, and stores the part of each 4×4 tile
// inside the output. Like the input side it works on runs of tiles in one
// tile row: Aᵀ over the six ξ rows for the whole run (S, 4×6 streams),
// then A along each tile into a row buffer, then the row epilogue. Only
// output channels [m0, m1) are computed.
func (t *winoTask) outputTransform(mo, scratch []float32, t0, nt, m0, m1 int) {
	k, g := t.k, t.g
	M, tb := k.m, t.tb
	ld := M * tb
	ep := &k.ep
	sbuf := scratch[:24*tb]
	row := scratch[24*tb : 24*tb+4*tb]
	for m := m0; m < m1; m++ {
		var b float32
		if k.bias != nil {
			b = k.bias[m]
		}
		// Aᵀ over the ξ rows for the whole block: 36 contiguous streams of
		// nt values (M_ξ[m][0:nt]) in, S[r][c][0:nt] out.
		mm := mo[m*tb:]
		for c := 0; c < 6; c++ {
			_, _ = sbuf[(18+c)*tb+nt-1], mm[(30+c)*ld+nt-1]
			k.kern.Winograd43OutCols(nt, &sbuf[c*tb], 6*tb, &mm[c*ld], 6*ld)
		}
		// Then A along each tile row of the block, straight into Y.
		for i := 0; i < nt; {
			gt := t0 + i
			img, r := gt/g.tilesPerImg, gt%g.tilesPerImg
			ty, tx0 := r/g.tilesW, r%g.tilesW
			run := min(nt-i, g.tilesW-tx0)
			oy, ox := 4*ty, 4*tx0
			h, w := min(4, g.oh-oy), min(4*run, g.ow-ox)
			base := (img*M+m)*g.outPlane + oy*g.ow + ox
			for rr := 0; rr < h; rr++ {
				at := base + rr*g.ow
				out := t.y[at : at+w]
				dst := row[:4*run]
				if w == 4*run {
					dst = out
				}
				q := sbuf[rr*6*tb+i:]
				_ = q[5*tb+run-1]
				k.kern.Winograd43OutRow(run, &dst[0], &q[0], tb, b)
				if w < 4*run {
					copy(out, dst)
				}
			}
			// Residual and activation over the rows written: one span when
			// they are whole output rows (calls per row were 8 % of a
			// 16→64 layer at 55×55 in pprof).
			spans, n := h, w
			if w == g.ow {
				spans, n = 1, h*w
			}
			for rr := range spans {
				at := base + rr*g.ow
				out := t.y[at : at+n]
				if t.res != nil {
					rs := t.res[at : at+n]
					k.kern.Add(n, &out[0], &out[0], &rs[0])
				}
				ep.activate(k.kern, out)
			}
			i += run
		}
	}
}

// winogradBound is the documented error bound of the F(4×4, 3×3) path
// relative to Σ|w·x| (see the package doc).
const winogradBound = 2e-5
