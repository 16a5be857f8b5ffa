package gemm

// BiasMode says how Epilogue.Bias is indexed.
type BiasMode uint8

const (
	BiasNone BiasMode = iota
	BiasRow           // Bias[i] added to row i (len ≥ M): per output channel when C is channels×pixels
	BiasCol           // Bias[j] added to column j (len ≥ N)
)

// Activation is applied after the clamp. New activations are added here
// and in activate; the micro-kernels need no change.
type Activation uint8

const (
	ActNone      Activation = iota
	ActLeakyReLU            // x < 0 ? ActParam·x : x
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
	Bias     []float32
	BiasMode BiasMode
	Residual []float32 // m×n, row stride LDR; may alias neither A nor B
	LDR      int
	Clamp    bool
	Min, Max float32
	Act      Activation
	ActParam float32
}

// activate applies act to an m×n block of c (row stride ldc).
func activate(act Activation, param float32, c []float32, ldc, m, n int) {
	switch act {
	case ActLeakyReLU:
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j, v := range row {
				if v < 0 {
					row[j] = v * param
				}
			}
		}
	}
}
