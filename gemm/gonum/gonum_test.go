package gonum

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	gblas "gonum.org/v1/gonum/blas/gonum"
)

func TestAgainstGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{1, 1, 1}, {7, 9, 11}, {64, 70, 130}, {3, 300, 20}} {
		m, n, k := s[0], s[1], s[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				a, b := make([]float32, m*k), make([]float32, k*n)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
				}
				for i := range b {
					b[i] = float32(rng.NormFloat64())
				}
				lda, ldb := k, n
				if tA == blas.Trans {
					lda = m
				}
				if tB == blas.Trans {
					ldb = k
				}
				got, want := make([]float32, m*n), make([]float32, m*n)
				for i := range got {
					got[i] = float32(i % 7)
					want[i] = got[i]
				}
				Implementation{}.Sgemm(tA, tB, m, n, k, 0.5, a, lda, b, ldb, 2, got, n)
				gblas.Implementation{}.Sgemm(tA, tB, m, n, k, 0.5, a, lda, b, ldb, 2, want, n)
				for i := range got {
					if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("%v %v %v: c[%d] = %v, gonum %v", s, tA, tB, i, got[i], want[i])
					}
				}
			}
		}
	}
}
