package conv

import (
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/asm"
)

// FuzzConv builds random small convolutions (shape, strides, dilations,
// pads, groups, epilogue, algorithm) from the fuzz input and checks each
// against the reference kernel of package ops.
func FuzzConv(f *testing.F) {
	f.Add(uint64(1), uint8(0))
	f.Add(uint64(2), uint8(1))
	f.Add(uint64(3), uint8(2))
	f.Add(uint64(4), uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, algo uint8) {
		rng := rand.New(rand.NewPCG(seed, uint64(algo)))
		r := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
		cc := convCase{n: r(1, 2), h: r(1, 12), w: r(1, 12), kh: r(1, 5), kw: r(1, 5), bias: rng.IntN(2) == 0}
		g := r(1, 3)
		cc.c, cc.m = g*r(1, 5), g*r(1, 4)
		name := [...]string{AlgoIm2col, AlgoWinograd, AlgoDepthwise, AlgoGEMM1x1}[algo%4]
		switch name {
		case AlgoWinograd:
			g, cc.kh, cc.kw = 1, 3, 3
			cc.c, cc.m = r(1, 20), r(1, 20)
		case AlgoDepthwise:
			g = r(1, 6)
			cc.c, cc.m = g, g*r(1, 3)
		case AlgoGEMM1x1:
			cc.kh, cc.kw = 1, 1
		}
		cc.group = g
		if name != AlgoWinograd {
			cc.strides = []int{r(1, 3), r(1, 3)}
			cc.dils = []int{r(1, 2), r(1, 2)}
		}
		if name != AlgoGEMM1x1 {
			cc.pads = []int{r(0, 2), r(0, 2), r(0, 2), r(0, 2)}
		}
		// Skip shapes whose window does not fit.
		dil := func(i int) int {
			if cc.dils == nil {
				return 1
			}
			return cc.dils[i]
		}
		pad := func(i int) int {
			if cc.pads == nil {
				return 0
			}
			return cc.pads[i] + cc.pads[i+2]
		}
		if (cc.kh-1)*dil(0)+1 > cc.h+pad(0) || (cc.kw-1)*dil(1)+1 > cc.w+pad(1) {
			return
		}
		ep := epilogues[rng.IntN(len(epilogues))]
		tol := tolGEMM
		if name == AlgoWinograd {
			tol = tolWinograd
			smallWinograd(t)
			if rng.IntN(2) == 0 {
				tilesAsColumns(t)
			}
		}
		check(t, rng, cc, name, asm.Default(), ep, r(1, 3), tol)
	})
}
