package gemm

import (
	"fmt"
	"os"
	"strconv"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/cpu"
	"github.com/gocnn/gocnn/internal/freelist"
	"github.com/gocnn/gocnn/internal/parallel"
)

// Params describes one GEMM call: C = epilogue(Alpha·op(A)·op(B) + Beta·C).
// op(A) is M×K, op(B) is K×N, C is M×N with row stride LDC. Alpha is not
// defaulted: set it to 1 for a plain product.
type Params struct {
	TransA, TransB bool // op(A) = Aᵀ: A is K×M; op(B) = Bᵀ: B is N×K
	M, N, K        int
	Alpha, Beta    float32

	A       []float32
	LDA     int
	PackedA *PackedA // pre-packed op(A); when set A, LDA, TransA are ignored

	B       []float32
	LDB     int
	BSource BSource  // packs B itself; when set B, LDB, TransB are ignored
	PackedB *PackedB // pre-packed op(B); when set B, LDB, TransB, BSource are ignored

	C   []float32
	LDC int

	Epilogue Epilogue

	Threads   int          // ≤ 0: GOMAXPROCS
	Kernels   *asm.Kernels // nil: PackedA.Kernels, else asm.Default()
	Workspace []float32    // optional scratch of ≥ WorkspaceSize floats; else pooled
}

// Sgemm is the BLAS-like row-major entry point:
// C = alpha·op(A)·op(B) + beta·C, op(A) m×k, op(B) k×n, default table and
// GOMAXPROCS threads. With beta == 0, C is not read.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	Gemm(&Params{TransA: transA, TransB: transB, M: m, N: n, K: k, Alpha: alpha, Beta: beta,
		A: a, LDA: lda, B: b, LDB: ldb, C: c, LDC: ldc})
}

// blocking holds the cache block sizes for one table.
type blocking struct{ mc, kc, nc int }

func blocks(kern *asm.Kernels, k int) blocking {
	mr, nr := kern.MR, kern.NR
	// A KC×NR B panel of about 9/8 of L1: measured faster than the textbook
	// half-L1 (fewer C read-modify-writes and kernel calls per flop).
	kc := max(128, min(512, cpu.L1D*9/8/(4*nr)))
	kc = kc / 8 * 8
	if kcOverride > 0 {
		kc = kcOverride
	}
	// Equal k blocks: no thin last block; depends on k only (bit-identity).
	if k > 0 {
		nb := (k + kc - 1) / kc
		kc = ((k+nb-1)/nb + 3) / 4 * 4
	}
	mc := max(mr, cpu.L2/2/(4*kc)/mr*mr)
	nc := max(nr, min(8192, cpu.L3/2/(4*kc))/nr*nr)
	return blocking{mc: mc, kc: kc, nc: nc}
}

// kcOverride (env GOCNN_KC, read once) forces the k block, for tuning.
var kcOverride, _ = strconv.Atoi(os.Getenv("GOCNN_KC"))

// WorkspaceSize returns the number of float32s of scratch Gemm needs for an
// M×N×K call with the given table and thread count (≤ 0: GOMAXPROCS):
// threads × WorkspacePart.
func WorkspaceSize(kern *asm.Kernels, m, n, k, threads int) int {
	return parallel.Threads(threads) * WorkspacePart(kern, m, n, k)
}

// WorkspacePart returns the float32s of the workspace each thread of an
// M×N×K call uses, a multiple of 16 (64 bytes). Thread i takes the i-th
// of threads equal shares of the Workspace (each at least this long), so
// a caller that passes its threads' shares at the same addresses call
// after call keeps each thread on its own cache lines.
func WorkspacePart(kern *asm.Kernels, m, n, k int) int {
	kern = orDefault(kern)
	per := perThread(kern, blocks(kern, k), m, n)
	if n == 1 || m == 1 {
		per = max(per, k+gemvChunk)
	}
	return roundUp(per, 16)
}

func perThread(kern *asm.Kernels, b blocking, m, n int) int {
	mc := min(b.mc, roundUp(m, kern.MR))
	nc := min(b.nc, roundUp(n, kern.NR))
	return mc*b.kc + b.kc*nc + kern.MR*kern.NR
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// call is the per-call state (see State).
type call struct {
	p      Params
	kern   *asm.Kernels
	blk    blocking
	mb     Matrix
	bsrc   BSource
	tm, tn int // thread grid
	ws     []float32
	per    int
	direct bool // read full-width B strips in place (no B packing)
	rowA   bool // read full-height A strips in place (no A packing)
	fused  bool // full-width B strips packed by their first tile (SgemmPackB)
	flags  int  // epilogue flags of the last k block
	// gemvRows > 0 selects the matrix-vector path (rows of the matrix).
	gemvRows int
	gemvByB  bool // the matrix is B (M == 1), else A (N == 1)
	lo, hi   float32
	act      bool // Act runs on finished tiles (not a clamp)
}

// State is the memory one GEMM call works in, and its workspace when the
// call brings none (Params.Workspace). The zero value is ready to use; a
// State serves one call at a time. Gemm takes one from a list shared by
// all callers; code that runs GEMMs on several threads at once gives each
// thread its own, so that the threads share no lock and no cache line
// (ResNet-50 on two threads, whose 800 one-thread calls per run come from
// both cores, measured 1.6–2.7 % slower on the shared list).
type State struct {
	c  call
	ws []float32
	// The blocking of the last call's table and k: blocks divides seven
	// times, a fifth of a one-tile call, and a State's calls often share
	// both (Winograd's 36 products per layer).
	blkKern *asm.Kernels
	blkK    int
	blk     blocking
	// Keeps neighbours in a slice off each other's cache lines and line
	// pairs (the L2 prefetcher fetches pairs).
	_ [128]byte
}

// states is a free list, not a sync.Pool: a sync.Pool allocates now and
// then in steady state (when items move between Ps, and after every GC),
// and a Run must not.
var states freelist.List[State]

const gemvChunk = 256 // rows per Sgemv call in the matrix-vector paths

// Gemm runs one GEMM described by p. It panics on inconsistent arguments
// (short slices, bad strides, PackedA built for another table or shape).
func Gemm(p *Params) {
	s := states.Get()
	s.Gemm(p)
	states.Put(s)
}

// Gemm runs one GEMM described by p in s, as the function Gemm does.
func (s *State) Gemm(p *Params) {
	m, n, k := p.M, p.N, p.K
	if m < 0 || n < 0 || k < 0 {
		panic("gemm: negative dimension")
	}
	if m == 0 || n == 0 {
		return
	}
	kern := p.Kernels
	if p.PackedA != nil {
		if kern == nil {
			kern = p.PackedA.Kernels
		}
		if pa := p.PackedA; kern != pa.Kernels || pa.M != m || pa.K != k {
			panic("gemm: PackedA does not match the call")
		} else if h := pa.height(); pa.r0+roundUp(m, kern.MR) > h || len(pa.Data) < h*k {
			panic("gemm: PackedA: Data shorter than its layout")
		}
	}
	if pb := p.PackedB; pb != nil {
		if kern == nil {
			kern = pb.Kernels
		}
		if kern != pb.Kernels || pb.K != k || pb.N != n {
			panic("gemm: PackedB does not match the call")
		} else if len(pb.Data) < PackedBSize(kern, k, n) {
			panic("gemm: PackedB: Data shorter than its layout")
		}
	}
	kern = orDefault(kern)
	checkArgs(p)

	c := &s.c
	c.p = *p
	c.kern = kern
	if s.blkKern != kern || s.blkK != k {
		s.blkKern, s.blkK, s.blk = kern, k, blocks(kern, k)
	}
	c.blk = s.blk
	c.bsrc = p.BSource
	if c.bsrc == nil {
		c.mb = Matrix{Data: p.B, LD: p.LDB, Trans: p.TransB}
		c.bsrc = &c.mb
	}
	packedB := p.PackedB != nil
	c.direct = p.BSource == nil && !packedB && !p.TransB && useDirectB(kern, m, n, k, p.LDB)
	c.rowA = p.PackedA == nil && !p.TransA && kern.SgemmRowA != nil && useRowA(kern, m, n, k, p.LDA)
	c.fused = p.BSource == nil && !packedB && !p.TransB && kern.SgemmPackB != nil && !c.direct && !c.rowA && useFusedB(p.LDB)
	// ReLU and Clip are the micro-kernels' clamp; other activations run on
	// each finished tile.
	c.flags, c.lo, c.hi, c.act = p.Epilogue.KernelFlags()

	// Thread grid over MR×NR tiles.
	mt, nt := (m+kern.MR-1)/kern.MR, (n+kern.NR-1)/kern.NR
	// Matrix-vector shapes: C = A·b (N == 1, A row-major) or cᵀ = B·aᵀ
	// (M == 1, B stored N×K) run on the table's Sgemv.
	c.gemvRows, c.gemvByB = 0, false
	switch {
	case p.PackedA != nil || p.BSource != nil || packedB:
	case n == 1 && !p.TransA:
		c.gemvRows = m
	case m == 1 && p.TransB:
		c.gemvRows, c.gemvByB = n, true
	}
	gemv := c.gemvRows > 0
	if gemv {
		mt, nt = (c.gemvRows+gemvChunk-1)/gemvChunk, 1
	}
	threads := min(parallel.Threads(p.Threads), mt*nt)
	c.tm, c.tn = grid(threads, mt, nt, k, c.splitCosts(gemv))
	threads = c.tm * c.tn
	if gemv {
		c.per = k + gemvChunk
	} else {
		c.per = perThread(kern, c.blk, m, n)
	}
	// Thread i's share: the i-th of the caller's thread count's equal
	// shares (see WorkspacePart).
	if share := len(p.Workspace) / parallel.Threads(p.Threads) / 16 * 16; share >= c.per {
		c.per = share
	}
	need := threads * c.per
	if len(p.Workspace) >= need {
		c.ws = p.Workspace
	} else {
		if len(s.ws) < need {
			s.ws = make([]float32, need)
		}
		c.ws = s.ws
	}
	if gemv {
		parallel.Default().Run((*gemvCall)(c), threads)
	} else {
		parallel.Default().Run(c, threads)
	}
	*c = call{} // (drops the caller's slices)
}

// directBMode (env GOCNN_DIRECTB=0|1, read once) forces the B strategy, for tuning.
var directBMode = override(os.Getenv("GOCNN_DIRECTB"))

// override is a tuning switch from the environment: "0" or "1" forces a
// strategy off or on, anything else leaves the measured choice.
type override string

func (o override) or(auto bool) bool {
	switch o {
	case "0":
		return false
	case "1":
		return true
	}
	return auto
}

// noAlias reports whether a row stride of ld floats stays clear of
// multiples of 4 KiB, whose rows would alias in L1.
func noAlias(ld int) bool {
	b := ld * 4 % 4096
	return b >= 256 && b <= 4096-256
}

// LD returns a row stride of at least n floats for a matrix the caller
// lays out for gemm: n, or a little more when rows n floats apart would
// alias in L1 (a multiple of 4 KiB, give or take 256 bytes), which would
// keep gemm from packing B strips as their first tile reads them
// (useFusedB).
func LD(n int) int {
	for ld := n; ; ld += 64 {
		if noAlias(ld) {
			return ld
		}
	}
}

// useDirectB reports whether B should be read in place rather than packed.
// Packing costs a pass over B that is repaid only by reuse across many A
// strips, and a strip read in place must stay in L1 for the next tile.
func useDirectB(kern *asm.Kernels, m, n, k, ldb int) bool {
	// Measured: in place wins only for few rows, wide B and a short k,
	// i.e. early CNN layers (32×12544×27, 64×3136×64). Against B packed
	// row by row it won at k = 64 and 128 and lost from k = 192 on
	// (64×3136×192: 71 against 79 % of the FMA peak).
	return directBMode.or(m <= 64 && n >= 512 && k <= 128 && stripSpreads(ldb, k, kern.NR))
}

// stripSpreads reports whether the k rows of an nr-wide strip of B read in
// place, ld floats apart, spread over enough L1 sets: a way of L1 spans
// 4 KiB (64 sets of 64-byte lines), so rows a multiple of 4 KiB apart
// share a set and evict each other and the prefetched next strip. Up to
// twice the ways per set still measured as fast as packing or faster
// (rows 1 KiB past a multiple: 16…32×12544×k, k ≤ 64); rows exactly on
// one ran at 0.6–0.8× the rate of the packing route (16×3072×27,
// 64×3072×64), and rows 188 bytes short of one (SqueezeNet's 55×55 maps,
// 16×3025×128), which a rule of thumb of 256 bytes either side had sent
// to packing, at 1.4–1.5× it.
func stripSpreads(ld, k, nr int) bool {
	const sets, line, way = 64, 16, 64 * 16 // in floats
	ways := max(1, cpu.L1D/(4*way))
	var n [sets]int
	for p := range k {
		r := p * (ld % way) % way // the row's offset in a way (no overflow on 32 bits)
		for l := r / line; l <= (r+nr-1)/line; l++ {
			if n[l%sets]++; n[l%sets] > 2*ways {
				return false
			}
		}
	}
	return true
}

// fusedBMode (env GOCNN_FUSEDB=0|1, read once) forces the B strategy of
// the packing path, for tuning.
var fusedBMode = override(os.Getenv("GOCNN_FUSEDB"))

// useFusedB reports whether full B strips should be packed by the first
// tile that reads them (SgemmPackB, B in place; the other tiles read the
// packed strip while it is in L1) rather than by PackB beforehand. B is
// read once either way, but PackB's block goes out to L3 and comes back
// (measured against PackB: 64×3136×576 69 → 78 % of the FMA peak,
// 128×784×1152 85 → 88 %). A row stride near a multiple of 4 KiB would
// alias in L1.
func useFusedB(ldb int) bool { return fusedBMode.or(noAlias(ldb)) }

// rowAMode (env GOCNN_ROWA=0|1, read once) forces the A strategy, for tuning.
var rowAMode = override(os.Getenv("GOCNN_ROWA"))

// useRowA reports whether A should be read in place rather than packed:
// packing A is repaid only when B has many column strips, or when a last
// strip of thinMax columns or fewer (but more than gemvEdge takes) can
// run on SgemmThin, which needs A packed: against the 8×16 edge kernel
// reading A in place (medians of five, one thread) 256×196×2304 1256 →
// 1206 µs, 1024×100×1024 1191 → 1139, 256×36×2304 320 → 293, 512×4×1024
// 123 → 99; strips of full width measured even (256×128×2304 758 / 777
// µs, 256×160×256 103 / 102).
func useRowA(kern *asm.Kernels, m, n, k, lda int) bool {
	w := n % kern.NR
	thin := kern.SgemmThin != nil && w > gemvEdgeMax && w <= thinMax
	return rowAMode.or(n <= 256 && !thin && noAlias(lda))
}

// splitCosts returns grid's costs for this call: per k, of an MR×NR tile,
// a packed A strip and a B strip, and the fixed cost of a strip (measured
// ratios, roughly: a tile is MR·NR/16 FMA cycles; an implicit-im2col
// strip gathers NR scattered values; copying a strip of B or A moves NR
// or MR values).
func (c *call) splitCosts(gemv bool) (costs gridCosts) {
	p, kern := &c.p, c.kern
	if gemv {
		return gridCosts{tile: 1}
	}
	costs = gridCosts{tile: kern.MR * kern.NR / 16, strip: stripCost}
	switch {
	case p.BSource != nil:
		costs.b = kern.NR / 2
	default:
		// Packed, or read in place: either way each thread streams its
		// strips of B from memory once per k block; splitting M makes
		// every thread stream all of them (the 224×224 stems, M = 32,
		// ran slower on two threads than on one).
		costs.b = kern.NR / 8
	}
	switch {
	case p.PackedA != nil || c.rowA:
		// Pre-packed weights (and A read in place) are streamed from
		// memory too (a model's weights outgrow the caches): splitting N
		// makes every thread stream all of them. ResNet-50's 7×7 layers
		// (N = 49, two strips) had split N, and ran at 1.2–1.5× their
		// one-thread rate on two threads with cold weights (conv's
		// BenchmarkConvCold); now M, 1.65–1.9×. Weights beyond half of
		// L2 each thread of an N split reads from memory: SqueezeNet's
		// classifier (1000×169×512, 2 MB) ran 6 % slower split N. With A
		// read in place, two threads, medians of six: 512×49×4608 979 →
		// 836 µs (the N split had also given one thread 32 columns, the
		// other 17), 1000×169×512 600 → 569, 128×56×1152 94 → 83 (four).
		costs.a = kern.MR / 8
		if 4*p.M*p.K > cpu.L2/2 {
			costs.a = kern.MR / 2
		}
	case !c.rowA:
		costs.a = kern.MR / 4
	}
	return costs
}

// gridCosts are grid's costs (see splitCosts).
type gridCosts struct{ tile, a, b, strip int }

// stripCost is the fixed cost of a column strip to the thread that runs
// it, in the units of grid's per-k costs (about half a cycle), fitted to
// two-thread runs: splitting M gives each thread every strip, and at small
// k that cost (the macro loop's calls, the first tile's wait for B, and
// on two threads more than either explains) outweighs the tiles. Avx512,
// B in place and packed A (1×1 convolutions), N split against M:
// 96×784×24 15 against 28 µs, 144×784×32 23 against 38, 240×196×40 16
// against 21, 128×729×32 33 against 38; and M still split for
// 128×784×512 (M 9 % faster) and 64×196×384 (6 %), which bound it.
const stripCost = 3500

// grid picks tm×tn ≤ threads minimizing the largest per-thread cost of a
// k-deep product: its tiles plus the B strips it packs (every thread packs
// B for its columns, so splitting m repeats that work) and the A strips
// it packs, per k, and each of its strips' fixed cost. Ties prefer more
// threads, then splitting n.
func grid(threads, mt, nt, k int, c gridCosts) (tm, tn int) {
	best := -1
	for a := 1; a <= threads; a++ {
		b := threads / a
		if a > mt || b > nt {
			continue
		}
		ma, nb := (mt+a-1)/a, (nt+b-1)/b
		cost := k*(ma*nb*c.tile+nb*c.b+ma*c.a) + nb*c.strip
		if best < 0 || cost < best || (cost == best && a*b > tm*tn) {
			best, tm, tn = cost, a, b
		}
	}
	if best < 0 {
		return 1, 1
	}
	return tm, tn
}

// span splits total units into parts nearly equal ranges and returns range i.
func span(total, parts, i int) (lo, hi int) {
	q, r := total/parts, total%parts
	lo = i*q + min(i, r)
	hi = lo + q
	if i < r {
		hi++
	}
	return
}

func checkArgs(p *Params) {
	m, n, k := p.M, p.N, p.K
	need := func(name string, s []float32, rows, cols, ld int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols || len(s) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("gemm: %s: %d×%d with stride %d does not fit in %d floats", name, rows, cols, ld, len(s)))
		}
	}
	if p.PackedA == nil {
		if p.TransA {
			need("A", p.A, k, m, p.LDA)
		} else {
			need("A", p.A, m, k, p.LDA)
		}
	}
	if p.BSource == nil && p.PackedB == nil {
		if p.TransB {
			need("B", p.B, n, k, p.LDB)
		} else {
			need("B", p.B, k, n, p.LDB)
		}
	}
	need("C", p.C, m, n, p.LDC)
	e := &p.Epilogue
	if e.Residual != nil {
		need("Residual", e.Residual, m, n, e.LDR)
	}
	switch e.BiasMode {
	case BiasRow:
		if len(e.Bias) < m {
			panic("gemm: row bias shorter than M")
		}
	case BiasCol:
		if len(e.Bias) < n {
			panic("gemm: column bias shorter than N")
		}
	}
}

var zero [1]float32 // stand-in panel pointer when k == 0

// Run computes the C rectangle of thread part.
func (c *call) Run(part int) {
	p, kern := &c.p, c.kern
	mr, nr := kern.MR, kern.NR
	mt, nt := (p.M+mr-1)/mr, (p.N+nr-1)/nr
	t0, t1 := span(mt, c.tm, part/c.tn)
	u0, u1 := span(nt, c.tn, part%c.tn)
	m0, m1 := t0*mr, min(t1*mr, p.M)
	n0, n1 := u0*nr, min(u1*nr, p.N)
	if m0 >= m1 || n0 >= n1 {
		return
	}
	ws := c.ws[part*c.per : (part+1)*c.per]
	blk := c.blk
	mcMax := min(blk.mc, roundUp(m1-m0, mr))
	ncMax := min(blk.nc, roundUp(n1-n0, nr))
	abuf := ws[:mcMax*blk.kc]
	bbuf := ws[mcMax*blk.kc : mcMax*blk.kc+blk.kc*ncMax]
	tile := ws[mcMax*blk.kc+blk.kc*ncMax:]
	k := p.K
	for jc := n0; jc < n1; jc += ncMax {
		nc := min(ncMax, n1-jc)
		for pc := 0; pc == 0 || pc < k; pc += blk.kc {
			kc := min(blk.kc, k-pc)
			// A thin last strip runs as w matrix-vector passes over the A
			// block (see gemvEdge); its columns are packed one by one, and
			// the rest of its panel holds y.
			// A last strip one or two columns wider than an edge kernel
			// (N = 49 = 32 + 16 + 1) runs that kernel on a panel as wide
			// as it, then the passes on the rest.
			w := nc % nr
			ew := c.edgeCols(w)
			gv := kc > 0 && 0 < w && w-ew <= gemvEdgeMax && p.PackedB == nil && c.gemvEdgeFits(ew, w-ew, kc)
			if kc > 0 && p.PackedB == nil {
				if gv {
					if full := nc - w; full > 0 && !c.fused && !c.direct {
						c.bsrc.PackB(bbuf, pc, kc, jc, full, nr)
					}
					if ew > 0 {
						c.bsrc.PackB(bbuf[(nc-w)*kc:], pc, kc, jc+nc-w, ew, ew)
					}
					c.bsrc.PackB(bbuf[(nc-w+ew)*kc:], pc, kc, jc+nc-w+ew, w-ew, 1)
				} else if c.fused {
					// Full strips are packed by their first tile.
					if w > 0 {
						c.bsrc.PackB(bbuf[(nc-w)*kc:], pc, kc, jc+nc-w, w, nr)
					}
				} else if !c.direct {
					c.bsrc.PackB(bbuf, pc, kc, jc, nc, nr)
				} else if w != 0 {
					// Only the partial last strip needs zero padding.
					c.bsrc.PackB(bbuf, pc, kc, jc+nc-w, w, nr)
				}
			}
			flags := 0
			alpha, beta := p.Alpha, p.Beta
			if alpha != 1 {
				flags |= asm.FlagAlpha
			}
			if pc > 0 {
				flags |= asm.FlagBeta
				beta = 1
			} else if beta != 0 {
				flags |= asm.FlagBeta
			}
			if pc+kc >= k {
				flags |= c.flags
			}
			for ic := m0; ic < m1; ic += mcMax {
				mc := min(mcMax, m1-ic)
				switch {
				case p.PackedA != nil || kc == 0:
				case !c.rowA:
					packA(abuf, c.kern, kc, p.TransA, p.A, p.LDA, ic, mc, pc, kc)
				case mc%mr != 0:
					// Only the partial last strip needs zero padding.
					h := mc % mr
					packA(abuf, c.kern, kc, false, p.A, p.LDA, ic+mc-h, h, pc, kc)
				}
				c.macro(abuf, bbuf, tile, ic, mc, jc, nc, pc, kc, flags, alpha, beta, gv, c.fused && ic == m0, mc == m1-m0)
			}
		}
	}
}

// macro runs the micro-kernel over an mc×nc block of C. With packB the
// first tile of each full strip packs it (fused); with onlyBlock too, no
// later row block reads the packed strips, so each is packed over the
// last in one kc×NR buffer that stays in L1: a buffer per strip had
// written all of B (1.8 MB at MobileNetV2's 144→24 at 56×56) out to
// memory, lines the other thread had touched (see internal/parallel's
// BenchmarkSharedWrite).
func (c *call) macro(abuf, bbuf, tile []float32, ic, mc, jc, nc, pc, kc, flags int, alpha, beta float32, gv, packB, onlyBlock bool) {
	p, kern := &c.p, c.kern
	mr, nr := kern.MR, kern.NR
	e := &p.Epilogue
	if p.PackedA != nil && p.BSource != nil && kc > 0 && nc <= 2*nr && !c.rowA {
		c.macroRows(bbuf, tile, ic, mc, jc, nc, pc, kc, flags, alpha, beta, gv)
		return
	}
	last := pc+kc >= p.K
	// Activations other than a clamp run on finished strips, actCols
	// columns at a time while they are in L2: a call per tile row (24
	// floats) cost more than the SiLU it computed.
	act0 := 0 // first column (from jc) not yet activated
	for jr := 0; jr < nc; jr += nr {
		w := min(nr, nc-jr)
		j := jc + jr
		gw := 0 // the strip's last columns, left to gemvEdge
		if gv && w < nr {
			ew := c.edgeCols(w)
			if ew == 0 {
				if last && c.act && act0 < jr {
					activate(kern, e.Act, p.C[ic*p.LDC+jc+act0:], p.LDC, mc, jr-act0)
				}
				act0 = nc
				c.gemvEdge(bbuf[jr*kc:], ic, mc, j, w, pc, kc, flags, alpha, beta)
				continue
			}
			w, gw = ew, w-ew
		}
		// A last column after an edge kernel's strip (N = 49 = 32+16+1)
		// rides on its tiles when they read A in place (SgemmRowACol): a
		// Sgemv pass over the A block had cost that one column as much as
		// 15 columns of the kernel (512×48×4608 1.28 ms, 512×49 1.34). All
		// tiles must be full for that, so M decides, not the thread split.
		var colK asm.SgemmRowAColFunc
		var y []float32
		if gw == 1 && c.rowA && p.M%mr == 0 {
			if ek := kern.EdgeFor(w); ek != nil && ek.NR == w {
				colK = ek.SgemmRowACol
				y = bbuf[(jr+w+1)*kc : (jr+w+1)*kc+mc]
			}
		}
		bp, ldb := &zero[0], nr
		fuse := false // this strip's first tile packs it to bp
		switch pb := p.PackedB; {
		case kc == 0:
		case gw > 0:
			bp, ldb = &bbuf[jr*kc], w
		case pb != nil:
			bp = &pb.Data[j*pb.K+pc*nr] // j is a multiple of NR
		case c.fused && w == nr:
			bp, fuse = &bbuf[jr*kc], packB
			if packB && onlyBlock {
				bp = &bbuf[0]
			}
		case c.direct && w == nr:
			bp, ldb = &p.B[pc*p.LDB+j], p.LDB
		case c.direct:
			bp = &bbuf[0]
		default:
			bp = &bbuf[jr*kc]
		}
		// A last strip of at most thinMax columns runs whole on SgemmThin.
		thin := w < nr && w <= thinMax && gw == 0 && kc > 0 && !c.rowA && kern.SgemmThin != nil
		// Full tiles after the first (which may pack B) run in one
		// SgemmStrips call: a call per tile costs as much as a short k.
		ir0, n := 0, 0
		if kern.SgemmStrips != nil && w == nr && kc > 0 && !c.rowA {
			if fuse {
				ir0 = mr
			}
			n = mc/mr - ir0/mr
		}
		for ir := 0; ir < mc; ir += mr {
			if thin {
				c.thin(bp, ldb, abuf, tile, ic, mc, j, w, pc, kc, flags, alpha, beta)
				break
			}
			if ir == ir0 && n > 0 {
				c.strips(bp, ldb, abuf, ic, ir, n, j, w, pc, kc, flags, alpha, beta)
				ir += n * mr
				if ir >= mc {
					break
				}
			}
			h := min(mr, mc-ir)
			i := ic + ir
			ap, inPlace := &zero[0], false
			switch pa := p.PackedA; {
			case kc == 0:
			case pa != nil:
				ap = pa.panel(i, pc, kc)
			case c.rowA && h == mr:
				ap, inPlace = &p.A[i*p.LDA+pc], true
			case c.rowA:
				ap = &abuf[0]
			default:
				ap = &abuf[ir*kc]
			}
			bias, res := c.epPtrs(flags, i, j)
			cp := &p.C[i*p.LDC+j]
			switch {
			case fuse:
				fuse = false
				bIn := &p.B[pc*p.LDB+j]
				if h == mr {
					kern.SgemmPackB(kc, ap, bIn, p.LDB, bp, cp, p.LDC, flags, alpha, beta, c.lo, c.hi, bias, res, e.LDR)
				} else {
					kern.SgemmPackB(kc, ap, bIn, p.LDB, bp, &tile[0], nr, 0, 1, 0, 0, 0, nil, nil, 0)
					asm.Epilogue(h, w, tile, nr, cp, p.LDC, flags, alpha, beta, c.lo, c.hi, bias, res, e.LDR)
				}
			default:
				// The strip's kernel: the full one, or a narrow edge kernel
				// for a thin last strip (cheaper). A tile of exactly the
				// kernel's size is written to C with the epilogue fused (an
				// edge tile through tile and asm.Epilogue had cost more than
				// the kernel: Winograd's 16-tile blocks); a partial one is
				// computed whole into tile and its part stored.
				sg, sgRow, width := kern.Sgemm, kern.SgemmRowA, nr
				if w < nr { // (full tiles skip the lookup)
					if ek := kern.EdgeFor(w); ek != nil && (!inPlace || ek.SgemmRowA != nil) {
						sg, sgRow, width = ek.Sgemm, ek.SgemmRowA, ek.NR
					}
				}
				switch {
				case colK != nil: // (every tile full, A in place)
					colK(kc, ap, p.LDA, bp, ldb, cp, p.LDC, flags, alpha, beta, c.lo, c.hi, bias, res, e.LDR, &bbuf[(jr+w)*kc], &y[ir])
					continue
				case h == mr && w == width && inPlace:
					sgRow(kc, ap, p.LDA, bp, ldb, cp, p.LDC, flags, alpha, beta, c.lo, c.hi, bias, res, e.LDR)
					continue
				case h == mr && w == width:
					sg(kc, ap, bp, ldb, cp, p.LDC, flags, alpha, beta, c.lo, c.hi, bias, res, e.LDR)
					continue
				case inPlace:
					sgRow(kc, ap, p.LDA, bp, ldb, &tile[0], nr, 0, 1, 0, 0, 0, nil, nil, 0)
				default:
					sg(kc, ap, bp, ldb, &tile[0], nr, 0, 1, 0, 0, 0, nil, nil, 0)
				}
				asm.Epilogue(h, w, tile, nr, cp, p.LDC, flags, alpha, beta, c.lo, c.hi, bias, res, e.LDR)
			}
		}
		if end := jr + w; last && c.act && (end-act0 >= actCols || end == nc || gw > 0) {
			activate(kern, e.Act, p.C[ic*p.LDC+jc+act0:], p.LDC, mc, end-act0)
			act0 = end
		}
		switch {
		case colK != nil:
			c.edgeColumn(y, ic, mc, j+w, pc+kc >= p.K, flags, alpha, beta)
			act0 = nc
		case gw > 0:
			c.gemvEdge(bbuf[(jr+w)*kc:], ic, mc, j+w, gw, pc, kc, flags, alpha, beta)
			act0 = nc
		}
	}
}

// edgeCols returns how many of a w-column last strip run on an edge
// kernel before gemvEdge takes the rest: the widest edge kernel narrower
// than w by at most gemvEdgeMax, or 0 (gemvEdge alone, or no gemvEdge).
func (c *call) edgeCols(w int) int {
	if w <= gemvEdgeMax {
		return 0
	}
	best := 0
	for _, ek := range c.kern.Edge {
		if ek.NR < w && w-ek.NR <= gemvEdgeMax && (!c.rowA || ek.SgemmRowA != nil) {
			best = ek.NR
		}
	}
	return best
}

// macroRows is macro for a block of at most two column strips of B
// (packed from a BSource) and pre-packed A: all strips of a row panel
// before the next panel, so each A panel, streamed from memory in a
// model, is read once and reused from L1 (strip by strip, the second
// strip read every panel again, from L2). The kernels and so the bits are
// macro's.
func (c *call) macroRows(bbuf, tile []float32, ic, mc, jc, nc, pc, kc, flags int, alpha, beta float32, gv bool) {
	p, kern, e := &c.p, c.kern, &c.p.Epilogue
	mr, nr := kern.MR, kern.NR
	type strip struct {
		j, w, width, ldb int
		bp               *float32
		sg               asm.SgemmFunc
	}
	var ss [2]strip
	n, gj, gw := 0, 0, 0 // the strips; the gemv tail's first column (from jc) and width
	for jr := 0; jr < nc; jr += nr {
		w, ldb := min(nr, nc-jr), nr
		if gv && w < nr {
			ew := c.edgeCols(w)
			gj, gw = jr+ew, w-ew
			if ew == 0 {
				continue
			}
			w, ldb = ew, ew
		}
		s := strip{j: jc + jr, w: w, width: nr, ldb: ldb, bp: &bbuf[jr*kc], sg: kern.Sgemm}
		if w < nr {
			if ek := kern.EdgeFor(w); ek != nil {
				s.sg, s.width = ek.Sgemm, ek.NR
			}
		}
		ss[n] = s
		n++
	}
	for ir := 0; ir < mc; ir += mr {
		h, i := min(mr, mc-ir), ic+ir
		ap := p.PackedA.panel(i, pc, kc)
		for _, s := range ss[:n] {
			bias, res := c.epPtrs(flags, i, s.j)
			cp := &p.C[i*p.LDC+s.j]
			if h == mr && s.w == s.width {
				s.sg(kc, ap, s.bp, s.ldb, cp, p.LDC, flags, alpha, beta, c.lo, c.hi, bias, res, e.LDR)
				continue
			}
			s.sg(kc, ap, s.bp, s.ldb, &tile[0], nr, 0, 1, 0, 0, 0, nil, nil, 0)
			asm.Epilogue(h, s.w, tile, nr, cp, p.LDC, flags, alpha, beta, c.lo, c.hi, bias, res, e.LDR)
		}
	}
	if done := nc - gw; pc+kc >= p.K && c.act && done > 0 {
		activate(kern, e.Act, p.C[ic*p.LDC+jc:], p.LDC, mc, done)
	}
	if gw > 0 {
		c.gemvEdge(bbuf[gj*kc:], ic, mc, jc+gj, gw, pc, kc, flags, alpha, beta)
	}
}

// actCols is how many columns of finished strips macro activates at once.
const actCols = 256

// strips runs n full tiles of column strip j, rows ic+ir…, in one
// SgemmStrips call; A is packed (abuf, the block at row ic, or PackedA).
func (c *call) strips(bp *float32, ldb int, abuf []float32, ic, ir, n, j, w, pc, kc, flags int, alpha, beta float32) {
	p, kern, e := &c.p, c.kern, &c.p.Epilogue
	mr, i := kern.MR, ic+ir
	bias, res := c.epPtrs(flags, i, j)
	kern.SgemmStrips(n, kc, c.aPanels(abuf, ir, i, pc, kc), mr*kc, bp, ldb, &p.C[i*p.LDC+j], p.LDC, flags, alpha, beta, c.lo, c.hi, bias, res, e.LDR)
}

// aPanels returns the packed A panel of rows i… (the block's row ir…) for
// k block pc: pre-packed, or in abuf; panels follow each other MR·kc apart.
func (c *call) aPanels(abuf []float32, ir, i, pc, kc int) *float32 {
	if pa := c.p.PackedA; pa != nil {
		return pa.panel(i, pc, kc)
	}
	return &abuf[ir*kc]
}

// thinMax is the widest last strip SgemmThin takes (its B rows are 4
// wide). In one run of alternations, 1024×196×256 (6·32 + 4 columns) took
// 589–593 µs with the 8×16 edge kernel on the last 4 columns, 531–548 with
// SgemmThin, and 1024×192×256 483–518.
const thinMax = 4

// thin computes the last w ≤ thinMax columns of the mc×nc block at row ic
// with SgemmThin, as many tiles at a time as tile holds with 4 columns,
// then stores them through the epilogue.
func (c *call) thin(bp *float32, ldb int, abuf, tile []float32, ic, mc, j, w, pc, kc, flags int, alpha, beta float32) {
	p, kern, e := &c.p, c.kern, &c.p.Epilogue
	mr := kern.MR
	chunk := len(tile) / (4 * mr) * mr
	for ir := 0; ir < mc; ir += chunk {
		h, i := min(chunk, mc-ir), ic+ir
		kern.SgemmThin((h+mr-1)/mr, kc, c.aPanels(abuf, ir, i, pc, kc), mr*kc, bp, ldb, &tile[0])
		bias, res := c.epPtrs(flags, i, j)
		asm.Epilogue(h, w, tile, 4, &p.C[i*p.LDC+j], p.LDC, flags, alpha, beta, c.lo, c.hi, bias, res, e.LDR)
	}
}

// epPtrs returns the epilogue's bias and residual pointers for the C
// block at (i, j) under flags (nil where flags want none).
func (c *call) epPtrs(flags, i, j int) (bias, res *float32) {
	e := &c.p.Epilogue
	switch {
	case flags&asm.FlagRowBias != 0:
		bias = &e.Bias[i]
	case flags&asm.FlagColBias != 0:
		bias = &e.Bias[j]
	}
	if flags&asm.FlagResidual != 0 {
		res = &e.Residual[i*e.LDR+j]
	}
	return bias, res
}

// gemvEdgeMax is the widest last strip that gemvEdge takes. The 4×8 edge
// kernel computes 8 columns for w (and ran at half the FMA rate when this
// was measured, before its second accumulator bank), and next to packed A
// it ran tile by tile: a strip of one column cost as much as a full one.
// A matrix-vector pass over the A block, which
// is in L2, costs a few columns of the kernel at full rate. A read in
// place: 512×49×4608 (w = 1) spent 17 % of its time in the edge kernel and
// measured 62 → 75 % of the FMA peak; w = 2 gained a little, 3 and 4 not.
// Packed A (convolution weights): 512×49×4608 4.4 → 3.5 ms, 2048×49×512
// 1.8 → 1.3 ms, where N = 48 takes 3.3 and 1.2. Rechecked with the
// two-bank edge kernel: 512×49×4608 still 65 against 54 GFLOP/s with
// gemvEdge, and 4 (N = 196's last strip) no different from 2.
const gemvEdgeMax = 2

// gemvEdgeFits reports whether gemvEdge can take the last w columns of a
// last strip whose first ew columns run on an edge kernel, in k blocks of
// kc: its A is read in place (Sgemv) or packed (SgemvPacked), and y fits
// in the rest of the strip's panel.
func (c *call) gemvEdgeFits(ew, w, kc int) bool {
	p, nr, mc := &c.p, c.kern.NR, c.blk.mc
	switch {
	case c.rowA && p.BSource == nil:
		return (nr-ew-w)*kc >= mc
	case p.PackedA != nil && c.kern.SgemvPacked != nil:
		return (nr-ew-w)*kc >= roundUp(mc, c.kern.MR)
	}
	return false
}

// gemvEdge computes the w-column last strip of the mc×kc block at (ic, pc)
// as w matrix-vector products of the A rows with the columns of B, packed
// in xs[c*kc:(c+1)*kc]; the floats after them are scratch.
func (c *call) gemvEdge(xs []float32, ic, mc, j, w, pc, kc, flags int, alpha, beta float32) {
	p := &c.p
	pa, mr := p.PackedA, c.kern.MR
	y := xs[w*kc : w*kc+roundUp(mc, mr)]
	for q := 0; q < w; q++ {
		if pa == nil {
			c.kern.Sgemv(mc, kc, &p.A[ic*p.LDA+pc], p.LDA, &xs[q*kc], &y[0])
		} else {
			c.kern.SgemvPacked((mc+mr-1)/mr, kc, pa.panel(ic, pc, kc), mr*kc, &xs[q*kc], &y[0])
		}
		c.edgeColumn(y, ic, mc, j+q, pc+kc >= p.K, flags, alpha, beta)
	}
}

// edgeColumn stores y, the sums of column j's rows ic…ic+mc−1 for one k
// block, to C through the epilogue (and the activation after the last).
func (c *call) edgeColumn(y []float32, ic, mc, j int, last bool, flags int, alpha, beta float32) {
	p, e := &c.p, &c.p.Epilogue
	bias, res := c.epPtrs(flags, ic, j)
	asm.Epilogue(mc, 1, y, 1, &p.C[ic*p.LDC+j], p.LDC, flags, alpha, beta, c.lo, c.hi, bias, res, e.LDR)
	if last && c.act {
		activate(c.kern, e.Act, p.C[ic*p.LDC+j:], p.LDC, mc, 1)
	}
}

// gemvCall runs the matrix-vector shapes with the table's Sgemv: either
// N == 1 (rows of A against the column op(B)) or M == 1 with B stored N×K
// (rows of B against the row op(A)). Part r handles a range of row chunks.
type gemvCall call

func (g *gemvCall) Run(part int) {
	c := (*call)(g)
	p := &c.p
	rows := c.gemvRows
	chunks := (rows + gemvChunk - 1) / gemvChunk
	t0, t1 := span(chunks, c.tm, part)
	ws := c.ws[part*c.per : (part+1)*c.per]
	y := ws[p.K : p.K+gemvChunk]
	// mat (rows×K, stride ldm) times the vector v[q] = vec[q*vs].
	mat, ldm, vec, vs := p.A, p.LDA, p.B, p.LDB
	if p.TransB { // N == 1 and B is 1×K
		vs = 1
	}
	// Output element r goes to C[r*ldo]; bias and residual follow it.
	ldo, ldr := p.LDC, p.Epilogue.LDR
	e := &p.Epilogue
	flags := c.flags &^ (asm.FlagRowBias | asm.FlagColBias)
	rowBias := e.BiasMode == BiasRow // bias indexed by output element
	if c.gemvByB {
		mat, ldm, vec, vs = p.B, p.LDB, p.A, 1
		if p.TransA { // A is K×1
			vs = p.LDA
		}
		ldo, ldr = 1, 1
		rowBias = e.BiasMode == BiasCol
	}
	xp := &zero[0]
	if p.K > 0 {
		if vs == 1 {
			xp = &vec[0]
		} else {
			x := ws[:p.K]
			for q := range x {
				x[q] = vec[q*vs]
			}
			xp = &x[0]
		}
	}
	if p.Alpha != 1 {
		flags |= asm.FlagAlpha
	}
	if p.Beta != 0 {
		flags |= asm.FlagBeta
	}
	// With unit output (and residual) strides the h results are one 1×h
	// row: without an epilogue Sgemv stores them straight into C, else the
	// epilogue runs on that row instead of h rows of one element.
	row := ldo == 1 && (flags&asm.FlagResidual == 0 || ldr == 1)
	for r := t0; r < t1; r++ {
		i0 := r * gemvChunk
		h := min(gemvChunk, rows-i0)
		ap := &zero[0]
		if p.K > 0 {
			ap = &mat[i0*ldm]
		}
		if row && flags == 0 && e.BiasMode == BiasNone {
			c.kern.Sgemv(h, p.K, ap, ldm, xp, &p.C[i0])
		} else {
			c.kern.Sgemv(h, p.K, ap, ldm, xp, &y[0])
			// The h results are an h×1 block: a per-output bias is a row
			// bias, the single bias of a 1-wide output dimension a column
			// bias (the other way round for the 1×h row).
			var bias, res *float32
			fl := flags
			if e.BiasMode != BiasNone {
				bias = &e.Bias[0]
				if rowBias {
					bias = &e.Bias[i0]
				}
				if rowBias != row {
					fl |= asm.FlagRowBias
				} else {
					fl |= asm.FlagColBias
				}
			}
			if fl&asm.FlagResidual != 0 {
				res = &e.Residual[i0*ldr]
			}
			if row {
				asm.Epilogue(1, h, y, h, &p.C[i0], h, fl, p.Alpha, p.Beta, c.lo, c.hi, bias, res, h)
			} else {
				asm.Epilogue(h, 1, y, 1, &p.C[i0*ldo], ldo, fl, p.Alpha, p.Beta, c.lo, c.hi, bias, res, ldr)
			}
		}
		switch {
		case !c.act:
		case row:
			activate(c.kern, e.Act, p.C[i0:], h, 1, h)
		default:
			activate(c.kern, e.Act, p.C[i0*ldo:], ldo, h, 1)
		}
	}
}
