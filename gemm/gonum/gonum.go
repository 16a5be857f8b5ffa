// Package gonum adapts gocnn's SGEMM to gonum's BLAS interface: Implementation
// is gonum's pure-Go BLAS with Sgemm replaced by gemm.Sgemm, so it can be
// installed with blas32.Use(gonum.Implementation{}).
package gonum

import (
	"gonum.org/v1/gonum/blas"
	gblas "gonum.org/v1/gonum/blas/gonum"

	"github.com/gocnn/gocnn/gemm"
)

// Implementation satisfies blas.Float32 (and blas.Float64 etc. through
// gonum's implementation).
type Implementation struct {
	gblas.Implementation
}

var _ blas.Float32 = Implementation{}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C with gocnn's kernels.
// Like gonum, it panics on bad arguments; unlike gonum, alpha == 0 still
// multiplies (so Inf/NaN in A or B propagate).
func (Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := trans(tA), trans(tB)
	if m < 0 || n < 0 || k < 0 {
		panic("blas: negative dimension")
	}
	gemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func trans(t blas.Transpose) bool {
	switch t {
	case blas.NoTrans:
		return false
	case blas.Trans, blas.ConjTrans:
		return true
	}
	panic("blas: illegal transpose")
}
