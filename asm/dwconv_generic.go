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
	o, rs := rowSlices(n, out, r, ldr, 3, s*(n-1)+3)
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

// DWPlanesFunc computes a 3×3 depthwise convolution at stride 1 with
// padding 1 on every side over n whole planes of h×w, stored one after
// another in x and in y; plane p has the weights wt[9p …] and the bias
// b[p] (b nil: zero):
//
//	for each plane p and output (i, j):
//		var acc float32
//		for u, first := range 3, true {  // kernel rows inside the plane
//			if r := i+u−1; 0 ≤ r < h {
//				s := 0 (first: b[p])
//				for v := range 3 {
//					if c := j+v−1; 0 ≤ c < w {
//						s += wt[9p+3u+v] · x[(p·h+r)·w+c]
//					}
//				}
//				acc, first = acc+s, false
//			}
//		}
//		y[(p·h+i)·w+j] = minps(hi, maxps(lo, acc))
//
// With rows of up to 40 a row is one to five vectors and a call covers
// many small planes (MobileNetV2's 7×7 to 28×28 stages), where a call per
// plane and its padded copy, or the eight-lane route's transposes, cost
// more than the convolution. Results agree with the twin to a few ulps of
// Σ|w·x| + |b| for finite weights (FMA; the assembly multiplies the
// padding's zeros).
type DWPlanesFunc func(n, h, w int, y, x, wt, b *float32, lo, hi float32)

// dwconv3x3PlanesGeneric is DWConv3x3Planes (see DWPlanesFunc).
func dwconv3x3PlanesGeneric(n, h, w int, y, x, wt, b *float32, lo, hi float32) {
	if n <= 0 || h <= 0 || w <= 0 {
		return
	}
	xs, ys, ws := unsafe.Slice(x, n*h*w), unsafe.Slice(y, n*h*w), unsafe.Slice(wt, 9*n)
	var bs []float32
	if b != nil {
		bs = unsafe.Slice(b, n)
	}
	for p := range n {
		xp, yp, wp := xs[p*h*w:(p+1)*h*w], ys[p*h*w:(p+1)*h*w], ws[9*p:9*p+9]
		for i := range h {
			for j := range w {
				var acc float32
				first := true
				for u := range 3 {
					r := i + u - 1
					if r < 0 || r >= h {
						continue
					}
					var s float32
					if first && bs != nil {
						s = bs[p]
					}
					for v := range 3 {
						if c := j + v - 1; c >= 0 && c < w {
							s += wp[3*u+v] * xp[r*w+c]
						}
					}
					acc, first = acc+s, false
				}
				yp[i*w+j] = minps(hi, maxps(lo, acc))
			}
		}
	}
}

// DWRowsFunc is the stride-1 DWRowFunc over rows output rows: output row
// q reads input rows r[(q+k)·ldr …] (k < 3), columns 0 … n+1, and is
// written to out[q·ldo …], with DWRowFunc's summation caveat.
type DWRowsFunc func(rows, n int, out *float32, ldo int, r *float32, ldr int, w *float32, b, lo, hi float32)

// dwconv3x3s1rGeneric is a DWRowsFunc: dwconv3x3s1Generic row by row.
func dwconv3x3s1rGeneric(rows, n int, out *float32, ldo int, r *float32, ldr int, w *float32, b, lo, hi float32) {
	for q := range rows {
		oq := (*float32)(unsafe.Add(unsafe.Pointer(out), 4*q*ldo))
		rq := (*float32)(unsafe.Add(unsafe.Pointer(r), 4*q*ldr))
		dwconv3x3s1Generic(n, oq, rq, ldr, w, b, lo, hi)
	}
}

// DWRowsS2PFunc computes rows output rows of a depthwise 3×3 stride-2
// convolution over a plane whose rows are stored deinterleaved (see
// DeinterleaveFunc): input row p of output row q starts at r[(2q+p)·ldr],
// its even columns first and its odd ones from element half on, so the
// taps of output i are E[i], O[i], E[i+1] (E = row, O = row + half):
//
//	for q := range rows {
//		for i := range n {
//			acc := b
//			for k := range 3 {
//				e := r[(2*q+k)*ldr:]
//				acc += w[3*k]*e[i] + w[3*k+1]*e[half+i] + w[3*k+2]*e[i+1]
//			}
//			out[q*ldo+i] = minps(hi, maxps(lo, acc))
//		}
//	}
//
// with DWRowFunc's summation caveat. No shuffles: the stride-2 DWRowFunc
// splits even and odd lanes of every tap it loads. DWConv5x5s2P is the
// same over input rows 2q…2q+4 and the 25 weights, kernel column j of row
// k being w[5k+j]·e[i+j/2] for even j and w[5k+j]·e[half+i+j/2] for odd:
// it reads e[0 … n+1] and e[half … half+n].
type DWRowsS2PFunc func(rows, n int, out *float32, ldo int, r *float32, ldr, half int, w *float32, b, lo, hi float32)

// dwconv5x5s2pGeneric is DWConv5x5s2P in Go, each output's taps summed by
// kernel row, then column, from the bias (the assembly's order). No table
// uses it: it is the reference the assembly is tested against.
func dwconv5x5s2pGeneric(rows, n int, out *float32, ldo int, r *float32, ldr, half int, w *float32, b, lo, hi float32) {
	if rows <= 0 || n <= 0 {
		return
	}
	o := unsafe.Slice(out, (rows-1)*ldo+n)
	rs := unsafe.Slice(r, (2*rows+2)*ldr+max(half+n+1, n+2))
	ws := unsafe.Slice(w, 25)
	for q := range rows {
		oq := o[q*ldo : q*ldo+n]
		for i := range oq {
			acc := b
			for k := range 5 {
				e := rs[(2*q+k)*ldr:]
				for j := range 5 {
					x := e[i+j/2]
					if j%2 == 1 {
						x = e[half+i+j/2]
					}
					acc += ws[5*k+j] * x
				}
			}
			oq[i] = minps(hi, maxps(lo, acc))
		}
	}
}

// dwconv3x3s2pGeneric is DWConv3x3s2P, in dwconv3x3Generic's order.
func dwconv3x3s2pGeneric(rows, n int, out *float32, ldo int, r *float32, ldr, half int, w *float32, b, lo, hi float32) {
	if rows <= 0 || n <= 0 {
		return
	}
	o := unsafe.Slice(out, (rows-1)*ldo+n)
	rs := unsafe.Slice(r, (2*rows)*ldr+max(half+n, n+1))
	ws := unsafe.Slice(w, 9)
	for q := range rows {
		oq := o[q*ldo : q*ldo+n]
		var s [3][]float32
		for k := range s {
			s[k] = rs[(2*q+k)*ldr:]
		}
		e0, e1, e2 := s[0], s[1], s[2]
		for i := range oq {
			s0 := b + ws[0]*e0[i] + ws[1]*e0[half+i] + ws[2]*e0[i+1]
			s1 := ws[3]*e1[i] + ws[4]*e1[half+i] + ws[5]*e1[i+1]
			s2 := ws[6]*e2[i] + ws[7]*e2[half+i] + ws[8]*e2[i+1]
			oq[i] = minps(hi, maxps(lo, s0+(s1+s2)))
		}
	}
}

// DeinterleaveFunc splits rows of src into their even and odd columns:
//
//	for q := range rows {
//		for i := 0; 2*i < n; i++ {
//			even[q*ldd+i] = src[q*lds+2*i]
//		}
//		for i := 0; 2*i+1 < n; i++ {
//			odd[q*ldd+i] = src[q*lds+2*i+1]
//		}
//	}
//
// Nothing overlaps.
type DeinterleaveFunc func(rows, n int, even, odd *float32, ldd int, src *float32, lds int)

// deinterleaveGeneric is Deinterleave.
func deinterleaveGeneric(rows, n int, even, odd *float32, ldd int, src *float32, lds int) {
	if rows <= 0 || n <= 0 {
		return
	}
	e := unsafe.Slice(even, (rows-1)*ldd+(n+1)/2)
	o := unsafe.Slice(odd, (rows-1)*ldd+n/2)
	s := unsafe.Slice(src, (rows-1)*lds+n)
	for q := range rows {
		sq := s[q*lds : q*lds+n]
		for i := 0; 2*i < n; i++ {
			e[q*ldd+i] = sq[2*i]
		}
		for i := 0; 2*i+1 < n; i++ {
			o[q*ldd+i] = sq[2*i+1]
		}
	}
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

// DWPlaneS1Func computes k×k depthwise convolutions at stride 1 (k fixed
// per kernel) with "same" padding, (k−1)/2 rows and columns of zeros on
// each side, over n whole planes of h×w, 1 ≤ w ≤ DWPlaneWidest(k), stored
// one after another in x and in y; plane c has the weights wt[k²c …] and
// the bias b[c] (b nil: zero):
//
//	p := (k-1)/2
//	for each plane c and output (i, j):
//		acc := b[c]
//		for u := range k {
//			if r := i+u-p; 0 <= r && r < h {   // rows of zeros skipped
//				for v := range k {
//					x := float32(0)
//					if col := j+v-p; 0 <= col && col < w {
//						x = x[(c·h+r)·w+col]
//					}
//					acc += wt[k²c+k·u+v] · x   // FMA in assembly
//				}
//			}
//		}
//		y[(c·h+i)·w+j] = minps(hi, maxps(lo, acc))
//
// Nothing outside the planes is read. Results agree with the twin to a
// few ulps of Σ|w·x| + |b|. The assembly takes rows for which
// DWPlaneFast(k, w) holds; it sends other rows to the twin.
type DWPlaneS1Func func(n, h, w int, y, x, wt, b *float32, lo, hi float32)

// DWPlaneWidest is the widest row the DWPlaneS1Func for k×k windows takes:
// seven vectors at 3×3, two at 5×5.
func DWPlaneWidest(k int) int {
	if k == 3 {
		return 112
	}
	return 32
}

// DWPlaneFast reports whether the assembly DWPlaneS1Func for k×k windows
// takes rows of w: up to DWPlaneWidest(k), and not rows whose last 16-lane
// vector holds fewer than (k−1)/2 outputs (w = 17 at 5×5), as the vector
// before it would then read padding columns unmasked.
func DWPlaneFast(k, w int) bool {
	return w >= 1 && w <= DWPlaneWidest(k) && (w <= 16 || (w-1)%16+1 >= (k-1)/2)
}

// DWPlaneFlat reports whether the assembly DWPlaneS1Func for k×k windows
// takes whole h×w planes flattened, several rows a vector: 3×3 and 5×5 on
// 7×7 (where rows of one vector would leave most lanes idle).
func DWPlaneFlat(k, h, w int) bool { return (k == 3 || k == 5) && h == 7 && w == 7 }

// dwPlaneS1Generic is DWPlaneS1Func for k×k windows.
func dwPlaneS1Generic(k, n, h, w int, y, x, wt, b *float32, lo, hi float32) {
	if n <= 0 || h <= 0 || w <= 0 {
		return
	}
	p, kk := (k-1)/2, k*k
	xs, ys, ws := unsafe.Slice(x, n*h*w), unsafe.Slice(y, n*h*w), unsafe.Slice(wt, n*kk)
	for c := range n {
		var acc0 float32
		if b != nil {
			acc0 = unsafe.Slice(b, n)[c]
		}
		xc, wc := xs[c*h*w:(c+1)*h*w], ws[c*kk:(c+1)*kk]
		for i := range h {
			for j := range w {
				acc := acc0
				for u := range k {
					r := i + u - p
					if r < 0 || r >= h {
						continue
					}
					for v := range k {
						var xv float32
						if col := j + v - p; 0 <= col && col < w {
							xv = xc[r*w+col]
						}
						acc += wc[u*k+v] * xv
					}
				}
				ys[(c*h+i)*w+j] = minps(hi, maxps(lo, acc))
			}
		}
	}
}
