package main

import (
	"fmt"
	"math"
)

func init() { families["vec"] = vec }

// Element-wise kernels of RowKernels (asm/vec_generic.go has the twins).
// maxps/minps, the x86 rules the twins specify, are a compare and a bit
// select here (FMAX/FMIN differ on −0 and NaN):
//
//	maxps(a, x) = a > x ? a : x   →  FCMGT t = a > x; VBIT t, a, x
//	minps(b, x) = b < x ? b : x   →  FCMGT t = x > b; VBIT t, b, x
//
// so a NaN x stays x and −0 stays −0. Multiplies and adds are separate
// instructions (the twins round both).

const (
	actSig        = "n int, dst *float32, src *float32, a float32, b float32"
	scaleShiftSig = "n int, dst *float32, src *float32, s float32, t float32, lo float32, hi float32"
	addSig        = "n int, dst *float32, x *float32, y *float32"
)

// Registers of the vec kernels: data V0…V3, temporaries V4…V11 (two per
// data register), constants from V16.
const (
	vData, vTmp, vTmp2, vConst = 0, 4, 8, 16
	vZero                      = 31
)

func vec(e *emitter) {
	one := func(c int) { bcastImm(e, c, 1) }
	unaryKernel(e, "reluNEON", "ReLU: dst[i] = maxps(0, src[i])", nil,
		func(x, t, _ int) { maxps(e, x, vZero, t) })
	unaryKernel(e, "clipNEON", "Clip: dst[i] = minps(b, maxps(a, src[i]))",
		func() { bcastArg(e, vConst, "a"); bcastArg(e, vConst+1, "b") },
		func(x, t, _ int) { maxps(e, x, vConst, t); minps(e, x, vConst+1, t) })
	unaryKernel(e, "leakyReLUNEON", "LeakyReLU: dst[i] = src[i] < 0 ? a·src[i] : src[i]",
		func() { bcastArg(e, vConst, "a") },
		func(x, t, u int) {
			e.inst(fcmgt4s(t, vZero, x))
			e.inst(fmul4s(u, x, vConst))
			e.op("VBIT", b16(t), b16(u), b16(x))
		})
	unaryKernel(e, "hardSigmoidNEON", "HardSigmoid: dst[i] = minps(1, maxps(0, float32(a·x) + b))",
		func() { bcastArg(e, vConst, "a"); bcastArg(e, vConst+1, "b"); one(vConst + 2) },
		func(x, t, _ int) {
			e.inst(fmul4s(x, x, vConst))
			e.inst(fadd4s(x, x, vConst+1))
			maxps(e, x, vZero, t)
			minps(e, x, vConst+2, t)
		})
	unaryKernel(e, "hardSwishNEON", "HardSwish: dst[i] = x·minps(1, maxps(0, float32(x·(1/6)) + 1/2))",
		func() { one(vConst); bcastImm(e, vConst+1, float32(1.0/6)); bcastImm(e, vConst+2, 0.5) },
		func(x, t, u int) {
			e.inst(fmul4s(u, x, vConst+1))
			e.inst(fadd4s(u, u, vConst+2))
			maxps(e, u, vZero, t)
			minps(e, u, vConst, t)
			e.inst(fmul4s(x, x, u))
		})
	scaleShift(e)
	add(e)
}

// maxps sets x = maxps(a, x) = a > x ? a : x; t is clobbered.
func maxps(e *emitter, x, a, t int) {
	e.inst(fcmgt4s(t, a, x))
	e.op("VBIT", b16(t), b16(a), b16(x))
}

// minps sets x = minps(b, x) = b < x ? b : x; t is clobbered.
func minps(e *emitter, x, b, t int) {
	e.inst(fcmgt4s(t, x, b))
	e.op("VBIT", b16(t), b16(b), b16(x))
}

// bcastArg broadcasts the float32 argument name to all lanes of V(reg).
func bcastArg(e *emitter, reg int, name string) {
	e.op("FMOVS", e.arg(name), f(reg))
	e.op("VDUP", lane(reg, 0), s4(reg))
}

// bcastImm broadcasts the constant c to all lanes of V(reg) (clobbers R3).
func bcastImm(e *emitter, reg int, c float32) {
	e.op("MOVW", fmt.Sprintf("$0x%08x", math.Float32bits(c)), r(3))
	e.op("VDUP", r(3), s4(reg))
}

// elementLoop emits the loop over n elements shared by the vec kernels:
// 16 per iteration, then 4, then 1 (FMOVS loads clear the other lanes, so
// the same vector code serves the scalar tail). load and store move nv
// vectors (or a scalar, nv = 0) at the pointers; body transforms them.
func elementLoop(e *emitter, name string, load, store func(nv int), body func(nv int)) {
	l := func(s string) string { return name + "_" + s }
	const n = 0
	e.op("CMP", imm(16), r(n))
	e.op("BLT", l("by4"))
	e.label(l("loop16"))
	load(4)
	body(4)
	store(4)
	e.op("SUB", imm(16), r(n), r(n))
	e.op("CMP", imm(16), r(n))
	e.op("BGE", l("loop16"))
	e.label(l("by4"))
	e.op("CMP", imm(4), r(n))
	e.op("BLT", l("by1"))
	e.label(l("loop4"))
	load(1)
	body(1)
	store(1)
	e.op("SUB", imm(4), r(n), r(n))
	e.op("CMP", imm(4), r(n))
	e.op("BGE", l("loop4"))
	e.label(l("by1"))
	e.op("CMP", imm(0), r(n))
	e.op("BLE", l("done"))
	e.label(l("loop1"))
	load(0)
	body(1)
	store(0)
	e.op("SUBS", imm(1), r(n), r(n))
	e.op("BNE", l("loop1"))
	e.label(l("done"))
	e.op("RET")
}

// move loads (store false) or stores nv vectors V0… at ptr, post-incremented.
func move(e *emitter, store bool, ptr, first, nv int) {
	if nv == 0 {
		if store {
			e.op("FMOVS.P", f(first), mem(4, ptr))
		} else {
			e.op("FMOVS.P", mem(4, ptr), f(first))
		}
		return
	}
	if store {
		e.op("VST1.P", list(first, nv), mem(16*nv, ptr))
	} else {
		e.op("VLD1.P", mem(16*nv, ptr), list(first, nv))
	}
}

// unaryKernel emits an ActFunc: setup loads constants (V31 is zero), op
// transforms V(x) in place with temporaries V(t) and V(u).
func unaryKernel(e *emitter, name, what string, setup func(), op func(x, t, u int)) {
	e.function(name, actSig, true, requires, fmt.Sprintf("%s is %s for i < n (see the generic twin).", name, what),
		"dst and src are the same pointer or do not overlap.")
	const n, dst, src = 0, 1, 2
	e.op("MOVD", e.arg("n"), r(n))
	e.op("MOVD", e.arg("dst"), r(dst))
	e.op("MOVD", e.arg("src"), r(src))
	e.op("VEOR", b16(vZero), b16(vZero), b16(vZero))
	if setup != nil {
		setup()
	}
	elementLoop(e, name,
		func(nv int) { move(e, false, src, vData, nv) },
		func(nv int) { move(e, true, dst, vData, nv) },
		func(nv int) {
			for i := 0; i < nv; i++ {
				op(vData+i, vTmp+i, vTmp2+i)
			}
		})
}

func scaleShift(e *emitter) {
	const name = "scaleShiftNEON"
	e.function(name, scaleShiftSig, true, requires,
		name+" is ScaleShift: dst[i] = minps(hi, maxps(lo, float32(src[i]·s) + t)) for i < n.",
		"dst and src are the same pointer or do not overlap.")
	const n, dst, src = 0, 1, 2
	e.op("MOVD", e.arg("n"), r(n))
	e.op("MOVD", e.arg("dst"), r(dst))
	e.op("MOVD", e.arg("src"), r(src))
	cs, ct, clo, chi := vConst, vConst+1, vConst+2, vConst+3
	bcastArg(e, cs, "s")
	bcastArg(e, ct, "t")
	bcastArg(e, clo, "lo")
	bcastArg(e, chi, "hi")
	elementLoop(e, name,
		func(nv int) { move(e, false, src, vData, nv) },
		func(nv int) { move(e, true, dst, vData, nv) },
		func(nv int) {
			for i := 0; i < nv; i++ {
				x, t := vData+i, vTmp+i
				e.inst(fmul4s(x, x, cs))
				e.inst(fadd4s(x, x, ct))
				maxps(e, x, clo, t)
				minps(e, x, chi, t)
			}
		})
}

func add(e *emitter) {
	const name = "addNEON"
	e.function(name, addSig, true, requires,
		name+" is Add: dst[i] = x[i] + y[i] for i < n.",
		"dst may be x or y; otherwise nothing overlaps.")
	const n, dst, x, y = 0, 1, 2, 3
	e.op("MOVD", e.arg("n"), r(n))
	e.op("MOVD", e.arg("dst"), r(dst))
	e.op("MOVD", e.arg("x"), r(x))
	e.op("MOVD", e.arg("y"), r(y))
	elementLoop(e, name,
		func(nv int) { move(e, false, x, vData, nv); move(e, false, y, vTmp, nv) },
		func(nv int) { move(e, true, dst, vData, nv) },
		func(nv int) {
			for i := 0; i < nv; i++ {
				e.inst(fadd4s(vData+i, vData+i, vTmp+i))
			}
		})
}
