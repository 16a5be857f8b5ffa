package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func init() { families["winograd"] = winograd }

// Winograd F(4×4, 3×3) transform passes in conv's layout, 8 columns or 8
// tiles per block, the column passes also 16 (asm/winograd_generic.go has
// the twins and the layout). The *Blocks kernels handle the first whole
// blocks of columns or tiles; the Go wrappers in asm/rows_amd64.go finish. The arithmetic follows the twins
// operation by operation (FMA only where the product is exact: by 2, 4, 8),
// so results agree bitwise.

// rows6 addresses six rows ld bytes apart from base p, using p4 = p + 4·ld.
type rows6 struct{ p, p4, ld, ld3 Register }

func newRows6(g *build.Context, ptr, ld string) rows6 {
	var r rows6
	r.p = g.Load(g.Param(ptr), g.GP64())
	r.ld = g.Load(g.Param(ld), g.GP64())
	g.SHLQ(U8(2), r.ld)
	r.ld3, r.p4 = g.GP64(), g.GP64()
	g.LEAQ(Mem{Base: r.ld, Index: r.ld, Scale: 2}, r.ld3)
	g.LEAQ(Mem{Base: r.p, Index: r.ld, Scale: 4}, r.p4)
	return r
}

func (r rows6) at(k, off int) Mem {
	switch k {
	case 0:
		return Mem{Base: r.p, Disp: off}
	case 1:
		return Mem{Base: r.p, Index: r.ld, Scale: 1, Disp: off}
	case 2:
		return Mem{Base: r.p, Index: r.ld, Scale: 2, Disp: off}
	case 3:
		return Mem{Base: r.p, Index: r.ld3, Scale: 1, Disp: off}
	case 4:
		return Mem{Base: r.p4, Disp: off}
	default:
		return Mem{Base: r.p4, Index: r.ld, Scale: 1, Disp: off}
	}
}

func (r rows6) advance(g *build.Context, bytes int) {
	g.ADDQ(U32(bytes), r.p)
	g.ADDQ(U32(bytes), r.p4)
}

// widthOf returns the allocator of registers as wide as v (XMM, YMM or ZMM).
func widthOf(g *build.Context, v VecVirtual) func() VecVirtual {
	switch v.Size() {
	case 16:
		return g.XMM
	case 32:
		return g.YMM
	}
	return g.ZMM
}

// winoBVec applies Bᵀ to d[0…5] like winoB in the twin; c4 and c5 hold
// 4 and 5 in every lane. The results replace nothing in d.
func winoBVec(g *build.Context, d [6]VecVirtual, c4, c5 VecVirtual) [6]VecVirtual {
	vec := widthOf(g, d[0])
	var o [6]VecVirtual
	for i := range o {
		o[i] = vec()
	}
	a, b := vec(), vec()
	g.VSUBPS(d[2], d[4], a) // a = d4 − d2
	g.VSUBPS(d[1], d[3], b) // d3 − d1
	g.VADDPS(b, b, b)       // b = 2(d3 − d1)
	// o0 = (4·d0 − 5·d2) + d4: the product by 5 is rounded first.
	g.VMULPS(c5, d[2], o[0])
	g.VFMSUB231PS(c4, d[0], o[0]) // 4·d0 − o0, exact product
	g.VADDPS(d[4], o[0], o[0])
	// o1 = (d3 + d4) − 4·(d1 + d2)
	u := vec()
	g.VADDPS(d[2], d[1], u)
	g.VADDPS(d[4], d[3], o[1])
	g.VFNMADD231PS(c4, u, o[1])
	// o2 = (d4 − d3) + 4·(d1 − d2)
	g.VSUBPS(d[2], d[1], u)
	g.VSUBPS(d[3], d[4], o[2])
	g.VFMADD231PS(c4, u, o[2])
	g.VADDPS(b, a, o[3])
	g.VSUBPS(b, a, o[4])
	// o5 = (4·d1 − 5·d3) + d5
	g.VMULPS(c5, d[3], o[5])
	g.VFMSUB231PS(c4, d[1], o[5])
	g.VADDPS(d[5], o[5], o[5])
	return o
}

// winoAVec applies Aᵀ to m[0…5] like winoA in the twin; c2, c4, c8 hold
// 2, 4 and 8.
func winoAVec(g *build.Context, m [6]VecVirtual, c2, c4, c8 VecVirtual) [4]VecVirtual {
	vec := widthOf(g, m[0])
	a, b, c, d := vec(), vec(), vec(), vec()
	g.VADDPS(m[2], m[1], a)
	g.VSUBPS(m[2], m[1], b)
	g.VADDPS(m[4], m[3], c)
	g.VSUBPS(m[4], m[3], d)
	var s [4]VecVirtual
	for i := range s {
		s[i] = vec()
	}
	g.VADDPS(a, m[0], s[0]) // (m0 + a) + c
	g.VADDPS(c, s[0], s[0])
	g.VMOVAPS(b, s[1]) // b + 2d
	g.VFMADD231PS(c2, d, s[1])
	g.VMOVAPS(a, s[2]) // a + 4c
	g.VFMADD231PS(c4, c, s[2])
	g.VMOVAPS(b, s[3]) // (b + 8d) + m5
	g.VFMADD231PS(c8, d, s[3])
	g.VADDPS(m[5], s[3], s[3])
	return s
}

func winograd(g *build.Context) {
	var c2, c4, c5, c8 VecVirtual
	// constsOf loads 2, 4, 5 and 8 into registers from vec (YMM or XMM).
	constsOf := func(vec func() VecVirtual) {
		c2, c4, c5, c8 = vec(), vec(), vec(), vec()
		g.VMOVUPS(fconst(g, "two", 2), c2)
		g.VMOVUPS(fconst(g, "four", 4), c4)
		g.VMOVUPS(fconst(g, "five", 5), c5)
		g.VMOVUPS(fconst(g, "eight", 8), c8)
	}
	consts := func() { constsOf(g.YMM) }
	var t, r, s, m rows6
	var dst, tp Register
	var bias VecVirtual

	// The column passes, on 8 lanes and on 16: their rows (the pass
	// buffers of conv's tiles-as-rows route) are in L1, where 8 lanes left
	// them issue-bound.
	for _, w := range []struct {
		isa   string
		lanes int
		shift uint8 // log2(lanes)
		vec   func() VecVirtual
	}{{"AVX2", 8, 3, g.YMM}, {"AVX512", 16, 4, g.ZMM}} {
		setConsts := func() { // (broadcasts: no 64-byte loads from data)
			c2, c4, c5, c8 = w.vec(), w.vec(), w.vec(), w.vec()
			g.VBROADCASTSS(fconst(g, "two", 2), c2)
			g.VBROADCASTSS(fconst(g, "four", 4), c4)
			g.VBROADCASTSS(fconst(g, "five", 5), c5)
			g.VBROADCASTSS(fconst(g, "eight", 8), c8)
		}
		// pass loads six rows from in, applies f and stores its results
		// to out's first rows.
		pass := func(in, out *rows6, f func(v [6]VecVirtual) []VecVirtual) func() {
			return func() {
				var v [6]VecVirtual
				for k := range v {
					v[k] = w.vec()
					g.VMOVUPS(in.at(k, 0), v[k])
				}
				for k, o := range f(v) {
					g.VMOVUPS(o, out.at(k, 0))
				}
				out.advance(g, 4*w.lanes)
				in.advance(g, 4*w.lanes)
			}
		}
		name := "winograd43InColsBlocks" + w.isa
		blocksOf(g, w.shift, name, "func(n int, t *float32, ldt int, r *float32, ldr int)",
			[]string{fmt.Sprintf("%s computes columns x < %d·⌊n/%d⌋ of T = Bᵀ R", name, w.lanes, w.lanes),
				"(see WinoInColsFunc in winograd_generic.go)."},
			func() { t, r = newRows6(g, "t", "ldt"), newRows6(g, "r", "ldr"); setConsts() },
			pass(&r, &t, func(d [6]VecVirtual) []VecVirtual { o := winoBVec(g, d, c4, c5); return o[:] }))
		name = "winograd43OutColsBlocks" + w.isa
		blocksOf(g, w.shift, name, "func(n int, s *float32, lds int, m *float32, ldm int)",
			[]string{fmt.Sprintf("%s computes tiles j < %d·⌊n/%d⌋ of S = Aᵀ M", name, w.lanes, w.lanes),
				"(see WinoOutColsFunc in winograd_generic.go)."},
			func() { s, m = newRows6(g, "s", "lds"), newRows6(g, "m", "ldm"); setConsts() },
			pass(&m, &s, func(mv [6]VecVirtual) []VecVirtual { o := winoAVec(g, mv, c2, c4, c8); return o[:] }))
	}

	blockFunc(g, "winograd43InRowBlocksAVX2", "func(n int, t *float32, o *float32, ldo int)",
		[]string{"winograd43InRowBlocksAVX2 transforms tiles j < 8·⌊n/8⌋ of one row of T",
			"(see WinoInRowFunc in winograd_generic.go); it reads t[0 … 32·⌊n/8⌋+1]."},
		func() {
			tp = g.Load(g.Param("t"), g.GP64())
			s = newRows6(g, "o", "ldo")
			consts()
		},
		func() {
			// x_k = tile k ‖ tile k+4 (columns 4j … 4j+3), then a 4×4
			// transpose per 128-bit lane gives d0…d3 for tiles 0…7.
			var x [4]VecVirtual
			for k := range x {
				x[k] = g.YMM()
				g.VMOVUPS(Mem{Base: tp, Disp: 16 * k}, x[k].AsX())
				g.VINSERTF128(U8(1), Mem{Base: tp, Disp: 16 * (k + 4)}, x[k], x[k])
			}
			var d [6]VecVirtual
			t4 := transpose4(g, x)
			copy(d[:4], t4[:])
			d[4], d[5] = g.YMM(), g.YMM()
			// d4, d5 are d0, d1 of the next tile: rotate lanes down by one
			// and fill lane 7 from t[32], t[33].
			idx := g.YMM()
			g.VMOVUPS(iconst(g, "rot1", [8]int32{1, 2, 3, 4, 5, 6, 7, 0}), idx)
			for k := 0; k < 2; k++ {
				e := g.YMM()
				g.VPERMPS(d[k], idx, d[4+k])
				g.VBROADCASTSS(Mem{Base: tp, Disp: 128 + 4*k}, e)
				g.VBLENDPS(U8(0x80), e, d[4+k], d[4+k])
			}
			out := winoBVec(g, d, c4, c5)
			for k := range out {
				g.VMOVUPS(out[k], s.at(k, 0))
			}
			g.ADDQ(U32(128), tp)
			s.advance(g, 32)
		})

	blockFunc(g, "winograd43OutRowBlocksAVX2", "func(n int, dst *float32, q *float32, ldq int, bias float32)",
		[]string{"winograd43OutRowBlocksAVX2 writes dst[4j+r] for tiles j < 8·⌊n/8⌋",
			"(see WinoOutRowFunc in winograd_generic.go)."},
		func() {
			dst = g.Load(g.Param("dst"), g.GP64())
			s = newRows6(g, "q", "ldq")
			consts()
			bias = bcast(g, "bias")
		},
		func() {
			var mv [6]VecVirtual
			for k := range mv {
				mv[k] = g.YMM()
				g.VMOVUPS(s.at(k, 0), mv[k])
			}
			v := winoAVec(g, mv, c2, c4, c8)
			for k := range v {
				g.VADDPS(bias, v[k], v[k])
			}
			// Interleave: v_r[j] → dst[4j+r], a 4×8 transpose: per lane
			// tiles 0…3 | 4…7, then the lanes regrouped.
			w := transpose4(g, v)
			w0, w1, w2, w3 := w[0], w[1], w[2], w[3]
			for i, p := range [][2]VecVirtual{{w0, w1}, {w2, w3}} {
				lo, hi := g.YMM(), g.YMM()
				g.VPERM2F128(U8(0x20), p[1], p[0], lo) // tiles 2i, 2i+1
				g.VPERM2F128(U8(0x31), p[1], p[0], hi) // tiles 2i+4, 2i+5
				g.VMOVUPS(lo, Mem{Base: dst, Disp: 32 * i})
				g.VMOVUPS(hi, Mem{Base: dst, Disp: 64 + 32*i})
			}
			g.ADDQ(U32(128), dst)
			s.advance(g, 32)
		})

	// Four-tile kernels for the tile rows of small maps (14×14 has four
	// tiles a row, 28×28 seven): the same arithmetic on XMM registers.
	xconsts := func() { constsOf(g.XMM) }
	quadFunc(g, "winograd43InRowQuadAVX2", "func(t *float32, o *float32, ldo int)",
		[]string{"winograd43InRowQuadAVX2 transforms tiles 0…3 of one row of T",
			"(see WinoInRowFunc in winograd_generic.go); it reads t[0 … 17]."},
		func() {
			tp = g.Load(g.Param("t"), g.GP64())
			s = newRows6(g, "o", "ldo")
			xconsts()
			// x_k = tile k (columns 4k … 4k+3); a 4×4 transpose gives d0…d3.
			var x [4]VecVirtual
			for k := range x {
				x[k] = g.XMM()
				g.VMOVUPS(Mem{Base: tp, Disp: 16 * k}, x[k])
			}
			var d [6]VecVirtual
			t4 := transpose4(g, x)
			copy(d[:4], t4[:])
			d[4], d[5] = g.XMM(), g.XMM()
			// d4, d5 are d0, d1 of the next tile: lanes down by one, lane 3
			// from t[16], t[17].
			for k := 0; k < 2; k++ {
				g.VPERMILPS(U8(0x39), d[k], d[4+k])
				g.VINSERTPS(U8(0x30), Mem{Base: tp, Disp: 64 + 4*k}, d[4+k], d[4+k])
			}
			out := winoBVec(g, d, c4, c5)
			for k := range out {
				g.VMOVUPS(out[k], s.at(k, 0))
			}
		})
	quadFunc(g, "winograd43OutRowQuadAVX2", "func(dst *float32, q *float32, ldq int, bias float32)",
		[]string{"winograd43OutRowQuadAVX2 writes dst[4j+r] for tiles j < 4",
			"(see WinoOutRowFunc in winograd_generic.go)."},
		func() {
			dst = g.Load(g.Param("dst"), g.GP64())
			s = newRows6(g, "q", "ldq")
			xconsts()
			bias = g.XMM()
			g.VBROADCASTSS(paramMem(g, "bias"), bias)
			var mv [6]VecVirtual
			for k := range mv {
				mv[k] = g.XMM()
				g.VMOVUPS(s.at(k, 0), mv[k])
			}
			v := winoAVec(g, mv, c2, c4, c8)
			for k := range v {
				g.VADDPS(bias, v[k], v[k])
			}
			// v_r[j] → dst[4j+r]: a 4×4 transpose.
			w := transpose4(g, v)
			for j := range w {
				g.VMOVUPS(w[j], Mem{Base: dst, Disp: 16 * j})
			}
		})
}

// transpose4 transposes x[0…3] as 4×4 blocks per 128-bit lane:
// out[j][i] = x[i][j] within each lane (XMM or YMM, as x).
func transpose4(g *build.Context, x [4]VecVirtual) [4]VecVirtual {
	vec := widthOf(g, x[0])
	u0, u1, u2, u3 := vec(), vec(), vec(), vec()
	g.VUNPCKLPS(x[1], x[0], u0)
	g.VUNPCKHPS(x[1], x[0], u1)
	g.VUNPCKLPS(x[3], x[2], u2)
	g.VUNPCKHPS(x[3], x[2], u3)
	o := [4]VecVirtual{vec(), vec(), vec(), vec()}
	g.VUNPCKLPD(u2, u0, o[0])
	g.VUNPCKHPD(u2, u0, o[1])
	g.VUNPCKLPD(u3, u1, o[2])
	g.VUNPCKHPD(u3, u1, o[3])
	return o
}

// quadFunc emits a loop-free kernel: body computes one block.
func quadFunc(g *build.Context, name, sig string, doc []string, body func()) {
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr(sig)
	g.Pragma("noescape")
	g.Doc(doc...)
	body()
	g.VZEROUPPER()
	g.RET()
}
