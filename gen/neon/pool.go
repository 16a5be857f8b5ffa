package main

import (
	"fmt"
	"math"
)

func init() { families["pool"] = pool }

// Pooling rows of RowKernels (asm/pool_generic.go has the twins), four
// outputs per iteration over whole blocks of four; asm/rows_arm64.go
// handles the tail. VLD2 splits a row into its even and odd columns; the
// 3×3 window's third column (even columns shifted by one) is the even
// column vector with the next even column appended by VEXT, computed once
// per block on scalars (FMOVS clears the other lanes) so every lane goes
// through the same operations as in the twin. maxps is FCMGT + VBIT as in
// vec.go; maxps(x, −Inf) is FCMGT + VBIF (x > −Inf ? x : −Inf).

const (
	poolSig = "n int, out *float32, r *float32, ldr int"
	foldSig = "n int, dst *float32, src *float32"
)

// Registers of the pool kernels.
const (
	pN, pOut, pR0, pR1, pR2, pLdr, pTmp = 0, 1, 2, 3, 4, 5, 6
	vNegInf, vScale                     = 30, 29
)

// bcastConst broadcasts c to all lanes of V(reg) through R(pTmp).
func bcastConst(e *emitter, reg int, c float32) {
	e.op("MOVW", fmt.Sprintf("$0x%08x", math.Float32bits(c)), r(pTmp))
	e.op("VDUP", r(pTmp), s4(reg))
}

// skipFirst sets x = maxps(x, −Inf); t is clobbered.
func skipFirst(e *emitter, x, t int) {
	e.inst(fcmgt4s(t, x, vNegInf))
	e.op("VBIF", b16(t), b16(vNegInf), b16(x))
}

// poolKernel emits a PoolRowFunc over whole blocks of four outputs. rows
// is the window height; body computes the block from the loaded registers
// and returns the register holding the result.
func poolKernel(e *emitter, name, what string, rows int, setup func(), body func() int) {
	e.function(name, poolSig, true, requires,
		fmt.Sprintf("%s is %s for the first 4·⌊n/4⌋ outputs (see the generic twin; ldr in elements).", name, what))
	l := func(s string) string { return name + "_" + s }
	e.op("MOVD", e.arg("n"), r(pN))
	e.op("MOVD", e.arg("out"), r(pOut))
	e.op("MOVD", e.arg("r"), r(pR0))
	e.op("MOVD", e.arg("ldr"), r(pLdr))
	e.op("LSL", imm(2), r(pLdr), r(pLdr))
	e.op("ADD", r(pLdr), r(pR0), r(pR1))
	if rows > 2 {
		e.op("ADD", r(pLdr), r(pR1), r(pR2))
	}
	if setup != nil {
		setup()
	}
	e.op("CMP", imm(4), r(pN))
	e.op("BLT", l("done"))
	e.label(l("loop"))
	res := body()
	e.op("VST1.P", list(res, 1), mem(16, pOut))
	e.op("SUB", imm(4), r(pN), r(pN))
	e.op("CMP", imm(4), r(pN))
	e.op("BGE", l("loop"))
	e.label(l("done"))
	e.op("RET")
}

// Vector registers of the pool bodies: row k's even columns in V(2+2k),
// odd in V(3+2k); the extra column scalars of row k in V(8+k).
func evenReg(k int) int  { return 2 + 2*k }
func oddReg(k int) int   { return 3 + 2*k }
func extraReg(k int) int { return 8 + k }

var poolRowReg = [3]int{pR0, pR1, pR2}

// loadRows loads the even and odd columns of rows rows (and, if extra,
// the scalar column after them).
func loadRows(e *emitter, rows int, extra bool) {
	for k := 0; k < rows; k++ {
		if extra {
			e.op("FMOVS", mem(32, poolRowReg[k]), f(extraReg(k)))
		}
		e.op("VLD2.P", mem(32, poolRowReg[k]), list(evenReg(k), 2))
	}
}

// maxCol sets V(x) = the NaN-skipping maximum of V(x), V(b)[, V(c)] in
// that order; t is clobbered.
func maxCol(e *emitter, x, t int, rest ...int) {
	skipFirst(e, x, t)
	for _, y := range rest {
		maxps(e, x, y, t)
	}
}

// third sets V(dst) = {V(even)[1], V(even)[2], V(even)[3], V(extra)[0]}.
func third(e *emitter, dst, even, extra int) {
	e.op("VEXT", imm(4), b16(extra), b16(even), b16(dst))
}

func pool(e *emitter) {
	const t = 16
	negInf := func() { bcastConst(e, vNegInf, float32(math.Inf(-1))) }
	poolKernel(e, "maxPool2x2s2BlocksNEON", "a row of MaxPool2x2s2", 2, negInf, func() int {
		loadRows(e, 2, false)
		maxCol(e, evenReg(0), t, evenReg(1))
		maxCol(e, oddReg(0), t, oddReg(1))
		// out = maxps(d, e): e in V2, d in V3.
		maxps(e, evenReg(0), oddReg(0), t)
		return evenReg(0)
	})
	poolKernel(e, "maxPool3x3s2BlocksNEON", "a row of MaxPool3x3s2", 3, negInf, func() int {
		loadRows(e, 3, true)
		maxCol(e, evenReg(0), t, evenReg(1), evenReg(2))
		maxCol(e, oddReg(0), t, oddReg(1), oddReg(2))
		maxCol(e, extraReg(0), t, extraReg(1), extraReg(2))
		third(e, 0, evenReg(0), extraReg(0))
		// out = maxps(f, maxps(d, e)): e in V2, d in V3, f in V0.
		maxps(e, evenReg(0), oddReg(0), t)
		maxps(e, evenReg(0), 0, t)
		return evenReg(0)
	})
	poolKernel(e, "maxPool3x3s1BlocksNEON", "MaxPool3x3s1", 3, negInf, func() int {
		// Columns 0…3 of each row by VLD1, 4…5 by FMOVD (clearing lanes
		// 2…3), so a block reads no column past the last it needs.
		for k := 0; k < 3; k++ {
			e.op("VLD1.P", mem(16, poolRowReg[k]), list(evenReg(k), 1))
			e.op("FMOVD", mem(0, poolRowReg[k]), f(extraReg(k)))
		}
		maxCol(e, evenReg(0), t, evenReg(1), evenReg(2))                // v0…v3
		maxCol(e, extraReg(0), t, extraReg(1), extraReg(2))             // v4, v5
		third(e, 0, evenReg(0), extraReg(0))                            // v1…v4
		e.op("VEXT", imm(8), b16(extraReg(0)), b16(evenReg(0)), b16(1)) // v2…v5
		// out = maxps(v[i+2], maxps(v[i+1], v[i])).
		maxps(e, evenReg(0), 0, t)
		maxps(e, evenReg(0), 1, t)
		return evenReg(0)
	})
	poolKernel(e, "avgPool2x2s2BlocksNEON", "a row of AvgPool2x2s2", 2,
		func() { bcastConst(e, vScale, 0.25) }, func() int {
			loadRows(e, 2, false)
			e.inst(fadd4s(evenReg(0), evenReg(0), evenReg(1)))
			e.inst(fadd4s(oddReg(0), oddReg(0), oddReg(1)))
			e.inst(fadd4s(0, evenReg(0), oddReg(0)))
			e.inst(fmul4s(0, 0, vScale))
			return 0
		})
	poolKernel(e, "avgPool3x3s2BlocksNEON", "a row of AvgPool3x3s2", 3,
		func() { bcastConst(e, vScale, float32(1.0/9)) }, func() int {
			loadRows(e, 3, true)
			for _, c := range [][3]int{
				{evenReg(0), evenReg(1), evenReg(2)},
				{oddReg(0), oddReg(1), oddReg(2)},
				{extraReg(0), extraReg(1), extraReg(2)},
			} {
				e.inst(fadd4s(c[0], c[0], c[1]))
				e.inst(fadd4s(c[0], c[0], c[2]))
			}
			third(e, 1, evenReg(0), extraReg(0))
			e.inst(fadd4s(0, evenReg(0), oddReg(0)))
			e.inst(fadd4s(0, 0, 1))
			e.inst(fmul4s(0, 0, vScale))
			return 0
		})
	foldKernel(e, "maxFold1BlocksNEON", 1)
	foldKernel(e, "maxFold2BlocksNEON", 2)
}

// foldKernel emits MaxFold for stride s (1 or 2) over whole blocks of four.
// With s = 2 a block reads src[0 … 7], one past the last element the
// block needs; the wrapper keeps the last block off the end of src.
func foldKernel(e *emitter, name string, s int) {
	e.function(name, foldSig, true, requires,
		fmt.Sprintf("%s is MaxFold with s = %d for the first 4·⌊n/4⌋ elements (see the generic twin).", name, s))
	l := func(x string) string { return name + "_" + x }
	const n, dst, src = 0, 1, 2
	e.op("MOVD", e.arg("n"), r(n))
	e.op("MOVD", e.arg("dst"), r(dst))
	e.op("MOVD", e.arg("src"), r(src))
	e.op("CMP", imm(4), r(n))
	e.op("BLT", l("done"))
	e.label(l("loop"))
	if s == 1 {
		e.op("VLD1.P", mem(16, src), list(0, 1))
	} else {
		e.op("VLD2.P", mem(32, src), list(0, 2))
	}
	e.op("VLD1", mem(0, dst), list(2, 1))
	// dst = maxps(x, dst)
	maxps(e, 2, 0, 3)
	e.op("VST1.P", list(2, 1), mem(16, dst))
	e.op("SUB", imm(4), r(n), r(n))
	e.op("CMP", imm(4), r(n))
	e.op("BGE", l("loop"))
	e.label(l("done"))
	e.op("RET")
}
