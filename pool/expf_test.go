package pool

import (
	"math"
	"testing"
)

func TestSigmoidSlice(t *testing.T) {
	var xs []float32
	for x := float32(-120); x <= 120; x += 0.0173 {
		xs = append(xs, x)
	}
	xs = append(xs, float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)))
	for _, silu := range []bool{false, true} {
		got := make([]float32, len(xs))
		sigmoidSlice(got, xs, silu)
		for i, x := range xs {
			want := 1 / (1 + math.Exp(-float64(x)))
			if silu {
				want *= float64(x)
				if math.IsInf(float64(x), -1) {
					continue // −Inf·sigmoid(−Inf): NaN in float64, −Inf here
				}
			}
			if d := math.Abs(float64(got[i]) - want); float64(got[i]) != want && !(d <= 6e-7*math.Abs(want)+1e-35) {
				t.Fatalf("silu=%v x=%g: got %g, want %g", silu, x, got[i], want)
			}
		}
		nan := []float32{float32(math.NaN())}
		sigmoidSlice(nan, nan, silu)
		if nan[0] == nan[0] {
			t.Errorf("silu=%v: NaN in, %g out", silu, nan[0])
		}
	}
}
