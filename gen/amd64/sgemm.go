package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func init() { families["sgemm"] = sgemm }

// isa describes one vector ISA for the shared emitters below.
type isa struct {
	name  string // symbol suffix: AVX2, AVX512
	width int    // float32 lanes per vector
	panel int    // the table's NR: the row width of a packed B panel, edge kernels' too
	regs  []VecPhysical
}

var (
	avx2 = isa{"AVX2", 8, 24, []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}}
	avx5 = isa{"AVX512", 16, 32, []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}}
)

// Epilogue flag bits; asm/sgemm_generic.go repeats them as exported constants.
const (
	flagAlpha    = 1 << iota // multiply by alpha
	flagBeta                 // add beta*C (C is not read without it)
	flagRowBias              // add bias[i]
	flagColBias              // add bias[j]
	flagResidual             // add r[i*ldr+j]
	flagClamp                // clamp to [lo, hi]
)

const (
	kernelSig      = "func(k int, a, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)"
	kernelSigPackB = "func(k int, a, b *float32, ldb int, bp *float32, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)"
	kernelSigStrip = "func(n, k int, a *float32, as int, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)"
	kernelSigRowA  = "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)"
	kernelSigOffs  = "func(n, k int, a *float32, as int, b *float32, offs *int32, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)"
	kernelSigCol   = "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int, x, y *float32)"
)

func sgemm(g *build.Context) {
	// Tile shapes: see asm/dispatch_amd64.go and gemm/README.md.
	sgemmKernel(g, avx5, 8, 32, kindPacked)
	sgemmKernel(g, avx5, 8, 32, kindRowA)
	sgemmKernel(g, avx2, 4, 24, kindPacked)
	sgemmKernel(g, avx2, 4, 24, kindRowA)
	for _, s := range []struct {
		isa    isa
		mr, nr int
	}{{avx5, 8, 32}, {avx2, 4, 24}} {
		sgemmKernel(g, s.isa, s.mr, s.nr, kindPackB)
		sgemmKernel(g, s.isa, s.mr, s.nr, kindStrips)
		sgemmKernel(g, s.isa, s.mr, s.nr, kindOffs)
	}
	// Narrow kernels for the last, partial column strip (same MR and
	// panels); offsets kernels only where a tile keeps one accumulator
	// bank, so that an output row's last columns sum as in a full strip.
	for _, s := range []struct {
		isa    isa
		mr, nr int
	}{{avx5, 8, 16}, {avx2, 4, 8}, {avx2, 4, 16}} {
		sgemmKernel(g, s.isa, s.mr, s.nr, kindPacked)
		sgemmKernel(g, s.isa, s.mr, s.nr, kindRowA)
		if s.mr*s.nr/s.isa.width >= 8 {
			sgemmKernel(g, s.isa, s.mr, s.nr, kindOffs)
		}
	}
	sgemmKernel(g, avx5, 8, 16, kindRowACol)
	sgemmKernel(g, avx2, 6, 16, kindPacked) // measured alternative, kept for BenchmarkKernel
	sgemv(g, avx5)
	sgemv(g, avx2)
	sgemvPacked(g, avx5, 8)
	sgemmThin(g)
	sgemvPacked(g, avx2, 4)
	fmaProbe(g, avx5)
	fmaProbe(g, avx2)
}

// gpParams loads the named integer and pointer parameters into new
// general-purpose registers.
func gpParams(g *build.Context, names ...string) []Register {
	regs := make([]Register, len(names))
	for i, name := range names {
		regs[i] = g.Load(g.Param(name), g.GP64())
	}
	return regs
}

func paramMem(g *build.Context, name string) Mem {
	b, err := g.Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// aPrefetch is how many bytes ahead the micro-kernels prefetch A. A
// model's weights come from memory (conv's BenchmarkConvCold): 2 KiB
// ahead ran ResNet-50's 7×7 GEMM layers 4–10 % faster than 1 KiB (one
// and two threads), and GEMMs on cached operands as fast; 4 KiB was
// faster still cold but 3–5 % slower warm (1024³ 83 → 77 % of peak).
const aPrefetch = 2048

// kernelKind selects a micro-kernel variant.
type kernelKind int

const (
	kindPacked  kernelKind = iota // SgemmFunc: A a packed panel
	kindRowA                      // SgemmRowAFunc: A a row-major matrix read in place
	kindPackB                     // SgemmPackBFunc: also copies the B rows it reads to bp
	kindStrips                    // SgemmStripsFunc: n tiles down a column in one call
	kindOffs                      // SgemmOffsFunc: kindStrips with B row p at b + offs[p]
	kindRowACol                   // SgemmRowAColFunc: kindRowA and one more column's sums
)

// sgemmKernel emits the MR×NR micro-kernel of the given kind. Register
// plan: accumulators first, then NR/width B vectors and one A broadcast;
// after the k loop the last four registers hold alpha, beta, lo and hi.
//
// A element (i, p) is at a[p*MR+i] (a packed panel) or, for kindRowA, at
// a[i*lda+p] (a row-major matrix read in place; the signature gains lda).
// B row p is at b[p*ldb]. kindPackB stores each B row it loads to bp
// (bp[p*NR+j] = b[p*ldb+j]), so the first tile of a column strip packs the
// strip for the others. kindStrips loops over n tiles stacked in a column:
// tile t reads the A panel at a + t*as and writes C rows t*MR…, with the
// row bias and the residual following, so the caller makes one call per
// column strip instead of one per tile. kindOffs is kindStrips with B row
// p at b + offs[p] floats: convolution windows read in place (implicit
// im2col), one offset per (channel, kernel row, kernel column).
// kindRowACol is kindRowA (B a packed panel, AVX-512, MR = 8) that also
// sums one more column of B, y[i] = Σ_p A[i][p]·x[p], with vectors along
// k (the A rows' next 64 bytes, which the broadcasts read anyway, against
// 16 values of x; a masked step for the last k mod 16), so that a column
// left over after the edge kernel does not cost a pass over A of its own.
func sgemmKernel(g *build.Context, s isa, mr, nr int, kind kernelKind) {
	col := kind == kindRowACol
	if col && (s.width != 16 || mr != 8) {
		panic("sgemmKernel: the extra column is emitted for AVX-512 and MR = 8 only")
	}
	if col {
		kind = kindRowA
	}
	rowA, packB, offs := kind == kindRowA, kind == kindPackB, kind == kindOffs
	strips := kind == kindStrips || offs
	nv := nr / s.width
	name := fmt.Sprintf("sgemm%dx%d%s", mr, nr, s.name)
	layout := "A[i][p] = a[p*MR+i]"
	sig := kernelSig
	if packB {
		name = fmt.Sprintf("sgemm%dx%dPackB%s", mr, nr, s.name)
		sig = kernelSigPackB
	}
	if strips {
		name = fmt.Sprintf("sgemm%dx%dStrips%s", mr, nr, s.name)
		sig = kernelSigStrip
	}
	if offs {
		name = fmt.Sprintf("sgemm%dx%dOffs%s", mr, nr, s.name)
		sig = kernelSigOffs
	}
	if rowA {
		name = fmt.Sprintf("sgemm%dx%dRowA%s", mr, nr, s.name)
		layout = "A[i][p] = a[i*lda+p]"
		sig = kernelSigRowA
	}
	if col {
		name = fmt.Sprintf("sgemm%dx%dRowACol%s", mr, nr, s.name)
		sig = kernelSigCol
	}
	if mr*nv+nv+1 > len(s.regs) || mr*nv+4 > len(s.regs) || mr > 8 {
		panic(name + ": too many registers")
	}
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr(sig)
	g.Pragma("noescape")
	doc := []string{fmt.Sprintf("%s computes one full %d×%d tile, acc[i][j] = Σ_p A[i][p]·b[p*ldb+j]", name, mr, nr),
		fmt.Sprintf("with %s, then C[i][j] = epilogue(acc); see SgemmFunc.", layout)}
	if packB {
		doc = append(doc, fmt.Sprintf("It also stores the B rows it reads, bp[p*%d+j] = b[p*ldb+j]; see SgemmPackBFunc.", nr))
	}
	if col {
		doc = append(doc, "It also stores y[i] = Σ_p A[i][p]·x[p] (no epilogue); see SgemmRowAColFunc.")
	}
	if strips {
		doc = []string{fmt.Sprintf("%s computes n full %d×%d tiles stacked in a column, tile t with", name, mr, nr),
			fmt.Sprintf("the A panel at a+t*as and C, row bias and residual rows from t*%d on; see SgemmStripsFunc.", mr)}
	}
	if offs {
		doc = []string{fmt.Sprintf("%s computes n full %d×%d tiles stacked in a column like the Strips", name, mr, nr),
			"kernel, with B row p at b+offs[p]; see SgemmOffsFunc."}
	}
	g.Doc(doc...)
	// Two FMA pipes at latency 4 need 8 independent chains: a tile with
	// fewer accumulators (the 4×8 edge, 4 chains, ran at half rate) keeps
	// a second bank for the odd k steps of the unrolled loop and adds it
	// to the first before the epilogue.
	banks := 1
	if mr*nv < 8 && 2*mr*nv+nv+1 <= len(s.regs) {
		banks = 2
	}
	acc := func(i, v int) VecPhysical { return s.regs[i*nv+v] }
	accIn := func(bank, i, v int) VecPhysical { return s.regs[bank*mr*nv+i*nv+v] }
	bv := func(v int) VecPhysical { return s.regs[banks*mr*nv+v] }
	av := s.regs[banks*mr*nv+nv]
	last := len(s.regs)
	ralpha, rbeta, rlo, rhi := s.regs[last-4], s.regs[last-3], s.regs[last-2], s.regs[last-1]

	k, a, b, c, ldc := RCX, RSI, RDI, RDX, RBX
	ldb, ldb3 := R12, R13         // B row stride in bytes, and 3×
	ofp, ofv := R12, R13          // offs: the offsets' pointer, the current one
	lda, lda3, a4 := R9, R10, R11 // A stride in bytes, 3×, rows 4..7 (rowA)
	g.Load(g.Param("k"), k)
	g.Load(g.Param("a"), a)
	if rowA {
		g.Load(g.Param("lda"), lda)
		g.SHLQ(U8(2), lda)
		g.LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
		if mr > 4 {
			g.LEAQ(Mem{Base: a, Index: lda, Scale: 4}, a4)
		}
	}
	g.Load(g.Param("b"), b)
	if !offs {
		g.Load(g.Param("ldb"), ldb)
		g.SHLQ(U8(2), ldb)
		g.LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)
	}
	g.Load(g.Param("c"), c)
	g.Load(g.Param("ldc"), ldc)
	g.SHLQ(U8(2), ldc)
	bp := R14
	if packB {
		g.Load(g.Param("bp"), bp)
	}
	// strips: n counts tiles in R14, R15 holds the current A panel; flags,
	// bias, r and ldr stay in their epilogue registers across tiles.
	nreg, astart := R14, R15
	flags, bias, r, ldr, row := RAX, R9, R10, R11, R8
	if strips {
		g.Load(g.Param("n"), nreg)
		g.TESTQ(nreg, nreg)
		g.JLE(LabelRef(name + "_done"))
		g.MOVQ(a, astart)
		g.Load(g.Param("flags"), flags)
		g.Load(g.Param("bias"), bias)
		g.Load(g.Param("r"), r)
		g.Load(g.Param("ldr"), ldr)
		g.SHLQ(U8(2), ldr)
		g.Label(name + "_strip")
		g.MOVQ(astart, a)
		g.Load(g.Param("k"), k)
		if offs {
			g.Load(g.Param("offs"), ofp)
		} else {
			g.Load(g.Param("b"), b)
		}
	}

	// prefetchRows fetches rows of NR floats, ld bytes apart, from base.
	prefetchRows := func(base, ld Register, rows int) {
		g.MOVQ(base, R8)
		for i := 0; i < rows; i++ {
			for off := 0; off < nr*4; off += 64 {
				g.PREFETCHT0(Mem{Base: R8, Disp: off})
			}
			if i < rows-1 {
				g.ADDQ(ld, R8)
			}
		}
	}
	// Prefetch C: it is written (and maybe read) once the k loop ends.
	prefetchRows(c, ldc, mr)
	// strips: and the residual rows the epilogue reads, this tile's and
	// the next one's (a tile's k loop is too short to hide a load from
	// memory at small k): a residual streaming from memory had cost a
	// 4×24×64 tile (ResNet-50's 64→256 1×1 @56) 14 % of its time.
	if strips {
		g.TESTQ(U32(flagResidual), flags)
		g.JZ(LabelRef(name + "_nores"))
		prefetchRows(r, ldr, 2*mr)
		g.Label(name + "_nores")
	}
	for i := 0; i < banks*mr*nv; i++ {
		g.VXORPS(s.regs[i], s.regs[i], s.regs[i])
	}
	// Row u of the unrolled B block: b + u*ldb.
	brow := [4]Mem{{Base: b}, {Base: b, Index: ldb, Scale: 1}, {Base: b, Index: ldb, Scale: 2}, {Base: b, Index: ldb3, Scale: 1}}
	// aElem addresses A[i][u] relative to the current k position.
	aElem := func(i, u int) Mem {
		if rowA {
			base := a
			if i >= 4 {
				base = a4
			}
			m := [4]Mem{{Base: base}, {Base: base, Index: lda, Scale: 1}, {Base: base, Index: lda, Scale: 2}, {Base: base, Index: lda3, Scale: 1}}[i%4]
			return m.Offset(u * 4)
		}
		return Mem{Base: a, Disp: (u*mr + i) * 4}
	}
	advanceA := func(steps int) {
		switch {
		case rowA:
			g.ADDQ(U8(uint8(4*steps)), a)
			if mr > 4 {
				g.ADDQ(U8(uint8(4*steps)), a4)
			}
		default:
			g.ADDQ(U32(steps*mr*4), a)
		}
	}
	// step emits k step u of the unrolled loop; inPlace: B is read in
	// place (rows longer than a packed panel's), so the next column strip
	// starts NR floats to the right: fetch it while this one computes. (On
	// a packed panel those prefetches hit the panel's own rows, already in
	// L1, and took issue slots: 5–14 % of a 1×1 convolution's GEMM.)
	step := func(u int, inPlace bool) {
		row := brow[u]
		if offs {
			g.MOVLQSX(Mem{Base: ofp, Disp: 4 * u}, ofv)
			row = Mem{Base: b, Index: ofv, Scale: 4}
		}
		for v := 0; v < nv; v++ {
			g.VMOVUPS(row.Offset(v*s.width*4), bv(v))
			if packB {
				g.VMOVUPS(bv(v), Mem{Base: bp, Disp: (u*nr + v*s.width) * 4})
			}
		}
		for d := 0; inPlace && d < nr*4; d += 64 {
			g.PREFETCHT0(brow[u].Offset(nr*4 + d))
		}
		for i := 0; i < mr; i++ {
			g.VBROADCASTSS(aElem(i, u), av)
			for v := 0; v < nv; v++ {
				g.VFMADD231PS(bv(v), av, accIn(u%banks, i, v))
			}
		}
	}
	// col: dacc(i) sums row i's products with x lane by lane; the loop of
	// 16 k steps runs first, the unrolled loops below take the rest.
	dacc := func(i int) VecPhysical { return s.regs[banks*mr*nv+nv+1+i] }
	var zx, zt VecPhysical
	xp, rem, aRem, a4Rem := R14, RAX, R15, R8
	if col {
		zx, zt = dacc(mr), dacc(mr+1)
		for i := 0; i < mr; i++ {
			g.VXORPS(dacc(i), dacc(i), dacc(i))
		}
		g.Load(g.Param("x"), xp)
		g.CMPQ(k, U8(16))
		g.JL(LabelRef(name + "_rem"))
		g.Label(name + "_loop16")
		g.VMOVUPS(Mem{Base: xp}, zx)
		for i := 0; i < mr; i++ {
			g.VFMADD231PS(aElem(i, 0), zx, dacc(i))
		}
		g.ADDQ(U8(64), xp)
		for range 4 {
			for u := 0; u < 4; u++ {
				step(u, false)
			}
			advanceA(4)
			g.LEAQ(Mem{Base: b, Index: ldb, Scale: 4}, b)
		}
		g.SUBQ(U8(16), k)
		g.CMPQ(k, U8(16))
		g.JGE(LabelRef(name + "_loop16"))
		g.Label(name + "_rem")
		g.MOVQ(k, rem)
		g.MOVQ(a, aRem)
		g.MOVQ(a4, a4Rem)
	}
	const unroll = 4
	g.CMPQ(k, U8(unroll))
	g.JL(LabelRef(name + "_tail"))
	// loop emits the unrolled k loop; the packing kernel always reads B
	// in place, the others choose by ldb (an edge kernel's packed panel
	// is as wide as the table's).
	loop := func(label string, inPlace bool) {
		g.Label(name + label)
		// A is read sequentially (packed strips are contiguous, rows in
		// place are sequential); keep it coming from L2 ahead of use.
		// (Rows read in place are left to the hardware prefetcher:
		// prefetching each of them measured no better.)
		// One line per 64 bytes the iteration consumes: MR = 8 reads
		// two lines per four k steps.
		for off := 0; !rowA && off < unroll*mr*4; off += 64 {
			g.PREFETCHT0(Mem{Base: a, Disp: aPrefetch + off})
		}
		for u := 0; u < unroll; u++ {
			step(u, inPlace)
		}
		advanceA(unroll)
		if packB {
			g.ADDQ(U32(unroll*nr*4), bp)
		}
		if offs {
			g.ADDQ(U8(4*unroll), ofp)
		} else {
			g.LEAQ(Mem{Base: b, Index: ldb, Scale: 4}, b)
		}
		g.SUBQ(U8(unroll), k)
		g.CMPQ(k, U8(unroll))
		g.JGE(LabelRef(name + label))
	}
	switch {
	case offs: // (rows anywhere: no next strip to fetch)
		loop("_loopp", false)
	case packB:
		loop("_loop", true)
	default:
		g.CMPQ(ldb, U32(s.panel*4))
		g.JLE(LabelRef(name + "_loopp"))
		loop("_loop", true)
		g.JMP(LabelRef(name + "_tail"))
		loop("_loopp", false)
	}
	g.Label(name + "_tail")
	g.TESTQ(k, k)
	g.JZ(LabelRef(name + "_epi"))
	g.Label(name + "_tailloop")
	step(0, !offs)
	advanceA(1)
	if packB {
		g.ADDQ(U32(nr*4), bp)
	}
	if offs {
		g.ADDQ(U8(4), ofp)
	} else {
		g.ADDQ(ldb, b)
	}
	g.DECQ(k)
	g.JNZ(LabelRef(name + "_tailloop"))

	g.Label(name + "_epi")
	for i := 0; banks == 2 && i < mr; i++ {
		for v := 0; v < nv; v++ {
			g.VADDPS(accIn(1, i, v), acc(i, v), acc(i, v))
		}
	}
	if col {
		colSums(g, name, dacc, zx, zt, s.regs[banks*mr*nv:], rem, aRem, a4Rem, lda, lda3, xp)
	}
	if !strips {
		g.Load(g.Param("flags"), flags)
	}
	g.VBROADCASTSS(paramMem(g, "alpha"), ralpha)
	g.VBROADCASTSS(paramMem(g, "beta"), rbeta)
	stage := func(bit int, label string, body func()) {
		g.TESTQ(U32(bit), flags)
		g.JZ(LabelRef(name + "_no" + label))
		body()
		g.Label(name + "_no" + label)
	}
	allRows := func(ptr Register, ld Register, f func(i, v int, m Mem)) {
		if ptr != nil {
			g.MOVQ(ptr.(GPPhysical), row)
		}
		for i := 0; i < mr; i++ {
			for v := 0; v < nv; v++ {
				f(i, v, Mem{Base: row, Disp: v * s.width * 4})
			}
			if ptr != nil && i < mr-1 {
				g.ADDQ(ld, row)
			}
		}
	}
	stage(flagAlpha, "alpha", func() {
		allRows(nil, nil, func(i, v int, _ Mem) { g.VMULPS(ralpha, acc(i, v), acc(i, v)) })
	})
	stage(flagBeta, "beta", func() {
		allRows(c, ldc, func(i, v int, m Mem) { g.VFMADD231PS(m, rbeta, acc(i, v)) })
	})
	if !strips {
		g.Load(g.Param("bias"), bias)
	}
	stage(flagRowBias, "rowbias", func() {
		allRows(nil, nil, func(i, v int, _ Mem) {
			if v == 0 {
				g.VBROADCASTSS(Mem{Base: bias, Disp: i * 4}, rhi) // free until the clamp stage
			}
			g.VADDPS(rhi, acc(i, v), acc(i, v))
		})
	})
	stage(flagColBias, "colbias", func() {
		allRows(nil, nil, func(i, v int, _ Mem) {
			g.VADDPS(Mem{Base: bias, Disp: v * s.width * 4}, acc(i, v), acc(i, v))
		})
	})
	stage(flagResidual, "residual", func() {
		if !strips {
			g.Load(g.Param("r"), r)
			g.Load(g.Param("ldr"), ldr)
			g.SHLQ(U8(2), ldr)
		}
		allRows(r, ldr, func(i, v int, m Mem) { g.VADDPS(m, acc(i, v), acc(i, v)) })
	})
	stage(flagClamp, "clamp", func() {
		g.VBROADCASTSS(paramMem(g, "lo"), rlo)
		g.VBROADCASTSS(paramMem(g, "hi"), rhi)
		allRows(nil, nil, func(i, v int, _ Mem) {
			g.VMAXPS(rlo, acc(i, v), acc(i, v))
			g.VMINPS(rhi, acc(i, v), acc(i, v))
		})
	})
	allRows(c, ldc, func(i, v int, m Mem) { g.VMOVUPS(acc(i, v), m) })
	if strips {
		// Next tile: MR rows of C (and of the row bias and the residual)
		// down, the next A panel.
		for i := 0; i < mr; i++ {
			g.ADDQ(ldc, c)
		}
		g.TESTQ(U32(flagRowBias), flags)
		g.JZ(LabelRef(name + "_nextr"))
		g.ADDQ(U32(mr*4), bias)
		g.Label(name + "_nextr")
		g.TESTQ(U32(flagResidual), flags)
		g.JZ(LabelRef(name + "_nexta"))
		for i := 0; i < mr; i++ {
			g.ADDQ(ldr, r)
		}
		g.Label(name + "_nexta")
		g.Load(g.Param("as"), row)
		g.SHLQ(U8(2), row)
		g.ADDQ(row, astart)
		g.DECQ(nreg)
		g.JNZ(LabelRef(name + "_strip"))
		g.Label(name + "_done")
	}
	g.VZEROUPPER()
	g.RET()
}

// colSums ends kindRowACol's extra column: the last rem (< 16) k steps
// as one masked step (rows from aRem and a4Rem, x at xp), then each row's
// lanes summed and the eight sums stored to y. free holds two vectors
// below Z16 that the k loop no longer needs (VHADDPS is VEX only).
func colSums(g *build.Context, name string, dacc func(int) VecPhysical, zx, zt VecPhysical, free []VecPhysical, rem, aRem, a4Rem, lda, lda3, xp Register) {
	g.TESTQ(rem, rem)
	g.JZ(LabelRef(name + "_colsum"))
	g.MOVQ(rem, RCX) // (k is spent)
	g.MOVL(U32(1), R13L)
	g.SHLL(CL, R13L)
	g.DECL(R13L)
	g.KMOVW(R13L, K1)
	g.VMOVUPS_Z(Mem{Base: xp}, K1, zx)
	for i := 0; i < 8; i++ {
		base := aRem
		if i >= 4 {
			base = a4Rem
		}
		m := [4]Mem{{Base: base}, {Base: base, Index: lda, Scale: 1}, {Base: base, Index: lda, Scale: 2}, {Base: base, Index: lda3, Scale: 1}}[i%4]
		g.VMOVUPS_Z(m, K1, zt)
		g.VFMADD231PS(zt, zx, dacc(i))
	}
	g.Label(name + "_colsum")
	for i := 0; i < 8; i++ {
		g.VEXTRACTF64X4(U8(1), dacc(i), zt.AsY())
		g.VADDPS(zt.AsY(), dacc(i).AsY(), dacc(i).AsY())
	}
	rows := make([]VecPhysical, 8)
	for i := range rows {
		rows[i] = dacc(i)
		if rows[i].PhysicalIndex() >= 16 {
			rows[i] = free[i-6]
			g.VMOVAPS(dacc(i).AsY(), rows[i].AsY())
		}
	}
	y := R13
	g.Load(g.Param("y"), y)
	for h := 0; h < 2; h++ {
		a0, a1, a2, a3 := rows[4*h].AsY(), rows[4*h+1].AsY(), rows[4*h+2].AsY(), rows[4*h+3].AsY()
		g.VHADDPS(a1, a0, a0) // r0 r0 r1 r1 | r0 r0 r1 r1
		g.VHADDPS(a3, a2, a2)
		g.VHADDPS(a2, a0, a0) // r0 r1 r2 r3 | r0 r1 r2 r3
		g.VEXTRACTF32X4(U8(1), a0, zt.AsX())
		g.VADDPS(zt.AsX(), rows[4*h].AsX(), rows[4*h].AsX())
		g.VMOVUPS(rows[4*h].AsX(), Mem{Base: y, Disp: 16 * h})
	}
}

// hsum reduces vector x to its lane sum in the low lane of x's XMM form;
// t is clobbered.
func hsum(g *build.Context, s isa, x, t VecPhysical) {
	if s.width == 16 {
		g.VEXTRACTF64X4(U8(1), x, t.AsY())
		g.VADDPS(t.AsY(), x.AsY(), x.AsY())
	}
	g.VEXTRACTF128(U8(1), x.AsY(), t.AsX())
	g.VADDPS(t.AsX(), x.AsX(), x.AsX())
	g.VMOVHLPS(x.AsX(), x.AsX(), t.AsX())
	g.VADDPS(t.AsX(), x.AsX(), x.AsX())
	g.VMOVSHDUP(x.AsX(), t.AsX())
	g.VADDSS(t.AsX(), x.AsX(), x.AsX())
}

// Sgemv blocking: gemvRows rows per pass, gemvUnroll vectors per row in
// flight (8 accumulators), x reloaded from L1 once per vector and pass.
const (
	gemvRows   = 4
	gemvUnroll = 2
	// gemvPrefetchK is the longest row, in floats, for which a pass
	// prefetches the next pass's rows. Short rows end before the hardware
	// prefetcher has ramped up (a 1000×512 matrix streamed from L3 measured
	// 35 → 40 GFLOP/s on Zen 3, the plain L3 read rate); on longer rows the
	// extra prefetches measured slower (K = 768 … 4608).
	gemvPrefetchK = 512
	// gemvPrefetchMin is the smallest matrix, in floats, worth prefetching:
	// a 32×128 matrix in L1 measured 70 → 59 GFLOP/s with the prefetches.
	gemvPrefetchMin = 16 << 10
)

// Sgemv prefetch modes for the next pass's rows.
const (
	pfNone   = iota
	pfLinear // lda == k: the next pass is contiguous, fetch it in address order
	// pfRows: else each row of the next pass at the current offset (rows
	// of a larger matrix, as gemm's edge strips read them: 168 rows × 384
	// of a 4608-wide matrix measured 27 → 41 GFLOP/s against pfLinear).
	pfRows
)

// sgemv emits y[i] = Σ_k a[i*lda+k]·x[k] for i < m: passes of gemvRows
// rows (then 2 and 1 for the rest), gemvUnroll vectors per row per
// iteration, a one-vector loop and a scalar loop for the k tail, the rows
// of a pass reduced together with VHADDPS. With k ≤ gemvPrefetchK and a
// matrix of at least gemvPrefetchMin floats, each iteration of a full pass
// also prefetches one line of each row of the next pass (pfLinear or
// pfRows).
func sgemv(g *build.Context, s isa) {
	name := "sgemv" + s.name
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(m, k int, a *float32, lda int, x, y *float32)")
	g.Pragma("noescape")
	g.Doc(name+" computes y[i] = Σ_k a[i*lda+k]·x[k] for i < m (see sgemvGeneric).",
		"Requires k ≥ 0, m ≥ 0.")
	const un = gemvUnroll
	w := s.width
	acc := func(r, u int) VecPhysical { return s.regs[r*un+u] }
	xv := func(u int) VecPhysical { return s.regs[gemvRows*un+u] }
	tmp := xv(1) // free once the loops end
	m, k, lda, x, y := RCX, RDX, RBX, RDI, R8
	kk, off, pf, lda3 := R13, RAX, R14, R12
	p := []GPPhysical{RSI, R9, R10, R11} // row pointers; p[0] starts at a
	g.Load(g.Param("m"), m)
	g.Load(g.Param("k"), k)
	g.Load(g.Param("a"), p[0])
	g.Load(g.Param("lda"), lda)
	g.SHLQ(U8(2), lda)
	g.Load(g.Param("x"), x)
	g.Load(g.Param("y"), y)

	// block emits one pass over nrows rows; p[0] moves to the next pass.
	block := func(nrows int, pfMode int, lbl string) {
		prefetch, perRow := pfMode != pfNone, pfMode == pfRows
		for r := 0; r < nrows; r++ {
			if r > 0 {
				g.LEAQ(Mem{Base: p[r-1], Index: lda, Scale: 1}, p[r])
			}
			for u := 0; u < un; u++ {
				g.VXORPS(acc(r, u), acc(r, u), acc(r, u))
			}
		}
		if prefetch {
			g.LEAQ(Mem{Base: p[nrows-1], Index: lda, Scale: 1}, pf)
			if perRow {
				g.LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
			}
		}
		g.XORQ(off, off)
		g.MOVQ(k, kk)
		g.CMPQ(kk, U32(w*un))
		g.JL(LabelRef(lbl + "_v1"))
		g.Label(lbl + "_vloop")
		for u := 0; u < un; u++ {
			g.VMOVUPS(Mem{Base: x, Index: off, Scale: 1, Disp: u * w * 4}, xv(u))
		}
		if prefetch && perRow {
			rowm := []Mem{{Base: pf}, {Base: pf, Index: lda, Scale: 1}, {Base: pf, Index: lda, Scale: 2}, {Base: pf, Index: lda3, Scale: 1}}
			for r := 0; r < nrows; r++ {
				for d := 0; d < un*w*4; d += 64 {
					g.PREFETCHT0(rowm[r].Offset(d))
				}
			}
			g.ADDQ(U32(un*w*4), pf)
		} else if prefetch {
			step := nrows * un * w * 4
			for d := 0; d < step; d += 64 {
				g.PREFETCHT0(Mem{Base: pf, Disp: d})
			}
			g.ADDQ(U32(step), pf)
		}
		for r := 0; r < nrows; r++ {
			for u := 0; u < un; u++ {
				g.VFMADD231PS(Mem{Base: p[r], Index: off, Scale: 1, Disp: u * w * 4}, xv(u), acc(r, u))
			}
		}
		g.ADDQ(U32(w*un*4), off)
		g.SUBQ(U32(w*un), kk)
		g.CMPQ(kk, U32(w*un))
		g.JGE(LabelRef(lbl + "_vloop"))
		// One vector at a time.
		g.Label(lbl + "_v1")
		g.CMPQ(kk, U32(w))
		g.JL(LabelRef(lbl + "_s"))
		g.VMOVUPS(Mem{Base: x, Index: off, Scale: 1}, xv(0))
		for r := 0; r < nrows; r++ {
			g.VFMADD231PS(Mem{Base: p[r], Index: off, Scale: 1}, xv(0), acc(r, 0))
		}
		g.ADDQ(U32(w*4), off)
		g.SUBQ(U32(w), kk)
		g.JMP(LabelRef(lbl + "_v1"))
		// Scalar tail into acc(r, 1), cleared first (a VEX scalar op
		// zeroes the upper lanes, so it cannot run on a live accumulator).
		g.Label(lbl + "_s")
		for r := 0; r < nrows; r++ {
			for u := 1; u < un; u++ {
				g.VADDPS(acc(r, u), acc(r, 0), acc(r, 0))
			}
			g.VXORPS(acc(r, 1), acc(r, 1), acc(r, 1))
		}
		g.TESTQ(kk, kk)
		g.JZ(LabelRef(lbl + "_red"))
		g.Label(lbl + "_sloop")
		g.VMOVSS(Mem{Base: x, Index: off, Scale: 1}, xv(0).AsX())
		for r := 0; r < nrows; r++ {
			g.VFMADD231SS(Mem{Base: p[r], Index: off, Scale: 1}, xv(0).AsX(), acc(r, 1).AsX())
		}
		g.ADDQ(U8(4), off)
		g.DECQ(kk)
		g.JNZ(LabelRef(lbl + "_sloop"))
		g.Label(lbl + "_red")
		for r := 0; r < nrows; r++ {
			g.VADDPS(acc(r, 1), acc(r, 0), acc(r, 0))
			if s.width == 16 { // fold to 8 lanes: VHADDPS has no 512-bit form
				g.VEXTRACTF64X4(U8(1), acc(r, 0), tmp.AsY())
				g.VADDPS(tmp.AsY(), acc(r, 0).AsY(), acc(r, 0).AsY())
			}
		}
		// Reduce the rows' 8 lanes and store the sums.
		a0, a1 := acc(0, 0).AsY(), acc(1, 0).AsY()
		switch nrows {
		case 4:
			a2, a3 := acc(2, 0).AsY(), acc(3, 0).AsY()
			g.VHADDPS(a1, a0, a0) // r0 r0 r1 r1 | r0 r0 r1 r1
			g.VHADDPS(a3, a2, a2) // r2 r2 r3 r3 | …
			g.VHADDPS(a2, a0, a0) // r0 r1 r2 r3 | r0 r1 r2 r3
			g.VEXTRACTF128(U8(1), a0, tmp.AsX())
			g.VADDPS(tmp.AsX(), acc(0, 0).AsX(), acc(0, 0).AsX())
			g.VMOVUPS(acc(0, 0).AsX(), Mem{Base: y})
		case 2:
			g.VHADDPS(a1, a0, a0)
			g.VHADDPS(a0, a0, a0) // r0 r1 r0 r1 | r0 r1 r0 r1
			g.VEXTRACTF128(U8(1), a0, tmp.AsX())
			g.VADDPS(tmp.AsX(), acc(0, 0).AsX(), acc(0, 0).AsX())
			g.VMOVLPS(acc(0, 0).AsX(), Mem{Base: y})
		case 1:
			hsum(g, avx2, acc(0, 0), tmp) // already 8 lanes
			g.VMOVSS(acc(0, 0).AsX(), Mem{Base: y})
		}
		g.ADDQ(U8(uint8(nrows*4)), y)
		g.LEAQ(Mem{Base: p[nrows-1], Index: lda, Scale: 1}, p[0])
	}
	g.CMPQ(k, U32(gemvPrefetchK))
	g.JG(LabelRef(name + "_r4"))
	g.MOVQ(m, off)
	g.IMULQ(k, off)
	g.CMPQ(off, U32(gemvPrefetchMin))
	g.JL(LabelRef(name + "_r4"))
	g.MOVQ(k, off)
	g.SHLQ(U8(2), off)
	g.CMPQ(off, lda)
	g.JNE(LabelRef(name + "_q4"))
	for _, mode := range []int{pfLinear, pfRows, pfNone} {
		lbl := name + map[int]string{pfLinear: "_p4", pfRows: "_q4", pfNone: "_r4"}[mode]
		g.Label(lbl)
		g.CMPQ(m, U8(gemvRows))
		g.JL(LabelRef(name + "_r2"))
		block(gemvRows, mode, lbl)
		g.SUBQ(U8(gemvRows), m)
		g.JMP(LabelRef(lbl))
	}
	g.Label(name + "_r2")
	g.CMPQ(m, U8(2))
	g.JL(LabelRef(name + "_r1"))
	block(2, pfNone, name+"_r2")
	g.SUBQ(U8(2), m)
	g.Label(name + "_r1")
	g.TESTQ(m, m)
	g.JZ(LabelRef(name + "_done"))
	block(1, pfNone, name+"_r1")
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// probeChains independent FMA chains hide the 4-cycle latency on two pipes.
const probeChains = 12

// fmaProbe emits a loop of n iterations of probeChains independent FMAs.
func fmaProbe(g *build.Context, s isa) {
	name := "fmaProbe" + s.name
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(n int)")
	g.Doc(fmt.Sprintf("%s runs n iterations of %d independent %d-lane FMAs (%d flops per iteration).",
		name, probeChains, s.width, probeChains*s.width*2))
	n := RCX
	g.Load(g.Param("n"), n)
	for i := 0; i < probeChains+2; i++ {
		g.VXORPS(s.regs[i], s.regs[i], s.regs[i])
	}
	g.TESTQ(n, n)
	g.JZ(LabelRef(name + "_done"))
	g.Label(name + "_loop")
	for i := 0; i < probeChains; i++ {
		g.VFMADD231PS(s.regs[probeChains], s.regs[probeChains+1], s.regs[i])
	}
	g.DECQ(n)
	g.JNZ(LabelRef(name + "_loop"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// sgemvPacked emits sgemvPacked<mr><ISA>, the matrix-vector product over
// packed mr-row A tiles (SgemvPackedFunc). A vector holds two k steps of a
// tile (width = 2·mr), so it is multiplied by two values of x, each
// repeated mr times: per vector of 2·mr values of x, VPERMPS makes the mr
// such pairs (index vectors built once: 2j in the lower half, 2j+1 in the
// upper), so nothing but A and x is read; lane l of a product belongs to
// row l mod mr. Four accumulators; a pair left over broadcasts its two
// values, an odd last k step runs in the lower half; the halves are added
// at the end.
func sgemvPacked(g *build.Context, s isa, mr int) {
	if s.width != 2*mr || mr&(mr-1) != 0 {
		panic("sgemvPacked: a vector must hold two k steps, mr a power of two")
	}
	name := fmt.Sprintf("sgemvPacked%d%s", mr, s.name)
	vb := s.width * 4 // bytes per vector
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(tiles, k int, a *float32, as int, x, y *float32)")
	g.Pragma("noescape")
	g.Doc(fmt.Sprintf("%s is SgemvPackedFunc for MR = %d (see asm/sgemm_generic.go).", name, mr))
	prm := gpParams(g, "tiles", "k", "a", "as", "y")
	tiles, k, a, as, y := prm[0], prm[1], prm[2], prm[3], prm[4]
	g.SHLQ(U8(2), as)
	p, q, n := g.GP64(), g.GP64(), g.GP64()
	vec := func() VecVirtual {
		if s.width == 16 {
			return g.ZMM()
		}
		return g.YMM()
	}
	// half is the lower half of a vector register: one k step, mr rows.
	half := func(r VecVirtual) Register {
		if s.width == 16 {
			return r.AsY()
		}
		return r.AsX()
	}
	idx, two, t32 := make([]VecVirtual, mr), vec(), g.GP32()
	idx[0] = vec()
	if s.width == 16 {
		km := g.K()
		g.MOVL(U32(0xFF00), t32)
		g.KMOVW(t32, km)
		g.MOVL(U32(1), t32)
		g.VPBROADCASTD_Z(t32, km, idx[0]) // 0 ×8, 1 ×8
		g.MOVL(U32(2), t32)
		g.VPBROADCASTD(t32, two)
	} else {
		x1 := g.XMM()
		g.MOVL(U32(1), t32)
		g.VMOVD(t32, x1)
		g.VPBROADCASTD(x1, x1)
		g.VPXOR(idx[0], idx[0], idx[0])
		g.VINSERTI128(U8(1), x1, idx[0], idx[0]) // 0 ×4, 1 ×4
		g.MOVL(U32(2), t32)
		g.VMOVD(t32, x1)
		g.VPBROADCASTD(x1, two)
	}
	for j := 1; j < mr; j++ {
		idx[j] = vec()
		g.VPADDD(two, idx[j-1], idx[j])
	}
	acc := [4]VecVirtual{vec(), vec(), vec(), vec()}
	xv, t, u := vec(), vec(), vec()
	g.TESTQ(tiles, tiles)
	g.JLE(LabelRef(name + "_done"))
	g.Label(name + "_tile")
	g.MOVQ(a, p)
	g.Load(g.Param("x"), q)
	g.MOVQ(k, n)
	for _, v := range acc {
		g.VXORPS(v, v, v)
	}
	g.Label(name + "_main")
	g.CMPQ(n, U32(2*mr))
	g.JL(LabelRef(name + "_pair"))
	g.VMOVUPS(Mem{Base: q}, xv)
	for j := range mr {
		g.VPERMPS(xv, idx[j], t)
		g.VFMADD231PS(Mem{Base: p, Disp: vb * j}, t, acc[j%4])
	}
	g.ADDQ(U32(mr*vb), p)
	g.ADDQ(U32(2*mr*4), q)
	g.SUBQ(U32(2*mr), n)
	g.JMP(LabelRef(name + "_main"))
	g.Label(name + "_pair")
	g.CMPQ(n, U8(2))
	g.JL(LabelRef(name + "_odd"))
	g.VBROADCASTSS(Mem{Base: q}, half(t))
	g.VBROADCASTSS(Mem{Base: q, Disp: 4}, half(u))
	if s.width == 16 {
		g.VINSERTF32X8(U8(1), half(u), t, t)
	} else {
		g.VINSERTF128(U8(1), half(u), t, t)
	}
	g.VFMADD231PS(Mem{Base: p}, t, acc[0])
	g.ADDQ(U32(vb), p)
	g.ADDQ(U8(8), q)
	g.SUBQ(U8(2), n)
	g.JMP(LabelRef(name + "_pair"))
	g.Label(name + "_odd")
	g.TESTQ(n, n)
	g.JZ(LabelRef(name + "_sum"))
	// A half-width product zeroes the upper lanes of t, so adding all of
	// t adds nothing to the rows' second halves.
	g.VBROADCASTSS(Mem{Base: q}, half(t))
	g.VMULPS(Mem{Base: p}, half(t), half(t))
	g.VADDPS(t, acc[1], acc[1])
	g.Label(name + "_sum")
	g.VADDPS(acc[1], acc[0], acc[0])
	g.VADDPS(acc[3], acc[2], acc[2])
	g.VADDPS(acc[2], acc[0], acc[0])
	if s.width == 16 {
		g.VEXTRACTF64X4(U8(1), acc[0], half(t))
	} else {
		g.VEXTRACTF128(U8(1), acc[0], half(t))
	}
	g.VADDPS(half(t), half(acc[0]), half(acc[0]))
	g.VMOVUPS(half(acc[0]), Mem{Base: y})
	g.ADDQ(U8(uint8(4*mr)), y)
	g.ADDQ(as, a)
	g.DECQ(tiles)
	g.JNZ(LabelRef(name + "_tile"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// sgemmThin emits sgemmThin8x4AVX512 (SgemmThinFunc for MR = 8): a last
// column strip of at most 4 columns, where the 8×16 edge kernel costs 0.62
// of a full strip (8 broadcasts of A per 8 FMAs; 1024×196×256 took 11.7 %
// longer than 1024×192×256). Here A's 8 values of a k step are the vector,
// loaded twice over (VBROADCASTF32X8), and B's row of 4 is spread by VPERMPS
// to [b0 ×8, b1 ×8] and [b2 ×8, b3 ×8] once per k step for four tiles:
// two FMAs a tile per k step, the accumulators holding a tile's 8×4 block
// column by column, turned to rows by two VPERMT2PS at the end. (Spreading
// A instead, two permutes a tile per k step, left the strip at 0.45 of a
// full one.) Four tiles at a time (eight chains for the FMA latency), then
// one at a time. Each output is a chain of FMAs in k order from zero, as in
// the table's micro-kernels, so its bits do not depend on which kernel
// computed it.
func sgemmThin(g *build.Context) {
	name := "sgemmThin8x4AVX512"
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(tiles, k int, a *float32, as int, b *float32, ldb int, y *float32)")
	g.Pragma("noescape")
	g.Doc(name + " is SgemmThinFunc for MR = 8 (see asm/sgemm_generic.go).")
	prm := gpParams(g, "tiles", "k", "a", "as", "b", "ldb", "y")
	tiles, k, a, as, b, ldb, y := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6]
	g.SHLQ(U8(2), as)
	g.SHLQ(U8(2), ldb)
	as3 := g.GP64()
	g.LEAQ(Mem{Base: as, Index: as, Scale: 2}, as3)
	// Lane l: B spreads take b[l/8] and b[2 + l/8]; the row-major store
	// takes lane 8·(l mod 4) + l/4 of the two accumulators (row l/4,
	// column l mod 4), +4 for rows 4…7.
	iota := iota16(g)
	b01, b23 := g.ZMM(), g.ZMM()
	g.VPSRLD(U8(3), iota, b01)
	g.VPADDD(dwords(g, 2), b01, b23)
	t0, t1, c := g.ZMM(), g.ZMM(), g.ZMM()
	g.VPANDD(dwords(g, 3), iota, c)
	g.VPSLLD(U8(3), c, c)
	g.VPSRLD(U8(2), iota, t0)
	g.VPADDD(c, t0, t0)
	g.VPADDD(dwords(g, 4), t0, t1)
	p, q, n := g.GP64(), g.GP64(), g.GP64()
	group := func(label string, tl int) {
		g.Label(name + label)
		acc := make([]VecVirtual, 2*tl)
		for i := range acc {
			acc[i] = g.ZMM()
			g.VXORPS(acc[i], acc[i], acc[i])
		}
		g.MOVQ(a, p)
		g.MOVQ(b, q)
		g.MOVQ(k, n)
		g.TESTQ(n, n)
		g.JLE(LabelRef(name + label + "_store"))
		g.Label(name + label + "_k")
		bv, lo, hi := g.ZMM(), g.ZMM(), g.ZMM()
		g.VBROADCASTF32X4(Mem{Base: q}, bv)
		g.VPERMPS(bv, b01, lo)
		g.VPERMPS(bv, b23, hi)
		for t := 0; t < tl; t++ {
			m := [4]Mem{{Base: p}, {Base: p, Index: as, Scale: 1}, {Base: p, Index: as, Scale: 2}, {Base: p, Index: as3, Scale: 1}}[t]
			av := g.ZMM()
			g.VBROADCASTF32X8(m, av)
			g.VFMADD231PS(lo, av, acc[2*t])
			g.VFMADD231PS(hi, av, acc[2*t+1])
		}
		g.ADDQ(U8(32), p)
		g.ADDQ(ldb, q)
		g.DECQ(n)
		g.JNZ(LabelRef(name + label + "_k"))
		g.Label(name + label + "_store")
		for t := 0; t < tl; t++ {
			for h, idx := range []VecVirtual{t0, t1} {
				r := g.ZMM()
				g.VMOVAPS(acc[2*t], r)
				g.VPERMT2PS(acc[2*t+1], idx, r)
				g.VMOVUPS(r, Mem{Base: y, Disp: 128*t + 64*h})
			}
		}
		g.ADDQ(U32(128*tl), y)
		if tl == 4 {
			g.LEAQ(Mem{Base: a, Index: as, Scale: 4}, a)
		} else {
			g.ADDQ(as, a)
		}
		g.SUBQ(U8(uint8(tl)), tiles)
	}
	g.Label(name + "_fours")
	g.CMPQ(tiles, U8(4))
	g.JL(LabelRef(name + "_ones"))
	group("_four", 4)
	g.JMP(LabelRef(name + "_fours"))
	g.Label(name + "_ones")
	g.TESTQ(tiles, tiles)
	g.JLE(LabelRef(name + "_done"))
	group("_one", 1)
	g.JMP(LabelRef(name + "_ones"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}
