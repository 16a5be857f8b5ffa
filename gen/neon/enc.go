package main

import "fmt"

// Encoders for the NEON instructions Go's arm64 assembler does not know
// (golang/go#41092). Each returns the instruction word and its GNU
// spelling; the emitter writes "WORD $0x… // gnu". Operands are in GNU
// order, destination first (unlike Go's source-first mnemonics).
//
// Field layouts are from the Arm Architecture Reference Manual (A64
// "Advanced SIMD three same" and "Advanced SIMD vector x indexed element"
// classes), single precision, Q=1 (.4S).

// inst is one encoded instruction.
type inst struct {
	word uint32
	gnu  string
}

func checkV(n int) int {
	if n < 0 || n > 31 {
		panic(fmt.Sprintf("neon: V%d out of range", n))
	}
	return n
}

// threeSame encodes "0 Q U 01110 a sz 1 Rm opcode 1 Rn Rd" with the
// fixed bits in base: Vd.4S = op(Vn.4S, Vm.4S).
func threeSame(base uint32, mn string, d, n, m int) inst {
	w := base | uint32(checkV(m))<<16 | uint32(checkV(n))<<5 | uint32(checkV(d))
	return inst{w, fmt.Sprintf("%s v%d.4s, v%d.4s, v%d.4s", mn, d, n, m)}
}

// byElement encodes "0 Q U 01111 1 sz L M Rm opcode H 0 Rn Rd" for .4S
// with Vm.S[idx]: for single precision the index is H:L and M:Rm names any
// of V0–V31.
func byElement(base uint32, mn string, d, n, m, idx int) inst {
	if idx < 0 || idx > 3 {
		panic(fmt.Sprintf("neon: %s lane %d out of range", mn, idx))
	}
	w := base | uint32(idx&1)<<21 | uint32(checkV(m))<<16 | uint32(idx>>1)<<11 |
		uint32(checkV(n))<<5 | uint32(checkV(d))
	return inst{w, fmt.Sprintf("%s v%d.4s, v%d.4s, v%d.s[%d]", mn, d, n, m, idx)}
}

// fadd4s: Vd = Vn + Vm (U=0 a=0 sz=0 opcode 11010).
func fadd4s(d, n, m int) inst { return threeSame(0x4e20d400, "fadd", d, n, m) }

// fsub4s: Vd = Vn − Vm (U=0 a=1 sz=0 opcode 11010).
func fsub4s(d, n, m int) inst { return threeSame(0x4ea0d400, "fsub", d, n, m) }

// fmul4s: Vd = Vn · Vm (U=1 a=0 sz=0 opcode 11011).
func fmul4s(d, n, m int) inst { return threeSame(0x6e20dc00, "fmul", d, n, m) }

// fmax4s: Vd = max(Vn, Vm), NaN if either is NaN (U=0 a=0 opcode 11110).
func fmax4s(d, n, m int) inst { return threeSame(0x4e20f400, "fmax", d, n, m) }

// fmin4s: Vd = min(Vn, Vm), NaN if either is NaN (U=0 a=1 opcode 11110).
func fmin4s(d, n, m int) inst { return threeSame(0x4ea0f400, "fmin", d, n, m) }

// faddp4s: Vd = {n0+n1, n2+n3, m0+m1, m2+m3} (U=1 a=0 opcode 11010).
func faddp4s(d, n, m int) inst { return threeSame(0x6e20d400, "faddp", d, n, m) }

// fmlaElem4s: Vd += Vn · Vm.S[idx] (U=0 opcode 0001).
func fmlaElem4s(d, n, m, idx int) inst { return byElement(0x4f801000, "fmla", d, n, m, idx) }

// fmulElem4s: Vd = Vn · Vm.S[idx] (U=0 opcode 1001).
func fmulElem4s(d, n, m, idx int) inst { return byElement(0x4f809000, "fmul", d, n, m, idx) }

// fcmgt4s: Vd = Vn > Vm ? all ones : 0, false for NaN (U=1 a=1 opcode 11100).
func fcmgt4s(d, n, m int) inst { return threeSame(0x6ea0e400, "fcmgt", d, n, m) }

// fdiv4s: Vd = Vn / Vm, correctly rounded (U=1 a=0 sz=0 opcode 11111).
func fdiv4s(d, n, m int) inst { return threeSame(0x6e20fc00, "fdiv", d, n, m) }
