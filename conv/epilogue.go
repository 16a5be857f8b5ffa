package conv

import (
	"fmt"
	"math"

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
// ReLU and Clip run inside the GEMM micro-kernels as a clamp, LeakyReLU as
// the GEMM activation; the others run on each output block right after it
// is computed. The zero value is a plain convolution.
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
// reports whether a separate activation pass is still needed.
func (e *Epilogue) gemmEpilogue(ge *gemm.Epilogue) (post bool) {
	switch e.Act {
	case ActReLU:
		ge.Clamp, ge.Min, ge.Max = true, 0, float32(math.Inf(1))
	case ActClip:
		ge.Clamp, ge.Min, ge.Max = true, e.Min, e.Max
	case ActLeakyReLU:
		ge.Act, ge.ActParam = gemm.ActLeakyReLU, e.Alpha
	case ActNone:
	default:
		return true
	}
	return false
}

// activate applies e.Act to v in place.
func (e *Epilogue) activate(v []float32) {
	switch e.Act {
	case ActNone:
	case ActReLU:
		for i, x := range v {
			v[i] = max(x, 0)
		}
	case ActClip:
		lo, hi := e.Min, e.Max
		for i, x := range v {
			v[i] = min(max(x, lo), hi)
		}
	case ActLeakyReLU:
		a := e.Alpha
		for i, x := range v {
			if x < 0 {
				v[i] = a * x
			}
		}
	case ActHardSigmoid:
		a, b := e.Alpha, e.Beta
		for i, x := range v {
			v[i] = min(max(a*x+b, 0), 1)
		}
	case ActHardSwish:
		for i, x := range v {
			v[i] = x * min(max(x*(1.0/6)+0.5, 0), 1)
		}
	case ActSigmoid:
		sigmoidSlice(v, v, false)
	case ActSiLU:
		sigmoidSlice(v, v, true)
	}
}

func sigmoid(x float32) float32 {
	return sigmoidf(x)
}

// apply1 applies the activation to a single value (tile epilogues).
func (e *Epilogue) apply1(x float32) float32 {
	switch e.Act {
	case ActReLU:
		return max(x, 0)
	case ActClip:
		return min(max(x, e.Min), e.Max)
	case ActLeakyReLU:
		if x < 0 {
			return e.Alpha * x
		}
	case ActHardSigmoid:
		return min(max(e.Alpha*x+e.Beta, 0), 1)
	case ActHardSwish:
		return x * min(max(x*(1.0/6)+0.5, 0), 1)
	case ActSigmoid:
		return sigmoid(x)
	case ActSiLU:
		return x * sigmoid(x)
	}
	return x
}
