package main

import "fmt"

func init() { families["dwconv"] = dwconv }

// Depthwise 3×3 rows of RowKernels (asm/dwconv_generic.go has the twin),
// four outputs per iteration over whole blocks of four; asm/rows_arm64.go
// handles the tail. The nine weights sit in V20…V22 and are used by
// element (FMLA/FMUL Vd, Vn, Vm.S[j]). As in the twin, each input row has
// its own sum (row 0 starting from the bias) and the result is
// s0 + (s1 + s2), then maxps(lo, ·) and minps(hi, ·) as in vec.go; the
// products are fused (FMLA), which DWRowFunc allows.
//
// The three shifted column vectors of a row come from one 4-wide load and
// the columns after it: stride 1 loads cols i…i+3 (VLD1) and i+4, i+5
// (FMOVD, 8 bytes) and shifts with VEXT by 4 and 8 bytes; stride 2 splits
// cols 2i…2i+7 into even and odd (VLD2) and appends col 2i+8 (FMOVS) to the
// even vector by VEXT. Neither reads past the last column the block needs.

const dwSig = "n int, out *float32, r *float32, ldr int, w *float32, b float32, lo float32, hi float32"

const (
	dwN, dwOut, dwR0, dwR1, dwR2, dwLdr, dwW = 0, 1, 2, 3, 4, 5, 6
	vW, vBias, vLo, vHi                      = 20, 23, 24, 25
	vAcc, vDwTmp                             = 26, 29
)

func dwconv(e *emitter) {
	dwKernel(e, "dwconv3x3s1BlocksNEON", 1)
	dwKernel(e, "dwconv3x3s2BlocksNEON", 2)
}

// dwKernel emits DWConv3x3 with stride s over whole blocks of four outputs.
func dwKernel(e *emitter, name string, s int) {
	e.function(name, dwSig, true, requires,
		fmt.Sprintf("%s is DWConv3x3s%d for the first 4·⌊n/4⌋ outputs (see DWRowFunc; ldr in elements).", name, s))
	l := func(x string) string { return name + "_" + x }
	rows := [3]int{dwR0, dwR1, dwR2}
	e.op("MOVD", e.arg("n"), r(dwN))
	e.op("MOVD", e.arg("out"), r(dwOut))
	e.op("MOVD", e.arg("r"), r(dwR0))
	e.op("MOVD", e.arg("ldr"), r(dwLdr))
	e.op("MOVD", e.arg("w"), r(dwW))
	e.op("LSL", imm(2), r(dwLdr), r(dwLdr))
	e.op("ADD", r(dwLdr), r(dwR0), r(dwR1))
	e.op("ADD", r(dwLdr), r(dwR1), r(dwR2))
	e.op("VLD1", mem(0, dwW), list(vW, 2))
	e.op("FMOVS", mem(32, dwW), f(vW+2))
	bcastArg(e, vBias, "b")
	bcastArg(e, vLo, "lo")
	bcastArg(e, vHi, "hi")
	e.op("CMP", imm(4), r(dwN))
	e.op("BLT", l("done"))
	e.label(l("loop"))
	// Row k's column vectors j = 0, 1, 2 in V(4k + j); V(4k+3) holds the
	// columns after the load.
	for k := 0; k < 3; k++ {
		c := 4 * k
		if s == 1 {
			e.op("FMOVD", mem(16, rows[k]), f(c+3))
			e.op("VLD1.P", mem(16, rows[k]), list(c, 1))
			e.op("VEXT", imm(4), b16(c+3), b16(c), b16(c+1))
			e.op("VEXT", imm(8), b16(c+3), b16(c), b16(c+2))
		} else {
			e.op("FMOVS", mem(32, rows[k]), f(c+3))
			e.op("VLD2.P", mem(32, rows[k]), list(c, 2))
			e.op("VEXT", imm(4), b16(c+3), b16(c), b16(c+2))
		}
	}
	for k := 0; k < 3; k++ {
		acc := vAcc + k
		for j := 0; j < 3; j++ {
			wi := 3*k + j
			x, wr, wl := 4*k+j, vW+wi/4, wi%4
			switch {
			case j == 0 && k == 0:
				e.op("VORR", b16(vBias), b16(vBias), b16(acc))
				e.inst(fmlaElem4s(acc, x, wr, wl))
			case j == 0:
				e.inst(fmulElem4s(acc, x, wr, wl))
			default:
				e.inst(fmlaElem4s(acc, x, wr, wl))
			}
		}
	}
	e.inst(fadd4s(vAcc+1, vAcc+1, vAcc+2))
	e.inst(fadd4s(vAcc, vAcc, vAcc+1))
	maxps(e, vAcc, vLo, vDwTmp)
	minps(e, vAcc, vHi, vDwTmp)
	e.op("VST1.P", list(vAcc, 1), mem(16, dwOut))
	e.op("SUB", imm(4), r(dwN), r(dwN))
	e.op("CMP", imm(4), r(dwN))
	e.op("BGE", l("loop"))
	e.label(l("done"))
	e.op("RET")
}
