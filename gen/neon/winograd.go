package main

import (
	"fmt"
	"math"
)

func init() { families["winograd"] = winograd }

// Winograd F(4×4, 3×3) transform passes of RowKernels
// (asm/winograd_generic.go has the twins), four columns or tiles per
// iteration over whole blocks of four; asm/rows_arm64.go handles the tail.
// winoB and winoA below follow the twins' operation order exactly; the
// products by 2, 4, 5 and 8 are FMUL by element of a constant vector
// {2, 4, 5, 8}, each rounded separately, so results are bitwise those of
// the twins.
//
// InRow reads tiles with VLD4, which splits t[4j … 4j+15] into the vectors
// d0…d3 (lane k = tile j+k); d4 and d5 are d0 and d1 shifted by one lane
// with t[4j+16] and t[4j+17] appended (VEXT). OutRow interleaves its four
// sums with VST4.

const (
	inColsSig  = "n int, t *float32, ldt int, r *float32, ldr int"
	inRowSig   = "n int, t *float32, o *float32, ldo int"
	outColsSig = "n int, s *float32, lds int, m *float32, ldm int"
	outRowSig  = "n int, dst *float32, q *float32, ldq int, bias float32"
)

// Vector registers: inputs V0…V5, outputs V6…V11, temporaries V12…V15,
// constants V16 = {2, 4, 5, 8}, bias V17.
const (
	wIn, wOut, wTmp, wConst, wBias = 0, 6, 12, 16, 17
	lane2, lane4, lane5, lane8     = 0, 1, 2, 3
	wN, wLd                        = 0, 24 // R24: scratch for strides
)

func winograd(e *emitter) {
	const inP, outP = 1, 7 // row pointers R1…R6 (inputs), R7…R12 (outputs)
	winoKernel(e, "winograd43InColsBlocksNEON", inColsSig, "Winograd43InCols",
		func() { rowPtrs(e, "r", "ldr", inP, 6); rowPtrs(e, "t", "ldt", outP, 6) },
		func() {
			for p := 0; p < 6; p++ {
				e.op("VLD1.P", mem(16, inP+p), list(wIn+p, 1))
			}
			winoB(e)
			for q := 0; q < 6; q++ {
				e.op("VST1.P", list(wOut+q, 1), mem(16, outP+q))
			}
		})
	winoKernel(e, "winograd43InRowBlocksNEON", inRowSig, "Winograd43InRow",
		func() { e.op("MOVD", e.arg("t"), r(inP)); rowPtrs(e, "o", "ldo", outP, 6) },
		func() {
			e.op("FMOVS", mem(64, inP), f(wIn+4))
			e.op("FMOVS", mem(68, inP), f(wIn+5))
			e.op("VLD4.P", mem(64, inP), list(wIn, 4))
			e.op("VEXT", imm(4), b16(wIn+4), b16(wIn), b16(wIn+4))
			e.op("VEXT", imm(4), b16(wIn+5), b16(wIn+1), b16(wIn+5))
			winoB(e)
			for q := 0; q < 6; q++ {
				e.op("VST1.P", list(wOut+q, 1), mem(16, outP+q))
			}
		})
	winoKernel(e, "winograd43OutColsBlocksNEON", outColsSig, "Winograd43OutCols",
		func() { rowPtrs(e, "m", "ldm", inP, 6); rowPtrs(e, "s", "lds", outP, 4) },
		func() {
			for p := 0; p < 6; p++ {
				e.op("VLD1.P", mem(16, inP+p), list(wIn+p, 1))
			}
			winoA(e)
			for q := 0; q < 4; q++ {
				e.op("VST1.P", list(wOut+q, 1), mem(16, outP+q))
			}
		})
	winoKernel(e, "winograd43OutRowBlocksNEON", outRowSig, "Winograd43OutRow",
		func() {
			rowPtrs(e, "q", "ldq", inP, 6)
			e.op("MOVD", e.arg("dst"), r(outP))
			bcastArg(e, wBias, "bias")
		},
		func() {
			for p := 0; p < 6; p++ {
				e.op("VLD1.P", mem(16, inP+p), list(wIn+p, 1))
			}
			winoA(e)
			for q := 0; q < 4; q++ {
				e.inst(fadd4s(wOut+q, wOut+q, wBias))
			}
			e.op("VST4.P", list(wOut, 4), mem(64, outP))
		})
}

// rowPtrs sets R(first+k) = base + k·ld elements for k < cnt.
func rowPtrs(e *emitter, base, ld string, first, cnt int) {
	e.op("MOVD", e.arg(base), r(first))
	e.op("MOVD", e.arg(ld), r(wLd))
	e.op("LSL", imm(2), r(wLd), r(wLd))
	for k := 1; k < cnt; k++ {
		e.op("ADD", r(wLd), r(first+k-1), r(first+k))
	}
}

// winoKernel emits one pass over whole blocks of four: setup sets the
// pointers, body does one block.
func winoKernel(e *emitter, name, sig, what string, setup, body func()) {
	e.function(name, sig, true, requires,
		fmt.Sprintf("%s is %s for the first 4·⌊n/4⌋ columns or tiles (see the generic twin; strides in elements).", name, what))
	l := func(x string) string { return name + "_" + x }
	e.op("MOVD", e.arg("n"), r(wN))
	setup()
	for i, c := range []float32{2, 4, 5, 8} {
		e.op("MOVW", fmt.Sprintf("$0x%08x", math.Float32bits(c)), r(wLd))
		e.op("VMOV", r(wLd), lane(wConst, i))
	}
	e.op("CMP", imm(4), r(wN))
	e.op("BLT", l("done"))
	e.label(l("loop"))
	body()
	e.op("SUB", imm(4), r(wN), r(wN))
	e.op("CMP", imm(4), r(wN))
	e.op("BGE", l("loop"))
	e.label(l("done"))
	e.op("RET")
}

// winoB sets V6…V11 = Bᵀ (V0…V5) in the order of the twin's winoB.
func winoB(e *emitter) {
	d := func(p int) int { return wIn + p }
	o := func(q int) int { return wOut + q }
	a, b, u, v := wTmp, wTmp+1, wTmp+2, wTmp+3
	// a, b := d4-d2, 2*(d3-d1)
	e.inst(fsub4s(a, d(4), d(2)))
	e.inst(fsub4s(b, d(3), d(1)))
	e.inst(fmulElem4s(b, b, wConst, lane2))
	// o0 = float32(4*d0-float32(5*d2)) + d4; o5 likewise from d1, d3, d5
	for _, c := range [][4]int{{o(0), d(0), d(2), d(4)}, {o(5), d(1), d(3), d(5)}} {
		e.inst(fmulElem4s(c[0], c[1], wConst, lane4))
		e.inst(fmulElem4s(u, c[2], wConst, lane5))
		e.inst(fsub4s(c[0], c[0], u))
		e.inst(fadd4s(c[0], c[0], c[3]))
	}
	// o1 = (d3 + d4) - 4*(d1+d2)
	e.inst(fadd4s(u, d(3), d(4)))
	e.inst(fadd4s(v, d(1), d(2)))
	e.inst(fmulElem4s(v, v, wConst, lane4))
	e.inst(fsub4s(o(1), u, v))
	// o2 = (d4 - d3) + 4*(d1-d2)
	e.inst(fsub4s(u, d(4), d(3)))
	e.inst(fsub4s(v, d(1), d(2)))
	e.inst(fmulElem4s(v, v, wConst, lane4))
	e.inst(fadd4s(o(2), u, v))
	// o3 = a + b; o4 = a - b
	e.inst(fadd4s(o(3), a, b))
	e.inst(fsub4s(o(4), a, b))
}

// winoA sets V6…V9 = Aᵀ (V0…V5) in the order of the twin's winoA.
func winoA(e *emitter) {
	m := func(p int) int { return wIn + p }
	s := func(q int) int { return wOut + q }
	a, b, c, d := wTmp, wTmp+1, wTmp+2, wTmp+3
	e.inst(fadd4s(a, m(1), m(2)))
	e.inst(fsub4s(b, m(1), m(2)))
	e.inst(fadd4s(c, m(3), m(4)))
	e.inst(fsub4s(d, m(3), m(4)))
	// s0 = (m0 + a) + c
	e.inst(fadd4s(s(0), m(0), a))
	e.inst(fadd4s(s(0), s(0), c))
	// s1 = b + 2*d
	e.inst(fmulElem4s(s(1), d, wConst, lane2))
	e.inst(fadd4s(s(1), b, s(1)))
	// s2 = a + 4*c
	e.inst(fmulElem4s(s(2), c, wConst, lane4))
	e.inst(fadd4s(s(2), a, s(2)))
	// s3 = (b + 8*d) + m5
	e.inst(fmulElem4s(s(3), d, wConst, lane8))
	e.inst(fadd4s(s(3), b, s(3)))
	e.inst(fadd4s(s(3), s(3), m(5)))
}
