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
	regs  []VecPhysical
}

var (
	avx2 = isa{"AVX2", 8, []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}}
	avx5 = isa{"AVX512", 16, []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
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
	kernelSig     = "func(k int, a, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)"
	kernelSigRowA = "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)"
)

func sgemm(g *build.Context) {
	// Tile shapes: see asm/dispatch_amd64.go and gemm/README.md.
	sgemmKernel(g, avx5, 8, 32, false)
	sgemmKernel(g, avx5, 8, 32, true)
	sgemmKernel(g, avx2, 4, 24, false)
	sgemmKernel(g, avx2, 4, 24, true)
	// Narrow kernels for the last, partial column strip (same MR and panels).
	sgemmKernel(g, avx5, 8, 16, false)
	sgemmKernel(g, avx5, 8, 16, true)
	sgemmKernel(g, avx2, 4, 8, false)
	sgemmKernel(g, avx2, 4, 8, true)
	sgemmKernel(g, avx2, 4, 16, false)
	sgemmKernel(g, avx2, 4, 16, true)
	sgemmKernel(g, avx2, 6, 16, false) // measured alternative, kept for BenchmarkKernel
	sgemv(g, avx5)
	sgemv(g, avx2)
	fmaProbe(g, avx5)
	fmaProbe(g, avx2)
}

func paramMem(g *build.Context, name string) Mem {
	b, err := g.Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// aPrefetch is how many bytes ahead the micro-kernels prefetch A.
const aPrefetch = 1024

// sgemmKernel emits the MR×NR micro-kernel. Register plan: accumulators
// first, then NR/width B vectors and one A broadcast; after the k loop the
// last four registers hold alpha, beta, lo and hi.
//
// A element (i, p) is at a[p*MR+i] (a packed panel) or, with rowA, at
// a[i*lda+p] (a row-major matrix read in place; the signature gains lda).
// B row p is at b[p*ldb].
func sgemmKernel(g *build.Context, s isa, mr, nr int, rowA bool) {
	nv := nr / s.width
	name := fmt.Sprintf("sgemm%dx%d%s", mr, nr, s.name)
	layout := "A[i][p] = a[p*MR+i]"
	sig := kernelSig
	if rowA {
		name = fmt.Sprintf("sgemm%dx%dRowA%s", mr, nr, s.name)
		layout = "A[i][p] = a[i*lda+p]"
		sig = kernelSigRowA
	}
	if mr*nv+nv+1 > len(s.regs) || mr*nv+4 > len(s.regs) || mr > 8 {
		panic(name + ": too many registers")
	}
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr(sig)
	g.Pragma("noescape")
	g.Doc(fmt.Sprintf("%s computes one full %d×%d tile, acc[i][j] = Σ_p A[i][p]·b[p*ldb+j]", name, mr, nr),
		fmt.Sprintf("with %s, then C[i][j] = epilogue(acc); see SgemmFunc.", layout))
	acc := func(i, v int) VecPhysical { return s.regs[i*nv+v] }
	bv := func(v int) VecPhysical { return s.regs[mr*nv+v] }
	av := s.regs[mr*nv+nv]
	last := len(s.regs)
	ralpha, rbeta, rlo, rhi := s.regs[last-4], s.regs[last-3], s.regs[last-2], s.regs[last-1]

	k, a, b, c, ldc := RCX, RSI, RDI, RDX, RBX
	ldb, ldb3 := R12, R13         // B row stride in bytes, and 3×
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
	g.Load(g.Param("ldb"), ldb)
	g.SHLQ(U8(2), ldb)
	g.LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)
	g.Load(g.Param("c"), c)
	g.Load(g.Param("ldc"), ldc)
	g.SHLQ(U8(2), ldc)

	// Prefetch C: it is written (and maybe read) once the k loop ends.
	g.MOVQ(c, R8)
	for i := 0; i < mr; i++ {
		for off := 0; off < nr*4; off += 64 {
			g.PREFETCHT0(Mem{Base: R8, Disp: off})
		}
		if i < mr-1 {
			g.ADDQ(ldc, R8)
		}
	}
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			g.VXORPS(acc(i, v), acc(i, v), acc(i, v))
		}
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
	step := func(u int) {
		for v := 0; v < nv; v++ {
			g.VMOVUPS(brow[u].Offset(v*s.width*4), bv(v))
		}
		// When B is read in place (ldb > NR) the next column strip starts
		// NR floats to the right; fetch it while this one computes.
		for off := 0; off < nr*4; off += 64 {
			g.PREFETCHT0(brow[u].Offset(nr*4 + off))
		}
		for i := 0; i < mr; i++ {
			g.VBROADCASTSS(aElem(i, u), av)
			for v := 0; v < nv; v++ {
				g.VFMADD231PS(bv(v), av, acc(i, v))
			}
		}
	}
	const unroll = 4
	g.CMPQ(k, U8(unroll))
	g.JL(LabelRef(name + "_tail"))
	g.Label(name + "_loop")
	// A is read sequentially (packed strips are contiguous, rows in place
	// are sequential); keep it coming from L2 ahead of use.
	// (Rows read in place are left to the hardware prefetcher: prefetching
	// each of them measured no better.)
	if !rowA {
		g.PREFETCHT0(Mem{Base: a, Disp: aPrefetch})
	}
	for u := 0; u < unroll; u++ {
		step(u)
	}
	advanceA(unroll)
	g.LEAQ(Mem{Base: b, Index: ldb, Scale: 4}, b)
	g.SUBQ(U8(unroll), k)
	g.CMPQ(k, U8(unroll))
	g.JGE(LabelRef(name + "_loop"))
	g.Label(name + "_tail")
	g.TESTQ(k, k)
	g.JZ(LabelRef(name + "_epi"))
	g.Label(name + "_tailloop")
	step(0)
	advanceA(1)
	g.ADDQ(ldb, b)
	g.DECQ(k)
	g.JNZ(LabelRef(name + "_tailloop"))

	g.Label(name + "_epi")
	flags, bias, r, ldr, row := RAX, R9, R10, R11, R8
	g.Load(g.Param("flags"), flags)
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
	g.Load(g.Param("bias"), bias)
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
		g.Load(g.Param("r"), r)
		g.Load(g.Param("ldr"), ldr)
		g.SHLQ(U8(2), ldr)
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
	g.VZEROUPPER()
	g.RET()
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

// sgemv emits y[i] = Σ_k a[i*lda+k]·x[k] for i < m: four rows at a time,
// two vectors per row in flight, scalar k tail.
func sgemv(g *build.Context, s isa) {
	name := "sgemv" + s.name
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(m, k int, a *float32, lda int, x, y *float32)")
	g.Pragma("noescape")
	g.Doc(name+" computes y[i] = Σ_k a[i*lda+k]·x[k] for i < m (see sgemvGeneric).",
		"Requires k ≥ 0, m ≥ 0.")
	const rows, un = 4, 2
	w := s.width
	acc := func(r, u int) VecPhysical { return s.regs[r*un+u] }
	xv := func(u int) VecPhysical { return s.regs[rows*un+u] }
	tmp := s.regs[rows*un+un]
	m, k, a, lda, x, y := RCX, RDX, RSI, RBX, RDI, R8
	p := []GPPhysical{R9, R10, R11, R12} // row pointers
	kk, off := R13, RAX
	g.Load(g.Param("m"), m)
	g.Load(g.Param("k"), k)
	g.Load(g.Param("a"), a)
	g.Load(g.Param("lda"), lda)
	g.SHLQ(U8(2), lda)
	g.Load(g.Param("x"), x)
	g.Load(g.Param("y"), y)

	block := func(nrows int, lbl string) {
		for r := 0; r < nrows; r++ {
			if r == 0 {
				g.MOVQ(a, p[0])
			} else {
				g.LEAQ(Mem{Base: p[r-1], Index: lda, Scale: 1}, p[r])
			}
			for u := 0; u < un; u++ {
				g.VXORPS(acc(r, u), acc(r, u), acc(r, u))
			}
		}
		g.XORQ(off, off)
		g.MOVQ(k, kk)
		g.CMPQ(kk, U32(w*un))
		g.JL(LabelRef(lbl + "_vtail"))
		g.Label(lbl + "_vloop")
		for u := 0; u < un; u++ {
			g.VMOVUPS(Mem{Base: x, Index: off, Scale: 1, Disp: u * w * 4}, xv(u))
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
		g.Label(lbl + "_vtail")
		for r := 0; r < nrows; r++ {
			for u := 1; u < un; u++ {
				g.VADDPS(acc(r, u), acc(r, 0), acc(r, 0))
			}
			hsum(g, s, acc(r, 0), tmp)
		}
		g.TESTQ(kk, kk)
		g.JZ(LabelRef(lbl + "_store"))
		g.Label(lbl + "_sloop")
		g.VMOVSS(Mem{Base: x, Index: off, Scale: 1}, xv(0).AsX())
		for r := 0; r < nrows; r++ {
			g.VFMADD231SS(Mem{Base: p[r], Index: off, Scale: 1}, xv(0).AsX(), acc(r, 0).AsX())
		}
		g.ADDQ(U8(4), off)
		g.DECQ(kk)
		g.JNZ(LabelRef(lbl + "_sloop"))
		g.Label(lbl + "_store")
		for r := 0; r < nrows; r++ {
			g.VMOVSS(acc(r, 0).AsX(), Mem{Base: y, Disp: r * 4})
		}
		g.ADDQ(U8(uint8(nrows*4)), y)
		g.LEAQ(Mem{Base: a, Index: lda, Scale: uint8(nrows)}, a)
	}
	g.Label(name + "_rows4")
	g.CMPQ(m, U8(rows))
	g.JL(LabelRef(name + "_rows1"))
	block(rows, name+"_r4")
	g.SUBQ(U8(rows), m)
	g.JMP(LabelRef(name + "_rows4"))
	g.Label(name + "_rows1")
	g.TESTQ(m, m)
	g.JZ(LabelRef(name + "_done"))
	block(1, name+"_r1")
	g.DECQ(m)
	g.JMP(LabelRef(name + "_rows1"))
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
