package asm

import (
	"math"
	"testing"
)

// TestActivate: every kind dispatches to its row kernel (bit for bit, in
// place and not), Clamp gives ReLU's and Clip's bounds only, and Check
// refuses unknown kinds and empty Clip bounds.
func TestActivate(t *testing.T) {
	src := make([]float32, 37)
	for i := range src {
		src[i] = float32(i-18) / 4
	}
	for _, tab := range Tables() {
		for _, a := range []Activation{{}, {Kind: ActReLU}, {Kind: ActClip, Min: -1, Max: 2}, {Kind: ActLeakyReLU, Alpha: 0.1},
			{Kind: ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, {Kind: ActHardSwish}, {Kind: ActSigmoid}, {Kind: ActSiLU}} {
			want := append([]float32(nil), src...)
			switch a.Kind {
			case ActReLU:
				tab.ReLU(len(src), &want[0], &src[0], 0, 0)
			case ActClip:
				tab.Clip(len(src), &want[0], &src[0], a.Min, a.Max)
			case ActLeakyReLU:
				tab.LeakyReLU(len(src), &want[0], &src[0], a.Alpha, 0)
			case ActHardSigmoid:
				tab.HardSigmoid(len(src), &want[0], &src[0], a.Alpha, a.Beta)
			case ActHardSwish:
				tab.HardSwish(len(src), &want[0], &src[0], 0, 0)
			case ActSigmoid:
				tab.Sigmoid(len(src), &want[0], &src[0], 0, 0)
			case ActSiLU:
				tab.SiLU(len(src), &want[0], &src[0], 0, 0)
			}
			got := make([]float32, len(src))
			tab.Activate(a, len(src), &got[0], &src[0])
			inPlace := append([]float32(nil), src...)
			tab.Activate(a, len(src), &inPlace[0], &inPlace[0])
			for i := range src {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(inPlace[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s/%v: [%d] = %g (in place %g), want %g", tab.Name, a.Kind, i, got[i], inPlace[i], want[i])
				}
			}
			lo, hi, ok := a.Clamp()
			if wantOK := a.Kind == ActReLU || a.Kind == ActClip; ok != wantOK ||
				a.Kind == ActReLU && (lo != 0 || !math.IsInf(float64(hi), 1)) || a.Kind == ActClip && (lo != a.Min || hi != a.Max) ||
				!ok && (!math.IsInf(float64(lo), -1) || !math.IsInf(float64(hi), 1)) {
				t.Errorf("%v: Clamp = %g, %g, %v", a.Kind, lo, hi, ok)
			}
			if err := a.Check(); err != nil {
				t.Errorf("%v: %v", a.Kind, err)
			}
		}
	}
	for _, bad := range []Activation{{Kind: ActSiLU + 1}, {Kind: ActClip, Min: 1, Max: 0}, {Kind: ActClip, Min: float32(math.NaN())}} {
		if bad.Check() == nil {
			t.Errorf("%+v: Check accepts it", bad)
		}
	}
	if s := Act(200).String(); s != "activation(200)" || ActSiLU.String() != "silu" {
		t.Errorf("names: %q, %q", s, ActSiLU.String())
	}
}
