package asm

import "unsafe"

// DWRowFunc computes n outputs of one depthwise 3×3 row from three input
// rows r[k*ldr …] (k < 3) with stride s (1 or 2, fixed per kernel), nine
// weights w[3k+j], a bias and a clamp (±Inf for none):
//
//	for i := range n {
//		acc := b
//		for k := range 3 {
//			for j := range 3 {
//				acc += w[3*k+j] * r[k*ldr+s*i+j]
//			}
//		}
//		out[i] = minps(hi, maxps(lo, acc))
//	}
//
// The kernels read the columns 0 … s·(n−1)+2 of each row and nothing else.
// The summation order and FMA use differ between implementations: results
// agree to a few ulps of Σ|w·x| + |b|.
type DWRowFunc func(n int, out *float32, r *float32, ldr int, w *float32, b, lo, hi float32)

// dwconv3x3Generic is DWRowFunc for stride s.
func dwconv3x3Generic(s, n int, out, r *float32, ldr int, w *float32, b, lo, hi float32) {
	if n <= 0 {
		return
	}
	o, rs := poolRows(n, out, r, ldr, 3, s*(n-1)+3)
	r0, r1, r2 := rs[0], rs[1], rs[2]
	ws := unsafe.Slice(w, 9)
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := ws[0], ws[1], ws[2], ws[3], ws[4], ws[5], ws[6], ws[7], ws[8]
	for i := range o {
		x := s * i
		a := r0[x : x+3 : x+3]
		c := r1[x : x+3 : x+3]
		e := r2[x : x+3 : x+3]
		s0 := b + w0*a[0] + w1*a[1] + w2*a[2]
		s1 := w3*c[0] + w4*c[1] + w5*c[2]
		s2 := w6*e[0] + w7*e[1] + w8*e[2]
		o[i] = minps(hi, maxps(lo, s0+(s1+s2)))
	}
}

// dwconv3x3s1Generic is DWConv3x3s1 (see DWRowFunc, s = 1).
func dwconv3x3s1Generic(n int, out, r *float32, ldr int, w *float32, b, lo, hi float32) {
	dwconv3x3Generic(1, n, out, r, ldr, w, b, lo, hi)
}

// dwconv3x3s2Generic is DWConv3x3s2 (see DWRowFunc, s = 2).
func dwconv3x3s2Generic(n int, out, r *float32, ldr int, w *float32, b, lo, hi float32) {
	dwconv3x3Generic(2, n, out, r, ldr, w, b, lo, hi)
}

// DWTapsFunc adds the taps of one depthwise row of kh×kw weights w[k·kw+j]
// at stride s (1 or 2, fixed per kernel) to n outputs:
//
//	for i := range n {
//		acc := out[i]
//		for k := range kh {
//			for j := range kw {
//				acc += w[k*kw+j] * r[k*ldr+s*i+j]
//			}
//		}
//		out[i] = acc
//	}
//
// It reads columns 0 … s·(n−1)+kw−1 of each of the kh rows, ldr elements
// apart; the stride-2 kernels may read one column more, which must exist.
// Accumulating lets a caller split a kernel into passes; bias and clamp are
// the caller's. FMA use differs between implementations: results agree to
// a few ulps of Σ|w·x| + |out|.
type DWTapsFunc func(n int, out *float32, r *float32, ldr int, w *float32, kh, kw int)

// dwconvTapsGeneric is DWTapsFunc for stride s.
func dwconvTapsGeneric(s, n int, out, r *float32, ldr int, w *float32, kh, kw int) {
	if n <= 0 || kh <= 0 || kw <= 0 {
		return
	}
	o := unsafe.Slice(out, n)
	ws := unsafe.Slice(w, kh*kw)
	span := s*(n-1) + kw
	for k := 0; k < kh; k++ {
		row := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(r), 4*k*ldr)), span)
		for j, wj := range ws[k*kw : (k+1)*kw] {
			if s == 1 {
				for i, v := range row[j : j+n] {
					o[i] += wj * v
				}
				continue
			}
			for i := range o {
				o[i] += wj * row[s*i+j]
			}
		}
	}
}

// dwconvTapsS1Generic is DWTapsS1 (see DWTapsFunc, s = 1).
func dwconvTapsS1Generic(n int, out, r *float32, ldr int, w *float32, kh, kw int) {
	dwconvTapsGeneric(1, n, out, r, ldr, w, kh, kw)
}

// dwconvTapsS2Generic is DWTapsS2 (see DWTapsFunc, s = 2).
func dwconvTapsS2Generic(n int, out, r *float32, ldr int, w *float32, kh, kw int) {
	dwconvTapsGeneric(2, n, out, r, ldr, w, kh, kw)
}
