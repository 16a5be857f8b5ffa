package conv

import (
	"testing"

	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// TestLazyWinograd: each Winograd route's weights are transformed on the
// first input that uses it, never for inputs that fall back to im2col.
func TestLazyWinograd(t *testing.T) {
	w := tensor.New(tensor.Float32, 32, 32, 3, 3)
	k, err := New(&ops.ConvParams{Pads: []int{1, 1, 1, 1}, Group: 1}, w, nil, Epilogue{}, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if k.Algorithm() != AlgoWinograd {
		t.Fatalf("algorithm %s", k.Algorithm())
	}
	before := k.WeightBytes()
	run := func(hw int) {
		x := tensor.New(tensor.Float32, 1, 32, hw, hw)
		y := tensor.New(tensor.Float32, 1, 32, hw, hw)
		if err := k.Run([]*tensor.Tensor{x}, []*tensor.Tensor{y}); err != nil {
			t.Fatal(err)
		}
	}
	run(7) // 4 tiles: im2col
	if k.wino.Load() != nil {
		t.Error("a 7×7 input built the Winograd weights")
	}
	run(32) // 64 tiles: the tiles as rows
	if k.winoT.Load() == nil || k.wino.Load() != nil || k.WeightBytes() <= before {
		t.Errorf("a 32×32 input built the wrong Winograd weights (weight bytes %d → %d)", before, k.WeightBytes())
	}
	before = k.WeightBytes()
	run(68) // 289 tiles: the tiles as columns
	if k.wino.Load() == nil || k.WeightBytes() <= before {
		t.Errorf("Winograd weights not built for a 68×68 input (weight bytes %d → %d)", before, k.WeightBytes())
	}
}
