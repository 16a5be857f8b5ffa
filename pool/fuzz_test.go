package pool

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// FuzzPool builds random MaxPool / AveragePool nodes (1-D and 2-D, pads,
// strides, dilations, ceil_mode, count_include_pad, NaNs) from the fuzz
// input and checks them against the reference kernels of package ops.
func FuzzPool(f *testing.F) {
	for i := uint64(0); i < 4; i++ {
		f.Add(i)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 7))
		r := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
		axes := r(1, 2)
		pc := poolCase{shape: []int{r(1, 2), r(1, 3)}}
		pc.pads = make([]int, 2*axes)
		for a := 0; a < axes; a++ {
			k := r(1, 4)
			pc.shape = append(pc.shape, r(1, 12))
			pc.kernel = append(pc.kernel, k)
			pc.strides = append(pc.strides, r(1, 3))
			pc.dils = append(pc.dils, r(1, 2))
			pc.pads[a], pc.pads[a+axes] = r(0, k-1), r(0, k-1)
		}
		pc.ceil, pc.countPad = rng.IntN(2) == 0, rng.IntN(2) == 0
		if rng.IntN(4) == 0 {
			pc.autoPad = [...]string{ops.AutoPadSameUpper, ops.AutoPadSameLower, ops.AutoPadValid}[rng.IntN(3)]
		}
		isMax := rng.IntN(2) == 0
		op := "AveragePool"
		if isMax {
			op = "MaxPool"
			pc.countPad = false
		}
		node := pc.node(op)
		p, err := ops.ParsePoolParams(node)
		if err != nil {
			return
		}
		if _, err := p.Geometry(pc.shape); err != nil {
			return // window does not fit: the reference rejects it too
		}
		var k *Pool
		if isMax {
			k, err = NewMax(p, Options{Threads: r(1, 3)})
		} else {
			k, err = NewAverage(p, Options{Threads: r(1, 3)})
		}
		if err != nil {
			t.Fatal(err)
		}
		x := randT(rng, pc.shape...)
		if rng.IntN(3) == 0 {
			x.Float32s()[rng.IntN(x.Len())] = float32(math.NaN())
		}
		in := []*tensor.Tensor{x}
		tol := 0.0
		if !isMax {
			tol = 1e-6
		}
		compare(t, op+" "+pc.String(), runFast(t, k, in), runRef(t, node, in), tol)
	})
}
