//go:build arm64 && !purego && !noasm

package asm

// The pool, dwconv and winograd kernels of the neon table are *BlocksNEON
// assembly over whole blocks of 4 outputs plus the wrappers below, as on
// amd64 (rows_amd64.go): for n ≥ 4 a partial last block is recomputed as
// the block ending at n (the outputs do not overlap the inputs, so the
// overlap rewrites identical values; MaxFold is idempotent), and n < 4
// goes to the generic twin, which computes the same values.

// poolRowsNEON runs a pooling blocks kernel of stride s row by row
// (PoolRowsFunc's layout).
func poolRowsNEON(rows, n int, out *float32, ldo int, r *float32, ldr, s int, body func(int, *float32, *float32, int), twin PoolRowFunc) {
	eachRow(rows, n, out, ldo, r, ldr, s, func(n int, o, rq *float32, ldr int) {
		blocksOf(4, n, func(m, off int) { body(m, fadd(o, off), fadd(rq, s*off), ldr) },
			func() { twin(n, o, rq, ldr) })
	})
}

func maxPool2x2s2NEON(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRowsNEON(rows, n, out, ldo, r, ldr, 2, maxPool2x2s2BlocksNEON, maxPool2x2s2Row)
}

func maxPool3x3s2NEON(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRowsNEON(rows, n, out, ldo, r, ldr, 2, maxPool3x3s2BlocksNEON, maxPool3x3s2Row)
}

func maxPool3x3s1NEON(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRowsNEON(rows, n, out, ldo, r, ldr, 1, maxPool3x3s1BlocksNEON, maxPool3x3s1Row)
}

func avgPool2x2s2NEON(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRowsNEON(rows, n, out, ldo, r, ldr, 2, avgPool2x2s2BlocksNEON, avgPool2x2s2Row)
}

func avgPool3x3s2NEON(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRowsNEON(rows, n, out, ldo, r, ldr, 2, avgPool3x3s2BlocksNEON, avgPool3x3s2Row)
}

// maxFoldNEON is MaxFold. With s = 2 a block of 4 reads src[0 … 7], one
// element past what it needs, so the blocks cover only the first n−1
// outputs (4·⌊(n−1)/4⌋ of them, whose reads end before src[2(n−1)]) and
// the twin does the rest.
func maxFoldNEON(n int, dst, src *float32, s int) {
	switch s {
	case 1:
		blocksOf(4, n, func(m, off int) { maxFold1BlocksNEON(m, fadd(dst, off), fadd(src, off)) },
			func() { maxFoldGeneric(n, dst, src, s) })
	case 2:
		k := 0
		if n > 4 {
			k = (n - 1) &^ 3
			maxFold2BlocksNEON(k, dst, src)
		}
		maxFoldGeneric(n-k, fadd(dst, k), fadd(src, 2*k), s)
	default:
		maxFoldGeneric(n, dst, src, s)
	}
}

func dwconv3x3s1NEON(n int, out, r *float32, ldr int, w *float32, b, lo, hi float32) {
	blocksOf(4, n, func(m, off int) { dwconv3x3s1BlocksNEON(m, fadd(out, off), fadd(r, off), ldr, w, b, lo, hi) },
		func() { dwconv3x3s1Generic(n, out, r, ldr, w, b, lo, hi) })
}

func dwconv3x3s2NEON(n int, out, r *float32, ldr int, w *float32, b, lo, hi float32) {
	blocksOf(4, n, func(m, off int) { dwconv3x3s2BlocksNEON(m, fadd(out, off), fadd(r, 2*off), ldr, w, b, lo, hi) },
		func() { dwconv3x3s2Generic(n, out, r, ldr, w, b, lo, hi) })
}

func winograd43InColsNEON(n int, t *float32, ldt int, r *float32, ldr int) {
	blocksOf(4, n, func(m, off int) { winograd43InColsBlocksNEON(m, fadd(t, off), ldt, fadd(r, off), ldr) },
		func() { winograd43InColsGeneric(n, t, ldt, r, ldr) })
}

func winograd43InRowNEON(n int, t *float32, ldt int, o *float32, ldo int) {
	if n < 4 {
		winograd43InRowGeneric(n, t, ldt, o, ldo)
		return
	}
	for q := range 6 {
		tq, oq := fadd(t, q*ldt), fadd(o, 6*q*ldo)
		winograd43InRowBlocksNEON(n, tq, oq, ldo)
		if n%4 != 0 {
			winograd43InRowBlocksNEON(4, fadd(tq, 4*(n-4)), fadd(oq, n-4), ldo)
		}
	}
}

func winograd43OutColsNEON(n int, s *float32, lds int, m *float32, ldm int) {
	blocksOf(4, n, func(k, off int) { winograd43OutColsBlocksNEON(k, fadd(s, off), lds, fadd(m, off), ldm) },
		func() { winograd43OutColsGeneric(n, s, lds, m, ldm) })
}

func winograd43OutRowNEON(n int, dst *float32, q *float32, ldq int, bias float32) {
	blocksOf(4, n, func(m, off int) { winograd43OutRowBlocksNEON(m, fadd(dst, 4*off), fadd(q, off), ldq, bias) },
		func() { winograd43OutRowGeneric(n, dst, q, ldq, bias) })
}
