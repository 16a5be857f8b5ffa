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
// k·vecs FMA chains. Blocks of rows (as the kernels ran before) had few
// chains at their first and last input rows, which fed one output row
// each and waited on FMA latency. Each output sums its taps in the twin's
// order (kernel row, then column) from the bias, as one FMA chain per
// vector (two at 5×5 on rows of one vector: see section). After row t,
// acc[0] (output row t − p) is stored from t = p on; the others move up
// one (register moves, which measured the same as unrolling k steps to
// rename them) and acc[k−1] restarts from the bias; after the plane's
// last row the p outputs left are complete (the rows below are zeros)
// and stored.
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
		// odd kernel columns apart (planeWindow), added at the store.
		// BenchmarkConv, four alternations, GFLOP/s of CPU time on one
		// thread: efficientnet.dw480.5x5 (14×14) 147–150 → 168–172; at
		// 3×3, rows of one or two vectors (three or six chains) ran the
		// same or slower that way (mobilenetv2.dw384.s1, dw192.s1).
		sp := 1
		if k == 5 && vecs == 1 {
			sp = 2
		}
		win := newPlaneWindow(g, k, vecs, sp, Mem{Base: b})
		finish := func(d int) {
			win.store(d, y, store)
			g.ADDQ(wb, y)
		}
		t, x0 := g.GP64(), g.ZMM()
		g.Label(label + "_plane")
		fma.load()
		win.startAll()
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
					fma.add((k-1-d)*k+j, x0, win.acc(d, v, j))
				}
			}
		}
		g.CMPQ(t, U8(pd))
		g.JL(LabelRef(label + "_next"))
		finish(0)
		g.Label(label + "_next")
		win.slide()
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

// planeWindow is the accumulators of a window of rows output rows
// sliding down a plane, vecs vectors a row, each vector's kernel columns
// summed in sp chains (1, or 2: even and odd columns apart, added at the
// store), started from the bias at bias.
type planeWindow struct {
	g        *build.Context
	regs     [][]VecVirtual // [row][sp·v + j%sp]
	vecs, sp int
	bias     Mem
}

func newPlaneWindow(g *build.Context, rows, vecs, sp int, bias Mem) *planeWindow {
	w := &planeWindow{g: g, regs: make([][]VecVirtual, rows), vecs: vecs, sp: sp, bias: bias}
	for d := range w.regs {
		w.regs[d] = make([]VecVirtual, sp*vecs)
		for i := range w.regs[d] {
			w.regs[d][i] = g.ZMM()
		}
	}
	return w
}

// acc is the accumulator of row d's vector v that kernel column j adds to.
func (w *planeWindow) acc(d, v, j int) VecVirtual { return w.regs[d][w.sp*v+j%w.sp] }

// start sets row d to the bias (its second chains to zero).
func (w *planeWindow) start(d int) {
	for i, r := range w.regs[d] {
		if i%w.sp == 0 {
			w.g.VBROADCASTSS(w.bias, r)
		} else {
			w.g.VXORPS(r, r, r)
		}
	}
}

func (w *planeWindow) startAll() {
	for d := range w.regs {
		w.start(d)
	}
}

// store adds up row d's chains, clamps it and stores it at out, the last
// vector under mask last.
func (w *planeWindow) store(d int, out Register, last Op) {
	row := make([]VecVirtual, w.vecs)
	for v := range row {
		row[v] = w.regs[d][w.sp*v]
		if w.sp == 2 {
			w.g.VADDPS(w.regs[d][w.sp*v+1], row[v], row[v])
		}
	}
	planeStore(w.g, row, out, last)
}

// slide moves every row up one (register moves) and starts the last.
func (w *planeWindow) slide() {
	for d := 0; d+1 < len(w.regs); d++ {
		for i := range w.regs[d] {
			w.g.VMOVAPS(w.regs[d+1][i], w.regs[d][i])
		}
	}
	w.start(len(w.regs) - 1)
}

// planeWeightRegs is the weights of a dwPlane16 kernel at wt: load
// broadcasts the first dwPlaneRegWeights(k) into registers, add(i, x,
// acc) adds weight i times x to acc, from its register or broadcast from
// memory past the registers' share.
type planeWeightRegs struct {
	load func()
	add  func(i int, x, acc VecVirtual)
}

// planeWeights returns the weights at wt of k×k kernels.
func planeWeights(g *build.Context, k int, wt Register) planeWeightRegs {
	ws := make([]VecVirtual, dwPlaneRegWeights(k))
	for i := range ws {
		ws[i] = g.ZMM()
	}
	return planeWeightRegs{
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
// the last one under mask last (nil: none).
func planeStore(g *build.Context, accs []VecVirtual, out Register, last Op) {
	for v, a := range accs {
		g.VMAXPS_BCST(paramMem(g, "lo"), a, a) // maxps(lo, ·)
		g.VMINPS_BCST(paramMem(g, "hi"), a, a) // minps(hi, ·)
		if v < len(accs)-1 || last == nil {
			g.VMOVUPS(a, Mem{Base: out, Disp: 64 * v})
		} else {
			g.VMOVUPS(a, last, Mem{Base: out, Disp: 64 * v})
		}
	}
}

// dwPlane16S2 emits dwRowsK<k>S2PAVX512, DWRowsS2PFunc for k×k windows
// on rows of one or two vectors of outputs (s2Chunks in
// asm/rows_amd64.go splits wider rows): dwPlane16's sliding window at
// stride 2 (dwPlaneBody), output row q reading input rows 2q…2q+k−1,
// each stored as its even columns and then, half floats on, its odd ones
// (Deinterleave), so that output i's taps E[i], O[i], E[i+1], O[i+1], …
// are consecutive across i again: kernel column j is E[i + j/2] for even
// j, O[i + j/2] for odd.
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
// j) addresses column tap j of the input row at r.
func dwPlaneBody(g *build.Context, name string, k, maxVecs int, prm []Register, tap func(r Register, j int) Mem) {
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
	// slide emits rows of vecs vectors as a window sliding down two input
	// rows a step: at step q, acc[d] is output row q − (W−1) + d (W =
	// (k+1)/2), input row 2q adds kernel row 2(W−1−d) to it and row 2q+1
	// kernel row 2(W−1−d)+1 (d ≥ 1 at k = 5); after the step acc[0] is
	// complete, stored from q = W−1 on. Steps run while their odd row is
	// one a window reads (q ≤ rows + (k−5)/2); a last half step adds the
	// last row to acc[0] alone. Where the registers allow (all but 5×5
	// rows of two vectors), each output sums its even and odd kernel
	// columns apart, doubling the chains. BenchmarkConv, four
	// alternations, GFLOP/s of CPU time on one thread, against blocks of
	// rows: efficientnet.dw144.5x5.s2 (rows of 28: two one-vector calls)
	// 58–63 → 71–75, mobilenetv2.dw144.s2 31–33 → 35–36.
	slide := func(label string, vecs int) {
		g.Label(label)
		W := (k + 1) / 2
		sp := 1
		if 2*W*vecs+dwPlaneRegWeights(k)+1 <= 32 {
			sp = 2
		}
		win := newPlaneWindow(g, W, vecs, sp, paramMem(g, "b"))
		win.startAll()
		q, qmax, x := g.GP64(), g.GP64(), g.ZMM()
		g.XORQ(q, q)
		g.LEAQ(Mem{Base: h, Disp: (k - 5) / 2}, qmax)
		// row adds input row at r to acc[d] for d in ds with kernel row
		// u(d).
		row := func(ds []int, u func(d int) int) {
			for j := 0; j < k; j++ {
				for v := 0; v < vecs; v++ {
					m := tap(r, j)
					m.Disp += 64 * v
					g.VMOVUPS(m, x)
					for _, d := range ds {
						fma.add(u(d)*k+j, x, win.acc(d, v, j))
					}
				}
			}
		}
		all, odd := make([]int, W), []int{}
		for d := range all {
			all[d] = d
			if 2*(W-1-d)+1 < k {
				odd = append(odd, d)
			}
		}
		g.Label(label + "_step")
		g.MOVQ(p, r)
		row(all, func(d int) int { return 2 * (W - 1 - d) })
		g.ADDQ(ldp, r)
		row(odd, func(d int) int { return 2*(W-1-d) + 1 })
		g.CMPQ(q, U8(W-1))
		g.JL(LabelRef(label + "_next"))
		win.store(0, y, klast)
		g.ADDQ(wb, y)
		g.Label(label + "_next")
		win.slide()
		g.ADDQ(ldp, p)
		g.ADDQ(ldp, p)
		g.INCQ(q)
		g.CMPQ(q, qmax)
		g.JLE(LabelRef(label + "_step"))
		g.MOVQ(p, r)
		row([]int{0}, func(int) int { return k - 1 })
		win.store(0, y, klast)
		g.JMP(LabelRef(name + "_done"))
	}
	for v := 1; v < maxVecs; v++ {
		g.CMPQ(nv, U8(v))
		g.JE(LabelRef(fmt.Sprintf("%s_v%d", name, v)))
	}
	for v := maxVecs; v >= 1; v-- {
		slide(fmt.Sprintf("%s_v%d", name, v), v)
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
