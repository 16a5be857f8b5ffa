package asm

import (
	"fmt"
	"math"
	"unsafe"
)

// Act names an element-wise activation of the row kernels.
type Act uint8

const (
	ActNone        Act = iota // identity
	ActReLU                   // maxps(0, x)
	ActClip                   // minps(Max, maxps(Min, x)): Clip, ReLU6 (Min 0, Max 6)
	ActLeakyReLU              // x < 0 ? Alpha·x : x
	ActHardSigmoid            // minps(1, maxps(0, Alpha·x + Beta))
	ActHardSwish              // x · minps(1, maxps(0, x/6 + 1/2))
	ActSigmoid                // 1 / (1 + exp(−x))
	ActSiLU                   // x · Sigmoid(x)
)

var actNames = [...]string{"none", "relu", "clip", "leakyrelu", "hardsigmoid", "hardswish", "sigmoid", "silu"}

func (a Act) String() string {
	if int(a) < len(actNames) {
		return actNames[a]
	}
	return fmt.Sprintf("activation(%d)", int(a))
}

// Activation is an activation with its parameters, as conv, pool and gemm
// fuse it. The zero value is the identity.
type Activation struct {
	Kind     Act
	Min, Max float32 // ActClip bounds (±Inf for an open side)
	Alpha    float32 // ActLeakyReLU slope; ActHardSigmoid alpha (ONNX default 0.2)
	Beta     float32 // ActHardSigmoid beta (ONNX default 0.5)
}

// Check reports an unknown kind or empty Clip bounds.
func (a Activation) Check() error {
	if a.Kind > ActSiLU {
		return fmt.Errorf("unknown activation %d", a.Kind)
	}
	if a.Kind == ActClip && !(a.Min <= a.Max) {
		return fmt.Errorf("clip bounds [%g, %g] are empty", a.Min, a.Max)
	}
	return nil
}

// Clamp returns a as the clamp [lo, hi] when it is one (ReLU, Clip: the
// micro-kernels and row kernels apply it for free), else ok false and the
// open clamp.
func (a Activation) Clamp() (lo, hi float32, ok bool) {
	switch a.Kind {
	case ActReLU:
		return 0, float32(math.Inf(1)), true
	case ActClip:
		return a.Min, a.Max, true
	}
	return float32(math.Inf(-1)), float32(math.Inf(1)), false
}

// Activate sets dst[i] = a(src[i]) for i < n with k's row kernels; dst
// may equal src.
func (k *Kernels) Activate(a Activation, n int, dst, src *float32) {
	if n <= 0 {
		return
	}
	switch a.Kind {
	case ActNone:
		if dst != src {
			copy(unsafe.Slice(dst, n), unsafe.Slice(src, n))
		}
	case ActReLU:
		k.ReLU(n, dst, src, 0, 0)
	case ActClip:
		k.Clip(n, dst, src, a.Min, a.Max)
	case ActLeakyReLU:
		k.LeakyReLU(n, dst, src, a.Alpha, 0)
	case ActHardSigmoid:
		k.HardSigmoid(n, dst, src, a.Alpha, a.Beta)
	case ActHardSwish:
		k.HardSwish(n, dst, src, 0, 0)
	case ActSigmoid:
		k.Sigmoid(n, dst, src, 0, 0)
	case ActSiLU:
		k.SiLU(n, dst, src, 0, 0)
	}
}
