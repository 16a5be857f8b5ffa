package main

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func init() { families["pool"] = pool }

// Pooling row kernels (asm/pool_generic.go has the twins). The
// *BlocksAVX2 kernels compute the first 8·⌊n/8⌋ outputs of a row, the
// stride-2 ones of several rows in one call; the Go wrappers in
// asm/rows_amd64.go finish the rows. Stride-2 columns are split into even
// and odd lanes with VSHUFPS, whose lane order ([0 2 8 10 | 4 6 12 14]) is
// fixed by one VPERMPD $0xD8 at the end: element-wise work commutes with
// it. No load reaches past the last column the twin reads.

const poolRowsSig = "func(rows, n int, out *float32, ldo int, r *float32, ldr int)"

// blockFunc starts a kernel over ⌊n/8⌋ blocks; body emits one block and
// advances the pointers.
func blockFunc(g *build.Context, name, sig string, doc []string, setup func(), body func()) {
	blocksOf(g, 3, name, sig, doc, setup, body)
}

// blocksOf emits a kernel that runs body n >> shift times.
func blocksOf(g *build.Context, shift uint8, name, sig string, doc []string, setup func(), body func()) {
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr(sig)
	g.Pragma("noescape")
	g.Doc(doc...)
	n := g.Load(g.Param("n"), g.GP64())
	setup()
	g.SHRQ(U8(shift), n)
	g.JZ(LabelRef(name + "_done"))
	g.Label(name + "_loop")
	body()
	g.DECQ(n)
	g.JNZ(LabelRef(name + "_loop"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// rowMem addresses row k (k < 3) of r, rows ldr bytes apart, at byte off.
func rowMem(r, ldr Register, k, off int) Mem {
	switch k {
	case 0:
		return Mem{Base: r, Disp: off}
	case 1:
		return Mem{Base: r, Index: ldr, Scale: 1, Disp: off}
	default:
		return Mem{Base: r, Index: ldr, Scale: 2, Disp: off}
	}
}

// evenOdd returns the even (imm 0x88) or odd (0xDD) lanes of the 16
// columns lo ‖ hi, in VSHUFPS order.
func shuf(g *build.Context, imm uint8, hi Op, lo VecVirtual) VecVirtual {
	d := g.YMM()
	g.VSHUFPS(U8(imm), hi, lo, d)
	return d
}

func pool(g *build.Context) {
	rowsDoc := func(name, what string, stride int) []string {
		first := map[int]string{1: "r[q·ldr]", 2: "r[2q·ldr]"}[stride]
		return []string{name + " computes out[q·ldo + i] for q < rows and i < 8·⌊n/8⌋ of " + what,
			"(PoolRowsFunc; see its twin in pool_generic.go): output row q reads the rows ldr elements",
			"apart from " + first + " on, in order of q."}
	}
	// skipMax is the NaN-skipping maximum of column block off over rows.
	var neginf VecVirtual
	var out, r, ldr Register
	skipMax := func(rows, off int) VecVirtual {
		return foldMax(g, rows, neginf, func(k int, x VecVirtual) { g.VMOVUPS(rowMem(r, ldr, k, off), x) })
	}
	sum := func(rows, off int) VecVirtual {
		s := g.YMM()
		g.VMOVUPS(rowMem(r, ldr, 0, off), s)
		for k := 1; k < rows; k++ {
			g.VADDPS(rowMem(r, ldr, k, off), s, s)
		}
		return s
	}
	// rowsFunc is blockFunc over the output rows of a kernel, whose input
	// rows start stride·ldr apart: body computes a block at out and r (the
	// row's pointers) and advances them.
	rowsFunc := func(name, what string, stride int, body func()) {
		g.Function(name)
		g.Attributes(attr.NOSPLIT | attr.NOFRAME)
		g.SignatureExpr(poolRowsSig)
		g.Pragma("noescape")
		g.Doc(rowsDoc(name, what, stride)...)
		prm := gpParams(g, "rows", "n", "out", "ldo", "r", "ldr")
		rows, n, out0, ldo, r0 := prm[0], prm[1], prm[2], prm[3], prm[4]
		ldr = prm[5]
		g.SHLQ(U8(2), ldo)
		g.SHLQ(U8(2), ldr)
		neginf = g.YMM()
		g.VBROADCASTSS(fconst(g, "neginf", float32(math.Inf(-1))), neginf)
		g.SHRQ(U8(3), n)
		g.JZ(LabelRef(name + "_done"))
		g.TESTQ(rows, rows)
		g.JLE(LabelRef(name + "_done"))
		out, r = g.GP64(), g.GP64()
		cnt := g.GP64()
		g.Label(name + "_row")
		g.MOVQ(out0, out)
		g.MOVQ(r0, r)
		g.MOVQ(n, cnt)
		g.Label(name + "_loop")
		body()
		g.DECQ(cnt)
		g.JNZ(LabelRef(name + "_loop"))
		g.ADDQ(ldo, out0)
		g.LEAQ(Mem{Base: r0, Index: ldr, Scale: uint8(stride)}, r0)
		g.DECQ(rows)
		g.JNZ(LabelRef(name + "_row"))
		g.Label(name + "_done")
		g.VZEROUPPER()
		g.RET()
	}
	finish := func(o VecVirtual) {
		g.VPERMPD(U8(0xD8), o, o)
		g.VMOVUPS(o, Mem{Base: out})
		g.ADDQ(U8(32), out)
		g.ADDQ(U8(64), r)
	}

	rowsFunc("maxPool2x2s2BlocksAVX2", "2×2 stride-2 max pooling rows", 2, func() {
		a, b := skipMax(2, 0), skipMax(2, 32)
		e, d := shuf(g, 0x88, b, a), shuf(g, 0xDD, b, a)
		g.VMAXPS(e, d, d) // maxps(d, e)
		finish(d)
	})
	rowsFunc("maxPool3x3s2BlocksAVX2", "3×3 stride-2 max pooling rows", 2, func() {
		a, b := skipMax(3, 0), skipMax(3, 32)
		e, d := shuf(g, 0x88, b, a), shuf(g, 0xDD, b, a)
		c, dd := skipMax(3, 4), skipMax(3, 36) // columns 1…8 and 9…16
		f := shuf(g, 0xDD, dd, c)              // columns 2, 4, …, 16
		g.VMAXPS(e, d, d)                      // maxps(d, e)
		g.VMAXPS(d, f, f)                      // maxps(f, ·)
		finish(f)
	})
	rowsFunc("maxPool3x3s1BlocksAVX2", "3×3 stride-1 max pooling rows", 1, func() {
		e, d, f := skipMax(3, 0), skipMax(3, 4), skipMax(3, 8) // columns 0…7, 1…8, 2…9
		g.VMAXPS(e, d, d)                                      // maxps(d, e)
		g.VMAXPS(d, f, f)                                      // maxps(f, ·)
		g.VMOVUPS(f, Mem{Base: out})
		g.ADDQ(U8(32), out)
		g.ADDQ(U8(32), r)
	})
	rowsFunc("avgPool3x3s1BlocksAVX2", "3×3 stride-1 average pooling rows", 1, func() {
		e, d, f := sum(3, 0), sum(3, 4), sum(3, 8) // columns 0…7, 1…8, 2…9
		g.VADDPS(d, e, e)
		g.VADDPS(f, e, e)
		g.VMULPS(fconst(g, "ninth", float32(1.0/9)), e, e)
		g.VMOVUPS(e, Mem{Base: out})
		g.ADDQ(U8(32), out)
		g.ADDQ(U8(32), r)
	})
	rowsFunc("avgPool2x2s2BlocksAVX2", "2×2 stride-2 average pooling rows", 2, func() {
		a, b := sum(2, 0), sum(2, 32)
		e, d := shuf(g, 0x88, b, a), shuf(g, 0xDD, b, a)
		g.VADDPS(d, e, e)
		g.VMULPS(fconst(g, "quarter", 0.25), e, e)
		finish(e)
	})
	rowsFunc("avgPool3x3s2BlocksAVX2", "3×3 stride-2 average pooling rows", 2, func() {
		a, b := sum(3, 0), sum(3, 32)
		e, d := shuf(g, 0x88, b, a), shuf(g, 0xDD, b, a)
		c, dd := sum(3, 4), sum(3, 36)
		f := shuf(g, 0xDD, dd, c)
		g.VADDPS(d, e, e)
		g.VADDPS(f, e, e)
		g.VMULPS(fconst(g, "ninth", float32(1.0/9)), e, e)
		finish(e)
	})

	for k := 2; k <= 3; k++ {
		maxPoolS2Wide(g, k)
		maxPoolS2Short(g, k)
	}

	for _, avg := range []bool{false, true} {
		for vecs := 1; vecs <= planesVecs; vecs++ {
			poolPlanes(g, vecs, avg)
		}
	}

	// MaxFold for strides 1 and 2.
	var dst, src Register
	foldSetup := func() {
		dst = g.Load(g.Param("dst"), g.GP64())
		src = g.Load(g.Param("src"), g.GP64())
	}
	foldSig := "func(n int, dst, src *float32)"
	blockFunc(g, "maxFold1BlocksAVX2", foldSig,
		[]string{"maxFold1BlocksAVX2 sets dst[i] = maxps(src[i], dst[i]) for i < 8·⌊n/8⌋ (MaxFold, s = 1)."},
		foldSetup, func() {
			x := g.YMM()
			g.VMOVUPS(Mem{Base: src}, x)
			g.VMAXPS(Mem{Base: dst}, x, x)
			g.VMOVUPS(x, Mem{Base: dst})
			g.ADDQ(U8(32), dst)
			g.ADDQ(U8(32), src)
		})
	blockFunc(g, "maxFold2BlocksAVX2", foldSig,
		[]string{"maxFold2BlocksAVX2 sets dst[i] = maxps(src[2i], dst[i]) for i < 8·⌊n/8⌋ (MaxFold, s = 2);",
			"it reads src[0 … 16·⌊n/8⌋−2] only."},
		foldSetup, func() {
			a := g.YMM()
			g.VMOVUPS(Mem{Base: src}, a)                    // columns 0…7
			x := shuf(g, 0xD8, Mem{Base: src, Disp: 28}, a) // 0 2 | 8 10 from columns 7…14
			g.VPERMPD(U8(0xD8), x, x)
			g.VMAXPS(Mem{Base: dst}, x, x)
			g.VMOVUPS(x, Mem{Base: dst})
			g.ADDQ(U8(32), dst)
			g.ADDQ(U8(64), src)
		})
}

// poolPlanes emits maxPool3x3s1Planes{8,…,40}BlocksAVX2 and, with avg,
// avgPool3x3s1Planes{8,…,40}BlocksAVX2 (PoolPlanesFunc for rows of up to
// 8·vecs floats in vecs vectors). The first and last output rows of a
// plane and the rows between have their own code, so each folds down just
// the rows inside the plane — max: skipMax3's order; average: the padded
// route's sum (r0 + r1) + r2 with a zero for the row outside — the lanes
// past the row set to −Inf (max) or 0; then across: the neighbouring
// columns are the column results shifted by a lane (VPERM2F128 and
// VPALIGNR, the lane shifted in from the next vector, or −Inf / 0 at the
// row's ends), maxps(f, maxps(d, e)) or ((e + d) + f)·(1/9). Rows are read
// and written 8·vecs lanes wide, into the row after them: 8·vecs − w
// floats past a plane, so the Go wrapper sends the first and last planes
// of a call through copies with room around them. Planes need h ≥ 2.
func poolPlanes(g *build.Context, vecs int, avg bool) {
	what, field := "max", "MaxPool3x3s1Planes"
	if avg {
		what, field = "avg", "AvgPool3x3s1Planes"
	}
	name := fmt.Sprintf("%sPool3x3s1Planes%dBlocksAVX2", what, 8*vecs)
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(n, h, w int, y, x *float32)")
	g.Pragma("noescape")
	g.Doc(name+" is "+field+" (PoolPlanesFunc; see its twin in pool_generic.go)",
		fmt.Sprintf("for h ≥ 2 and rows of %d to %d, with reads and writes past the planes (see", 8*vecs-7, 8*vecs),
		"poolPlanes in the generator).")
	prm := gpParams(g, "n", "h", "w", "y", "x")
	n, h, wb, y, x := prm[0], prm[1], prm[2], prm[3], prm[4]
	pad := g.YMM() // the padding: −Inf for max, 0 for average
	if avg {
		g.VXORPS(pad, pad, pad)
	} else {
		g.VBROADCASTSS(fconst(g, "neginf", float32(math.Inf(-1))), pad)
	}
	// keep: the lanes of the last vector inside the row (below w − 8·(vecs−1)),
	// masks from offset 8 − that.
	keep := g.YMM()
	masks := laneMasks(g)
	t := g.GP64()
	g.LEAQ(masks, t)
	g.SHLQ(U8(2), wb) // row bytes
	g.SUBQ(wb, t)
	g.VMOVUPS(Mem{Base: t, Disp: 32 + 32*(vecs-1)}, keep)
	g.SUBQ(wb, x) // x walks the rows r − 1 of the current output row r
	// col returns vector c of the column results down the kernel rows ks
	// (0: the row above, 1: this row, 2: the row below), the lanes past the
	// row set to the padding.
	col := func(c int, ks []int) VecVirtual {
		d := g.YMM()
		for i, k := range ks {
			m := Mem{Base: x, Disp: 32 * c}
			if k > 0 {
				m = Mem{Base: x, Index: wb, Scale: uint8(k), Disp: 32 * c}
			}
			switch {
			case avg && i == 0 && k == 1: // the row above is padding: 0 + r1
				g.VADDPS(m, pad, d)
			case avg && i == 0:
				g.VMOVUPS(m, d)
			case avg:
				g.VADDPS(m, d, d)
			default:
				v := g.YMM()
				g.VMOVUPS(m, v)
				if i == 0 {
					g.VMAXPS(pad, v, d) // maxps(x, −Inf): NaN → −Inf
				} else {
					g.VMAXPS(d, v, d) // maxps(x, d): NaN never wins
				}
			}
		}
		if avg && ks[len(ks)-1] == 1 { // the row below is padding: + 0
			g.VADDPS(pad, d, d)
		}
		if c == vecs-1 {
			g.VBLENDVPS(keep, d, pad, d)
		}
		return d
	}
	// row computes the output row at y from the kernel rows ks and stores it.
	row := func(ks []int) {
		prev, d := pad, col(0, ks)
		for c := 0; c < vecs; c++ {
			next := pad
			if c+1 < vecs {
				next = col(c+1, ks)
			}
			e, f, u := g.YMM(), g.YMM(), g.YMM()
			g.VPERM2F128(U8(0x21), d, prev, u) // prev.hi ‖ d.lo
			g.VPALIGNR(U8(12), u, d, e)        // column j − 1
			g.VPERM2F128(U8(0x21), next, d, u) // d.hi ‖ next.lo
			g.VPALIGNR(U8(4), d, u, f)         // column j + 1
			o := g.YMM()
			if avg {
				g.VADDPS(d, e, o) // e + d
				g.VADDPS(f, o, o) // + f
				g.VMULPS(fconst(g, "ninth", float32(1.0/9)), o, o)
			} else {
				g.VMAXPS(e, d, o) // maxps(d, e)
				g.VMAXPS(o, f, o) // maxps(f, ·)
			}
			g.VMOVUPS(o, Mem{Base: y, Disp: 32 * c})
			prev, d = d, next
		}
		g.ADDQ(wb, x)
		g.ADDQ(wb, y)
	}
	mid := g.GP64()
	g.Label(name + "_plane")
	row([]int{1, 2})
	g.MOVQ(h, mid)
	g.SUBQ(U8(2), mid)
	g.JZ(LabelRef(name + "_bottom"))
	g.Label(name + "_row")
	row([]int{0, 1, 2})
	g.DECQ(mid)
	g.JNZ(LabelRef(name + "_row"))
	g.Label(name + "_bottom")
	row([]int{0, 1})
	g.DECQ(n)
	g.JNZ(LabelRef(name + "_plane"))
	g.VZEROUPPER()
	g.RET()
}

// laneMasks returns eight −1 then eight 0: the eight from offset 8 − k set
// the lanes below k.
func laneMasks(g *build.Context) Mem {
	ms := make([]uint32, 16)
	for i := range 8 {
		ms[i] = 0xffffffff
	}
	return table(g, "lanemasks", ms)
}

// maxPoolS2Wide emits maxPool{k}x{k}s2BlocksAVX512: the AVX2 kernel's
// arithmetic on 16 outputs a block (the 8-lane kernel ran at a third of
// the copy rate on data in cache, so it was not memory-bound; SqueezeNet's
// 3×3 pool of 64×111×111 went from 116–124 to 88–89 µs). Columns 0…15 and 16…31 fold down the window's rows into
// v0 and v1; VPERMT2PS splits them into the even columns e and the odd
// ones d; for 3×3, column 32 (broadcast, folded down likewise: no load
// reaches past the last column the twin reads) is shifted in after e's
// last 15 lanes for columns 2, 4, …, 32. Then maxps(d, e) and, for 3×3,
// maxps(f, ·), as the 8-lane kernel does.
func maxPoolS2Wide(g *build.Context, k int) {
	name := fmt.Sprintf("maxPool%dx%ds2BlocksAVX512", k, k)
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr(poolRowsSig)
	g.Pragma("noescape")
	g.Doc(name+" computes out[q·ldo + i] for q < rows and i < 16·⌊n/16⌋ of "+fmt.Sprintf("%d×%d", k, k)+" stride-2 max pooling rows",
		"(PoolRowsFunc; see its twin in pool_generic.go): output row q reads the rows ldr elements",
		"apart from r[2q·ldr] on, in order of q.")
	prm := gpParams(g, "rows", "n", "out", "ldo", "r", "ldr")
	rows, n, out0, ldo, r0, ldr := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5]
	g.SHLQ(U8(2), ldo)
	g.SHLQ(U8(2), ldr)
	neginf, even, odd, shift := s2Lanes(g)
	g.SHRQ(U8(4), n)
	g.JZ(LabelRef(name + "_done"))
	g.TESTQ(rows, rows)
	g.JLE(LabelRef(name + "_done"))
	out, r, cnt := g.GP64(), g.GP64(), g.GP64()
	// fold is the NaN-skipping maximum over the window's rows of the
	// vector at off (bcast: of the float at off).
	fold := func(off int, bcast bool) VecVirtual {
		return foldMax(g, k, neginf, func(i int, x VecVirtual) {
			if bcast {
				g.VBROADCASTSS(rowMem(r, ldr, i, off), x)
			} else {
				g.VMOVUPS(rowMem(r, ldr, i, off), x)
			}
		})
	}
	g.Label(name + "_row")
	g.MOVQ(out0, out)
	g.MOVQ(r0, r)
	g.MOVQ(n, cnt)
	g.Label(name + "_loop")
	v0, v1 := fold(0, false), fold(64, false)
	e, d := splitMax(g, v0, v1, even, odd)
	if k == 3 {
		c := fold(128, true)
		f := g.ZMM()
		g.VMOVAPS(e, f)
		g.VPERMT2PS(c, shift, f) // columns 2, 4, …, 32
		g.VMAXPS(d, f, f)        // maxps(f, ·)
		d = f
	}
	g.VMOVUPS(d, Mem{Base: out})
	g.ADDQ(U8(64), out)
	g.ADDQ(U32(128), r)
	g.DECQ(cnt)
	g.JNZ(LabelRef(name + "_loop"))
	g.ADDQ(ldo, out0)
	g.LEAQ(Mem{Base: r0, Index: ldr, Scale: 2}, r0)
	g.DECQ(rows)
	g.JNZ(LabelRef(name + "_row"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// foldMax is the NaN-skipping maximum of rows vectors (neginf's width),
// load(k, x) loading row k's into x: maxps(x₀, −Inf) turns NaN into −Inf,
// then maxps(x_k, m), where NaN never wins.
func foldMax(g *build.Context, rows int, neginf VecVirtual, load func(k int, x VecVirtual)) VecVirtual {
	vec := g.YMM
	if neginf.Size() == 64 {
		vec = g.ZMM
	}
	m := vec()
	for k := 0; k < rows; k++ {
		x := vec()
		load(k, x)
		if k == 0 {
			g.VMAXPS(neginf, x, m)
		} else {
			g.VMAXPS(m, x, m)
		}
	}
	return m
}

// s2Lanes sets up the 16-lane stride-2 kernels' constants: −Inf and the
// lane indices even = 2·iota, odd = even + 1 and shift = iota + 1 (lane 15
// takes the second table's lane 0).
func s2Lanes(g *build.Context) (neginf, even, odd, shift VecVirtual) {
	neginf = g.ZMM()
	g.VBROADCASTSS(fconst(g, "neginf", float32(math.Inf(-1))), neginf)
	iota, one := iota16(g), dwords(g, 1)
	even, odd, shift = g.ZMM(), g.ZMM(), g.ZMM()
	g.VPADDD(iota, iota, even)
	g.VPADDD(one, even, odd)
	g.VPADDD(one, iota, shift)
	return neginf, even, odd, shift
}

// maxPoolS2Short emits maxPool{k}x{k}s2ShortAVX512, maxPoolS2Wide for
// rows of n < 16 outputs: one block a row, its loads masked to the
// columns the row's windows cover (lo: of columns 0…15, hi: of 16…31)
// and its store to the n outputs (st). The columns past the row read as
// zero and reach only lanes past n; e's lane i + 1 is column 2i + 2 for
// every lane i < n (2i + 2 ≤ 30), so one VPERMPS shifts it. Rows are
// written one after the other, as the twin writes them.
func maxPoolS2Short(g *build.Context, k int) {
	name := fmt.Sprintf("maxPool%dx%ds2ShortAVX512", k, k)
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(rows int, out *float32, ldo int, r *float32, ldr int, lo, hi, st int)")
	g.Pragma("noescape")
	g.Doc(name+fmt.Sprintf(" computes out[q·ldo + i] for q < rows and the lanes i of st of %d×%d", k, k),
		"stride-2 max pooling rows (PoolRowsFunc for n < 16, st = 2ⁿ − 1; see its twin in",
		"pool_generic.go), reading the lanes of lo of each window row's columns 0…15 and those",
		"of hi of columns 16…31: output row q reads the rows ldr elements apart from",
		"r[2q·ldr] on, in order of q.")
	prm := gpParams(g, "rows", "out", "ldo", "r", "ldr", "lo", "hi", "st")
	rows, out, ldo, r, ldr := prm[0], prm[1], prm[2], prm[3], prm[4]
	klo, khi, kst := g.K(), g.K(), g.K()
	g.KMOVW(prm[5].(GPVirtual).As32(), klo)
	g.KMOVW(prm[6].(GPVirtual).As32(), khi)
	g.KMOVW(prm[7].(GPVirtual).As32(), kst)
	g.SHLQ(U8(2), ldo)
	g.SHLQ(U8(2), ldr)
	neginf, even, odd, shift := s2Lanes(g)
	g.TESTQ(rows, rows)
	g.JLE(LabelRef(name + "_done"))
	fold := func(off int, mask Op) VecVirtual {
		return foldMax(g, k, neginf, func(i int, x VecVirtual) { g.VMOVUPS_Z(rowMem(r, ldr, i, off), mask, x) })
	}
	g.Label(name + "_row")
	v0, v1 := fold(0, klo), fold(64, khi)
	e, d := splitMax(g, v0, v1, even, odd)
	if k == 3 {
		f := g.ZMM()
		g.VPERMPS(e, shift, f) // columns 2, 4, …, 2n
		g.VMAXPS(d, f, f)      // maxps(f, ·)
		d = f
	}
	g.VMOVUPS(d, kst, Mem{Base: out})
	g.ADDQ(ldo, out)
	g.LEAQ(Mem{Base: r, Index: ldr, Scale: 2}, r)
	g.DECQ(rows)
	g.JNZ(LabelRef(name + "_row"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// splitMax returns the even lanes e of the 32 columns v0 ‖ v1 and
// maxps(d, e) with their odd lanes d.
func splitMax(g *build.Context, v0, v1, even, odd VecVirtual) (e, d VecVirtual) {
	e, d = g.ZMM(), g.ZMM()
	g.VMOVAPS(v0, e)
	g.VPERMT2PS(v1, even, e)
	g.VMOVAPS(v0, d)
	g.VPERMT2PS(v1, odd, d)
	g.VMAXPS(e, d, d)
	return e, d
}
