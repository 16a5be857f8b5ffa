package gemm

import "github.com/gocnn/gocnn/asm"

// BiasMode says how Epilogue.Bias is indexed.
type BiasMode uint8

const (
	BiasNone BiasMode = iota
	BiasRow           // Bias[i] added to row i (len ≥ M): per output channel when C is channels×pixels
	BiasCol           // Bias[j] added to column j (len ≥ N)
)

// Activation is applied after the clamp, by the kernel table's row
// kernels on each finished tile while it is in L1 (see asm.RowKernels);
// the micro-kernels need no change.
type Activation uint8

const (
	ActNone        Activation = iota
	ActLeakyReLU              // x < 0 ? ActParam·x : x
	ActHardSigmoid            // min(1, max(0, ActParam·x + ActParam2))
	ActHardSwish              // x · min(1, max(0, x/6 + 1/2))
	ActSigmoid                // 1 / (1 + exp(−x))
	ActSiLU                   // x · Sigmoid(x)
)

// Epilogue is fused into the GEMM and applied in this order:
//
//	x = alpha·acc + beta·C      (Gemm's Alpha, Beta; C not read if Beta == 0)
//	x += Bias[i] or Bias[j]     (BiasMode)
//	x += Residual[i*LDR+j]      (if Residual != nil)
//	x = min(max(x, Min), Max)   (if Clamp; ±Inf = identity, 0/+Inf = ReLU, 0/6 = ReLU6)
//	x = Act(x)
//
// The zero value does nothing.
type Epilogue struct {
	Bias      []float32
	BiasMode  BiasMode
	Residual  []float32 // m×n, row stride LDR; may alias neither A nor B
	LDR       int
	Clamp     bool
	Min, Max  float32
	Act       Activation
	ActParam  float32
	ActParam2 float32
}

// activate applies e.Act to an m×n block of c (row stride ldc).
func activate(kern *asm.Kernels, e *Epilogue, c []float32, ldc, m, n int) {
	var f asm.ActFunc
	switch e.Act {
	case ActLeakyReLU:
		f = kern.LeakyReLU
	case ActHardSigmoid:
		f = kern.HardSigmoid
	case ActHardSwish:
		f = kern.HardSwish
	case ActSigmoid:
		f = kern.Sigmoid
	case ActSiLU:
		f = kern.SiLU
	default:
		return
	}
	for i := 0; i < m; i++ {
		p := &c[i*ldc]
		f(n, p, p, e.ActParam, e.ActParam2)
	}
}
