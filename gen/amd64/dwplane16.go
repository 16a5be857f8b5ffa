package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dwPlane16 emits dwPlaneK<k>S1AVX512 (DWPlaneS1Func in
// asm/dwconv_generic.go): k×k depthwise stride-1 "same" convolutions of
// whole planes whose rows are 1…dwPlaneVecs(k) 16-lane vectors, read
// where they lie: the kernel never loads a padding row, and its loads are
// masked to the columns inside the row (masks: see planeMasks in
// asm/rows_amd64.go), so no plane is copied with its padding first (the
// copy had taken a fifth of the time, more on 112×112 planes, which it
// pushed out of L1). Per plane the weights are broadcast into registers
// (at k = 5 the first four kernel rows': dwPlaneRegWeights), and the rows
// run as a window sliding down the plane, one input row a step: acc[d]
// holds output row t − p + d (p = (k−1)/2) while input row t is added
// (kernel row k−1−d), so each input vector is loaded once and feeds
// k·vecs FMA chains. Blocks of rows (dwPlaneBody, which stride 2 still
// runs) had few chains at their first and last input rows, which fed one
// output row each and waited on FMA latency. Each output sums its taps in
// the twin's order (kernel row, then column) from the bias, as one FMA
// chain per vector. After row t, acc[0] (output row t − p) is stored from
// t = p on; the others move up one (register moves, which measured the
// same as unrolling k steps to rename them) and acc[k−1] restarts from
// the bias; after the plane's last row the p outputs left are complete
// (the rows below are zeros) and stored.
//
// masks holds 2k load masks: the first vector's for each tap column j,
// then the last vector's, which for one vector a row are both in one; at
// j = p the last is the row's store mask. A row of two vectors or more
// has full masks for j ≥ p in the first vector, none in those between,
// and for j < p the store mask in the last, so it loads 2p + 1 of them; a
// row of one vector loads k.
func dwPlane16(g *build.Context, k int) {
	name := fmt.Sprintf("dwPlaneK%dS1AVX512", k)
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(n, h, w int, y, x, wt, b *float32, bs int, lo, hi float32, vecs int, masks *uint16)")
	g.Pragma("noescape")
	g.Doc(fmt.Sprintf("%s is DWPlaneS1Func for %d×%d windows and rows of vecs = 1…%d vectors, the", name, k, k, dwPlaneVecs(k)),
		"biases bs floats apart, with the load masks masks (see dwPlane16 in the generator).")
	prm := gpParams(g, "n", "h", "w", "y", "x", "wt", "b", "bs", "vecs", "masks")
	n, h, wb, y, x, wt, b, bs, nv, ms := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6], prm[7], prm[8], prm[9]
	pd := (k - 1) / 2
	g.SHLQ(U8(2), wb) // rows of input and output are w floats apart
	g.SHLQ(U8(2), bs)
	g.TESTQ(n, n)
	g.JLE(LabelRef(name + "_done"))
	g.TESTQ(h, h)
	g.JLE(LabelRef(name + "_done"))
	// masks returns the load mask of vector v's tap column j (nil: none)
	// and the store mask, loaded for rows of nv vectors.
	masks := func(nv int) (func(v, j int) Op, Op) {
		m := func(i int) Op {
			kr := g.K()
			g.KMOVW(Mem{Base: ms, Disp: 2 * i}, kr)
			return kr
		}
		if nv == 1 {
			ks := make([]Op, k)
			for j := range ks {
				ks[j] = m(k + j)
			}
			return func(_, j int) Op { return ks[j] }, ks[pd]
		}
		first, last := make([]Op, k), make([]Op, k)
		for j := range k {
			if j < pd {
				first[j] = m(j)
			} else {
				last[j] = m(k + j)
			}
		}
		for j := range pd {
			last[j] = last[pd]
		}
		return func(v, j int) Op {
			switch v {
			case nv - 1:
				return last[j]
			case 0:
				return first[j]
			}
			return nil
		}, last[pd]
	}
	section := func(label string, vecs int) {
		g.Label(label)
		mask, store := masks(vecs)
		fma := planeWeights(g, k, wt)
		// A 5×5 row of one vector has five FMA chains, which wait on
		// the FMA latency: each output vector then sums its even and its
		// odd kernel columns apart (acc[d][sp·v+1] the odd), added at the
		// store. BenchmarkConv, four alternations, GFLOP/s of CPU time on
		// one thread: efficientnet.dw480.5x5 (14×14) 147–150 → 168–172;
		// at 3×3, rows of one or two vectors (three or six chains) ran
		// the same or slower that way (mobilenetv2.dw384.s1, dw192.s1).
		sp := 1
		if k == 5 && vecs == 1 {
			sp = 2
		}
		acc := make([][]VecVirtual, k)
		for d := range acc {
			acc[d] = make([]VecVirtual, sp*vecs)
			for i := range acc[d] {
				acc[d][i] = g.ZMM()
			}
		}
		// start sets acc[d] to the bias (the odd sums to zero).
		start := func(d int) {
			for i, r := range acc[d] {
				if i%sp == 0 {
					g.VBROADCASTSS(Mem{Base: b}, r)
				} else {
					g.VXORPS(r, r, r)
				}
			}
		}
		// finish stores output row acc[d] at y and moves y on.
		finish := func(d int) {
			row := make([]VecVirtual, vecs)
			for v := range row {
				row[v] = acc[d][sp*v]
				if sp == 2 {
					g.VADDPS(acc[d][sp*v+1], row[v], row[v])
				}
			}
			planeStore(g, row, y, store)
			g.ADDQ(wb, y)
		}
		t, x0 := g.GP64(), g.ZMM()
		g.Label(label + "_plane")
		fma.load()
		for d := range acc {
			start(d)
		}
		g.XORQ(t, t)
		g.Label(label + "_row")
		for j := 0; j < k; j++ {
			for v := 0; v < vecs; v++ {
				m := Mem{Base: x, Disp: 4*(j-pd) + 64*v}
				if km := mask(v, j); km != nil {
					g.VMOVUPS_Z(m, km, x0)
				} else {
					g.VMOVUPS(m, x0)
				}
				for d := 0; d < k; d++ {
					fma.add((k-1-d)*k+j, x0, acc[d][sp*v+j%sp])
				}
			}
		}
		g.CMPQ(t, U8(pd))
		g.JL(LabelRef(label + "_next"))
		finish(0)
		g.Label(label + "_next")
		for d := 0; d < k-1; d++ {
			for i := range acc[d] {
				g.VMOVAPS(acc[d+1][i], acc[d][i])
			}
		}
		start(k - 1)
		g.ADDQ(wb, x)
		g.INCQ(t)
		g.CMPQ(t, h)
		g.JL(LabelRef(label + "_row"))
		// acc[d] is output row h − p + d, stored if it is one (d ≥ p − h).
		for d := 0; d < pd; d++ {
			skip := fmt.Sprintf("%s_drain%d", label, d)
			g.CMPQ(h, U8(pd-d))
			g.JL(LabelRef(skip))
			finish(d)
			g.Label(skip)
		}
		g.ADDQ(U32(4*k*k), wt)
		g.ADDQ(bs, b)
		g.DECQ(n)
		g.JNZ(LabelRef(label + "_plane"))
		g.JMP(LabelRef(name + "_done"))
	}
	for v := 1; v < dwPlaneVecs(k); v++ {
		g.CMPQ(nv, U8(v))
		g.JE(LabelRef(fmt.Sprintf("%s_v%d", name, v)))
	}
	for v := dwPlaneVecs(k); v >= 1; v-- {
		section(fmt.Sprintf("%s_v%d", name, v), v)
	}
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// planeWeights16 is the weights of a dwPlane16 kernel at wt: load
// broadcasts the first dwPlaneRegWeights(k) into registers, add(i, x,
// acc) adds weight i times x to acc, from its register or broadcast from
// memory past the registers' share.
type planeWeights16 struct {
	load func()
	add  func(i int, x, acc VecVirtual)
}

// planeWeights returns the weights at wt of k×k kernels.
func planeWeights(g *build.Context, k int, wt Register) planeWeights16 {
	ws := make([]VecVirtual, dwPlaneRegWeights(k))
	for i := range ws {
		ws[i] = g.ZMM()
	}
	return planeWeights16{
		load: func() {
			for i, w := range ws {
				g.VBROADCASTSS(Mem{Base: wt, Disp: 4 * i}, w)
			}
		},
		add: func(i int, x, acc VecVirtual) {
			if i < len(ws) {
				g.VFMADD231PS(x, ws[i], acc)
				return
			}
			g.VFMADD231PS_BCST(Mem{Base: wt, Disp: 4 * i}, x, acc)
		},
	}
}

// planeStore clamps an output row's vectors accs and stores them at out,
// the last one under mask last.
func planeStore(g *build.Context, accs []VecVirtual, out Register, last Op) {
	for v, a := range accs {
		g.VMAXPS_BCST(paramMem(g, "lo"), a, a) // maxps(lo, ·)
		g.VMINPS_BCST(paramMem(g, "hi"), a, a) // minps(hi, ·)
		if v < len(accs)-1 {
			g.VMOVUPS(a, Mem{Base: out, Disp: 64 * v})
		} else {
			g.VMOVUPS(a, last, Mem{Base: out, Disp: 64 * v})
		}
	}
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
	dwPlaneBody(g, name, k, 2, prm, func(r Register, j int) Mem {
		if j%2 == 0 {
			return Mem{Base: r, Disp: 4 * (j / 2)}
		}
		return Mem{Base: r, Index: half, Scale: 4, Disp: 4 * (j / 2)}
	})
}

// dwPlaneBody emits the body of dwPlane16S2's kernels from the loaded
// arguments prm (rows, output row stride, output, input, input row
// stride, weights, vectors a row up to maxVecs, last store mask): tap(r,
// j) addresses column tap j of the input row at r. Output rows are
// computed in blocks (blocks at stride 2 as dwPlane16's window slides at
// stride 1).
func dwPlaneBody(g *build.Context, name string, k, maxVecs int, prm []Register, tap func(r Register, j int) Mem) {
	const s = 2
	h, wb, y, p, ldp, wt, nv := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6]
	klast := g.K()
	g.KMOVW(prm[7].(GPVirtual).As32(), klast)
	g.SHLQ(U8(2), wb)
	g.SHLQ(U8(2), ldp)
	fma := planeWeights(g, k, wt)
	fma.load()
	g.TESTQ(h, h)
	g.JLE(LabelRef(name + "_done"))
	r := g.GP64()
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
			for j := 0; j < k; j++ {
				for v := 0; v < vecs; v++ {
					m := tap(r, j)
					m.Disp += 64 * v
					g.VMOVUPS(m, x)
					for q := 0; q < rows; q++ {
						if u := i - s*q; u >= 0 && u < k {
							fma.add(u*k+j, x, acc[q*vecs+v])
						}
					}
				}
			}
			if i < last {
				g.ADDQ(ldp, r)
			}
		}
		g.MOVQ(y, r)
		for q := 0; q < rows; q++ {
			planeStore(g, acc[q*vecs:(q+1)*vecs], r, klast)
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
	for v := 1; v < maxVecs; v++ {
		g.CMPQ(nv, U8(v))
		g.JE(LabelRef(fmt.Sprintf("%s_v%d", name, v)))
	}
	for v := maxVecs; v >= 1; v-- {
		loop(fmt.Sprintf("%s_v%d", name, v), dwPlaneRows(k, v), v)
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
