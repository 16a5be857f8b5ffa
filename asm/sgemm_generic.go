package asm

import "unsafe"

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
// tiles (gemm.PackedA's layout, tiles as floats apart), with x expanded:
// xe[p*MR+r] = x[p]:
//
//	for t := range tiles {
//		for r := range MR {
//			var acc float32
//			for p := range k {
//				acc += a[t*as+p*MR+r] * xe[p*MR+r]
//			}
//			y[t*MR+r] = acc
//		}
//	}
//
// (summation order differs between implementations). It serves the thin
// last column strip of a GEMM with packed A (N = 49: 24 + 24 + 1), which
// otherwise costs a whole tile per MR rows.
type SgemvPackedFunc func(tiles, k int, a *float32, as int, xe, y *float32)

// sgemvPacked4Generic is the pure-Go SgemvPackedFunc for MR = 4.
func sgemvPacked4Generic(tiles, k int, a *float32, as int, xe, y *float32) {
	if tiles <= 0 {
		return
	}
	as4 := unsafe.Slice(a, (tiles-1)*as+4*k)
	xs := unsafe.Slice(xe, 4*k)
	ys := unsafe.Slice(y, 4*tiles)
	for t := range tiles {
		tile := as4[t*as : t*as+4*k]
		var s [4]float32
		for p := 0; p < 4*k; p += 4 {
			s[0] += tile[p] * xs[p]
			s[1] += tile[p+1] * xs[p+1]
			s[2] += tile[p+2] * xs[p+2]
			s[3] += tile[p+3] * xs[p+3]
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
			for j0 := 0; j0 < nr; j0 += 4 {
				t0, t1 := acc[i0*nr+j0:i0*nr+j0+4], acc[(i0+1)*nr+j0:(i0+1)*nr+j0+4]
				t0[0], t0[1], t0[2], t0[3], t1[0], t1[1], t1[2], t1[3] = block2x4Offs(at[min(i0, len(at)):], at[min(i0+1, len(at)):], mr, b, os, j0)
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

// block2x4Offs is block2x4 with B row p at b + offs[p] (+ j0), summing in
// the same order.
func block2x4Offs(a0s, a1s []float32, sp int, b *float32, offs []int32, j0 int) (c00, c01, c02, c03, c10, c11, c12, c13 float32) {
	for p, o := range offs {
		bv := (*[4]float32)(unsafe.Add(unsafe.Pointer(b), 4*(int(o)+j0)))
		a0, a1 := a0s[p*sp], a1s[p*sp]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c10 += a1 * b0
		c01 += a0 * b1
		c11 += a1 * b1
		c02 += a0 * b2
		c12 += a1 * b2
		c03 += a0 * b3
		c13 += a1 * b3
	}
	return
}

// sgemmGeneric computes an mr×nr tile with A[i][p] = as[i*si+p*sp] (mr a
// multiple of 2, nr of 4, len(acc) ≥ mr*nr scratch). It is the pure-Go
// twin of every SgemmFunc and SgemmRowAFunc shape. It works in 2×4 blocks over the
// whole k: the Go compiler keeps those 8 accumulators and 6 operands in
// registers, larger blocks spill.
func sgemmGeneric(mr, nr, k int, as []float32, si, sp int, b *float32, ldb int, acc []float32, c *float32, ldc int, flags int, alpha, beta, lo, hi float32, bias, r *float32, ldr int) {
	var bp []float32
	if k > 0 {
		bp = unsafe.Slice(b, (k-1)*ldb+nr)
	}
	for i0 := 0; i0 < mr; i0 += 2 {
		a0s, a1s := as[min(i0*si, len(as)):], as[min((i0+1)*si, len(as)):]
		for j0 := 0; j0 < nr; j0 += 4 {
			var bj []float32
			if k > 0 {
				bj = bp[j0:]
			}
			t0, t1 := acc[i0*nr+j0:i0*nr+j0+4], acc[(i0+1)*nr+j0:(i0+1)*nr+j0+4]
			t0[0], t0[1], t0[2], t0[3], t1[0], t1[1], t1[2], t1[3] = block2x4(k, a0s, a1s, sp, bj, ldb)
		}
	}
	Epilogue(mr, nr, acc, nr, c, ldc, flags, alpha, beta, lo, hi, bias, r, ldr)
}

// block2x4 returns the 2×4 block Σ_p a0s[p*sp]·b[p*ldb+j] (and a1s). It is
// a separate function so that only its own values compete for registers.
func block2x4(k int, a0s, a1s []float32, sp int, b []float32, ldb int) (c00, c01, c02, c03, c10, c11, c12, c13 float32) {
	for p := 0; p < k; p++ {
		bv := b[p*ldb : p*ldb+4 : p*ldb+4]
		a0, a1 := a0s[p*sp], a1s[p*sp]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c10 += a1 * b0
		c01 += a0 * b1
		c11 += a1 * b1
		c02 += a0 * b2
		c12 += a1 * b2
		c03 += a0 * b3
		c13 += a1 * b3
	}
	return
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
