package gemm

import "github.com/gocnn/gocnn/asm"

// BiasMode says how Epilogue.Bias is indexed.
type BiasMode uint8

const (
	BiasNone BiasMode = iota
	BiasRow           // Bias[i] added to row i (len ≥ M): per output channel when C is channels×pixels
	BiasCol           // Bias[j] added to column j (len ≥ N)
)

// Epilogue is fused into the GEMM and applied in this order:
//
//	x = alpha·acc + beta·C      (Gemm's Alpha, Beta; C not read if Beta == 0)
//	x += Bias[i] or Bias[j]     (BiasMode)
//	x += Residual[i*LDR+j]      (if Residual != nil)
//	x = Act(x)
//
// ReLU and Clip (ReLU6 included) run inside the micro-kernels as a clamp
// at no cost; the other activations run on each finished tile, still in
// L1, with the table's row kernels. The zero value does nothing.
type Epilogue struct {
	Bias     []float32
	BiasMode BiasMode
	Residual []float32 // m×n, row stride LDR; may alias none of A, B and C
	LDR      int
	Act      asm.Activation
}

// KernelFlags returns e as the micro-kernels' epilogue (asm.Flag* bits
// for the bias, the residual and, for ReLU and Clip, the clamp to
// [lo, hi]) and whether Act is left to run on finished tiles.
func (e *Epilogue) KernelFlags() (flags int, lo, hi float32, act bool) {
	switch e.BiasMode {
	case BiasRow:
		flags |= asm.FlagRowBias
	case BiasCol:
		flags |= asm.FlagColBias
	}
	if e.Residual != nil {
		flags |= asm.FlagResidual
	}
	lo, hi, clamp := e.Act.Clamp()
	if clamp {
		flags |= asm.FlagClamp
	}
	return flags, lo, hi, !clamp && e.Act.Kind != asm.ActNone
}

// activate applies a to an m×n block of c (row stride ldc).
func activate(kern *asm.Kernels, a asm.Activation, c []float32, ldc, m, n int) {
	for i := 0; i < m; i++ {
		p := &c[i*ldc]
		kern.Activate(a, n, p, p)
	}
}
