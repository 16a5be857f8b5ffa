package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func init() { families["dwconv"] = dwconv }

// Depthwise 3×3 row kernels, stride 1 and 2 (asm/dwconv_generic.go has the
// twin). Each block of 8 outputs sums three partial sums, one per kernel
// row, as the twin does: s0 = b + Σ_j w[j]·r0, s1 = Σ_j w[3+j]·r1,
// s2 = Σ_j w[6+j]·r2, out = clamp(s0 + (s1 + s2)), with FMA.
//
// Stride 1 keeps the nine weights in registers and reads the three taps of
// a row as unaligned loads at column offsets 0, 1, 2. Stride 2 splits
// columns into even/odd lanes (see pool.go), needs more registers for
// that, and so reads the weights as broadcast vectors from a 288-byte
// local area filled once per call.

const dwSig = "func(n int, out *float32, r *float32, ldr int, w *float32, b, lo, hi float32)"

func dwconv(g *build.Context) {
	for _, s := range []int{1, 2} {
		dwKernel(g, s)
	}
	for _, s := range []int{1, 2} {
		dwTaps(g, s)
	}
	dwKernelRows(g, 1)
	dwKernelRows(g, 2)
	deinterleave(g)
	dwc8(g)
	for vecs := 1; vecs <= planesVecs; vecs++ {
		dwPlanes(g, vecs)
	}
	for _, k := range []int{3, 5} {
		dwPlane16(g, k)
	}
	for _, k := range []int{3, 5} {
		dwPlane16S2(g, k)
	}
	dwPlaneFlat(g, 3, 7, 7)
	dwPlaneFlat(g, 5, 7, 7)
}

// dwKernelRows emits the 3×3 kernels over several output rows per call
// (weights in registers, taps as memory operands). Stride 1,
// dwconv3x3s1rBlocksAVX2: output row q reads input rows q, q+1, q+2 at
// columns i, i+1, i+2, so a plane's rows go straight to their place in
// the output instead of through a flat buffer and a copy. Stride 2,
// dwconv3x3s2pBlocksAVX2: planes whose rows are stored as their even
// columns, then their odd ones (deinterleaveRowsAVX2 writes them), so the
// taps of kernel column j are consecutive in memory, at offsets 0, half,
// 1 of the row: the stride-1 kernel without stride 2's shuffles; output
// row q reads input rows 2q, 2q+1, 2q+2.
func dwKernelRows(g *build.Context, stride int) {
	name := "dwconv3x3s1rBlocksAVX2"
	sig := "func(rows, n int, out *float32, ldo int, r *float32, ldr int, w *float32, b, lo, hi float32)"
	params := []string{"rows", "n", "out", "ldo", "r", "ldr", "w"}
	doc := []string{name + " computes out[q·ldo + i] for q < rows and i < 8·⌊n/8⌋ of a depthwise 3×3",
		"stride-1 plane (see DWRowsFunc in dwconv_generic.go)."}
	if stride == 2 {
		name = "dwconv3x3s2pBlocksAVX2"
		sig = "func(rows, n int, out *float32, ldo int, r *float32, ldr, half int, w *float32, b, lo, hi float32)"
		params = []string{"rows", "n", "out", "ldo", "r", "ldr", "half", "w"}
		doc = []string{name + " computes out[q·ldo + i] for q < rows and i < 8·⌊n/8⌋ of a depthwise 3×3",
			"stride-2 plane with deinterleaved rows (see DWRowsS2PFunc in dwconv_generic.go)."}
	}
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr(sig)
	g.Pragma("noescape")
	g.Doc(doc...)
	prm := gpParams(g, params...)
	rows, n, out, ldo, r, ldr, w := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[len(prm)-1]
	var half Register
	g.SHLQ(U8(2), ldo)
	g.SHLQ(U8(2), ldr)
	if stride == 2 {
		half = prm[6]
		g.SHLQ(U8(2), half)
	}
	bv, lo, hi := bcast(g, "b"), bcast(g, "lo"), bcast(g, "hi")
	var ws [9]VecVirtual
	for k := range ws {
		ws[k] = g.YMM()
		g.VBROADCASTSS(Mem{Base: w, Disp: 4 * k}, ws[k])
	}
	g.SHRQ(U8(3), n)
	g.JZ(LabelRef(name + "_done"))
	g.TESTQ(rows, rows)
	g.JLE(LabelRef(name + "_done"))
	po, pr, cnt := g.GP64(), g.GP64(), g.GP64()
	var ph Register // the odd half of the row, at stride 2
	if stride == 2 {
		ph = g.GP64()
	}
	g.Label(name + "_row")
	g.MOVQ(out, po)
	g.MOVQ(r, pr)
	if stride == 2 {
		g.LEAQ(Mem{Base: r, Index: half, Scale: 1}, ph)
	}
	g.MOVQ(n, cnt)
	g.Label(name + "_loop")
	var acc [3]VecVirtual
	for k := 0; k < 3; k++ {
		taps := [3]Mem{rowMem(pr, ldr, k, 0), rowMem(pr, ldr, k, 4), rowMem(pr, ldr, k, 8)}
		if stride == 2 {
			taps = [3]Mem{rowMem(pr, ldr, k, 0), rowMem(ph, ldr, k, 0), rowMem(pr, ldr, k, 4)}
		}
		acc[k] = g.YMM()
		if k == 0 {
			g.VMOVAPS(bv, acc[k])
			g.VFMADD231PS(taps[0], ws[0], acc[k])
		} else {
			g.VMULPS(taps[0], ws[3*k], acc[k])
		}
		for j := 1; j < 3; j++ {
			g.VFMADD231PS(taps[j], ws[3*k+j], acc[k])
		}
	}
	g.VADDPS(acc[2], acc[1], acc[1])
	g.VADDPS(acc[1], acc[0], acc[0])
	g.VMAXPS(acc[0], lo, acc[0]) // maxps(lo, ·)
	g.VMINPS(acc[0], hi, acc[0]) // minps(hi, ·)
	g.VMOVUPS(acc[0], Mem{Base: po})
	g.ADDQ(U8(32), po)
	g.ADDQ(U8(32), pr)
	if stride == 2 {
		g.ADDQ(U8(32), ph)
	}
	g.DECQ(cnt)
	g.JNZ(LabelRef(name + "_loop"))
	g.ADDQ(ldo, out)
	g.LEAQ(Mem{Base: r, Index: ldr, Scale: uint8(stride)}, r)
	g.DECQ(rows)
	g.JNZ(LabelRef(name + "_row"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// deinterleave emits deinterleaveRowsAVX2 (DeinterleaveFunc): per row,
// blocks of 16 split by VSHUFPS into even and odd lanes in 0 2 1 3 pair
// order, which VPERMPD 0xD8 puts right; then a block of 8 and one of 4 in
// XMM registers, then pairs, then a last single float.
func deinterleave(g *build.Context) {
	name := "deinterleaveRowsAVX2"
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(rows, n int, even, odd *float32, ldd int, src *float32, lds int)")
	g.Pragma("noescape")
	g.Doc(name+" splits rows rows of n floats of src (lds apart) into their even and odd",
		"columns, rows ldd apart (see DeinterleaveFunc in dwconv_generic.go).")
	prm := gpParams(g, "rows", "n", "even", "odd", "ldd", "src", "lds")
	rows, n, even, odd, ldd, src, lds := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6]
	g.SHLQ(U8(2), ldd)
	g.SHLQ(U8(2), lds)
	g.TESTQ(rows, rows)
	g.JLE(LabelRef(name + "_done"))
	pe, po, ps, cnt := g.GP64(), g.GP64(), g.GP64(), g.GP64()
	a, b, e, o := g.YMM(), g.YMM(), g.YMM(), g.YMM()
	x := g.XMM()
	// advance steps past k input floats (k/2 outputs to each side).
	advance := func(k int) {
		g.ADDQ(U8(4*k), ps)
		g.ADDQ(U8(2*k), pe)
		g.ADDQ(U8(2*k), po)
		g.SUBQ(U8(k), cnt)
	}
	g.Label(name + "_row")
	g.MOVQ(even, pe)
	g.MOVQ(odd, po)
	g.MOVQ(src, ps)
	g.MOVQ(n, cnt)
	g.Label(name + "_b16")
	g.CMPQ(cnt, U8(16))
	g.JL(LabelRef(name + "_b8"))
	g.VMOVUPS(Mem{Base: ps}, a)
	g.VMOVUPS(Mem{Base: ps, Disp: 32}, b)
	g.VSHUFPS(U8(0x88), b, a, e)
	g.VSHUFPS(U8(0xDD), b, a, o)
	g.VPERMPD(U8(0xD8), e, e)
	g.VPERMPD(U8(0xD8), o, o)
	g.VMOVUPS(e, Mem{Base: pe})
	g.VMOVUPS(o, Mem{Base: po})
	advance(16)
	g.JMP(LabelRef(name + "_b16"))
	// 8 and then 4 floats in the 128-bit lanes (no lane fix-up needed).
	g.Label(name + "_b8")
	g.CMPQ(cnt, U8(8))
	g.JL(LabelRef(name + "_b4"))
	g.VMOVUPS(Mem{Base: ps}, a.AsX())
	g.VMOVUPS(Mem{Base: ps, Disp: 16}, b.AsX())
	g.VSHUFPS(U8(0x88), b.AsX(), a.AsX(), e.AsX())
	g.VSHUFPS(U8(0xDD), b.AsX(), a.AsX(), o.AsX())
	g.VMOVUPS(e.AsX(), Mem{Base: pe})
	g.VMOVUPS(o.AsX(), Mem{Base: po})
	advance(8)
	g.Label(name + "_b4")
	g.CMPQ(cnt, U8(4))
	g.JL(LabelRef(name + "_pairs"))
	g.VMOVUPS(Mem{Base: ps}, a.AsX())
	g.VSHUFPS(U8(0x88), a.AsX(), a.AsX(), e.AsX())
	g.VSHUFPS(U8(0xDD), a.AsX(), a.AsX(), o.AsX())
	g.VMOVSD(e.AsX(), Mem{Base: pe})
	g.VMOVSD(o.AsX(), Mem{Base: po})
	advance(4)
	g.Label(name + "_pairs")
	g.CMPQ(cnt, U8(2))
	g.JL(LabelRef(name + "_single"))
	g.VMOVSS(Mem{Base: ps}, x)
	g.VMOVSS(x, Mem{Base: pe})
	g.VMOVSS(Mem{Base: ps, Disp: 4}, x)
	g.VMOVSS(x, Mem{Base: po})
	advance(2)
	g.JMP(LabelRef(name + "_pairs"))
	g.Label(name + "_single")
	g.TESTQ(cnt, cnt)
	g.JZ(LabelRef(name + "_next"))
	g.VMOVSS(Mem{Base: ps}, x)
	g.VMOVSS(x, Mem{Base: pe})
	g.Label(name + "_next")
	g.ADDQ(ldd, even)
	g.ADDQ(ldd, odd)
	g.ADDQ(lds, src)
	g.DECQ(rows)
	g.JNZ(LabelRef(name + "_row"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

func dwKernel(g *build.Context, stride int) {
	name := fmt.Sprintf("dwconv3x3s%dBlocksAVX2", stride)
	g.Function(name)
	if stride == 1 {
		g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	} else {
		g.Attributes(attr.NOSPLIT)
	}
	g.SignatureExpr(dwSig)
	g.Pragma("noescape")
	g.Doc(fmt.Sprintf("%s computes out[i] for i < 8·⌊n/8⌋ of a depthwise 3×3 stride-%d row", name, stride),
		"with bias b and clamp [lo, hi] (see DWRowFunc in dwconv_generic.go).")
	n, out, r, ldr, w := dwArgs(g)
	bv, lo, hi := bcast(g, "b"), bcast(g, "lo"), bcast(g, "hi")
	// weight(k) is an operand holding w[k] in all lanes.
	var weight func(k int) Op
	if stride == 1 {
		var ws [9]VecVirtual
		for k := range ws {
			ws[k] = g.YMM()
			g.VBROADCASTSS(Mem{Base: w, Disp: 4 * k}, ws[k])
		}
		weight = func(k int) Op { return ws[k] }
	} else {
		local := g.AllocLocal(9 * 32)
		for k := 0; k < 9; k++ {
			t := g.YMM()
			g.VBROADCASTSS(Mem{Base: w, Disp: 4 * k}, t)
			g.VMOVUPS(t, local.Offset(32*k))
		}
		weight = func(k int) Op { return local.Offset(32 * k) }
	}
	g.SHRQ(U8(3), n)
	g.JZ(LabelRef(name + "_done"))
	g.Label(name + "_loop")
	var acc [3]VecVirtual
	for k := 0; k < 3; k++ {
		// The three taps of kernel row k for the 8 outputs of this block.
		var taps [3]Op
		if stride == 1 {
			for j := range taps {
				taps[j] = rowMem(r, ldr, k, 4*j)
			}
		} else {
			a := g.YMM()
			g.VMOVUPS(rowMem(r, ldr, k, 0), a)
			e := shuf(g, 0x88, rowMem(r, ldr, k, 32), a)
			d := shuf(g, 0xDD, rowMem(r, ldr, k, 32), a)
			c := g.YMM()
			g.VMOVUPS(rowMem(r, ldr, k, 4), c)
			f := shuf(g, 0xDD, rowMem(r, ldr, k, 36), c)
			taps = [3]Op{e, d, f}
		}
		// One of tap and weight is a register: stride 1 reads taps from
		// memory, stride 2 weights.
		mulOps := func(j int) (Op, VecVirtual) {
			if stride == 1 {
				return taps[j], weight(3*k + j).(VecVirtual)
			}
			return weight(3*k + j), taps[j].(VecVirtual)
		}
		acc[k] = g.YMM()
		m, x := mulOps(0)
		if k == 0 {
			g.VMOVAPS(bv, acc[k])
			g.VFMADD231PS(m, x, acc[k])
		} else {
			g.VMULPS(m, x, acc[k])
		}
		for j := 1; j < 3; j++ {
			m, x := mulOps(j)
			g.VFMADD231PS(m, x, acc[k])
		}
	}
	g.VADDPS(acc[2], acc[1], acc[1])
	g.VADDPS(acc[1], acc[0], acc[0])
	g.VMAXPS(acc[0], lo, acc[0]) // maxps(lo, ·)
	g.VMINPS(acc[0], hi, acc[0]) // minps(hi, ·)
	if stride == 2 {
		g.VPERMPD(U8(0xD8), acc[0], acc[0])
	}
	g.VMOVUPS(acc[0], Mem{Base: out})
	g.ADDQ(U8(32), out)
	g.ADDQ(U8(32*stride), r)
	g.DECQ(n)
	g.JNZ(LabelRef(name + "_loop"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// Depthwise k×k taps kernels, stride 1 and 2 (twin: dwconvTapsGeneric):
// out[i] += Σ_{k<kh, j<kw} w[k·kw+j]·r[k·ldr + s·i + j] for i < 8·⌊n/8⌋.
// They accumulate, so a caller can split a kernel into passes, and leave
// bias and clamp to the caller's row pass. The taps loop over kernel rows
// and columns in registers (kh, kw are runtime values); each tap is one
// weight broadcast shared by eight 8-wide accumulators (64 outputs), then
// four, then a tail of single 8-wide blocks.
// Stride 2 takes the even columns of two loads with VSHUFPS, whose lane
// order (0 2 1 3 in 64-bit pairs) VPERMPD 0xD8 undoes; that permutation
// is its own inverse, so the accumulators are loaded and stored through it.

// dwArgs loads the arguments both depthwise signatures start with; ldr
// becomes a byte stride.
func dwArgs(g *build.Context) (n, out, r, ldr, w Register) {
	n = g.Load(g.Param("n"), g.GP64())
	out = g.Load(g.Param("out"), g.GP64())
	r = g.Load(g.Param("r"), g.GP64())
	ldr = g.Load(g.Param("ldr"), g.GP64())
	g.SHLQ(U8(2), ldr)
	w = g.Load(g.Param("w"), g.GP64())
	return
}

const dwTapsSig = "func(n int, out *float32, r *float32, ldr int, w *float32, kh int, kw int)"

func dwTaps(g *build.Context, stride int) {
	name := fmt.Sprintf("dwconvTapsS%dBlocksAVX2", stride)
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr(dwTapsSig)
	g.Pragma("noescape")
	g.Doc(fmt.Sprintf("%s adds the taps of a depthwise stride-%d row to out[i] for i < 8·⌊n/8⌋", name, stride),
		"(see DWTapsFunc in dwconv_generic.go).")
	n, out, r, ldr, w := dwArgs(g)
	kh := g.Load(g.Param("kh"), g.GP64())
	kw := g.Load(g.Param("kw"), g.GP64())
	rowp, wp, tp, kc, jc := g.GP64(), g.GP64(), g.GP64(), g.GP64(), g.GP64()

	// block emits one pass over nacc 8-wide accumulators per iteration.
	block := func(label string, nacc int) {
		acc := make([]VecVirtual, nacc)
		for q := range acc {
			acc[q] = g.YMM()
			g.VMOVUPS(Mem{Base: out, Disp: 32 * q}, acc[q])
			if stride == 2 {
				g.VPERMPD(U8(0xD8), acc[q], acc[q])
			}
		}
		g.MOVQ(r, rowp)
		g.MOVQ(w, wp)
		g.MOVQ(kh, kc)
		g.Label(label + "_row")
		g.MOVQ(rowp, tp)
		g.MOVQ(kw, jc)
		g.Label(label + "_tap")
		wv := g.YMM()
		g.VBROADCASTSS(Mem{Base: wp}, wv)
		for q := range acc {
			if stride == 1 {
				g.VFMADD231PS(Mem{Base: tp, Disp: 32 * q}, wv, acc[q])
			} else {
				lo := g.YMM()
				g.VMOVUPS(Mem{Base: tp, Disp: 64 * q}, lo)
				e := shuf(g, 0x88, Mem{Base: tp, Disp: 64*q + 32}, lo)
				g.VFMADD231PS(e, wv, acc[q])
			}
		}
		g.ADDQ(U8(4), tp)
		g.ADDQ(U8(4), wp)
		g.DECQ(jc)
		g.JNZ(LabelRef(label + "_tap"))
		g.ADDQ(ldr, rowp)
		g.DECQ(kc)
		g.JNZ(LabelRef(label + "_row"))
		for q := range acc {
			if stride == 2 {
				g.VPERMPD(U8(0xD8), acc[q], acc[q])
			}
			g.VMOVUPS(acc[q], Mem{Base: out, Disp: 32 * q})
		}
		g.ADDQ(U32(32*nacc), out)
		g.ADDQ(U32(32*nacc*stride), r)
	}
	// Nothing to do without taps (kh or kw ≤ 0).
	g.TESTQ(kh, kh)
	g.JLE(LabelRef(name + "_done"))
	g.TESTQ(kw, kw)
	g.JLE(LabelRef(name + "_done"))
	// Blocks of 64, then 32, then 8 outputs: eight independent FMA chains
	// keep both FMA pipes busy through the four-cycle latency.
	cnt := g.GP64()
	g.MOVQ(n, cnt)
	g.SHRQ(U8(6), cnt)
	g.JZ(LabelRef(name + "_half"))
	g.Label(name + "_loop8")
	block(name+"_b8", 8)
	g.DECQ(cnt)
	g.JNZ(LabelRef(name + "_loop8"))
	g.Label(name + "_half")
	g.TESTQ(U32(32), n)
	g.JZ(LabelRef(name + "_tail"))
	block(name+"_b4", 4)
	g.Label(name + "_tail")
	g.ANDQ(U8(31), n)
	g.SHRQ(U8(3), n)
	g.JZ(LabelRef(name + "_done"))
	g.Label(name + "_loop1")
	block(name+"_b1", 1)
	g.DECQ(n)
	g.JNZ(LabelRef(name + "_loop1"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}
