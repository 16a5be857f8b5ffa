package conv

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/gemm"
)

// Activation is the element-wise function fused after a convolution.
type Activation uint8

const (
	ActNone        Activation = iota
	ActReLU                   // max(x, 0)
	ActClip                   // min(max(x, Min), Max): Clip, ReLU6 (Min 0, Max 6)
	ActLeakyReLU              // x < 0 ? Alpha·x : x
	ActHardSigmoid            // max(0, min(1, Alpha·x + Beta))
	ActHardSwish              // x · max(0, min(1, x/6 + 1/2))
	ActSigmoid                // 1 / (1 + e^-x)
	ActSiLU                   // x · sigmoid(x)
)

var actNames = [...]string{"none", "relu", "clip", "leakyrelu", "hardsigmoid", "hardswish", "sigmoid", "silu"}

func (a Activation) String() string {
	if int(a) < len(actNames) {
		return actNames[a]
	}
	return fmt.Sprintf("activation(%d)", int(a))
}

// Epilogue is fused into the convolution and applied per output element in
// this order:
//
//	y = conv(x, w)
//	y += bias[m]                 (if the Conv has a bias)
//	y += residual[n, m, ...]     (if Residual; the residual is Run's in[1])
//	y = Act(y)
//
// ReLU and Clip run inside the GEMM micro-kernels as a clamp, the others
// as the GEMM's activation on each output tile right after it is computed
// (Winograd and depthwise apply them per output block likewise). The zero value is a plain convolution.
type Epilogue struct {
	Act      Activation
	Min, Max float32 // ActClip bounds (use ±Inf for an open side)
	Alpha    float32 // ActLeakyReLU slope; ActHardSigmoid alpha (ONNX default 0.2)
	Beta     float32 // ActHardSigmoid beta (ONNX default 0.5)
	Residual bool    // add in[1], which has the output's shape, before Act
}

func (e *Epilogue) check() error {
	if e.Act > ActSiLU {
		return fmt.Errorf("conv: unknown activation %d", e.Act)
	}
	if e.Act == ActClip && !(e.Min <= e.Max) {
		return fmt.Errorf("conv: clip bounds [%g, %g] are empty", e.Min, e.Max)
	}
	return nil
}

// gemmEpilogue fills the parts of a gemm.Epilogue that Act maps onto and
// reports whether a separate activation pass is still needed (never: ReLU
// and Clip are the micro-kernels' clamp, the others gemm's per-tile
// activation).
func (e *Epilogue) gemmEpilogue(ge *gemm.Epilogue) (post bool) {
	switch e.Act {
	case ActReLU:
		ge.Clamp, ge.Min, ge.Max = true, 0, float32(math.Inf(1))
	case ActClip:
		ge.Clamp, ge.Min, ge.Max = true, e.Min, e.Max
	case ActLeakyReLU:
		ge.Act, ge.ActParam = gemm.ActLeakyReLU, e.Alpha
	case ActHardSigmoid:
		ge.Act, ge.ActParam, ge.ActParam2 = gemm.ActHardSigmoid, e.Alpha, e.Beta
	case ActHardSwish:
		ge.Act = gemm.ActHardSwish
	case ActSigmoid:
		ge.Act = gemm.ActSigmoid
	case ActSiLU:
		ge.Act = gemm.ActSiLU
	case ActNone:
	default:
		return true
	}
	return false
}

// activate applies e.Act to v in place with the row kernels of kt.
func (e *Epilogue) activate(kt *asm.Kernels, v []float32) {
	if len(v) == 0 {
		return
	}
	n, p := len(v), &v[0]
	switch e.Act {
	case ActReLU:
		kt.ReLU(n, p, p, 0, 0)
	case ActClip:
		kt.Clip(n, p, p, e.Min, e.Max)
	case ActLeakyReLU:
		kt.LeakyReLU(n, p, p, e.Alpha, 0)
	case ActHardSigmoid:
		kt.HardSigmoid(n, p, p, e.Alpha, e.Beta)
	case ActHardSwish:
		kt.HardSwish(n, p, p, 0, 0)
	case ActSigmoid:
		kt.Sigmoid(n, p, p, 0, 0)
	case ActSiLU:
		kt.SiLU(n, p, p, 0, 0)
	}
}

// clamp returns the bounds that fuse e.Act into a kernel's clamp, and
// whether it can (ReLU and Clip; ±Inf otherwise).
func (e *Epilogue) clamp() (lo, hi float32, ok bool) {
	switch e.Act {
	case ActReLU:
		return 0, float32(math.Inf(1)), true
	case ActClip:
		return e.Min, e.Max, true
	}
	return float32(math.Inf(-1)), float32(math.Inf(1)), false
}
