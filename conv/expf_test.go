package conv

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

func BenchmarkSigmoid(b *testing.B) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%200)/10 - 10
	}
	b.Run("impl=expf", func(b *testing.B) {
		b.SetBytes(4 * 4096)
		for b.Loop() {
			for i, v := range x {
				s := sigmoidf(v)
				x[i] = v - s + s
			}
		}
	})
	b.Run("impl=slice", func(b *testing.B) {
		b.SetBytes(4 * 4096)
		y := make([]float32, len(x))
		for b.Loop() {
			sigmoidSlice(y, x, false)
		}
	})
	b.Run("impl=math.Exp", func(b *testing.B) {
		b.SetBytes(4 * 4096)
		for b.Loop() {
			for i, v := range x {
				s := float32(1 / (1 + math.Exp(-float64(v))))
				x[i] = v - s + s
			}
		}
	})
}

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
