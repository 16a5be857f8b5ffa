package asm

import (
	"math"
	"unsafe"
)

// PoolRowFunc computes n outputs of one pooling row from the input rows
// r[k*ldr …] (k < window height). The stride-2 kernels read the columns
// 0 … 2n−1 (2×2) or 0 … 2n (3×3) of each row, the stride-1 kernel the
// columns 0 … n+1, and nothing else.
type PoolRowFunc func(n int, out *float32, r *float32, ldr int)

// PoolRowsFunc computes rows output rows of a pooling with stride s (the
// kernel's: 1 or 2), n outputs each: output row q at out[q·ldo …] from the
// input rows ldr apart starting at r[s·q·ldr], each as PoolRowFunc. The
// rows are computed in order of q, so they may overlap (ldo < n) when n is
// a multiple of 8: row q+1 then rewrites what row q wrote past ldo.
type PoolRowsFunc func(rows, n int, out *float32, ldo int, r *float32, ldr int)

// PoolPlanesFunc computes a 3×3 stride-1 pooling with padding 1 on every
// side over n whole planes of h×w, stored one after another in x and in
// y, as the rows kernel computes it over each plane padded: for
// MaxPool3x3s1Planes y[(p·h+i)·w+j] is the window's NaN-skipping maximum
// (MaxPool3x3s1 over −Inf padding: each column's maximum down the window,
// then maxps(f, maxps(d, e)) across columns e, d, f), for
// AvgPool3x3s1Planes the mean of nine (AvgPool3x3s1 over zero padding).
// One call serves many small planes, where a call per plane and its padded
// copy cost more than the pooling (GoogLeNet's and Inception's 7×7 to
// 35×35 maps; the assembly takes rows up to PlanesWidest).
type PoolPlanesFunc func(n, h, w int, y, x *float32)

// maxPool3x3s1PlanesGeneric is MaxPool3x3s1Planes (see PoolPlanesFunc).
func maxPool3x3s1PlanesGeneric(n, h, w int, y, x *float32) {
	planes3x3(n, h, w, y, x, negInf32, skipMax3, func(e, d, f float32) float32 {
		return maxps(f, maxps(d, e))
	})
}

// avgPool3x3s1PlanesGeneric is AvgPool3x3s1Planes: PoolPlanesFunc with the
// mean of the nine taps as AvgPool3x3s1 computes it over the plane padded
// with zeros (v_j = (r0[j] + r1[j]) + r2[j], then ((v[j−1] + v[j]) +
// v[j+1])·(1/9)); the windows at the border count their padding.
func avgPool3x3s1PlanesGeneric(n, h, w int, y, x *float32) {
	planes3x3(n, h, w, y, x, 0, func(a, b, c float32) float32 { return (a + b) + c },
		func(e, d, f float32) float32 { return ((e + d) + f) * float32(1.0/9) })
}

// planes3x3 computes a 3×3 stride-1 pooling over n planes of h×w padded by
// one with pad: down folds a column's three rows (top to bottom), across
// the three columns' results (left, centre, right).
func planes3x3(n, h, w int, y, x *float32, pad float32, down, across func(a, b, c float32) float32) {
	if n <= 0 || h <= 0 || w <= 0 {
		return
	}
	xs, ys := unsafe.Slice(x, n*h*w), unsafe.Slice(y, n*h*w)
	col := func(p, i, j int) float32 { // column j over rows i−1 … i+1 of plane p
		v := [3]float32{pad, pad, pad}
		for k := range v {
			if r := i - 1 + k; r >= 0 && r < h && j >= 0 && j < w {
				v[k] = xs[(p*h+r)*w+j]
			}
		}
		return down(v[0], v[1], v[2])
	}
	for p := range n {
		for i := range h {
			for j := range w {
				ys[(p*h+i)*w+j] = across(col(p, i, j-1), col(p, i, j), col(p, i, j+1))
			}
		}
	}
}

// eachRow computes the rows of a PoolRowsFunc of stride s with the row
// twin row.
func eachRow(rows, n int, out *float32, ldo int, r *float32, ldr, s int, row PoolRowFunc) {
	for q := 0; q < rows; q++ {
		row(n, fadd(out, q*ldo), fadd(r, s*q*ldr), ldr)
	}
}

// fadd returns p advanced by k float32s.
func fadd(p *float32, k int) *float32 {
	return (*float32)(unsafe.Add(unsafe.Pointer(p), 4*k))
}

// FoldFunc folds one strided input row into an output row:
//
//	for i := range n {
//		if v := src[i*s]; v > dst[i] { // NaN never wins
//			dst[i] = v
//		}
//	}
//
// s ≥ 1; src and dst do not overlap.
type FoldFunc func(n int, dst, src *float32, s int)

var negInf32 = float32(math.Inf(-1))

// rowSlices returns out and the rows of a PoolRowFunc with w columns each.
func rowSlices(n int, out, r *float32, ldr, rows, w int) ([]float32, [3][]float32) {
	o := unsafe.Slice(out, n)
	var rs [3][]float32
	for k := 0; k < rows; k++ {
		rs[k] = unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(r), 4*k*ldr)), w)
	}
	return o, rs
}

// skipMax3 is the NaN-skipping maximum of a column of three: starting from
// −Inf, each value replaces the running maximum if it is larger.
func skipMax3(a, b, c float32) float32 {
	return maxps(c, maxps(b, maxps(a, negInf32)))
}

// maxPool2x2s2Generic is MaxPool2x2s2 (rows of maxPool2x2s2Row).
func maxPool2x2s2Generic(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	eachRow(rows, n, out, ldo, r, ldr, 2, maxPool2x2s2Row)
}

// maxPool2x2s2Row is one row of MaxPool2x2s2: with v_j = the NaN-skipping maximum
// of r0[j], r1[j] (in that order),
//
//	out[i] = maxps(v[2i+1], v[2i])
//
// so out[i] is the largest number in the 2×2 window, −Inf if none.
func maxPool2x2s2Row(n int, out, r *float32, ldr int) {
	if n <= 0 {
		return
	}
	o, rs := rowSlices(n, out, r, ldr, 2, 2*n)
	r0, r1 := rs[0], rs[1]
	for i := range o {
		e := maxps(r1[2*i], maxps(r0[2*i], negInf32))
		d := maxps(r1[2*i+1], maxps(r0[2*i+1], negInf32))
		o[i] = maxps(d, e)
	}
}

// maxPool3x3s2Generic is MaxPool3x3s2 (rows of maxPool3x3s2Row).
func maxPool3x3s2Generic(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	eachRow(rows, n, out, ldo, r, ldr, 2, maxPool3x3s2Row)
}

// maxPool3x3s2Row is one row of MaxPool3x3s2: with v_j = the NaN-skipping maximum
// of r0[j], r1[j], r2[j] (in that order),
//
//	out[i] = maxps(v[2i+2], maxps(v[2i+1], v[2i]))
//
// so out[i] is the largest number in the 3×3 window, −Inf if none.
func maxPool3x3s2Row(n int, out, r *float32, ldr int) {
	if n <= 0 {
		return
	}
	o, rs := rowSlices(n, out, r, ldr, 3, 2*n+1)
	r0, r1, r2 := rs[0], rs[1], rs[2]
	for i := range o {
		e := skipMax3(r0[2*i], r1[2*i], r2[2*i])
		d := skipMax3(r0[2*i+1], r1[2*i+1], r2[2*i+1])
		f := skipMax3(r0[2*i+2], r1[2*i+2], r2[2*i+2])
		o[i] = maxps(f, maxps(d, e))
	}
}

// maxPool3x3s1Generic is MaxPool3x3s1 (rows of maxPool3x3s1Row).
func maxPool3x3s1Generic(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	eachRow(rows, n, out, ldo, r, ldr, 1, maxPool3x3s1Row)
}

// maxPool3x3s1Row is one row of MaxPool3x3s1: with v_j as in
// maxPool3x3s2Row,
//
//	out[i] = maxps(v[i+2], maxps(v[i+1], v[i]))
func maxPool3x3s1Row(n int, out, r *float32, ldr int) {
	if n <= 0 {
		return
	}
	o, rs := rowSlices(n, out, r, ldr, 3, n+2)
	r0, r1, r2 := rs[0], rs[1], rs[2]
	for i := range o {
		e := skipMax3(r0[i], r1[i], r2[i])
		d := skipMax3(r0[i+1], r1[i+1], r2[i+1])
		f := skipMax3(r0[i+2], r1[i+2], r2[i+2])
		o[i] = maxps(f, maxps(d, e))
	}
}

// avgPool3x3s1Generic is AvgPool3x3s1 (rows of avgPool3x3s1Row).
func avgPool3x3s1Generic(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	eachRow(rows, n, out, ldo, r, ldr, 1, avgPool3x3s1Row)
}

// avgPool3x3s1Row is one row of AvgPool3x3s1 over full windows: with
// v_j = (r0[j] + r1[j]) + r2[j],
//
//	out[i] = ((v[i] + v[i+1]) + v[i+2]) * float32(1.0/9)
func avgPool3x3s1Row(n int, out, r *float32, ldr int) {
	if n <= 0 {
		return
	}
	o, rs := rowSlices(n, out, r, ldr, 3, n+2)
	r0, r1, r2 := rs[0], rs[1], rs[2]
	for i := range o {
		e := (r0[i] + r1[i]) + r2[i]
		d := (r0[i+1] + r1[i+1]) + r2[i+1]
		f := (r0[i+2] + r1[i+2]) + r2[i+2]
		o[i] = ((e + d) + f) * float32(1.0/9)
	}
}

// avgPool2x2s2Generic is AvgPool2x2s2 (rows of avgPool2x2s2Row).
func avgPool2x2s2Generic(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	eachRow(rows, n, out, ldo, r, ldr, 2, avgPool2x2s2Row)
}

// avgPool2x2s2Row is one row of AvgPool2x2s2 over full windows:
//
//	out[i] = ((r0[2i] + r1[2i]) + (r0[2i+1] + r1[2i+1])) * 0.25
func avgPool2x2s2Row(n int, out, r *float32, ldr int) {
	if n <= 0 {
		return
	}
	o, rs := rowSlices(n, out, r, ldr, 2, 2*n)
	r0, r1 := rs[0], rs[1]
	for i := range o {
		o[i] = ((r0[2*i] + r1[2*i]) + (r0[2*i+1] + r1[2*i+1])) * 0.25
	}
}

// avgPool3x3s2Generic is AvgPool3x3s2 (rows of avgPool3x3s2Row).
func avgPool3x3s2Generic(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	eachRow(rows, n, out, ldo, r, ldr, 2, avgPool3x3s2Row)
}

// avgPool3x3s2Row is one row of AvgPool3x3s2 over full windows: with
// v_j = (r0[j] + r1[j]) + r2[j],
//
//	out[i] = ((v[2i] + v[2i+1]) + v[2i+2]) * float32(1.0/9)
func avgPool3x3s2Row(n int, out, r *float32, ldr int) {
	if n <= 0 {
		return
	}
	o, rs := rowSlices(n, out, r, ldr, 3, 2*n+1)
	r0, r1, r2 := rs[0], rs[1], rs[2]
	for i := range o {
		e := (r0[2*i] + r1[2*i]) + r2[2*i]
		d := (r0[2*i+1] + r1[2*i+1]) + r2[2*i+1]
		f := (r0[2*i+2] + r1[2*i+2]) + r2[2*i+2]
		o[i] = ((e + d) + f) * float32(1.0/9)
	}
}

// maxFoldGeneric is MaxFold (see FoldFunc).
func maxFoldGeneric(n int, dst, src *float32, s int) {
	if n <= 0 {
		return
	}
	d := unsafe.Slice(dst, n)
	x := unsafe.Slice(src, (n-1)*s+1)
	for i := range d {
		d[i] = maxps(x[i*s], d[i])
	}
}
