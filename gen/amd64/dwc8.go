package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Depthwise convolution with eight or sixteen channels in the lanes
// (asm/dwc8_generic.go has the twins): small planes cost a few calls per
// plane on the row kernels, so conv transposes eight planes into
// [position][8] (Interleave8; sixteen into [position][16] with
// Interleave16 on zmm, or as two interleaves of eight), runs one kernel
// over every output position (DWC8S1, DWC8S2 on ymm, DWC16S1, DWC16S2 on
// zmm: one vector FMA per tap for all the lanes' channels) and transposes
// back (Split8, Split16).

func dwc8(g *build.Context) {
	interleave8(g)
	interleave4(g)
	split8(g)
	for _, s := range []int{1, 2} {
		dwcKernel(g, 8, s)
	}
	for _, s := range []int{1, 2} {
		dwcKernel(g, 16, s)
	}
	transpose16Kernel(g, "interleave16BlocksAVX512", []string{
		"interleave16BlocksAVX512 sets dst[i·ldd+l] = src[l·lds+i] for l < 16 and i < 16·⌊n/16⌋",
		"(see Interleave16Func in dwc8_generic.go)."}, true)
	transpose16Kernel(g, "split16BlocksAVX512", []string{
		"split16BlocksAVX512 sets dst[l·ldd+i] = src[i·lds+l] for l < 16 and i < 16·⌊n/16⌋",
		"(see Split16Func in dwc8_generic.go)."}, false)
}

// transpose8 returns the columns of the 8×8 block whose rows are r (the
// UNPCKs of transpose4 per four rows, then VPERM2F128 across halves).
func transpose8(g *build.Context, r [8]VecVirtual) [8]VecVirtual {
	var o [8]VecVirtual
	// transpose4 (winograd.go) leaves column c | column c+4 of four rows
	// in each vector.
	u, v := transpose4(g, [4]VecVirtual(r[:4])), transpose4(g, [4]VecVirtual(r[4:]))
	for c := 0; c < 4; c++ {
		o[c], o[c+4] = g.YMM(), g.YMM()
		g.VPERM2F128(U8(0x20), v[c], u[c], o[c])   // low halves: column c
		g.VPERM2F128(U8(0x31), v[c], u[c], o[c+4]) // high halves: column c+4
	}
	return o
}

// rows8 addresses row l of eight rows ld bytes apart from two bases: b
// (rows 0…3, ld3 = 3·ld) and b4 = b + 4·ld (rows 4…7).
func rows8(b, b4, ld, ld3 Register, l, disp int) Mem {
	base := b
	if l >= 4 {
		base = b4
	}
	switch l % 4 {
	case 0:
		return Mem{Base: base, Disp: disp}
	case 1:
		return Mem{Base: base, Index: ld, Scale: 1, Disp: disp}
	case 2:
		return Mem{Base: base, Index: ld, Scale: 2, Disp: disp}
	default:
		return Mem{Base: base, Index: ld3, Scale: 1, Disp: disp}
	}
}

// transpose4x8 returns the columns of the 4×8 block whose rows are r, two
// per vector in column order (vector i holds columns 2i and 2i+1).
func transpose4x8(g *build.Context, r []VecVirtual) []VecVirtual {
	u := transpose4(g, [4]VecVirtual(r)) // column c | column c+4
	o := make([]VecVirtual, 4)
	for h := 0; h < 2; h++ { // columns 0…3, then 4…7
		for c := 0; c < 4; c += 2 {
			o[2*h+c/2] = g.YMM()
			g.VPERM2F128(U8([]int{0x20, 0x31}[h]), u[c+1], u[c], o[2*h+c/2]) // columns c+4h, c+1+4h
		}
	}
	return o
}

func interleave8(g *build.Context) {
	transposeKernel(g, "interleave8BlocksAVX2", "func(n int, dst *float32, ldd int, src *float32, lds int)",
		[]string{"interleave8BlocksAVX2 sets dst[i·ldd+l] = src[l·lds+i] for l < 8 and i < 8·⌊n/8⌋",
			"(see Interleave8Func in dwc8_generic.go)."}, true, 8, false)
}

// interleave4 emits interleave4BlocksAVX2, the 4-row version of
// interleave8: gemm packs its MR = 4 A panels with it. The rows come from
// memory in runs of a k block (~1.4 KB), too short for the hardware
// prefetcher, so the loop prefetches the same columns of the rows two
// strips further down (eight rows on; a prefetch past the matrix does not
// fault).
func interleave4(g *build.Context) {
	transposeKernel(g, "interleave4BlocksAVX2", "func(n int, dst *float32, src *float32, lds int)",
		[]string{"interleave4BlocksAVX2 sets dst[4i+l] = src[l·lds+i] for l < 4 and i < 8·⌊n/8⌋",
			"(see Interleave4Func in dwc8_generic.go)."}, true, 4, true)
}

func split8(g *build.Context) {
	transposeKernel(g, "split8BlocksAVX2", "func(n int, dst *float32, ldd int, src *float32, lds int)",
		[]string{"split8BlocksAVX2 sets dst[l·ldd+i] = src[i·lds+l] for l < 8 and i < 8·⌊n/8⌋",
			"(see Split8Func in dwc8_generic.go)."}, false, 8, false)
}

// transposeKernel emits a loop over blocks of eight columns between h
// strided rows (h = 8, or 4 when in; the rows are src when in, else dst)
// and groups of h consecutive floats. With h = 8 the groups are strided
// too (the other pointer's stride: ldd when in, else lds); with h = 4 they
// are packed (interleave4: dst[4i+l]). ahead (in only) also prefetches the
// same columns of the rows eight rows further down.
func transposeKernel(g *build.Context, name, sig string, doc []string, in bool, h int, ahead bool) {
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr(sig)
	g.Pragma("noescape")
	g.Doc(doc...)
	rowsLD, groupsLD := "ldd", "lds"
	if in {
		rowsLD, groupsLD = "lds", "ldd"
	}
	prm := gpParams(g, "n", "dst", "src", rowsLD)
	n, dst, src, ld := prm[0], prm[1], prm[2], prm[3]
	rows, groups := dst, src // the strided side and the grouped side
	if in {
		rows, groups = src, dst
	}
	g.SHLQ(U8(2), ld)
	g.SHRQ(U8(3), n)
	g.JZ(LabelRef(name + "_done"))
	ld3 := g.GP64()
	g.LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, ld3)
	var rows4, pf Register        // rows 4…7 (h = 8); the prefetched rows (ahead)
	var gs, gs3, groups4 Register // h = 8: the groups' stride, 3·stride, group 4
	group := func(i int) Mem { return Mem{Base: groups, Disp: 32 * i} }
	if h == 8 {
		rows4 = g.GP64()
		g.LEAQ(Mem{Base: rows, Index: ld, Scale: 4}, rows4)
		gs, gs3, groups4 = g.GP64(), g.GP64(), g.GP64()
		g.Load(g.Param(groupsLD), gs)
		g.SHLQ(U8(2), gs)
		g.LEAQ(Mem{Base: gs, Index: gs, Scale: 2}, gs3)
		g.LEAQ(Mem{Base: groups, Index: gs, Scale: 4}, groups4)
		group = func(i int) Mem { return rows8(groups, groups4, gs, gs3, i, 0) }
	}
	if ahead {
		pf = g.GP64()
		g.LEAQ(Mem{Base: rows, Index: ld, Scale: 8}, pf)
	}
	g.Label(name + "_loop")
	r := make([]VecVirtual, h)
	for i := range r {
		r[i] = g.YMM()
		if in {
			g.VMOVUPS(rows8(rows, rows4, ld, ld3, i, 0), r[i])
		} else {
			g.VMOVUPS(group(i), r[i])
		}
		if ahead {
			g.PREFETCHT0(rows8(pf, pf, ld, ld3, i, 0))
		}
	}
	var cols []VecVirtual
	if h == 8 {
		c := transpose8(g, [8]VecVirtual(r))
		cols = c[:]
	} else {
		cols = transpose4x8(g, r)
	}
	for i, o := range cols {
		if in {
			g.VMOVUPS(o, group(i))
		} else {
			g.VMOVUPS(o, rows8(rows, rows4, ld, ld3, i, 0))
		}
	}
	if h == 8 { // eight groups on
		g.LEAQ(Mem{Base: groups4, Index: gs, Scale: 4}, groups)
		g.LEAQ(Mem{Base: groups, Index: gs, Scale: 4}, groups4)
	} else {
		g.ADDQ(U32(32*h), groups)
	}
	g.ADDQ(U8(32), rows)
	if h == 8 {
		g.ADDQ(U8(32), rows4)
	}
	if ahead {
		g.ADDQ(U8(32), pf)
	}
	g.DECQ(n)
	g.JNZ(LabelRef(name + "_loop"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// dwcKernel emits dwc<lanes>S<s>: rows output rows of n outputs of lanes
// channels (8: ymm, AVX2; 16: zmm, AVX-512), each in blocks of eight
// outputs (eight FMA chains) and then one at a time. n, kh, kw and ldo are
// read from the arguments where needed, which leaves the loops enough
// registers. For 3- and 5-wide windows the kernel row's weights sit in
// registers and each input position is loaded once for every output of
// the block it feeds (dwcFixed); other widths load each tap's weights
// once per block and take the inputs as FMA memory operands, a load per
// FMA.
func dwcKernel(g *build.Context, lanes, s int) {
	isa, vec := "AVX2", g.YMM
	if lanes == 16 {
		isa, vec = "AVX512", g.ZMM
	}
	name := fmt.Sprintf("dwc%dS%d%s", lanes, s, isa)
	vb := 4 * lanes // bytes per group of lanes
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(rows, n int, out *float32, ldo int, p *float32, ldp int, w *float32, kh, kw int, b *float32, lo, hi float32)")
	g.Pragma("noescape")
	g.Doc(fmt.Sprintf("%s computes rows rows of n depthwise outputs of %d channels in the lanes at stride %d", name, lanes, s),
		"(see DWCFunc in dwc8_generic.go).")
	prm := gpParams(g, "rows", "out", "p", "ldp", "w", "b")
	rows, out, p, ldp, w, b := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5]
	g.SHLQ(U8(2), ldp)
	po, pp, pk, pj, pw, k, j, cnt := g.GP64(), g.GP64(), g.GP64(), g.GP64(), g.GP64(), g.GP64(), g.GP64(), g.GP64()
	// store clamps the block's sums and stores them at po, then advances
	// po and pp past the block.
	store := func(acc []VecVirtual) {
		lo, hi := vec(), vec()
		g.VBROADCASTSS(paramMem(g, "lo"), lo)
		g.VBROADCASTSS(paramMem(g, "hi"), hi)
		for i := range acc {
			g.VMAXPS(acc[i], lo, acc[i]) // maxps(lo, ·)
			g.VMINPS(acc[i], hi, acc[i]) // minps(hi, ·)
			g.VMOVUPS(acc[i], Mem{Base: po, Disp: vb * i})
		}
		g.ADDQ(U32(vb*len(acc)), po)
		g.ADDQ(U32(vb*s*len(acc)), pp)
	}
	// block emits the loop over the taps for u outputs from pp, for any
	// kw (fixed = 0) or kw = fixed.
	block := func(label string, u, fixed int) {
		acc := make([]VecVirtual, u)
		for i := range acc {
			acc[i] = vec()
			g.VMOVUPS(Mem{Base: b}, acc[i])
		}
		g.MOVQ(pp, pk)
		g.MOVQ(w, pw)
		g.MOVQ(paramMem(g, "kh"), k)
		g.Label(label + "_krow")
		if fixed > 0 {
			dwcFixed(g, vec, acc, pk, pw, vb, s, fixed)
			g.ADDQ(U32(vb*fixed), pw)
		} else {
			g.MOVQ(pk, pj)
			g.MOVQ(paramMem(g, "kw"), j)
			g.Label(label + "_tap")
			wv := vec()
			g.VMOVUPS(Mem{Base: pw}, wv)
			for i := range acc {
				g.VFMADD231PS(Mem{Base: pj, Disp: vb * s * i}, wv, acc[i])
			}
			g.ADDQ(U8(vb), pj)
			g.ADDQ(U8(vb), pw)
			g.DECQ(j)
			g.JNZ(LabelRef(label + "_tap"))
		}
		g.ADDQ(ldp, pk)
		g.DECQ(k)
		g.JNZ(LabelRef(label + "_krow"))
		store(acc)
	}
	g.CMPQ(paramMem(g, "kh"), U8(0))
	g.JLE(LabelRef(name + "_done"))
	g.CMPQ(paramMem(g, "kw"), U8(0))
	g.JLE(LabelRef(name + "_done"))
	g.TESTQ(rows, rows)
	g.JLE(LabelRef(name + "_done"))
	for _, kw := range dwcFixedWidths {
		g.CMPQ(paramMem(g, "kw"), U8(kw))
		g.JE(LabelRef(fmt.Sprintf("%s_k%d_start", name, kw)))
	}
	// rowLoop emits the loop over the rows for any kw (fixed = 0) or kw =
	// fixed, ending at done.
	rowLoop := func(pre string, fixed int) {
		g.Label(pre + "_start")
		if lanes == 16 && s == 1 && fixed == 5 {
			dwcPairs(g, pre, name+"_done", fixed, rows, out, p, ldp, w, b, pk, pw, k)
		}
		g.Label(pre + "_row")
		g.MOVQ(out, po)
		g.MOVQ(p, pp)
		g.MOVQ(paramMem(g, "n"), cnt)
		g.SHRQ(U8(3), cnt)
		g.JZ(LabelRef(pre + "_ones"))
		g.Label(pre + "_b8")
		block(pre+"_b8", 8, fixed)
		g.DECQ(cnt)
		g.JNZ(LabelRef(pre + "_b8"))
		g.Label(pre + "_ones")
		g.MOVQ(paramMem(g, "n"), cnt)
		g.ANDQ(U8(7), cnt)
		g.JZ(LabelRef(pre + "_next"))
		g.Label(pre + "_one")
		block(pre+"_one", 1, fixed)
		g.DECQ(cnt)
		g.JNZ(LabelRef(pre + "_one"))
		g.Label(pre + "_next")
		// The next row: out + ldo floats, p + s·ldp floats.
		g.MOVQ(paramMem(g, "ldo"), k)
		g.LEAQ(Mem{Base: out, Index: k, Scale: 4}, out)
		for range s {
			g.ADDQ(ldp, p)
		}
		g.DECQ(rows)
		g.JNZ(LabelRef(pre + "_row"))
		g.JMP(LabelRef(name + "_done"))
	}
	rowLoop(name, 0)
	for _, kw := range dwcFixedWidths {
		rowLoop(fmt.Sprintf("%s_k%d", name, kw), kw)
	}
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// dwcPairs emits, ahead of dwcKernel's row loop (pre_row) for kw =
// fixed, 16 lanes and stride 1, the loop over pairs of output rows of one
// block of eight outputs (n = 8: 7×7 and 8×8 planes): sixteen FMA
// chains, where a row's one block has eight, each input row loaded once
// for both output rows it feeds (kernel rows i and i−1). A row left over
// goes on to pre_row. Outputs and summation order are the row loop's;
// stored row by row, so a row's spill past ldo is rewritten by the next.
// BenchmarkConv, four alternations, one thread: mobilenetv2.dw960.5x5
// (7×7) 22.7–23.6 → 21.2–21.8 µs; 3×3 (dw960.s1) the same, so 5×5 only.
func dwcPairs(g *build.Context, pre, done string, fixed int, rows, out, p, ldp, w, b, pk, pw, k Register) {
	vb := 64
	g.CMPQ(paramMem(g, "n"), U8(8))
	g.JNE(LabelRef(pre + "_row"))
	g.Label(pre + "_pair")
	g.CMPQ(rows, U8(2))
	g.JL(LabelRef(pre + "_row"))
	a, c := make([]VecVirtual, 8), make([]VecVirtual, 8)
	for i := range a {
		a[i], c[i] = g.ZMM(), g.ZMM()
		g.VMOVUPS(Mem{Base: b}, a[i])
		g.VMOVUPS(Mem{Base: b}, c[i])
	}
	g.MOVQ(p, pk)
	g.MOVQ(w, pw)
	dwcFixed(g, g.ZMM, a, pk, pw, vb, 1, fixed) // input row 0: kernel row 0 of row q
	g.ADDQ(ldp, pk)
	g.MOVQ(paramMem(g, "kh"), k)
	g.DECQ(k)
	g.JZ(LabelRef(pre + "_pairlast"))
	g.Label(pre + "_pairrow") // input row i: kernel row i of row q, i−1 of row q+1
	wa, wc := make([]VecVirtual, fixed), make([]VecVirtual, fixed)
	for j := range fixed {
		wa[j], wc[j] = g.ZMM(), g.ZMM()
		g.VMOVUPS(Mem{Base: pw, Disp: vb * (fixed + j)}, wa[j])
		g.VMOVUPS(Mem{Base: pw, Disp: vb * j}, wc[j])
	}
	x := g.ZMM()
	for q := 0; q < 8+fixed-1; q++ {
		g.VMOVUPS(Mem{Base: pk, Disp: vb * q}, x)
		for i := range 8 {
			if j := q - i; j >= 0 && j < fixed {
				g.VFMADD231PS(x, wa[j], a[i])
				g.VFMADD231PS(x, wc[j], c[i])
			}
		}
	}
	g.ADDQ(U32(vb*fixed), pw)
	g.ADDQ(ldp, pk)
	g.DECQ(k)
	g.JNZ(LabelRef(pre + "_pairrow"))
	g.Label(pre + "_pairlast")
	dwcFixed(g, g.ZMM, c, pk, pw, vb, 1, fixed) // input row kh: kernel row kh−1 of row q+1
	lo, hi := g.ZMM(), g.ZMM()
	g.VBROADCASTSS(paramMem(g, "lo"), lo)
	g.VBROADCASTSS(paramMem(g, "hi"), hi)
	g.MOVQ(paramMem(g, "ldo"), k)
	g.SHLQ(U8(2), k)
	for r, acc := range [][]VecVirtual{a, c} {
		for i, v := range acc {
			g.VMAXPS(v, lo, v) // maxps(lo, ·)
			g.VMINPS(v, hi, v) // minps(hi, ·)
			g.VMOVUPS(v, Mem{Base: out, Disp: vb * i})
		}
		if r == 0 {
			g.ADDQ(k, out)
		}
	}
	g.ADDQ(k, out)
	g.ADDQ(ldp, p)
	g.ADDQ(ldp, p)
	g.SUBQ(U8(2), rows)
	g.JNZ(LabelRef(pre + "_pair"))
	g.JMP(LabelRef(done))
}

// dwcFixedWidths are the window widths dwcKernel has dwcFixed loops for.
var dwcFixedWidths = []int{3, 5}

// dwcFixed adds one kernel row of kw taps (weights at pw, input positions
// from pk, vb bytes each) to the sums acc of consecutive outputs at stride
// s: the kw weights loaded into registers, then each input position the
// block reads loaded once and multiplied into every output it feeds. Each
// output still sums its taps in column order, so the results are those of
// the loop over taps. Against that loop (a load per FMA, the input as a
// memory operand), BenchmarkConv one thread, three alternations:
// efficientnet.dw240.5x5.s2 39.5 → 37.0 µs, dw480.5x5 45.4 → 44.0,
// mobilenetv2.dw960.5x5 23.6 → 23.1, dw192.s2 22.7 → 22.2; the kernels
// are bound by their eight FMA chains more than by loads.
func dwcFixed(g *build.Context, vec func() VecVirtual, acc []VecVirtual, pk, pw Register, vb, s, kw int) {
	wv := make([]VecVirtual, kw)
	for j := range wv {
		wv[j] = vec()
		g.VMOVUPS(Mem{Base: pw, Disp: vb * j}, wv[j])
	}
	x := vec()
	for p := 0; p <= s*(len(acc)-1)+kw-1; p++ {
		g.VMOVUPS(Mem{Base: pk, Disp: vb * p}, x)
		for i := range acc {
			if j := p - s*i; j >= 0 && j < kw {
				g.VFMADD231PS(x, wv[j], acc[i])
			}
		}
	}
}

// transpose16 returns the columns of the 16×16 block whose rows are r:
// UNPCKLPS/UNPCKHPS pair rows, UNPCKLPD/UNPCKHPD make each 128-bit lane
// hold one column of four rows, and two rounds of SHUFF32X4 gather a
// column's four lanes (64 shuffles, where two 8×8 AVX2 transposes per
// half take 96 for the same 16×16).
func transpose16(g *build.Context, r [16]VecVirtual) [16]VecVirtual {
	var t, u [16]VecVirtual
	for k := 0; k < 8; k++ { // rows 2k, 2k+1 interleaved, per lane
		t[2*k], t[2*k+1] = g.ZMM(), g.ZMM()
		g.VUNPCKLPS(r[2*k+1], r[2*k], t[2*k])
		g.VUNPCKHPS(r[2*k+1], r[2*k], t[2*k+1])
	}
	// u[4q+j]: lane L holds element 4L+j of rows 4q…4q+3.
	for q := 0; q < 4; q++ {
		a, b, c, d := t[4*q], t[4*q+1], t[4*q+2], t[4*q+3]
		for j := range 4 {
			u[4*q+j] = g.ZMM()
		}
		g.VUNPCKLPD(c, a, u[4*q])
		g.VUNPCKHPD(c, a, u[4*q+1])
		g.VUNPCKLPD(d, b, u[4*q+2])
		g.VUNPCKHPD(d, b, u[4*q+3])
	}
	var o [16]VecVirtual
	for j := range 4 {
		// Lanes 0 and 2, 1 and 3 of rows 0…7 and of rows 8…15 …
		w0, w1, w2, w3 := g.ZMM(), g.ZMM(), g.ZMM(), g.ZMM()
		g.VSHUFF32X4(U8(0x88), u[4+j], u[j], w0)
		g.VSHUFF32X4(U8(0xdd), u[4+j], u[j], w1)
		g.VSHUFF32X4(U8(0x88), u[12+j], u[8+j], w2)
		g.VSHUFF32X4(U8(0xdd), u[12+j], u[8+j], w3)
		// … then one lane of each four rows: columns j, j+8, j+4, j+12.
		for i, c := range []int{j, j + 8, j + 4, j + 12} {
			o[c] = g.ZMM()
			lo, hi := w0, w2
			if i >= 2 {
				lo, hi = w1, w3
			}
			g.VSHUFF32X4(U8([]uint8{0x88, 0xdd}[i%2]), hi, lo, o[c])
		}
	}
	return o
}

// rows16 addresses row l of sixteen rows ld bytes apart from four bases
// (rows 0, 4, 8 and 12; ld3 = 3·ld).
func rows16(b [4]Register, ld, ld3 Register, l int) Mem {
	return rows8(b[l/8*2], b[l/8*2+1], ld, ld3, l%8, 0)
}

// transpose16Kernel emits interleave16BlocksAVX512 (in) or
// split16BlocksAVX512: transposeKernel's loop for sixteen strided rows
// and groups of sixteen floats, sixteen columns a step.
func transpose16Kernel(g *build.Context, name string, doc []string, in bool) {
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(n int, dst *float32, ldd int, src *float32, lds int)")
	g.Pragma("noescape")
	g.Doc(doc...)
	rowsLD, groupsLD := "ldd", "lds"
	if in {
		rowsLD, groupsLD = "lds", "ldd"
	}
	prm := gpParams(g, "n", "dst", "src", rowsLD, groupsLD)
	n, dst, src, ld, gs := prm[0], prm[1], prm[2], prm[3], prm[4]
	rows, groups := dst, src
	if in {
		rows, groups = src, dst
	}
	g.SHLQ(U8(2), ld)
	g.SHLQ(U8(2), gs)
	g.SHRQ(U8(4), n)
	g.JZ(LabelRef(name + "_done"))
	ld3, gs3 := g.GP64(), g.GP64()
	g.LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, ld3)
	g.LEAQ(Mem{Base: gs, Index: gs, Scale: 2}, gs3)
	// Four bases a side: rows (or groups) 0, 4, 8, 12.
	rb := [4]Register{rows, g.GP64(), g.GP64(), g.GP64()}
	gb := [4]Register{groups, g.GP64(), g.GP64(), g.GP64()}
	for i := 1; i < 4; i++ {
		g.LEAQ(Mem{Base: rb[i-1], Index: ld, Scale: 4}, rb[i])
		g.LEAQ(Mem{Base: gb[i-1], Index: gs, Scale: 4}, gb[i])
	}
	g.Label(name + "_loop")
	var r [16]VecVirtual
	for i := range r {
		r[i] = g.ZMM()
		if in {
			g.VMOVUPS(rows16(rb, ld, ld3, i), r[i])
		} else {
			g.VMOVUPS(rows16(gb, gs, gs3, i), r[i])
		}
	}
	for i, o := range transpose16(g, r) {
		if in {
			g.VMOVUPS(o, rows16(gb, gs, gs3, i))
		} else {
			g.VMOVUPS(o, rows16(rb, ld, ld3, i))
		}
	}
	for i := range 4 { // sixteen columns on; sixteen groups on
		g.ADDQ(U8(64), rb[i])
	}
	g.LEAQ(Mem{Base: gb[3], Index: gs, Scale: 4}, gb[0])
	for i := 1; i < 4; i++ {
		g.LEAQ(Mem{Base: gb[i-1], Index: gs, Scale: 4}, gb[i])
	}
	g.DECQ(n)
	g.JNZ(LabelRef(name + "_loop"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}
