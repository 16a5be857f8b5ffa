package conv

import (
	"fmt"

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
func (e *Epilogue) activate(kt *asm.Kernels, v []float32) {
	if len(v) > 0 {
		kt.Activate(e.Act, len(v), &v[0], &v[0])
	}
}
