package conv

import (
	"math/rand/v2"
	"testing"
)

// dw3x3s1Plain is the straightforward form of dw3x3s1 (nine loads per
// output), kept as its specification.
func dw3x3s1Plain(out, r0, r1, r2 []float32, x0 int, w []float32, b float32) {
	for i := range out {
		a, c, e := r0[x0+i:], r1[x0+i:], r2[x0+i:]
		s0 := b + w[0]*a[0] + w[1]*a[1] + w[2]*a[2]
		s1 := w[3]*c[0] + w[4]*c[1] + w[5]*c[2]
		s2 := w[6]*e[0] + w[7]*e[1] + w[8]*e[2]
		out[i] = s0 + (s1 + s2)
	}
}

func TestDW3x3s1Row(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	w := make([]float32, 9)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	for n := 0; n < 40; n++ {
		for x0 := 0; x0 < 3; x0++ {
			rows := make([][]float32, 3)
			for r := range rows {
				rows[r] = make([]float32, x0+n+2)
				for i := range rows[r] {
					rows[r][i] = float32(rng.NormFloat64())
				}
			}
			got, want := make([]float32, n), make([]float32, n)
			dw3x3s1(got, rows[0], rows[1], rows[2], x0, w, 0.5)
			dw3x3s1Plain(want, rows[0], rows[1], rows[2], x0, w, 0.5)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("n=%d x0=%d: out[%d] = %g, want %g", n, x0, i, got[i], want[i])
				}
			}
		}
	}
}

func BenchmarkDWRow(b *testing.B) {
	const n = 56
	r := make([]float32, 3*(n+2))
	w := make([]float32, 9)
	for i := range r {
		r[i] = float32(i%7) - 3
	}
	out := make([]float32, n)
	for _, impl := range []struct {
		name string
		f    func(out, r0, r1, r2 []float32, x0 int, w []float32, b float32)
	}{{"sliding", dw3x3s1}, {"plain", dw3x3s1Plain}, {"sliding", dw3x3s1}, {"plain", dw3x3s1Plain}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				impl.f(out, r[:n+2], r[n+2:2*n+4], r[2*n+4:], 0, w, 1)
			}
		})
	}
}
