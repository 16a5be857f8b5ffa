package main

import "math"

func init() { families["exp"] = expFamily }

// Sigmoid and SiLU of RowKernels (asm/vec_generic.go: sigmoidGeneric,
// siluGeneric, expPoly), on the element loop of vec.go. e^z follows the
// twin's expPoly step by step: clamp z to [expLo, expHi] with maxps/minps
// (NaN stays NaN), t = magic + z·log2e (FMLA), kf = t − magic,
// r = z − kf·ln2hi − kf·ln2lo (FMLS), the degree-5 polynomial by Horner
// with FMLA, times 2^k: bits(t) − (bits(magic) − 127) is the biased
// exponent k + 127, shifted into place by 23. The division is FDIV
// (correctly rounded, as the twin's). FMLA/FMLS round once where the twin may round
// twice, so results agree to a few ulps, not bitwise.

// Constants of expPoly (asm/vec_generic.go).
const (
	expLo    = -87.33654
	expHi    = 88
	expLog2e = 1.44269504088896341
	expLn2Hi = 0.693359375
	expLn2Lo = -2.12194440e-4
	expMagic = 12582912
	expC1    = 0.9999995
	expC2    = 0.49999154
	expC3    = 0.1666812
	expC4    = 0.041898753
	expC5    = 0.008261548
)

// Constant registers of the exp kernels; V12…V15 are shared scratch.
const (
	eSign, eLo, eHi, eLog2e, eMagic, eMagicK, eLn2Hi, eLn2Lo = 16, 17, 18, 19, 20, 21, 22, 23
	eC5, eC4, eC3, eC2, eC1, eOne                            = 24, 25, 26, 27, 28, 29
	eS1, eS2, eS3, eS4                                       = 12, 13, 14, 15
)

func expFamily(e *emitter) {
	setup := func() {
		e.op("MOVW", "$0x80000000", r(3))
		e.op("VDUP", r(3), s4(eSign))
		for _, c := range []struct {
			reg int
			v   float32
		}{
			{eLo, expLo}, {eHi, expHi}, {eLog2e, expLog2e}, {eMagic, expMagic},
			{eLn2Hi, expLn2Hi}, {eLn2Lo, expLn2Lo},
			{eC5, expC5}, {eC4, expC4}, {eC3, expC3}, {eC2, expC2}, {eC1, expC1}, {eOne, 1},
		} {
			bcastImm(e, c.reg, c.v)
		}
		e.op("MOVW", imm(int(math.Float32bits(expMagic))-127), r(3))
		e.op("VDUP", r(3), s4(eMagicK))
	}
	unaryKernel(e, "sigmoidNEON", "Sigmoid: dst[i] = 1 / (1 + expPoly(−src[i])), to a few ulps", setup,
		func(x, t, u int) {
			p := expNeg(e, x, t, u)
			e.inst(fadd4s(p, p, eOne))
			e.inst(fdiv4s(x, eOne, p))
		})
	unaryKernel(e, "siluNEON", "SiLU: dst[i] = src[i] · (1 / (1 + expPoly(−src[i]))), to a few ulps", setup,
		func(x, t, u int) {
			p := expNeg(e, x, t, u)
			e.inst(fadd4s(p, p, eOne))
			e.inst(fdiv4s(p, eOne, p))
			e.inst(fmul4s(x, x, p))
		})
}

// expNeg computes expPoly(−V(x)) and returns the scratch register holding
// it; V(x) is kept, V(t), V(u) and the other scratch registers are
// clobbered.
func expNeg(e *emitter, x, t, u int) int {
	z := eS1
	e.op("VEOR", b16(eSign), b16(x), b16(z))
	maxps(e, z, eLo, t)
	minps(e, z, eHi, t)
	// t = magic + z·log2e; K = bits(t) − (bits(magic) − 127); kf = t − magic
	e.op("VORR", b16(eMagic), b16(eMagic), b16(eS2))
	e.op("VFMLA", s4(eLog2e), s4(z), s4(eS2))
	e.op("VSUB", s4(eMagicK), s4(eS2), s4(u))
	e.inst(fsub4s(eS3, eS2, eMagic))
	// r = z − kf·ln2hi − kf·ln2lo, in z
	e.op("VFMLS", s4(eLn2Hi), s4(eS3), s4(z))
	e.op("VFMLS", s4(eLn2Lo), s4(eS3), s4(z))
	// p = 1 + r·(c1 + r·(c2 + r·(c3 + r·(c4 + r·c5))))
	p, q := eS2, eS4
	e.op("VORR", b16(eC4), b16(eC4), b16(p))
	e.op("VFMLA", s4(eC5), s4(z), s4(p))
	for _, c := range []int{eC3, eC2, eC1, eOne} {
		e.op("VORR", b16(c), b16(c), b16(q))
		e.op("VFMLA", s4(p), s4(z), s4(q))
		p, q = q, p
	}
	// 2^k from K = k + 127
	e.op("VSHL", imm(23), s4(u), s4(u))
	e.inst(fmul4s(p, p, u))
	return p
}
