package asm

import (
	"math"
	"unsafe"
)

// ActFunc applies an element-wise activation with parameters a and b:
//
//	for i := range n {
//		dst[i] = f(src[i], a, b)
//	}
//
// dst and src are the same pointer or do not overlap.
type ActFunc func(n int, dst, src *float32, a, b float32)

// ScaleShiftFunc is batch normalisation of one plane with a fused clamp
// (±Inf for none, 0 and +Inf for ReLU):
//
//	for i := range n {
//		dst[i] = minps(hi, maxps(lo, float32(src[i]*s)+t)) // no FMA
//	}
//
// dst and src are the same pointer or do not overlap.
type ScaleShiftFunc func(n int, dst, src *float32, s, t, lo, hi float32)

// AddFunc is element-wise addition:
//
//	for i := range n {
//		dst[i] = x[i] + y[i]
//	}
//
// dst may be x or y; otherwise nothing overlaps.
type AddFunc func(n int, dst, x, y *float32)

// CopyRowsFunc copies a block of rows:
//
//	for r := range rows {
//		copy(dst[r*ldd:r*ldd+n], src[r*lds:r*lds+n])
//	}
//
// Nothing overlaps.
type CopyRowsFunc func(rows, n int, dst *float32, ldd int, src *float32, lds int)

// CopyRowsS2Func copies every other float of a block of rows (the
// columns a stride-2 window reads):
//
//	for r := range rows {
//		for i := range n {
//			dst[r*ldd+i] = src[r*lds+2*i]
//		}
//	}
//
// A row reads src[r*lds] … src[r*lds+2n−2], nothing past it. Nothing
// overlaps.
type CopyRowsS2Func func(rows, n int, dst *float32, ldd int, src *float32, lds int)

// PermuteRowsFunc fills rows of 16 floats, each from a window of 48
// floats of src through one lane table (implicit im2col: a packed row of B
// from a run of the image, whatever the columns' pattern within it):
//
//	for r := range rows {
//		w := src[bases[r] : bases[r]+48]
//		for l := range 16 {
//			dst[r*ldd+l] = 0
//			if mask>>l&1 != 0 {
//				dst[r*ldd+l] = w[idx[l]]
//			}
//		}
//	}
//
// idx[l] < 48 where mask bit l is set. Every row's whole window is read,
// whatever the mask. Nothing overlaps.
type PermuteRowsFunc func(rows int, dst *float32, ldd int, src *float32, bases *int, idx *int32, mask int)

// SumFunc returns Σ x[i] for i < n, in float32, in this order: 32 partial
// sums q[i mod 32] over the whole blocks of 32, then blocks of 8 into
// q[0…7]; then the lanes pairwise, (q[l] + q[8+l]) + (q[16+l] + q[24+l])
// → v[l], v[l] + v[l+4], then + 2 lanes apart, then + 1 apart; then the
// last n mod 8 elements one by one.
type SumFunc func(n int, x *float32) float32

// sumGeneric is Sum.
func sumGeneric(n int, x *float32) float32 {
	if n <= 0 {
		return 0
	}
	s := unsafe.Slice(x, n)
	var q [32]float32
	i := 0
	for ; i+32 <= n; i += 32 {
		b := s[i : i+32 : i+32]
		for l := range q {
			q[l] += b[l]
		}
	}
	for ; i+8 <= n; i += 8 {
		b := s[i : i+8 : i+8]
		for l := range 8 {
			q[l] += b[l]
		}
	}
	var v [8]float32
	for l := range v {
		v[l] = (q[l] + q[8+l]) + (q[16+l] + q[24+l])
	}
	for l := range 4 {
		v[l] += v[l+4]
	}
	v[0], v[1] = v[0]+v[2], v[1]+v[3]
	r := v[0] + v[1]
	for ; i < n; i++ {
		r += s[i]
	}
	return r
}

// copyRowsGeneric is CopyRows.
func copyRowsGeneric(rows, n int, dst *float32, ldd int, src *float32, lds int) {
	if rows <= 0 || n <= 0 {
		return
	}
	d := unsafe.Slice(dst, (rows-1)*ldd+n)
	s := unsafe.Slice(src, (rows-1)*lds+n)
	for r := range rows {
		copy(d[r*ldd:r*ldd+n], s[r*lds:r*lds+n])
	}
}

// permuteRowsGeneric is PermuteRows.
func permuteRowsGeneric(rows int, dst *float32, ldd int, src *float32, bases *int, idx *int32, mask int) {
	if rows <= 0 {
		return
	}
	d := unsafe.Slice(dst, (rows-1)*ldd+16)
	b := unsafe.Slice(bases, rows)
	ix := unsafe.Slice(idx, 16)
	for r := range rows {
		w := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(src), 4*b[r])), 48)
		for l := range 16 {
			v := float32(0)
			if mask>>l&1 != 0 {
				v = w[ix[l]]
			}
			d[r*ldd+l] = v
		}
	}
}

// copyRowsS2Generic is CopyRowsS2.
func copyRowsS2Generic(rows, n int, dst *float32, ldd int, src *float32, lds int) {
	if rows <= 0 || n <= 0 {
		return
	}
	d := unsafe.Slice(dst, (rows-1)*ldd+n)
	s := unsafe.Slice(src, (rows-1)*lds+2*n-1)
	for r := range rows {
		dr, sr := d[r*ldd:r*ldd+n], s[r*lds:r*lds+2*n-1]
		for i := range dr {
			dr[i] = sr[2*i]
		}
	}
}

// vecSlices returns dst and src of an ActFunc as slices (nil for n ≤ 0).
func vecSlices(n int, dst, src *float32) ([]float32, []float32) {
	if n <= 0 {
		return nil, nil
	}
	return unsafe.Slice(dst, n), unsafe.Slice(src, n)
}

// reluGeneric is ReLU: dst[i] = maxps(0, src[i]) (NaN stays NaN, −0 stays −0).
func reluGeneric(n int, dst, src *float32, _, _ float32) {
	d, s := vecSlices(n, dst, src)
	for i, x := range s {
		d[i] = maxps(0, x)
	}
}

// clipGeneric is Clip: dst[i] = minps(hi, maxps(lo, src[i])) with lo = a, hi = b.
func clipGeneric(n int, dst, src *float32, lo, hi float32) {
	d, s := vecSlices(n, dst, src)
	for i, x := range s {
		d[i] = minps(hi, maxps(lo, x))
	}
}

// leakyReLUGeneric is LeakyReLU: dst[i] = src[i] < 0 ? alpha·src[i] : src[i].
func leakyReLUGeneric(n int, dst, src *float32, alpha, _ float32) {
	d, s := vecSlices(n, dst, src)
	for i, x := range s {
		if x < 0 {
			x *= alpha
		}
		d[i] = x
	}
}

// hardSigmoidGeneric is HardSigmoid: dst[i] = minps(1, maxps(0, alpha·x + beta)),
// multiply and add rounded separately.
func hardSigmoidGeneric(n int, dst, src *float32, alpha, beta float32) {
	d, s := vecSlices(n, dst, src)
	for i, x := range s {
		d[i] = minps(1, maxps(0, float32(alpha*x)+beta))
	}
}

// hardSwishGeneric is HardSwish: dst[i] = x·minps(1, maxps(0, x·(1/6) + 1/2)),
// multiply and add rounded separately.
func hardSwishGeneric(n int, dst, src *float32, _, _ float32) {
	d, s := vecSlices(n, dst, src)
	for i, x := range s {
		d[i] = x * minps(1, maxps(0, float32(x*(1.0/6))+0.5))
	}
}

// sigmoidGeneric is Sigmoid: dst[i] = 1 / (1 + expPoly(−x)).
func sigmoidGeneric(n int, dst, src *float32, _, _ float32) {
	d, s := vecSlices(n, dst, src)
	for i, x := range s {
		d[i] = 1 / (1 + expPoly(-x))
	}
}

// siluGeneric is SiLU: dst[i] = x · (1 / (1 + expPoly(−x))).
func siluGeneric(n int, dst, src *float32, _, _ float32) {
	d, s := vecSlices(n, dst, src)
	for i, x := range s {
		d[i] = x * (1 / (1 + expPoly(-x)))
	}
}

// Constants of expPoly; gen/amd64/vec.go and gen/neon/exp.go repeat them.
const (
	expLo    = -87.33654 // e^expLo ≈ 2^-126, the smallest normal
	expHi    = 88        // 2^k ≤ 2^127 stays finite (see expPoly)
	expLog2e = 1.44269504088896341
	expLn2Hi = 0.693359375 // ln 2 = expLn2Hi + expLn2Lo, hi exact in 9 bits
	expLn2Lo = -2.12194440e-4
	expMagic = 12582912 // 1.5·2^23: adding it rounds to an integer
	// e^r ≈ 1 + r·(c1 + r·(c2 + r·(c3 + r·(c4 + r·c5)))) on |r| ≤ ln2/2:
	// float32 coefficients searched for the least relative error (1.03e-7
	// in exact arithmetic; the degree-6 Taylor polynomial had 1.6e-7).
	expC1 = 0.9999995
	expC2 = 0.49999154
	expC3 = 0.1666812
	expC4 = 0.041898753
	expC5 = 0.008261548
)

// expPoly is e^z in float32 as Sigmoid and SiLU need it, the algorithm of
// the vector kernels: z is clamped to [expLo, expHi] (NaN stays NaN),
// reduced to z = k·ln2 + r with |r| ≤ ln2/2 (Cody–Waite), e^r by a
// degree-5 polynomial, times 2^k built from exponent bits. Relative error
// about 2e-7 on [expLo, expHi] (tested against math.Exp in float64); above
// expHi the result stays e^88 ≈ 1.65e38 (1/(1 + e^z) is then below 6.1e-39
// either way) and below expLo it stops at ≈1.18e-38. The assembly
// evaluates the polynomial and the reduction with FMA, so it agrees with
// this function to within a few ulps, not bitwise.
func expPoly(z float32) float32 {
	z = minps(expHi, maxps(expLo, z))
	t := z*expLog2e + expMagic
	k := int32(math.Float32bits(t)) - int32(math.Float32bits(expMagic))
	kf := t - expMagic
	r := z - kf*expLn2Hi - kf*expLn2Lo
	p := 1 + r*(expC1+r*(expC2+r*(expC3+r*(expC4+r*expC5))))
	return p * math.Float32frombits(uint32(k+127)<<23)
}

// scaleShiftGeneric is ScaleShift: dst[i] = minps(hi, maxps(lo, float32(src[i]·s) + t)).
func scaleShiftGeneric(n int, dst, src *float32, s, t, lo, hi float32) {
	d, x := vecSlices(n, dst, src)
	for i, v := range x {
		d[i] = minps(hi, maxps(lo, float32(v*s)+t))
	}
}

// addGeneric is Add: dst[i] = x[i] + y[i].
func addGeneric(n int, dst, x, y *float32) {
	if n <= 0 {
		return
	}
	d, a, b := unsafe.Slice(dst, n), unsafe.Slice(x, n), unsafe.Slice(y, n)
	for i := range d {
		d[i] = a[i] + b[i]
	}
}
