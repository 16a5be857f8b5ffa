package pool

import (
	"math"
	"testing"
)

func TestExpf(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x <= 88.7; x += 0.00137 {
		want := math.Exp(float64(x))
		got := float64(expf(x))
		if e := math.Abs(got-want) / want; e > worst {
			worst = e
		}
	}
	if worst > 4e-7 {
		t.Errorf("expf: max relative error %g", worst)
	}
	for _, c := range []struct{ x, want float32 }{
		{0, 1}, {-200, 0}, {200, float32(math.Inf(1))}, {float32(math.Inf(-1)), 0}, {float32(math.Inf(1)), float32(math.Inf(1))},
	} {
		if got := expf(c.x); got != c.want {
			t.Errorf("expf(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if v := expf(float32(math.NaN())); v == v {
		t.Error("expf(NaN) is not NaN")
	}
	if v := sigmoidf(-1000); v != 0 {
		t.Errorf("sigmoid(-1000) = %g", v)
	}
	if v := sigmoidf(1000); v != 1 {
		t.Errorf("sigmoid(1000) = %g", v)
	}
}
