package asm

import "unsafe"

// Depthwise convolution with eight or sixteen channels in the lanes of each
// position: conv transposes eight small input planes to [position][8]
// (Interleave8; sixteen with Interleave16, or as two interleaves of eight
// into [position][16]), computes every output position with one kernel
// call (DWC8S1, DWC8S2, DWC16S1, DWC16S2, over all output rows) and
// transposes the outputs back (Split8, Split16). On small planes this
// replaces several calls per plane with a few per eight or sixteen.

// Interleave8Func sets dst[i·ldd+l] = src[l·lds+i] for l < 8 and i < n:
// eight rows of n floats, lds apart, to n groups of eight, ldd apart (8:
// packed; the channel count: to channels-last, as Winograd's small-map
// route uses it).
type Interleave8Func func(n int, dst *float32, ldd int, src *float32, lds int)

// Interleave4Func is Interleave8Func for four rows: dst[4i+l] =
// src[l·lds+i] for l < 4 and i < n (gemm's MR = 4 A panels).
type Interleave4Func func(n int, dst *float32, src *float32, lds int)

// Split8Func sets dst[l·ldd+i] = src[i·lds+l] for l < 8 and i < n: the
// inverse of Interleave8Func.
type Split8Func func(n int, dst *float32, ldd int, src *float32, lds int)

// Interleave16Func and Split16Func are Interleave8Func and Split8Func for
// sixteen rows (l < 16): the sixteen-lane route's transposes in one pass.
type (
	Interleave16Func func(n int, dst *float32, ldd int, src *float32, lds int)
	Split16Func      func(n int, dst *float32, ldd int, src *float32, lds int)
)

// DWCFunc computes rows output rows of n outputs of L channels (lane l is
// channel l; L = 8 or 16, fixed per kernel) of a kh×kw depthwise
// convolution at stride s (1 or 2, fixed per kernel) from input rows of
// groups of L, ldp floats apart, and the weights w[(k·kw+j)·L+l]. Output
// row q is out[q·ldo …], computed from p[s·q·ldp …] as
//
//	for i := range n {
//		for l := range L {
//			acc := b[l]
//			for k := range kh {
//				for j := range kw {
//					acc += w[(k*kw+j)*L+l] * p[k*ldp+(s*i+j)*L+l]   // FMA in assembly
//				}
//			}
//			out[L*i+l] = minps(hi, maxps(lo, acc))
//		}
//	}
//
// It reads groups 0 … s·(n−1)+kw−1 of each of the kh rows. The rows are
// computed in order of q, so they may overlap (ldo < L·n): row q+1 then
// rewrites what row q wrote past ldo. Results agree with the twin to a few
// ulps of Σ|w·x| + |b| (FMA).
type DWCFunc func(rows, n int, out *float32, ldo int, p *float32, ldp int, w *float32, kh, kw int, b *float32, lo, hi float32)

// interleave4Generic is Interleave4 (see Interleave4Func).
func interleave4Generic(n int, dst *float32, src *float32, lds int) {
	interleaveGeneric(4, n, dst, 4, src, lds)
}

// interleave8Generic is Interleave8 (see Interleave8Func).
func interleave8Generic(n int, dst *float32, ldd int, src *float32, lds int) {
	interleaveGeneric(8, n, dst, ldd, src, lds)
}

// interleaveGeneric sets dst[i·ldd+l] = src[l·lds+i] for l < rows, i < n.
func interleaveGeneric(rows, n int, dst *float32, ldd int, src *float32, lds int) {
	if n <= 0 {
		return
	}
	d := unsafe.Slice(dst, (n-1)*ldd+rows)
	for l := range rows {
		s := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(src), 4*l*lds)), n)
		for i, v := range s {
			d[i*ldd+l] = v
		}
	}
}

// interleave16Generic is Interleave16 (see Interleave16Func).
func interleave16Generic(n int, dst *float32, ldd int, src *float32, lds int) {
	interleaveGeneric(16, n, dst, ldd, src, lds)
}

// split8Generic is Split8 (see Split8Func).
func split8Generic(n int, dst *float32, ldd int, src *float32, lds int) {
	splitGeneric(8, n, dst, ldd, src, lds)
}

// split16Generic is Split16 (see Split16Func).
func split16Generic(n int, dst *float32, ldd int, src *float32, lds int) {
	splitGeneric(16, n, dst, ldd, src, lds)
}

// splitGeneric sets dst[l·ldd+i] = src[i·lds+l] for l < rows, i < n.
func splitGeneric(rows, n int, dst *float32, ldd int, src *float32, lds int) {
	if n <= 0 {
		return
	}
	s := unsafe.Slice(src, (n-1)*lds+rows)
	for l := range rows {
		d := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(dst), 4*l*ldd)), n)
		for i := range d {
			d[i] = s[i*lds+l]
		}
	}
}

// dwcGeneric is one output row of DWCFunc for L lanes and stride s.
func dwcGeneric(L, s, n int, out, p *float32, ldp int, w *float32, kh, kw int, b *float32, lo, hi float32) {
	if n <= 0 || kh <= 0 || kw <= 0 {
		return
	}
	o := unsafe.Slice(out, L*n)
	ws := unsafe.Slice(w, L*kh*kw)
	bs := unsafe.Slice(b, L)
	span := L * (s*(n-1) + kw)
	for i := range n {
		for l := range L {
			acc := bs[l]
			for k := range kh {
				row := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(p), 4*k*ldp)), span)
				for j := range kw {
					acc += ws[(k*kw+j)*L+l] * row[(s*i+j)*L+l]
				}
			}
			o[L*i+l] = minps(hi, maxps(lo, acc))
		}
	}
}

// dwcRows is DWCFunc for L lanes and stride s, a dwcGeneric call per row.
func dwcRows(L, s, rows, n int, out *float32, ldo int, p *float32, ldp int, w *float32, kh, kw int, b *float32, lo, hi float32) {
	for q := 0; q < rows; q++ {
		dwcGeneric(L, s, n, fadd(out, q*ldo), fadd(p, s*q*ldp), ldp, w, kh, kw, b, lo, hi)
	}
}

// dwc8S1Generic is DWC8S1 (see DWCFunc, L = 8, s = 1).
func dwc8S1Generic(rows, n int, out *float32, ldo int, p *float32, ldp int, w *float32, kh, kw int, b *float32, lo, hi float32) {
	dwcRows(8, 1, rows, n, out, ldo, p, ldp, w, kh, kw, b, lo, hi)
}

// dwc8S2Generic is DWC8S2 (see DWCFunc, L = 8, s = 2).
func dwc8S2Generic(rows, n int, out *float32, ldo int, p *float32, ldp int, w *float32, kh, kw int, b *float32, lo, hi float32) {
	dwcRows(8, 2, rows, n, out, ldo, p, ldp, w, kh, kw, b, lo, hi)
}

// dwc16S1Generic is DWC16S1 (see DWCFunc, L = 16, s = 1).
func dwc16S1Generic(rows, n int, out *float32, ldo int, p *float32, ldp int, w *float32, kh, kw int, b *float32, lo, hi float32) {
	dwcRows(16, 1, rows, n, out, ldo, p, ldp, w, kh, kw, b, lo, hi)
}

// dwc16S2Generic is DWC16S2 (see DWCFunc, L = 16, s = 2).
func dwc16S2Generic(rows, n int, out *float32, ldo int, p *float32, ldp int, w *float32, kh, kw int, b *float32, lo, hi float32) {
	dwcRows(16, 2, rows, n, out, ldo, p, ldp, w, kh, kw, b, lo, hi)
}
