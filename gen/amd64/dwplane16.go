package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dwPlane16 emits dwPlaneK<k>S1AVX512 (DWPlaneS1Func in
// asm/dwconv_generic.go): a k×k depthwise stride-1 convolution of one
// padded plane whose output rows are 1…dwPlaneVecs(k) 16-lane vectors,
// with the weights broadcast into registers once per call (at k = 5 the
// first four kernel rows': dwPlaneRegWeights) and the output rows
// computed as a window sliding down the plane (slide in dwPlaneBody), so
// that each input vector is loaded once and used by the k output rows it
// feeds. The eight-lane route for such planes spent as long in its
// transposes as in its FMAs (efficientnet.dw240.5x5), and the AVX2 planes
// kernel's 5×5 version, weights loaded as it went, two loads per FMA.
// Each output sums its taps in the twin's order (kernel row, then column)
// from the bias, as one FMA chain per vector. Rows are read 16·vecs
// floats wide from each tap's column, so up to 16·vecs − w floats past a
// row's last tap (the next row's, or slack after the plane); the stores of
// a row's last vector are masked to its last outputs.
func dwPlane16(g *build.Context, k int) {
	name := fmt.Sprintf("dwPlaneK%dS1AVX512", k)
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(h, w int, y, p *float32, ldp int, wt *float32, b, lo, hi float32, vecs, last int)")
	g.Pragma("noescape")
	g.Doc(fmt.Sprintf("%s is DWPlaneS1Func for %d×%d windows and rows of vecs = 1…%d vectors, with", name, k, k, dwPlaneVecs(k)),
		"the store mask last of a row's last vector (see dwPlane16 in the generator).")
	prm := gpParams(g, "h", "w", "y", "p", "ldp", "wt", "vecs", "last")
	// The output rows are w apart; tap j of a row is column j.
	dwPlaneBody(g, name, k, 1, dwPlaneVecs(k), prm, func(r Register, j int) Mem { return Mem{Base: r, Disp: 4 * j} })
}

// dwPlane16S2 emits dwRowsK<k>S2PAVX512, DWRowsS2PFunc for k×k windows
// on rows of one or two vectors of outputs (see dwRowsK3S2P in
// asm/rows_amd64.go for why not more): dwPlane16's kernel at stride 2,
// output row q reading input rows 2q…2q+k−1, each stored as its even
// columns and then, half floats on, its odd ones (Deinterleave), so that
// output i's taps E[i], O[i], E[i+1], O[i+1], … are consecutive across i
// again: kernel column j is E[i + j/2] for even j, O[i + j/2] for odd.
func dwPlane16S2(g *build.Context, k int) {
	name := fmt.Sprintf("dwRowsK%dS2PAVX512", k)
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(rows int, ldo int, out *float32, r *float32, ldr, half int, w *float32, b, lo, hi float32, vecs, last int)")
	g.Pragma("noescape")
	g.Doc(name+" is DWRowsS2PFunc on rows of vecs = 1, 2 vectors of outputs, with the store",
		"mask last of a row's last vector (see dwPlane16S2 in the generator).")
	prm := gpParams(g, "rows", "ldo", "out", "r", "ldr", "w", "vecs", "last")
	half := g.Load(g.Param("half"), g.GP64())
	dwPlaneBody(g, name, k, 2, 2, prm, func(r Register, j int) Mem {
		if j%2 == 0 {
			return Mem{Base: r, Disp: 4 * (j / 2)}
		}
		return Mem{Base: r, Index: half, Scale: 4, Disp: 4 * (j / 2)}
	})
}

// dwPlaneBody emits the body of dwPlane16's kernels at stride s from the
// loaded arguments prm (rows, output row stride, output, input, input row
// stride, weights, vectors a row up to maxVecs, last store mask): tap(r,
// j) addresses column tap j of the input row at r.
func dwPlaneBody(g *build.Context, name string, k, s, maxVecs int, prm []Register, tap func(r Register, j int) Mem) {
	h, wb, y, p, ldp, wt, nv := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6]
	klast := g.K()
	g.KMOVW(prm[7].(GPVirtual).As32(), klast)
	g.SHLQ(U8(2), wb)
	g.SHLQ(U8(2), ldp)
	ws := make([]VecVirtual, dwPlaneRegWeights(k))
	for i := range ws {
		ws[i] = g.ZMM()
		g.VBROADCASTSS(Mem{Base: wt, Disp: 4 * i}, ws[i])
	}
	// fma adds weight i times x to acc: from its register, or broadcast
	// from memory past the registers' share.
	fma := func(i int, x, acc VecVirtual) {
		if i < len(ws) {
			g.VFMADD231PS(x, ws[i], acc)
			return
		}
		g.VFMADD231PS_BCST(Mem{Base: wt, Disp: 4 * i}, x, acc)
	}
	g.TESTQ(h, h)
	g.JLE(LabelRef(name + "_done"))
	r := g.GP64()
	// taps loads into x each kernel column j's vector v of the input row
	// at row, j by j, and emits use(j, v) after each load.
	taps := func(row Register, vecs int, x VecVirtual, use func(j, v int)) {
		for j := 0; j < k; j++ {
			for v := 0; v < vecs; v++ {
				m := tap(row, j)
				m.Disp += 64 * v
				g.VMOVUPS(m, x)
				use(j, v)
			}
		}
	}
	// store clamps the vectors accs of an output row and stores them at
	// out, the last one masked.
	store := func(accs []VecVirtual, out Register) {
		for v, a := range accs {
			g.VMAXPS_BCST(paramMem(g, "lo"), a, a) // maxps(lo, ·)
			g.VMINPS_BCST(paramMem(g, "hi"), a, a) // minps(hi, ·)
			if v < len(accs)-1 {
				g.VMOVUPS(a, Mem{Base: out, Disp: 64 * v})
			} else {
				g.VMOVUPS(a, klast, Mem{Base: out, Disp: 64 * v})
			}
		}
	}
	// block emits r rows at y from p (not advanced), vecs vectors each:
	// r·vecs FMA chains (a row of one or two vectors alone would wait on
	// FMA latency); the bias, lo and hi are broadcast from the arguments,
	// as the weights take the registers.
	block := func(rows, vecs int) {
		acc := make([]VecVirtual, rows*vecs)
		for i := range acc {
			acc[i] = g.ZMM()
			g.VBROADCASTSS(paramMem(g, "b"), acc[i])
		}
		// Input row i by input row: each tap's vector is loaded once for
		// the up to k output rows it feeds (a load per FMA ran at one
		// FMA a cycle: the unaligned loads split cache lines), and
		// consecutive FMAs feed different chains; each output still sums
		// its taps by kernel row, then column (u = i − q rises with i).
		g.MOVQ(p, r)
		x := g.ZMM()
		last := s*(rows-1) + k - 1 // the block's last input row
		for i := 0; i <= last; i++ {
			taps(r, vecs, x, func(j, v int) {
				for q := 0; q < rows; q++ {
					if u := i - s*q; u >= 0 && u < k {
						fma(u*k+j, x, acc[q*vecs+v])
					}
				}
			})
			if i < last {
				g.ADDQ(ldp, r)
			}
		}
		g.MOVQ(y, r)
		for q := 0; q < rows; q++ {
			store(acc[q*vecs:(q+1)*vecs], r)
			if q < rows-1 {
				g.ADDQ(wb, r)
			}
		}
	}
	// loop emits rows rows a step while h ≥ rows; then, in a plane of at
	// least rows rows, the last rows again as one block ending at the
	// plane's end (rewriting identical values: a lone row is one FMA chain
	// per vector, k² FMA latencies long), else one row at a time.
	loop := func(label string, rows, vecs int) {
		g.Label(label)
		g.CMPQ(h, U8(rows))
		g.JL(LabelRef(label + "_tail"))
		g.Label(label + "_block")
		block(rows, vecs)
		for range rows {
			g.ADDQ(wb, y)
			for range s {
				g.ADDQ(ldp, p)
			}
		}
		g.SUBQ(U8(rows), h)
		g.JZ(LabelRef(name + "_done"))
		g.CMPQ(h, U8(rows))
		g.JGE(LabelRef(label + "_block"))
		// rows − h rows back, then the block once more (h = rows: its
		// loop then ends).
		back := g.GP64()
		g.MOVQ(U32(rows), back)
		g.SUBQ(h, back)
		g.Label(label + "_back")
		g.SUBQ(wb, y)
		for range s {
			g.SUBQ(ldp, p)
		}
		g.DECQ(back)
		g.JNZ(LabelRef(label + "_back"))
		g.MOVQ(U32(rows), h)
		g.JMP(LabelRef(label + "_block"))
		g.Label(label + "_tail")
		block(1, vecs)
		g.ADDQ(wb, y)
		for range s {
			g.ADDQ(ldp, p)
		}
		g.DECQ(h)
		g.JNZ(LabelRef(label + "_tail"))
		g.JMP(LabelRef(name + "_done"))
	}
	// slide emits rows of vecs vectors (stride 1) as a window sliding
	// down the plane, one input row a step: acc[d] holds output row t −
	// (k−1) + d while input row t is added (kernel row k−1−d), so each
	// row's loads feed k·vecs FMA chains. In blocks of rows (loop, as
	// stride 2 still runs) the first and last input rows of a block feed
	// one output row each, whose few chains wait on FMA latency:
	// BenchmarkConv, four alternations, GFLOP/s of CPU time on one thread,
	// efficientnet.dw240.5x5 104–111 → 118–127, mobilenetv2.dw192.s1 68–70
	// → 81–82, dw144.s1 76–80 → 90–94, dw32.s1 84–88 → 91–101, dw384.s1
	// (one vector a row) 54–59 → 63–68. After row t, acc[0] is output row t −
	// (k−1), stored from t = k−1 on; the others move up one (register
	// moves, which measured the same as unrolling k steps to rename them
	// instead) and acc[k−1] restarts from the bias.
	slide := func(label string, vecs int) {
		g.Label(label)
		acc := make([][]VecVirtual, k)
		for d := range acc {
			acc[d] = make([]VecVirtual, vecs)
			for v := range acc[d] {
				acc[d][v] = g.ZMM()
				g.VBROADCASTSS(paramMem(g, "b"), acc[d][v])
			}
		}
		n, t := g.GP64(), g.GP64()
		g.LEAQ(Mem{Base: h, Disp: k - 1}, n) // input rows
		g.XORQ(t, t)
		x := g.ZMM()
		g.Label(label + "_row")
		taps(p, vecs, x, func(j, v int) {
			for d := 0; d < k; d++ {
				fma((k-1-d)*k+j, x, acc[d][v])
			}
		})
		g.CMPQ(t, U8(k-1))
		g.JL(LabelRef(label + "_next"))
		store(acc[0], y)
		g.ADDQ(wb, y)
		g.Label(label + "_next")
		for d := 0; d < k-1; d++ {
			for v := range vecs {
				g.VMOVAPS(acc[d+1][v], acc[d][v])
			}
		}
		for _, a := range acc[k-1] {
			g.VBROADCASTSS(paramMem(g, "b"), a)
		}
		g.ADDQ(ldp, p)
		g.INCQ(t)
		g.CMPQ(t, n)
		g.JL(LabelRef(label + "_row"))
		g.JMP(LabelRef(name + "_done"))
	}
	for v := 1; v < maxVecs; v++ {
		g.CMPQ(nv, U8(v))
		g.JE(LabelRef(fmt.Sprintf("%s_v%d", name, v)))
	}
	for v := maxVecs; v >= 1; v-- {
		if label := fmt.Sprintf("%s_v%d", name, v); s == 1 {
			slide(label, v)
		} else {
			loop(label, dwPlaneRows(k, v), v)
		}
	}
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// dwPlaneVecs is the most vectors a row that dwPlane16's kernels take: 7
// (112 floats, MobileNet's and EfficientNet's widest maps) for 3×3; 2 for
// 5×5, whose 20 weights in registers leave room for the k·vecs
// accumulators of no wider rows.
func dwPlaneVecs(k int) int {
	if k == 3 {
		return 7
	}
	return 2
}

// dwPlaneRows is the output rows dwPlane16S2's kernels compute a block
// with vecs vectors a row: as many FMA chains as the 32 zmm leave beside
// the weights (dwPlaneRegWeights) and the loaded tap, up to 8 rows (each
// loaded tap feeds up to k of them).
func dwPlaneRows(k, vecs int) int {
	return max(1, min(8, (32-dwPlaneRegWeights(k)-1)/vecs))
}

// dwPlaneRegWeights is how many of the k² weights dwPlane16's kernels
// keep in registers: all nine at 3×3; at 5×5 the first four kernel rows,
// the fifth's FMAs broadcasting theirs from memory. That frees registers
// for eight or ten FMA chains (six with all 25 in registers, too few to
// cover the FMA latency): BenchmarkConv efficientnet.dw240.5x5 (28×28,
// two vectors a row; blocks of rows then), three alternations, 89 → 81
// µs on one thread, 46 → 43 on two; with three rows in registers, 91 and
// 48.
func dwPlaneRegWeights(k int) int {
	if k == 3 {
		return 9
	}
	return 4 * k
}
