package conv

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/asm"
)

// Epilogue is fused into the convolution and applied per output element in
// this order:
//
//	y = conv(x, w)
//	y += bias[m]                 (if the Conv has a bias)
//	y += residual[n, m, ...]     (if Residual; the residual is Run's in[1])
//	y = Act(y)
//
// ReLU and Clip run inside the GEMM micro-kernels and the depthwise row
// kernels as a clamp, the others on each output tile or row right after it
// is computed. The zero value is a plain convolution.
type Epilogue struct {
	Act      asm.Activation
	Residual bool // add in[1], which has the output's shape (and not its memory), before Act
}

func (e *Epilogue) check() error {
	if err := e.Act.Check(); err != nil {
		return fmt.Errorf("conv: %w", err)
	}
	return nil
}

// activate applies e.Act to v in place with the row kernels of kt.
// kernelClamp is the clamp a depthwise kernel can apply to its sums (±Inf
// when none) and whether that is the whole activation: with a residual
// (added after the kernel, before the activation) it applies none.
func (e *Epilogue) kernelClamp(residual bool) (lo, hi float32, fused bool) {
	if residual {
		return float32(math.Inf(-1)), float32(math.Inf(1)), false
	}
	return e.Act.Clamp()
}

func (e *Epilogue) activate(kt *asm.Kernels, v []float32) {
	if len(v) > 0 {
		kt.Activate(e.Act, len(v), &v[0], &v[0])
	}
}
