package asm

import (
	"math"
	"unsafe"
)

// Epilogue flag bits passed to SgemmFunc. Without FlagBeta, C is only
// written, never read, so it may hold NaN.
const (
	FlagAlpha    = 1 << iota // acc *= alpha
	FlagBeta                 // acc += beta*C[i][j]
	FlagRowBias              // acc += bias[i]
	FlagColBias              // acc += bias[j]
	FlagResidual             // acc += r[i*ldr+j]
	FlagClamp                // acc = min(max(acc, lo), hi)
)

// SgemmFunc is an MR×NR micro-kernel. It computes one full tile:
//
//	for i := range MR {
//		for j := range NR {
//			var acc float32
//			for p := range k {
//				acc += a[p*MR+i] * b[p*ldb+j] // fused or not, in p order
//			}
//			if flags&FlagAlpha != 0 { acc *= alpha }
//			if flags&FlagBeta != 0 { acc += beta * c[i*ldc+j] }
//			if flags&FlagRowBias != 0 { acc += bias[i] }
//			if flags&FlagColBias != 0 { acc += bias[j] }
//			if flags&FlagResidual != 0 { acc += r[i*ldr+j] }
//			if flags&FlagClamp != 0 { acc = min(max(acc, lo), hi) }
//			c[i*ldc+j] = acc
//		}
//	}
//
// a is a packed MR×k panel; b holds k rows of NR values ldb apart, so a
// packed k×NR panel (see the package doc) has ldb = NR, and a row-major
// matrix can be read in place. k ≥ 0; ldb, ldc and ldr are in elements.
type SgemmFunc func(k int, a, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)

// SgemmRowAFunc is SgemmFunc with A read in place from a row-major matrix:
// A[i][p] = a[i*lda+p] instead of a packed panel. It lets callers skip
// packing A when B has few columns (each A element is used only n times).
type SgemmRowAFunc func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)

// SgemmRowAColFunc is SgemmRowAFunc (B a packed panel) that also computes
// one more column, y[i] = Σ_p A[i][p]·x[p] for the tile's MR rows, with no
// epilogue (the caller applies it to the whole column): a column left
// after an edge kernel's strip rides along with it instead of costing a
// matrix-vector pass over A of its own.
type SgemmRowAColFunc func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int, x, y *float32)

// SgemmPackBFunc is SgemmFunc with B read in place (typically a row-major
// matrix, ldb its row stride) that also copies the k×NR panel it reads to
// bp as a packed panel: bp[p*NR+j] = b[p*ldb+j]. The first tile of a
// column strip packs it while it computes; the other tiles then read the
// packed panel.
type SgemmPackBFunc func(k int, a, b *float32, ldb int, bp *float32, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)

// SgemmStripsFunc is SgemmFunc over n full tiles stacked in a column of
// C, one call per column strip instead of one per tile:
//
//	for t := range n {
//		bt := bias // column bias: the same for every tile
//		if flags&FlagRowBias != 0 { bt = bias + t*MR }
//		SgemmFunc(k, a+t*as, b, ldb, c+t*MR*ldc, ldc, flags, alpha, beta, lo, hi, bt, r+t*MR*ldr, ldr)
//	}
//
// (pointer arithmetic in elements). n ≥ 0.
type SgemmStripsFunc func(n, k int, a *float32, as int, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)

// SgemmOffsFunc is SgemmStripsFunc with B row p at b + offs[p] (elements)
// instead of b + p·ldb: a convolution's windows read in place (implicit
// im2col), offs[p] the offset of input channel, kernel row and column p
// from the window's origin. Every row reads NR floats.
type SgemmOffsFunc func(n, k int, a *float32, as int, b *float32, offs *int32, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int)

// SgemvFunc computes a matrix-vector product:
//
//	for i := range m {
//		var acc float32
//		for p := range k {
//			acc += a[i*lda+p] * x[p]
//		}
//		y[i] = acc
//	}
type SgemvFunc func(m, k int, a *float32, lda int, x, y *float32)

// SgemvPackedFunc computes a matrix-vector product over A packed in MR-row
// tiles (gemm.PackedA's layout, tiles as floats apart):
//
//	for t := range tiles {
//		for r := range MR {
//			var acc float32
//			for p := range k {
//				acc += a[t*as+p*MR+r] * x[p]
//			}
//			y[t*MR+r] = acc
//		}
//	}
//
// (summation order differs between implementations). It serves the thin
// last column strip of a GEMM with packed A (N = 49: 24 + 24 + 1), which
// otherwise costs a whole tile per MR rows.
type SgemvPackedFunc func(tiles, k int, a *float32, as int, x, y *float32)

// SgemmThinFunc multiplies A packed in MR-row tiles (tile t at a + t·as,
// element (i, p) at a[t·as + p·MR + i]) by a k×4 block of B (row p at
// b + p·ldb): for t < tiles, i < MR and j < 4,
//
//	acc := float32(0)
//	for p := range k {
//		acc = fma(a[t*as+p*MR+i], b[p*ldb+j], acc)
//	}
//	y[(t*MR+i)*4+j] = acc
//
// — a chain of fused multiply-adds in k order from zero, as the table's
// micro-kernels compute every output, so an output's bits do not depend on
// which of them computed it. It serves a GEMM's last column strip when it
// is at most 4 columns wide (N = 196: 6·32 + 4), which otherwise costs
// most of a whole strip.
type SgemmThinFunc func(tiles, k int, a *float32, as int, b *float32, ldb int, y *float32)

// sgemmThinGeneric is SgemmThinFunc for MR = mr in Go: the reference the
// assembly is tested against (no table uses it: the generic micro-kernel
// sums in another order).
func sgemmThinGeneric(mr, tiles, k int, a *float32, as int, b *float32, ldb int, y *float32) {
	if tiles <= 0 {
		return
	}
	as4 := unsafe.Slice(a, (tiles-1)*as+mr*k)
	bs := unsafe.Slice(b, max(0, (k-1)*ldb+4))
	ys := unsafe.Slice(y, mr*4*tiles)
	for t := range tiles {
		for i := range mr {
			for j := range 4 {
				var acc float32
				for p := range k {
					acc = float32(math.FMA(float64(as4[t*as+p*mr+i]), float64(bs[p*ldb+j]), float64(acc)))
				}
				ys[(t*mr+i)*4+j] = acc
			}
		}
	}
}

// sgemvPacked4Generic is the pure-Go SgemvPackedFunc for MR = 4.
func sgemvPacked4Generic(tiles, k int, a *float32, as int, x, y *float32) {
	if tiles <= 0 {
		return
	}
	as4 := unsafe.Slice(a, (tiles-1)*as+4*k)
	xs := unsafe.Slice(x, k)
	ys := unsafe.Slice(y, 4*tiles)
	for t := range tiles {
		tile := as4[t*as : t*as+4*k]
		var s [4]float32
		for p, v := range xs {
			s[0] += tile[4*p] * v
			s[1] += tile[4*p+1] * v
			s[2] += tile[4*p+2] * v
			s[3] += tile[4*p+3] * v
		}
		copy(ys[4*t:4*t+4], s[:])
	}
}

// sgemm4x8RowAGeneric is the pure-Go 4×8 SgemmRowAFunc.
func sgemm4x8RowAGeneric(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int) {
	var as []float32
	if k > 0 {
		as = unsafe.Slice(a, 3*lda+k)
	}
	var acc [4 * 8]float32
	sgemmGeneric(4, 8, k, as, lda, 1, b, ldb, acc[:], c, ldc, flags, alpha, beta, lo, hi, bias, r, ldr)
}

// sgemm4x8Generic is the pure-Go 4×8 SgemmFunc.
func sgemm4x8Generic(k int, a, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int) {
	var as []float32
	if k > 0 {
		as = unsafe.Slice(a, 4*k)
	}
	var acc [4 * 8]float32
	sgemmGeneric(4, 8, k, as, 1, 4, b, ldb, acc[:], c, ldc, flags, alpha, beta, lo, hi, bias, r, ldr)
}

// sgemm4x8PackBGeneric is the pure-Go 4×8 SgemmPackBFunc.
func sgemm4x8PackBGeneric(k int, a, b *float32, ldb int, bp *float32, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int) {
	if k > 0 {
		src, dst := unsafe.Slice(b, (k-1)*ldb+8), unsafe.Slice(bp, 8*k)
		for p := range k {
			copy(dst[p*8:p*8+8], src[p*ldb:p*ldb+8])
		}
	}
	sgemm4x8Generic(k, a, bp, 8, c, ldc, flags, alpha, beta, lo, hi, bias, r, ldr)
}

// sgemm4x8StripsGeneric is the pure-Go 4×8 SgemmStripsFunc.
func sgemm4x8StripsGeneric(n, k int, a *float32, as int, b *float32, ldb int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int) {
	for t := range n {
		bt, rt := bias, r
		if flags&FlagRowBias != 0 {
			bt = (*float32)(unsafe.Add(unsafe.Pointer(bias), 4*4*t))
		}
		if flags&FlagResidual != 0 {
			rt = (*float32)(unsafe.Add(unsafe.Pointer(r), 4*4*t*ldr))
		}
		at := a
		if k > 0 {
			at = (*float32)(unsafe.Add(unsafe.Pointer(a), 4*t*as))
		}
		ct := (*float32)(unsafe.Add(unsafe.Pointer(c), 4*4*t*ldc))
		sgemm4x8Generic(k, at, b, ldb, ct, ldc, flags, alpha, beta, lo, hi, bt, rt, ldr)
	}
}

// sgemm4x8OffsGeneric is the pure-Go 4×8 SgemmOffsFunc.
func sgemm4x8OffsGeneric(n, k int, a *float32, as int, b *float32, offs *int32, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int) {
	const mr, nr = 4, 8
	var os []int32
	if k > 0 {
		os = unsafe.Slice(offs, k)
	}
	var acc [mr * nr]float32
	for t := range n {
		var at []float32
		if k > 0 {
			at = unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(a), 4*t*as)), mr*k)
		}
		for i0 := 0; i0 < mr; i0 += 2 {
			for j0 := 0; j0 < nr; j0 += 2 {
				var c00, c01, c10, c11 float32
				if k > 0 {
					c00, c01, c10, c11 = block2x2Offs(unsafe.Pointer(&at[i0]), unsafe.Pointer(&at[i0+1]), mr, unsafe.Add(unsafe.Pointer(b), 4*j0), os)
				}
				acc[i0*nr+j0], acc[i0*nr+j0+1], acc[(i0+1)*nr+j0], acc[(i0+1)*nr+j0+1] = c00, c01, c10, c11
			}
		}
		bt, rt := bias, r
		if flags&FlagRowBias != 0 {
			bt = (*float32)(unsafe.Add(unsafe.Pointer(bias), 4*mr*t))
		}
		if flags&FlagResidual != 0 {
			rt = (*float32)(unsafe.Add(unsafe.Pointer(r), 4*mr*t*ldr))
		}
		ct := (*float32)(unsafe.Add(unsafe.Pointer(c), 4*mr*t*ldc))
		Epilogue(mr, nr, acc[:], nr, ct, ldc, flags, alpha, beta, lo, hi, bt, rt, ldr)
	}
}

// block2x2Offs is block2x2 with B row p at b + offs[p] elements, summing in
// the same order.
func block2x2Offs(a0, a1 unsafe.Pointer, sp int, b unsafe.Pointer, offs []int32) (c00, c01, c10, c11 float32) {
	sa := uintptr(sp) * 4
	for p, o := range offs {
		c00, c01, c10, c11 = step2x2(c00, c01, c10, c11, a0, a1, uintptr(p)*sa, b, uintptr(o)*4)
	}
	return
}

// sgemmGeneric computes an mr×nr tile with A[i][p] = as[i*si+p*sp] (mr and
// nr multiples of 2, len(acc) ≥ mr*nr scratch). It is the pure-Go twin of
// every SgemmFunc and SgemmRowAFunc shape, in 2×2 blocks over the whole k.
func sgemmGeneric(mr, nr, k int, as []float32, si, sp int, b *float32, ldb int, acc []float32, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int) {
	if k > 0 {
		_ = as[(mr-1)*si+(k-1)*sp] // the last A element the blocks read
	}
	for i0 := 0; i0 < mr; i0 += 2 {
		for j0 := 0; j0 < nr; j0 += 2 {
			var c00, c01, c10, c11 float32
			if k > 0 {
				a0 := unsafe.Pointer(&as[i0*si])
				bj := unsafe.Add(unsafe.Pointer(b), 4*j0)
				c00, c01, c10, c11 = block2x2(k, a0, unsafe.Add(a0, 4*si), sp, bj, ldb)
			}
			acc[i0*nr+j0], acc[i0*nr+j0+1], acc[(i0+1)*nr+j0], acc[(i0+1)*nr+j0+1] = c00, c01, c10, c11
		}
	}
	Epilogue(mr, nr, acc, nr, c, ldc, flags, alpha, beta, lo, hi, bias, r, ldr)
}

// block2x2 returns the 2×2 block Σ_p a0[p·sp]·b[p·ldb+j] (and a1), j < 2,
// summing in p order; k > 0. It is as large as the Go compiler keeps in
// registers on amd64: with SSE's two-operand MULSS it computes a k step's
// products before their sums, and a 2×4 block's eight of each spill (2×4
// ran 1.5–1.8× slower). Two k steps per iteration halve the loop overhead.
// Offsets, not advanced pointers, so that no pointer passes the end.
func block2x2(k int, a0, a1 unsafe.Pointer, sp int, b unsafe.Pointer, ldb int) (c00, c01, c10, c11 float32) {
	sa, sb := uintptr(sp)*4, uintptr(ldb)*4
	var oa, ob uintptr
	for ; k >= 2; k -= 2 {
		c00, c01, c10, c11 = step2x2(c00, c01, c10, c11, a0, a1, oa, b, ob)
		c00, c01, c10, c11 = step2x2(c00, c01, c10, c11, a0, a1, oa+sa, b, ob+sb)
		oa, ob = oa+2*sa, ob+2*sb
	}
	if k > 0 {
		c00, c01, c10, c11 = step2x2(c00, c01, c10, c11, a0, a1, oa, b, ob)
	}
	return
}

// step2x2 adds one k step, A at a0+oa and a1+oa, B at b+ob (bytes).
func step2x2(c00, c01, c10, c11 float32, a0, a1 unsafe.Pointer, oa uintptr, b unsafe.Pointer, ob uintptr) (float32, float32, float32, float32) {
	x0, x1 := *(*float32)(unsafe.Add(a0, oa)), *(*float32)(unsafe.Add(a1, oa))
	y := (*[2]float32)(unsafe.Add(b, ob))
	y0, y1 := y[0], y[1]
	return c00 + x0*y0, c01 + x0*y1, c10 + x1*y0, c11 + x1*y1
}

// Epilogue applies the SgemmFunc epilogue to an m×n accumulator block t
// (leading dimension ldt) and stores it to c. Package gemm uses it for
// partial tiles.
func Epilogue(m, n int, t []float32, ldt int, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int) {
	if m <= 0 || n <= 0 {
		return
	}
	cs := unsafe.Slice(c, (m-1)*ldc+n)
	var bs, rs []float32
	switch {
	case flags&FlagRowBias != 0:
		bs = unsafe.Slice(bias, m)
	case flags&FlagColBias != 0:
		bs = unsafe.Slice(bias, n)
	}
	if flags&FlagResidual != 0 {
		rs = unsafe.Slice(r, (m-1)*ldr+n)
	}
	for i := 0; i < m; i++ {
		ti := t[i*ldt : i*ldt+n]
		ci := cs[i*ldc : i*ldc+n]
		// One pass per stage keeps the per-element loops branch-free.
		if flags&FlagBeta == 0 {
			copy(ci, ti)
			if flags&FlagAlpha != 0 {
				for j := range ci {
					ci[j] *= alpha
				}
			}
		} else {
			for j, v := range ti {
				if flags&FlagAlpha != 0 {
					v *= alpha
				}
				ci[j] = v + beta*ci[j]
			}
		}
		if flags&FlagRowBias != 0 {
			for j := range ci {
				ci[j] += bs[i]
			}
		}
		if flags&FlagColBias != 0 {
			for j, v := range bs[:n] {
				ci[j] += v
			}
		}
		if flags&FlagResidual != 0 {
			for j, v := range rs[i*ldr : i*ldr+n] {
				ci[j] += v
			}
		}
		if flags&FlagClamp != 0 {
			for j, v := range ci {
				ci[j] = min(max(v, lo), hi)
			}
		}
	}
}

// sgemvGeneric is the pure-Go SgemvFunc.
func sgemvGeneric(m, k int, a *float32, lda int, x, y *float32) {
	if m <= 0 {
		return
	}
	as := unsafe.Slice(a, (m-1)*lda+k)
	xs := unsafe.Slice(x, k)
	ys := unsafe.Slice(y, m)
	for i := range ys {
		row := as[i*lda : i*lda+k]
		var s0, s1, s2, s3 float32
		p := 0
		for ; p+4 <= len(row); p += 4 {
			s0 += row[p] * xs[p]
			s1 += row[p+1] * xs[p+1]
			s2 += row[p+2] * xs[p+2]
			s3 += row[p+3] * xs[p+3]
		}
		for ; p < len(row); p++ {
			s0 += row[p] * xs[p]
		}
		ys[i] = (s0 + s1) + (s2 + s3)
	}
}

// probeChainsGeneric independent multiply-add chains per fmaProbeGeneric iteration.
const probeChainsGeneric = 8

// fmaProbeGeneric runs n iterations of 8 independent scalar multiply-adds
// (16 flops per iteration).
func fmaProbeGeneric(n int) {
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	x, y := probeX, probeY
	for ; n > 0; n-- {
		s0 += x * y
		s1 += x * y
		s2 += x * y
		s3 += x * y
		s4 += x * y
		s5 += x * y
		s6 += x * y
		s7 += x * y
	}
	probeSink = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
}

var probeX, probeY, probeSink float32
