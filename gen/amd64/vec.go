package main

import (
	"fmt"
	"math"
	"sort"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func init() { families["vec"] = vec }

// Element-wise kernels over float32 slices (asm/vec_generic.go has the
// twins and their meaning as Go loops). Most are memory-bound and 8 lanes
// wide; the exp-based ones (Sigmoid, SiLU) are compute-bound and also
// have 16-lane forms. Each runs an unrolled main loop, a one-vector loop
// and the last vector recomputed (streamKernelGroup), so any n works and
// nothing outside [0, n) is touched.
//
// Max and min keep the x86 operand rule the twins spell out:
// maxps(a, b) = a > b ? a : b is VMAXPS(b, a, dst) in Go operand order.

const (
	actSig   = "func(n int, dst, src *float32, a, b float32)"
	scaleSig = "func(n int, dst, src *float32, s, t, lo, hi float32)"
	addSig   = "func(n int, dst, x, y *float32)"
)

// vconsts holds the 32-byte constant vectors of the file being generated.
var vconsts = map[string]Mem{}

// table returns the read-only table of 32-bit words called name, emitted
// the first time a file asks for it.
func table(g *build.Context, name string, words []uint32) Mem {
	if m, ok := vconsts[name]; ok {
		return m
	}
	m := g.StaticGlobal(name)
	g.DataAttributes(attr.RODATA | attr.NOPTR)
	for _, w := range words {
		g.AppendDatum(U32(w))
	}
	vconsts[name] = m
	return m
}

// vconst returns a 32-byte read-only vector of eight copies of bits.
func vconst(g *build.Context, name string, bits uint32) Mem {
	return table(g, name, []uint32{bits, bits, bits, bits, bits, bits, bits, bits})
}

// fconst is vconst for a float32 value.
func fconst(g *build.Context, name string, v float32) Mem {
	return vconst(g, name, math.Float32bits(v))
}

// iconst returns a 32-byte vector of the given int32 lanes.
func iconst(g *build.Context, name string, lanes [8]int32) Mem {
	words := make([]uint32, 8)
	for i, v := range lanes {
		words[i] = uint32(v)
	}
	return table(g, name, words)
}

// iota16 returns a zmm of the lanes' indices 0…15, built from two 8-lane
// halves (no 64-byte loads from data).
func iota16(g *build.Context) VecVirtual {
	iota, hi := g.ZMM(), g.YMM()
	g.VMOVDQU(iconst(g, "iota8", [8]int32{0, 1, 2, 3, 4, 5, 6, 7}), iota.AsY())
	g.VPADDD(iconst(g, "eights", [8]int32{8, 8, 8, 8, 8, 8, 8, 8}), iota.AsY(), hi)
	g.VINSERTI32X8(U8(1), hi, iota, iota)
	return iota
}

// dwords returns a zmm of sixteen copies of v.
func dwords(g *build.Context, v uint32) VecVirtual {
	z, t32 := g.ZMM(), g.GP32()
	g.MOVL(U32(v), t32)
	g.VPBROADCASTD(t32, z)
	return z
}

// lanes is a vector width in float32s: 8 (ymm, AVX2) or 16 (zmm,
// AVX-512). Only the exp-based kernels have a 16-lane form: the others are
// memory-bound at 8.
type lanes int

// reg returns a new virtual vector register of the width.
func (w lanes) reg(g *build.Context) VecVirtual {
	if w == 16 {
		return g.ZMM()
	}
	return g.YMM()
}

// suffix names the kernels of the width.
func (w lanes) suffix() string {
	if w == 16 {
		return "AVX512"
	}
	return "AVX2"
}

// splat returns a read-only vector of w copies of bits: vconst at 8
// lanes; at 16 a slot of wide16 (see wideConsts).
func (w lanes) splat(g *build.Context, name string, bits uint32) Mem {
	if w == 8 {
		return vconst(g, name, bits)
	}
	s, ok := wide.slot[name]
	if !ok {
		s = len(wide.slot)
		wide.slot[name] = s
		for range 2 * w {
			wide.words = append(wide.words, bits)
		}
	}
	return Mem{Base: wide.base, Disp: 128 * s}
}

// wideConsts holds the 16-lane constants of the file, one table (wide16)
// of 128-byte slots, 32 copies of a constant each, read through a base
// register that each 16-lane kernel rounds up to 64 bytes at entry: the
// 64 bytes read from a slot are then on one cache line and, however far
// the rounding moved the base (less than 64 bytes), all inside the slot.
// The linker aligns data to 32 bytes at most, and a zmm operand across
// two cache lines loads twice: siluAVX512 ran at half speed (24 against
// 12 µs per 64K floats) when an unrelated change moved its constants to
// 32 mod 64.
type wideConsts struct {
	base  Register // of the kernel being emitted
	slot  map[string]int
	words []uint32
	regs  map[string]VecVirtual // hoisted constants of the kernel being emitted
}

var wide = wideConsts{slot: map[string]int{}}

// wideBase emits the entry of a 16-lane kernel: wide16's first 64-byte
// boundary into a register, for splat.
func wideBase(g *build.Context) {
	wide.base = g.GP64()
	g.LEAQ(Mem{Symbol: NewStaticSymbol("wide16"), Base: StaticBase}, wide.base)
	g.ADDQ(U8(63), wide.base)
	g.ANDQ(I8(-64), wide.base)
}

// wideTable emits wide16 once every kernel has asked for its constants.
func wideTable(g *build.Context) {
	if len(wide.words) == 0 {
		return
	}
	g.StaticGlobal("wide16")
	g.DataAttributes(attr.RODATA | attr.NOPTR)
	for _, w := range wide.words {
		g.AppendDatum(U32(w))
	}
}

// f is fconst for the width.
func (w lanes) f(g *build.Context, name string, v float32) Mem {
	return w.splat(g, name, math.Float32bits(v))
}

// c is f, or the register the constant was hoisted into (see hoist).
func (w lanes) c(g *build.Context, name string, v float32) Op {
	if r, ok := wide.regs[name]; ok {
		return r
	}
	return w.f(g, name, v)
}

// e is c for the constant of expConst called name.
func (w lanes) e(g *build.Context, name string) Op { return w.c(g, name, expConst[name]) }

// constReg returns constant name in a register: the hoisted one, else a new
// register loaded from f.
func (w lanes) constReg(g *build.Context, name string, v float32) VecVirtual {
	if r, ok := wide.regs[name]; ok {
		return r
	}
	r := w.reg(g)
	g.VMOVUPS(w.f(g, name, v), r)
	return r
}

// hoist loads the named float constants into registers for the rest of
// the kernel being emitted (c and constReg then return them); done drops
// them. A zmm operand from memory is a 512-bit load, two a cycle: the
// exp-based kernels read fifteen constants per vector.
func (w lanes) hoist(g *build.Context, consts map[string]float32) (done func()) {
	wide.regs = map[string]VecVirtual{}
	names := make([]string, 0, len(consts))
	for name := range consts {
		names = append(names, name)
	}
	sort.Strings(names) // a fixed order: generated files must not change run to run
	for _, name := range names {
		r := w.reg(g)
		g.VMOVUPS(w.f(g, name, consts[name]), r)
		wide.regs[name] = r
	}
	return func() { wide.regs = nil }
}

// vecOp computes one 8-lane result from the loaded inputs.
type vecOp func(in []VecVirtual) VecVirtual

// streamKernel emits a kernel over n elements with len(srcs) inputs and
// one output; dst may equal an input. setup runs once before the loops
// (broadcast parameters); op maps loaded inputs to a result lane-wise.
//
// For n ≥ 8 the last 8 elements are computed first and kept in a register
// while a 8·unroll-lane loop and an 8-lane loop cover the whole blocks;
// when n is not a multiple of 8 that register is stored last, rewriting
// the overlap with the same values (computed from the inputs before any
// store, so in place works). n < 8 runs one element at a time through the
// same vector code (VMOVSS loads and stores). No masked moves: they are
// slow stores on AMD, and qemu's emulation faults on masked-out lanes.
func streamKernel(g *build.Context, name, sig string, doc []string, srcs []string, unroll int, setup func(), op vecOp) {
	streamKernelGroup(g, 8, name, sig, doc, srcs, unroll, setup, op, nil)
}

// vecGroupOp computes the results of several 8-lane positions at once,
// emitting each step for all of them before the next: a long dependency
// chain per position (sigmoid's exp and divide, ~60 cycles) otherwise
// fills the scheduler with one position's waiting steps.
type vecGroupOp func(in [][]VecVirtual) []VecVirtual

// streamKernelGroup is streamKernel over vectors of w lanes whose main
// loop, when group is not nil, loads its unroll positions, computes them
// with group and then stores them.
func streamKernelGroup(g *build.Context, w lanes, name, sig string, doc []string, srcs []string, unroll int, setup func(), op vecOp, group vecGroupOp) {
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr(sig)
	g.Pragma("noescape")
	g.Doc(doc...)
	n := g.Load(g.Param("n"), g.GP64())
	dst := g.Load(g.Param("dst"), g.GP64())
	var src []Register
	for _, s := range srcs {
		src = append(src, g.Load(g.Param(s), g.GP64()))
	}
	if w == 16 {
		wideBase(g)
	}
	setup()
	load := func(m func(p Register) Mem) []VecVirtual {
		in := make([]VecVirtual, len(src))
		for i, p := range src {
			in[i] = w.reg(g)
			g.VMOVUPS(m(p), in[i])
		}
		return in
	}
	step := func(off int) {
		g.VMOVUPS(op(load(func(p Register) Mem { return Mem{Base: p, Disp: off} })), Mem{Base: dst, Disp: off})
	}
	advance := func(elems int) {
		g.ADDQ(U32(4*elems), dst)
		for _, p := range src {
			g.ADDQ(U32(4*elems), p)
		}
		g.SUBQ(U32(elems), n)
	}
	g.CMPQ(n, U8(uint8(w)))
	g.JL(LabelRef(name + "_small"))
	// The last block, before anything is stored.
	rem, last := g.GP64(), g.GP64()
	g.MOVQ(n, rem)
	g.ANDQ(U8(uint8(w-1)), rem)
	g.LEAQ(Mem{Base: dst, Index: n, Scale: 4, Disp: -4 * int(w)}, last)
	lastv := op(load(func(p Register) Mem { return Mem{Base: p, Index: n, Scale: 4, Disp: -4 * int(w)} }))
	g.CMPQ(n, U32(int(w)*unroll))
	g.JL(LabelRef(name + "_one"))
	g.Label(name + "_loop")
	if group != nil {
		ins := make([][]VecVirtual, unroll)
		for u := range ins {
			ins[u] = load(func(p Register) Mem { return Mem{Base: p, Disp: 4 * int(w) * u} })
		}
		for u, r := range group(ins) {
			g.VMOVUPS(r, Mem{Base: dst, Disp: 4 * int(w) * u})
		}
	} else {
		for u := 0; u < unroll; u++ {
			step(4 * int(w) * u)
		}
	}
	advance(int(w) * unroll)
	g.CMPQ(n, U32(int(w)*unroll))
	g.JGE(LabelRef(name + "_loop"))
	g.Label(name + "_one")
	g.CMPQ(n, U8(uint8(w)))
	g.JL(LabelRef(name + "_last"))
	step(0)
	advance(int(w))
	g.JMP(LabelRef(name + "_one"))
	g.Label(name + "_last")
	g.TESTQ(rem, rem)
	g.JZ(LabelRef(name + "_done"))
	g.VMOVUPS(lastv, Mem{Base: last})
	g.JMP(LabelRef(name + "_done"))

	g.Label(name + "_small")
	g.TESTQ(n, n)
	g.JLE(LabelRef(name + "_done"))
	g.Label(name + "_smallloop")
	in := make([]VecVirtual, len(src))
	for i, p := range src {
		in[i] = w.reg(g)
		g.VMOVSS(Mem{Base: p}, in[i].AsX())
	}
	g.VMOVSS(op(in).AsX(), Mem{Base: dst})
	advance(1)
	g.JNZ(LabelRef(name + "_smallloop"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// bcast broadcasts a float32 parameter into a new register.
func bcast(g *build.Context, param string) VecVirtual {
	y := g.YMM()
	g.VBROADCASTSS(paramMem(g, param), y)
	return y
}

func vec(g *build.Context) {
	actDoc := func(name, what string) []string {
		return []string{fmt.Sprintf("%s sets dst[i] = %s for i < n; dst may equal src.", name, what),
			"See the twin in vec_generic.go. Requires n ≥ 0."}
	}
	var zero, onev, p1, p2 VecVirtual
	zeroSetup := func() { zero = g.YMM(); g.VXORPS(zero, zero, zero) }
	one := func() Mem { return fconst(g, "one", 1) }
	oneSetup := func() { onev = g.YMM(); g.VMOVUPS(one(), onev) }

	streamKernel(g, "reluAVX2", actSig, actDoc("reluAVX2", "maxps(0, src[i])"), []string{"src"}, 4, zeroSetup,
		func(in []VecVirtual) VecVirtual {
			g.VMAXPS(in[0], zero, in[0])
			return in[0]
		})
	streamKernel(g, "clipAVX2", actSig, actDoc("clipAVX2", "minps(b, maxps(a, src[i]))"), []string{"src"}, 4,
		func() { p1, p2 = bcast(g, "a"), bcast(g, "b") },
		func(in []VecVirtual) VecVirtual {
			g.VMAXPS(in[0], p1, in[0])
			g.VMINPS(in[0], p2, in[0])
			return in[0]
		})
	streamKernel(g, "leakyReLUAVX2", actSig, actDoc("leakyReLUAVX2", "src[i] < 0 ? a·src[i] : src[i]"), []string{"src"}, 4,
		func() { zeroSetup(); p1 = bcast(g, "a") },
		func(in []VecVirtual) VecVirtual {
			m, ax := g.YMM(), g.YMM()
			g.VCMPPS(U8(1), zero, in[0], m) // LT_OS: x < 0
			g.VMULPS(in[0], p1, ax)
			g.VBLENDVPS(m, ax, in[0], in[0])
			return in[0]
		})
	streamKernel(g, "hardSigmoidAVX2", actSig, actDoc("hardSigmoidAVX2", "minps(1, maxps(0, a·src[i] + b))"), []string{"src"}, 4,
		func() { zeroSetup(); oneSetup(); p1, p2 = bcast(g, "a"), bcast(g, "b") },
		func(in []VecVirtual) VecVirtual {
			g.VMULPS(in[0], p1, in[0])
			g.VADDPS(p2, in[0], in[0])
			g.VMAXPS(in[0], zero, in[0])
			g.VMINPS(in[0], onev, in[0])
			return in[0]
		})
	streamKernel(g, "hardSwishAVX2", actSig, actDoc("hardSwishAVX2", "x·minps(1, maxps(0, x·(1/6) + 1/2)), x = src[i]"), []string{"src"}, 4,
		func() { zeroSetup(); oneSetup() },
		func(in []VecVirtual) VecVirtual {
			v := g.YMM()
			g.VMULPS(fconst(g, "sixth", 1.0/6), in[0], v)
			g.VADDPS(fconst(g, "half", 0.5), v, v)
			g.VMAXPS(v, zero, v)
			g.VMINPS(v, onev, v)
			g.VMULPS(v, in[0], in[0])
			return in[0]
		})
	// sigmoid computes 1 / (1 + e^−x) of each x, step by step across them
	// (times x for SiLU).
	sigmoid := func(w lanes, xs []VecVirtual, silu bool) []VecVirtual {
		es, rs := make([]VecVirtual, len(xs)), make([]VecVirtual, len(xs))
		for i, x := range xs {
			es[i] = w.reg(g)
			g.VXORPS(w.e(g, "signbit"), x, es[i]) // −x
		}
		expPoly(g, w, es)
		for i, e := range es {
			g.VADDPS(w.e(g, "one"), e, e)
			rs[i] = w.reg(g)
			g.VMOVUPS(w.e(g, "one"), rs[i])
		}
		for i, e := range es {
			g.VDIVPS(e, rs[i], rs[i])
		}
		if silu {
			for i, r := range rs {
				g.VMULPS(r, xs[i], r)
			}
		}
		return rs
	}
	sigmoidKernel := func(w lanes, name, what string, silu bool) {
		name += w.suffix()
		one := func(in []VecVirtual) VecVirtual { return sigmoid(w, in, silu)[0] }
		group := func(ins [][]VecVirtual) []VecVirtual {
			xs := make([]VecVirtual, len(ins))
			for i, in := range ins {
				xs[i] = in[0]
			}
			return sigmoid(w, xs, silu)
		}
		unroll, setup, done := sigmoidGroup, func() {}, func() {}
		if w == 16 {
			unroll = sigmoidGroup16
			setup = func() { done = w.hoist(g, expConst) }
		}
		streamKernelGroup(g, w, name, actSig, actDoc(name, what), []string{"src"}, unroll, setup, one, group)
		done()
	}
	for _, w := range []lanes{8, 16} {
		sigmoidKernel(w, "sigmoid", "1 / (1 + expPoly(−src[i]))", false)
		sigmoidKernel(w, "silu", "x · (1 / (1 + expPoly(−x))), x = src[i]", true)
	}
	wideTable(g)

	var s, t, lo, hi VecVirtual
	streamKernel(g, "scaleShiftAVX2", scaleSig,
		[]string{"scaleShiftAVX2 sets dst[i] = minps(hi, maxps(lo, src[i]·s + t)) for i < n (multiply and add",
			"rounded separately); dst may equal src. Requires n ≥ 0."},
		[]string{"src"}, 4,
		func() { s, t, lo, hi = bcast(g, "s"), bcast(g, "t"), bcast(g, "lo"), bcast(g, "hi") },
		func(in []VecVirtual) VecVirtual {
			g.VMULPS(s, in[0], in[0])
			g.VADDPS(t, in[0], in[0])
			g.VMAXPS(in[0], lo, in[0])
			g.VMINPS(in[0], hi, in[0])
			return in[0]
		})
	streamKernel(g, "addAVX2", addSig,
		[]string{"addAVX2 sets dst[i] = x[i] + y[i] for i < n; dst may equal x or y. Requires n ≥ 0."},
		[]string{"x", "y"}, 4, func() {},
		func(in []VecVirtual) VecVirtual {
			g.VADDPS(in[1], in[0], in[0])
			return in[0]
		})
	copyRows(g)
	copyRowsS2(g)
	permuteRows(g)
	sum(g)
}

// permuteRows emits permuteRowsAVX512 (PermuteRowsFunc): per row the
// window's first 16 floats loaded; VPERMT2PS, with the next 16 as its
// memory operand, fills the lanes that take one of the first 32 (zeroing
// the others), VPERMPS over the last 16 merges in the rest; one store.
// The lanes' masks are set once from idx.
func permuteRows(g *build.Context) {
	name := "permuteRowsAVX512"
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(rows int, dst *float32, ldd int, src *float32, bases *int, idx *int32, mask int)")
	g.Pragma("noescape")
	g.Doc(name+" sets dst[r·ldd+l] = mask bit l ? src[bases[r]+idx[l]] : 0 for r < rows,",
		"l < 16 (see PermuteRowsFunc in vec_generic.go). Requires rows ≥ 0.")
	prm := gpParams(g, "rows", "dst", "ldd", "src", "bases", "idx", "mask")
	rows, dst, ldd, src, bases, idx, mask := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6]
	g.SHLQ(U8(2), ldd)
	ix, w := g.ZMM(), g.ZMM()
	k, lo, hi := g.K(), g.K(), g.K()
	g.VMOVDQU32(Mem{Base: idx}, ix)
	g.KMOVW(mask.(GPVirtual).As32(), k)
	t32, n32 := g.GP32(), g.ZMM()
	g.MOVL(U32(32), t32)
	g.VPBROADCASTD(t32, n32)
	g.VPCMPUD(U8(1), n32, ix, k, lo) // mask lanes with idx < 32
	g.KANDNW(k, lo, hi)              // and the others
	b := g.GP64()
	g.TESTQ(rows, rows)
	g.JLE(LabelRef(name + "_done"))
	g.Label(name + "_row")
	g.MOVQ(Mem{Base: bases}, b)
	g.VMOVUPS(Mem{Base: src, Index: b, Scale: 4}, w)
	g.VPERMT2PS_Z(Mem{Base: src, Index: b, Scale: 4, Disp: 64}, ix, lo, w)
	g.VPERMPS(Mem{Base: src, Index: b, Scale: 4, Disp: 128}, ix, hi, w)
	g.VMOVUPS(w, Mem{Base: dst})
	g.ADDQ(U8(8), bases)
	g.ADDQ(ldd, dst)
	g.DECQ(rows)
	g.JNZ(LabelRef(name + "_row"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// sum emits sumAVX2: Σ x[i] in 32 float32 lanes (four 8-lane accumulators
// over blocks of 32, then blocks of 8 into the first), the lanes added
// pairwise at the end, then the last n mod 8 one by one (the order of
// sumGeneric).
func sum(g *build.Context) {
	name := "sumAVX2"
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(n int, x *float32) float32")
	g.Pragma("noescape")
	g.Doc(name + " returns the sum of x[i] for i < n in the order of sumGeneric. Requires n ≥ 0.")
	n := g.Load(g.Param("n"), g.GP64())
	x := g.Load(g.Param("x"), g.GP64())
	acc := [4]VecVirtual{g.YMM(), g.YMM(), g.YMM(), g.YMM()}
	for _, a := range acc {
		g.VXORPS(a, a, a)
	}
	g.Label(name + "_b32")
	g.CMPQ(n, U8(32))
	g.JL(LabelRef(name + "_b8"))
	for k, a := range acc {
		g.VADDPS(Mem{Base: x, Disp: 32 * k}, a, a)
	}
	g.ADDQ(U32(128), x)
	g.SUBQ(U8(32), n)
	g.JMP(LabelRef(name + "_b32"))
	g.Label(name + "_b8")
	g.CMPQ(n, U8(8))
	g.JL(LabelRef(name + "_reduce"))
	g.VADDPS(Mem{Base: x}, acc[0], acc[0])
	g.ADDQ(U8(32), x)
	g.SUBQ(U8(8), n)
	g.JMP(LabelRef(name + "_b8"))
	g.Label(name + "_reduce")
	// (a0 + a1) + (a2 + a3), then halves: 8 → 4 → 2 → 1 lanes.
	g.VADDPS(acc[1], acc[0], acc[0])
	g.VADDPS(acc[3], acc[2], acc[2])
	g.VADDPS(acc[2], acc[0], acc[0])
	t := g.XMM()
	g.VEXTRACTF128(U8(1), acc[0], t)
	g.VADDPS(t, acc[0].AsX(), acc[0].AsX())
	g.VMOVHLPS(acc[0].AsX(), acc[0].AsX(), t)
	g.VADDPS(t, acc[0].AsX(), acc[0].AsX())
	g.VMOVSHDUP(acc[0].AsX(), t)
	g.VADDSS(t, acc[0].AsX(), acc[0].AsX())
	g.Label(name + "_tail")
	g.TESTQ(n, n)
	g.JZ(LabelRef(name + "_done"))
	g.VADDSS(Mem{Base: x}, acc[0].AsX(), acc[0].AsX())
	g.ADDQ(U8(4), x)
	g.DECQ(n)
	g.JMP(LabelRef(name + "_tail"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.Store(acc[0].AsX(), g.ReturnIndex(0))
	g.RET()
}

// rowsFrame emits the frame copyRowsAVX2 and copyRowsS2AVX2 share: the
// arguments of func(rows, n int, dst *float32, ldd int, src *float32, lds
// int) with ldd and lds in bytes, the dispatch on n to the caller's
// sections name_wide (n ≥ 8) and name_half (4 ≤ n < 8), and n < 4 one
// float at a time from src[step·i] (i: a scratch register the sections
// may reuse). nextRow steps to the next row and loops to a label while
// rows remain; rowsDone ends the function.
func rowsFrame(g *build.Context, name string, step uint8, doc ...string) (n, dst, src, i Register, nextRow func(label string)) {
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(rows, n int, dst *float32, ldd int, src *float32, lds int)")
	g.Pragma("noescape")
	g.Doc(doc...)
	prm := gpParams(g, "rows", "n", "dst", "ldd", "src", "lds")
	rows, ldd, lds := prm[0], prm[3], prm[5]
	n, dst, src = prm[1], prm[2], prm[4]
	g.SHLQ(U8(2), ldd)
	g.SHLQ(U8(2), lds)
	nextRow = func(label string) {
		g.ADDQ(ldd, dst)
		g.ADDQ(lds, src)
		g.DECQ(rows)
		g.JNZ(LabelRef(name + label))
	}
	g.TESTQ(rows, rows)
	g.JLE(LabelRef(name + "_done"))
	g.TESTQ(n, n)
	g.JLE(LabelRef(name + "_done"))
	g.CMPQ(n, U8(8))
	g.JGE(LabelRef(name + "_wide"))
	g.CMPQ(n, U8(4))
	g.JGE(LabelRef(name + "_half"))

	i = g.GP64()
	x := g.XMM()
	g.Label(name + "_small")
	g.XORQ(i, i)
	g.Label(name + "_smallloop")
	g.VMOVSS(Mem{Base: src, Index: i, Scale: 4 * step}, x)
	g.VMOVSS(x, Mem{Base: dst, Index: i, Scale: 4})
	g.INCQ(i)
	g.CMPQ(i, n)
	g.JL(LabelRef(name + "_smallloop"))
	nextRow("_small")
	g.JMP(LabelRef(name + "_done"))
	return n, dst, src, i, nextRow
}

// rowsDone emits the end of a rowsFrame function.
func rowsDone(g *build.Context, name string) {
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// copyRows emits copyRowsAVX2: rows rows of n floats, ldd and lds apart.
// It replaces a memmove call per row, which cost more than the copy for
// the short rows of padded planes (7…56 floats). A row of n ≥ 8 is
// 32-float and 8-float blocks plus the block ending at n (rewriting the
// overlap with the same values: dst and src do not overlap); 4 ≤ n < 8
// is the two 4-float halves that cover it; n < 4 one float at a time.
func copyRows(g *build.Context) {
	name := "copyRowsAVX2"
	n, dst, src, i, nextRow := rowsFrame(g, name, 1,
		name+" copies rows rows of n floats from src (rows lds floats apart) to dst (ldd",
		"apart). The rows must not overlap. Requires rows, n ≥ 0.")

	// 4 ≤ n < 8: the first and the last four.
	g.Label(name + "_half")
	a, b := g.XMM(), g.XMM()
	g.VMOVUPS(Mem{Base: src}, a)
	g.VMOVUPS(Mem{Base: src, Index: n, Scale: 4, Disp: -16}, b)
	g.VMOVUPS(a, Mem{Base: dst})
	g.VMOVUPS(b, Mem{Base: dst, Index: n, Scale: 4, Disp: -16})
	nextRow("_half")
	g.JMP(LabelRef(name + "_done"))

	// n ≥ 8: blocks of 32 and 8 floats, then the 8 ending at n.
	g.Label(name + "_wide")
	end, t := g.GP64(), g.GP64()
	g.MOVQ(n, end)
	g.SHLQ(U8(2), end) // bytes per row
	v := [4]VecVirtual{g.YMM(), g.YMM(), g.YMM(), g.YMM()}
	g.Label(name + "_row")
	g.XORQ(i, i)
	g.Label(name + "_b32")
	g.LEAQ(Mem{Base: i, Disp: 128}, t)
	g.CMPQ(t, end)
	g.JG(LabelRef(name + "_b8"))
	for k := range v {
		g.VMOVUPS(Mem{Base: src, Index: i, Scale: 1, Disp: 32 * k}, v[k])
	}
	for k := range v {
		g.VMOVUPS(v[k], Mem{Base: dst, Index: i, Scale: 1, Disp: 32 * k})
	}
	g.MOVQ(t, i)
	g.JMP(LabelRef(name + "_b32"))
	g.Label(name + "_b8")
	g.LEAQ(Mem{Base: i, Disp: 32}, t)
	g.CMPQ(t, end)
	g.JG(LabelRef(name + "_last"))
	g.VMOVUPS(Mem{Base: src, Index: i, Scale: 1}, v[0])
	g.VMOVUPS(v[0], Mem{Base: dst, Index: i, Scale: 1})
	g.MOVQ(t, i)
	g.JMP(LabelRef(name + "_b8"))
	g.Label(name + "_last")
	g.VMOVUPS(Mem{Base: src, Index: end, Scale: 1, Disp: -32}, v[0])
	g.VMOVUPS(v[0], Mem{Base: dst, Index: end, Scale: 1, Disp: -32})
	nextRow("_row")
	rowsDone(g, name)
}

// copyRowsS2 emits copyRowsS2AVX2 (CopyRowsS2Func): the even floats of
// rows, for stride-2 im2col straight from the image. Each block of k
// outputs ending at m reads the 2k−1 floats src[2m−2k … 2m−2] as two
// overlapping loads, a = src[2m−2k …] and b = src[2m−k−1 …], whose wanted
// lanes are a's even and b's odd ones: VSHUFPS 0xD8 picks them per
// 128-bit lane (a0 a2 b1 b3), VPERMPD 0xD8 puts the halves in order. So
// nothing past a row's last even float is read. Rows of n ≥ 8 are blocks
// of 8 ending at 8, 16, … and at n (rewriting the overlap with the same
// values); 4 ≤ n < 8 the blocks of 4 ending at 4 and at n; n < 4 one
// float at a time.
func copyRowsS2(g *build.Context) {
	name := "copyRowsS2AVX2"
	n, dst, src, i, nextRow := rowsFrame(g, name, 2,
		name+" sets dst[r·ldd+i] = src[r·lds+2i] for r < rows, i < n (see CopyRowsS2Func",
		"in vec_generic.go). Requires rows, n ≥ 0.")
	a, b := g.YMM(), g.YMM()
	// block stores the k outputs from output i on (k = 8 or 4).
	block := func(k int, i Register) {
		var va, vb Register = a, b
		if k == 4 {
			va, vb = a.AsX(), b.AsX()
		}
		g.VMOVUPS(Mem{Base: src, Index: i, Scale: 8}, va)
		g.VMOVUPS(Mem{Base: src, Index: i, Scale: 8, Disp: 4 * (k - 1)}, vb)
		g.VSHUFPS(U8(0xD8), vb, va, va)
		if k == 8 {
			g.VPERMPD(U8(0xD8), va, va)
		}
		g.VMOVUPS(va, Mem{Base: dst, Index: i, Scale: 4})
	}
	last := g.GP64()

	// 4 ≤ n < 8: the blocks of 4 ending at 4 and at n.
	g.Label(name + "_half")
	g.LEAQ(Mem{Base: n, Disp: -4}, last)
	g.XORQ(i, i)
	g.Label(name + "_halfrow")
	block(4, i)
	block(4, last)
	nextRow("_halfrow")
	g.JMP(LabelRef(name + "_done"))

	// n ≥ 8: blocks of 8 while more than 8 outputs remain, then the block
	// ending at n.
	g.Label(name + "_wide")
	g.LEAQ(Mem{Base: n, Disp: -8}, last)
	g.Label(name + "_row")
	g.XORQ(i, i)
	g.Label(name + "_b8")
	g.CMPQ(i, last)
	g.JGE(LabelRef(name + "_end"))
	block(8, i)
	g.ADDQ(U8(8), i)
	g.JMP(LabelRef(name + "_b8"))
	g.Label(name + "_end")
	block(8, last)
	nextRow("_row")
	rowsDone(g, name)
}

// sigmoidGroup is how many vectors the sigmoid and SiLU loops compute
// step by step together. Two vectors one after the other ran at ~20
// cycles per vector on Zen 3 (unrolling 4 that way changed nothing, and
// VDIVPS alone is 3.5 cycles): the scheduler held one vector's waiting
// chain. Three interleaved: SiLU over 65536 floats 53 → 43.5 µs
// (BenchmarkRowKernels). Four need more than 16 registers.
const sigmoidGroup = 3

// sigmoidGroup16 is sigmoidGroup for the 32 zmm registers, fifteen of
// which hold the hoisted constants (see hoist): five or six vectors do not
// fit beside them. Hoisting them took SiLU over 65536 floats from 14.1 to
// 9.3 µs (BenchmarkRowKernels; the kernel had loaded fifteen 64-byte
// constants per vector, two loads a cycle).
const sigmoidGroup16 = 4

// expPoly replaces each z by e^z, the algorithm of expPoly in
// asm/vec_generic.go (same constants; the polynomial and the reduction use
// FMA), emitting each step for all zs before the next.
func expPoly(g *build.Context, w lanes, zs []VecVirtual) {
	each := func(f func(i int, z VecVirtual)) {
		for i, z := range zs {
			f(i, z)
		}
	}
	n := len(zs)
	each(func(_ int, z VecVirtual) {
		lo := w.constReg(g, "explo", expConst["explo"])
		g.VMAXPS(z, lo, z) // maxps(lo, z): NaN stays
	})
	each(func(_ int, z VecVirtual) {
		hi := w.constReg(g, "exphi", expConst["exphi"])
		g.VMINPS(z, hi, z) // minps(hi, z)
	})
	magic := w.e(g, "expmagic")
	t, k, p := make([]VecVirtual, n), make([]VecVirtual, n), make([]VecVirtual, n)
	each(func(i int, z VecVirtual) {
		t[i] = w.reg(g)
		g.VMOVUPS(magic, t[i])
		g.VFMADD231PS(w.e(g, "log2e"), z, t[i]) // t = z·log2e + magic
	})
	// bits(t) − (bits(magic) − 127) is k + 127, the biased exponent of 2^k.
	magicK := w.e(g, "expmagick")
	each(func(i int, _ VecVirtual) {
		k[i] = w.reg(g)
		g.VPSUBD(magicK, t[i], k[i]) // k + 127
		g.VSUBPS(magic, t[i], t[i])  // k as a float
	})
	each(func(i int, z VecVirtual) {
		g.VFNMADD231PS(w.e(g, "ln2hi"), t[i], z) // r = z − k·ln2hi
	})
	each(func(i int, z VecVirtual) {
		g.VFNMADD231PS(w.e(g, "ln2lo"), t[i], z)
	})
	each(func(i int, _ VecVirtual) {
		p[i] = w.reg(g)
		g.VMOVUPS(w.e(g, "c5"), p[i])
	})
	for j := 4; j >= 0; j-- {
		c := fmt.Sprintf("c%d", j)
		each(func(i int, z VecVirtual) {
			g.VFMADD213PS(w.e(g, c), z, p[i]) // p = p·r + c
		})
	}
	each(func(i int, z VecVirtual) {
		g.VPSLLD(U8(23), k[i], k[i]) // 2^k
		g.VMULPS(k[i], p[i], z)
	})
}

// expConst holds the constants of sigmoid (and SiLU) and expPoly by the
// names of their slots, one table for the memory operands and for hoist
// (c0…c5: the polynomial's coefficients, c0 = 1; expmagick: bits(expmagic)
// − 127, for k + 127 from the rounded t).
var expConst = map[string]float32{
	"signbit": float32(math.Copysign(0, -1)), "one": 1, "explo": -87.33654, "exphi": 88,
	"expmagic": 12582912, "log2e": 1.44269504088896341,
	"expmagick": math.Float32frombits(math.Float32bits(12582912) - 127),
	"ln2hi":     0.693359375, "ln2lo": -2.12194440e-4,
	"c5": expC5, "c4": expC4, "c3": expC3, "c2": expC2, "c1": expC1, "c0": 1,
}

// The polynomial of expPoly (asm/vec_generic.go).
const (
	expC1 = 0.9999995
	expC2 = 0.49999154
	expC3 = 0.1666812
	expC4 = 0.041898753
	expC5 = 0.008261548
)
