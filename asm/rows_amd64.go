//go:build amd64 && !purego && !noasm

package asm

import "unsafe"

// rowKernelsAVX2 is the RowKernels of the avx2 table, and of the avx512
// table but for Sigmoid and SiLU (rowKernelsAVX512): the other kernels are
// memory-bound, so 256-bit vectors already saturate the loads and stores.
//
// The vec kernels handle any n themselves (masked tails). The pool, dwconv
// and winograd kernels are *BlocksAVX2 assembly over whole blocks of 8
// outputs plus the wrappers below: for n ≥ 8 a partial last block is
// recomputed as the block ending at n (the outputs do not overlap the
// inputs, so the overlap rewrites identical values; MaxFold is
// idempotent), and n < 8 goes to the generic twin, which computes the same
// values (bitwise, except for dwconv, see DWRowFunc).
var rowKernelsAVX2 = RowKernels{
	ReLU: reluAVX2, Clip: clipAVX2, LeakyReLU: leakyReLUAVX2,
	HardSigmoid: hardSigmoidAVX2, HardSwish: hardSwishAVX2,
	Sigmoid: sigmoidAVX2, SiLU: siluAVX2,
	ScaleShift: scaleShiftAVX2, Add: addAVX2, CopyRows: copyRowsAVX2, CopyRowsS2: copyRowsS2AVX2, Sum: sumAVX2,
	MaxPool2x2s2: maxPool2x2s2AVX2, MaxPool3x3s2: maxPool3x3s2AVX2, MaxPool3x3s1: maxPool3x3s1AVX2,
	AvgPool2x2s2: avgPool2x2s2AVX2, AvgPool3x3s2: avgPool3x3s2AVX2, AvgPool3x3s1: avgPool3x3s1AVX2,
	MaxFold: maxFoldAVX2, MaxPool3x3s1Planes: maxPool3x3s1PlanesAVX2, AvgPool3x3s1Planes: avgPool3x3s1PlanesAVX2,
	DWConv3x3s1: dwconv3x3s1AVX2, DWConv3x3s2: dwconv3x3s2AVX2, DWConv3x3s1R: dwconv3x3s1rAVX2,
	DWConv3x3s2P: dwconv3x3s2pAVX2, Deinterleave: deinterleaveRowsAVX2,
	DWTapsS1: dwconvTapsS1AVX2, DWTapsS2: dwconvTapsS2AVX2, DWConv3x3Planes: dwconv3x3PlanesAVX2,
	DWC8S1: dwc8S1AVX2, DWC8S2: dwc8S2AVX2, Interleave8: interleave8AVX2, Split8: split8AVX2,
	Interleave4:      interleave4AVX2,
	Winograd43InCols: winograd43InColsAVX2, Winograd43InRow: winograd43InRowAVX2,
	Winograd43OutCols: winograd43OutColsAVX2, Winograd43OutRow: winograd43OutRowAVX2,
}

// rowKernelsAVX512 is rowKernelsAVX2 with 16-lane Sigmoid and SiLU: the
// exp polynomial and the divide make them compute-bound (SiLU ran at 6×
// the time of HardSigmoid over the same 64K floats with 8 lanes); with
// 16-lane Winograd column passes, whose rows are in L1; with PermuteRows,
// whose two-table lane permute AVX2 lacks; and with 16-lane stride-2 max
// pools, which split even and odd columns with that permute (8 lanes ran
// SqueezeNet's 3×3 pool of 64×111×111 at 34 against 44 GB/s in cache);
// and with 16-lane small-plane depthwise kernels (DWC16S1, DWC16S2,
// DWPlaneK3S1, DWPlaneK5S1), which are FMA-bound on 5×5 windows.
var rowKernelsAVX512 = func() RowKernels {
	r := rowKernelsAVX2
	r.Sigmoid, r.SiLU = sigmoidAVX512, siluAVX512
	r.Winograd43InCols, r.Winograd43OutCols = winograd43InColsAVX512, winograd43OutColsAVX512
	r.PermuteRows = permuteRowsAVX512
	r.DWC16S1, r.DWC16S2 = dwc16S1AVX512, dwc16S2AVX512
	r.Interleave16, r.Split16 = interleave16AVX512, split16AVX512
	r.DWPlaneK3S1, r.DWPlaneK5S1 = dwPlaneK3S1, dwPlaneK5S1
	r.DWConv3x3s2P, r.DWConv5x5s2P = dwRowsK3S2P, dwRowsK5S2P
	r.MaxPool2x2s2, r.MaxPool3x3s2 = maxPool2x2s2AVX512, maxPool3x3s2AVX512
	return r
}()

// dwPlaneK3S1 and dwPlaneK5S1 are DWPlaneS1Func: dwPlaneS1 for k×k
// windows.
func dwPlaneK3S1(n, h, w int, y, x, wt, b *float32, lo, hi float32) {
	dwPlaneS1(3, n, h, w, y, x, wt, b, lo, hi)
}

func dwPlaneK5S1(n, h, w int, y, x, wt, b *float32, lo, hi float32) {
	dwPlaneS1(5, n, h, w, y, x, wt, b, lo, hi)
}

// dwPlaneS1 runs k×k windows (k = 3, 5) on the assembly: flattened
// planes (DWPlaneFlat), or rows of w with their load masks (b nil: a zero
// bias for every plane); else the twin, for the rows the assembly does
// not take (see planeMasks). The kernels are called by name, not through
// a func value, whose pointer arguments would escape.
func dwPlaneS1(k, n, h, w int, y, x, wt, b *float32, lo, hi float32) {
	if n > 0 && DWPlaneFlat(k, h, w) {
		pb, bs := planeBias(b)
		if k == 3 {
			dwPlane7x7K3S1AVX512(n, y, x, wt, pb, bs, lo, hi)
		} else {
			dwPlane7x7K5S1AVX512(n, y, x, wt, pb, bs, lo, hi)
		}
		return
	}
	vecs, masks, ok := planeMasks(k, n, h, w)
	if !ok {
		dwPlaneS1Generic(k, n, h, w, y, x, wt, b, lo, hi)
		return
	}
	pb, bs := planeBias(b)
	if k == 3 {
		dwPlaneK3S1AVX512(n, h, w, y, x, wt, pb, bs, lo, hi, vecs, &masks[0])
	} else {
		dwPlaneK5S1AVX512(n, h, w, y, x, wt, pb, bs, lo, hi, vecs, &masks[0])
	}
}

// planeZeroBias is the bias of planes without one.
var planeZeroBias float32

// planeBias is the bias pointer and stride of a plane kernel's biases b.
func planeBias(b *float32) (*float32, int) {
	if b == nil {
		return &planeZeroBias, 0
	}
	return b, 1
}

// planeMasks returns the 16-lane vectors of a row of w and the load masks
// of dwPlane16's kernels for k×k windows (see the generator): lane l of
// vector v, tap column j reads column 16v + l + j − (k−1)/2, which must be
// inside the row, for the lanes of outputs (16v + l < w); masks[j] are the
// lanes of vector 0, masks[k+j] those of the last vector. The kernels take
// the masks of the vectors in between, and of vector 0 for j ≥ (k−1)/2,
// to be full (see DWPlaneFast); ok is false for other rows and without
// outputs.
func planeMasks(k, n, h, w int) (vecs int, masks [10]uint16, ok bool) {
	if n <= 0 || h <= 0 || !DWPlaneFast(k, w) {
		return 0, masks, false
	}
	vecs, pd := (w+15)/16, (k-1)/2
	// lanes are the lanes l of vector v with 16v + l < w and
	// 0 ≤ 16v + l + j − pd < w: lo ≤ l < hi.
	lanes := func(v, j int) uint16 {
		lo := max(0, pd-j-16*v)
		hi := min(16, w-16*v, w-16*v-j+pd)
		if hi <= lo {
			return 0
		}
		return uint16(1<<hi - 1<<lo)
	}
	for j := range k {
		masks[j], masks[k+j] = lanes(0, j), lanes(vecs-1, j)
	}
	return vecs, masks, true
}

// dwRowsK3S2P and dwRowsK5S2P are DWRowsS2PFunc: dwRowsS2P for k×k
// windows.
func dwRowsK3S2P(rows, n int, out *float32, ldo int, r *float32, ldr, half int, w *float32, b, lo, hi float32) {
	dwRowsS2P(3, rows, n, out, ldo, r, ldr, half, w, b, lo, hi)
}

func dwRowsK5S2P(rows, n int, out *float32, ldo int, r *float32, ldr, half int, w *float32, b, lo, hi float32) {
	dwRowsS2P(5, rows, n, out, ldo, r, ldr, half, w, b, lo, hi)
}

// dwRowsS2P runs k×k windows (k = 3, 5) on 16-lane vectors of outputs
// (s2Chunks); rows of fewer than 16 outputs go to the eight-lane 3×3
// kernel and to the 5×5 Go twin (conv sends none there).
func dwRowsS2P(k, rows, n int, out *float32, ldo int, r *float32, ldr, half int, w *float32, b, lo, hi float32) {
	switch {
	case rows <= 0 || n <= 0:
	case n < 16 && k == 3:
		dwconv3x3s2pAVX2(rows, n, out, ldo, r, ldr, half, w, b, lo, hi)
	case n < 16:
		dwconv5x5s2pGeneric(rows, n, out, ldo, r, ldr, half, w, b, lo, hi)
	default:
		s2Chunks(n, func(c, vecs int) {
			if k == 3 {
				dwRowsK3S2PAVX512(rows, ldo, fadd(out, c), fadd(r, c), ldr, half, w, b, lo, hi, vecs, 1<<16-1)
			} else {
				dwRowsK5S2PAVX512(rows, ldo, fadd(out, c), fadd(r, c), ldr, half, w, b, lo, hi, vecs, 1<<16-1)
			}
		})
	}
}

// s2Chunks calls f(c, vecs) for the column chunks of vecs vectors from
// output c on that cover a row of n ≥ 16 outputs: two vectors, then one,
// then the vector ending at n (rewriting outputs with the values they
// hold), so that no tap reads past the row's last (DWRowsS2PFunc's reads).
// The 3×3 kernel had taken rows of 16 to 32 outputs only (mobilenetv2.dw96.s2,
// rows of 56, measured slower on two threads with the blocks of rows the
// kernels ran then); with the sliding window, BenchmarkConv, four
// alternations: 205–209 → 189–200 µs one thread, 107–113 → 104–114 two.
func s2Chunks(n int, f func(c, vecs int)) {
	c := 0
	for ; n-c >= 16; c += 32 {
		vecs := min(2, (n-c)/16)
		f(c, vecs)
		if vecs == 1 {
			c -= 16
		}
	}
	if c < n {
		f(n-16, 1)
	}
}

// poolRows runs a pooling blocks kernel of stride s over every row's
// whole blocks, then over the block ending at n of every row; rows under
// 8 go to the twin.
func poolRows(rows, n int, out *float32, ldo int, r *float32, ldr, s int, body, twin PoolRowsFunc) {
	blocksOf(8, n, func(m, off int) { body(rows, m, fadd(out, off), ldo, fadd(r, s*off), ldr) },
		func() { twin(rows, n, out, ldo, r, ldr) })
}

func maxPool2x2s2AVX2(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRows(rows, n, out, ldo, r, ldr, 2, maxPool2x2s2BlocksAVX2, maxPool2x2s2Generic)
}

func maxPool3x3s2AVX2(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRows(rows, n, out, ldo, r, ldr, 2, maxPool3x3s2BlocksAVX2, maxPool3x3s2Generic)
}

// The 16-lane stride-2 max pools: rows of 9 to 15 in one masked block
// each (the Short kernels; at 8 and under, one 8-lane block measured
// faster: GoogLeNet's 2×2 pool to 7×7 took 43–55 against 35 µs, its
// rows' 8-wide blocks overlapping); longer rows in blocks of 16, the last block
// ending at n, except rows that overlap (ldo < n, as rowsInto's short rows
// do), whose outputs must be written row after row: there the block
// ending at n would rewrite a row's last outputs after the next row's
// first, so they keep the 8-lane kernel.
func maxPool2x2s2AVX512(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRows16(rows, n, out, ldo, r, ldr, 2, maxPool2x2s2BlocksAVX512, maxPool2x2s2ShortAVX512, maxPool2x2s2AVX2)
}

func maxPool3x3s2AVX512(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRows16(rows, n, out, ldo, r, ldr, 3, maxPool3x3s2BlocksAVX512, maxPool3x3s2ShortAVX512, maxPool3x3s2AVX2)
}

// poolRows16 runs a k×k stride-2 pool's 16-lane kernels over rows of n.
func poolRows16(rows, n int, out *float32, ldo int, r *float32, ldr, k int, body PoolRowsFunc,
	short func(rows int, out *float32, ldo int, r *float32, ldr int, lo, hi, st int), narrow PoolRowsFunc) {
	switch {
	case rows <= 0 || n <= 0:
	case n <= 8:
		narrow(rows, n, out, ldo, r, ldr)
	case n < 16:
		cols := 2*n + k - 2 // the columns a row's windows cover
		short(rows, out, ldo, r, ldr, 1<<min(16, cols)-1, 1<<max(0, cols-16)-1, 1<<n-1)
	case ldo < n && rows > 1:
		narrow(rows, n, out, ldo, r, ldr)
	default:
		blocksOf(16, n, func(m, off int) { body(rows, m, fadd(out, off), ldo, fadd(r, 2*off), ldr) }, nil)
	}
}

// Room the planes wrappers give the kernels around a copied plane: they
// read one float before a plane and up to 8 after it, and write up to 7
// after it (rows of 8·vecs lanes).
const planesBefore, planesAfter = 8, 16

// planesInPlace reports whether planes of h×w go to the planes kernels:
// then the planes between a call's first and last run in place, where
// what a kernel reads and writes past a plane is the next one (computed
// after it) or the one before, and the first and the last through copies
// with room around them. Other shapes go to the twins.
func planesInPlace(h, w int) bool {
	plane := h * w
	return w > 0 && w <= PlanesWidest && h >= 2 && plane >= PlanesMin && plane <= PlanesMax
}

func dwconv3x3PlanesAVX2(n, h, w int, y, x, wt, b *float32, lo, hi float32) {
	if n <= 0 || h <= 0 || w <= 0 {
		return
	}
	if !planesInPlace(h, w) {
		dwconv3x3PlanesGeneric(n, h, w, y, x, wt, b, lo, hi)
		return
	}
	var zero float32
	bs := 1
	if b == nil {
		b, bs = &zero, 0
	}
	plane := h * w
	dwPlaneCopy(h, w, y, x, wt, b, lo, hi)
	if n > 2 {
		dwPlanesAVX2(n-2, h, w, fadd(y, plane), fadd(x, plane), fadd(wt, 9), fadd(b, bs), bs, lo, hi)
	}
	if n > 1 {
		p := n - 1
		dwPlaneCopy(h, w, fadd(y, p*plane), fadd(x, p*plane), fadd(wt, 9*p), fadd(b, p*bs), lo, hi)
	}
}

// dwPlanesAVX2 calls the kernel for rows of w (direct calls, so that
// dwPlaneCopy's copies stay on the stack).
func dwPlanesAVX2(n, h, w int, y, x, wt, b *float32, bs int, lo, hi float32) {
	switch (w + 7) / 8 {
	case 1:
		dwconv3x3Planes8BlocksAVX2(n, h, w, y, x, wt, b, bs, lo, hi)
	case 2:
		dwconv3x3Planes16BlocksAVX2(n, h, w, y, x, wt, b, bs, lo, hi)
	case 3:
		dwconv3x3Planes24BlocksAVX2(n, h, w, y, x, wt, b, bs, lo, hi)
	case 4:
		dwconv3x3Planes32BlocksAVX2(n, h, w, y, x, wt, b, bs, lo, hi)
	default:
		dwconv3x3Planes40BlocksAVX2(n, h, w, y, x, wt, b, bs, lo, hi)
	}
}

// dwPlaneCopy runs one plane through copies with room around it.
func dwPlaneCopy(h, w int, y, x, wt, b *float32, lo, hi float32) {
	var in [planesBefore + PlanesMax + planesAfter]float32
	var out [PlanesMax + 8]float32
	plane := h * w
	copy(in[planesBefore:], unsafe.Slice(x, plane))
	dwPlanesAVX2(1, h, w, &out[0], &in[planesBefore], wt, b, 0, lo, hi)
	copy(unsafe.Slice(y, plane), out[:plane])
}

func maxPool3x3s1PlanesAVX2(n, h, w int, y, x *float32) {
	poolPlanesAVX2(false, n, h, w, y, x)
}

func avgPool3x3s1PlanesAVX2(n, h, w int, y, x *float32) {
	poolPlanesAVX2(true, n, h, w, y, x)
}

// poolPlanesAVX2 is MaxPool3x3s1Planes, or with avg AvgPool3x3s1Planes.
func poolPlanesAVX2(avg bool, n, h, w int, y, x *float32) {
	if n <= 0 || h <= 0 || w <= 0 {
		return
	}
	if !planesInPlace(h, w) {
		if avg {
			avgPool3x3s1PlanesGeneric(n, h, w, y, x)
		} else {
			maxPool3x3s1PlanesGeneric(n, h, w, y, x)
		}
		return
	}
	plane := h * w
	poolPlaneCopy(avg, h, w, y, x)
	if n > 2 {
		poolPlanesKernel(avg, n-2, h, w, fadd(y, plane), fadd(x, plane))
	}
	if n > 1 {
		poolPlaneCopy(avg, h, w, fadd(y, (n-1)*plane), fadd(x, (n-1)*plane))
	}
}

// poolPlanesKernel calls the kernel for avg and rows of w (direct calls,
// not a table of funcs, so that poolPlaneCopy's copies stay on the stack).
func poolPlanesKernel(avg bool, n, h, w int, y, x *float32) {
	if avg {
		switch (w + 7) / 8 {
		case 1:
			avgPool3x3s1Planes8BlocksAVX2(n, h, w, y, x)
		case 2:
			avgPool3x3s1Planes16BlocksAVX2(n, h, w, y, x)
		case 3:
			avgPool3x3s1Planes24BlocksAVX2(n, h, w, y, x)
		case 4:
			avgPool3x3s1Planes32BlocksAVX2(n, h, w, y, x)
		default:
			avgPool3x3s1Planes40BlocksAVX2(n, h, w, y, x)
		}
		return
	}
	switch (w + 7) / 8 {
	case 1:
		maxPool3x3s1Planes8BlocksAVX2(n, h, w, y, x)
	case 2:
		maxPool3x3s1Planes16BlocksAVX2(n, h, w, y, x)
	case 3:
		maxPool3x3s1Planes24BlocksAVX2(n, h, w, y, x)
	case 4:
		maxPool3x3s1Planes32BlocksAVX2(n, h, w, y, x)
	default:
		maxPool3x3s1Planes40BlocksAVX2(n, h, w, y, x)
	}
}

// poolPlaneCopy runs one plane through copies with room around it.
func poolPlaneCopy(avg bool, h, w int, y, x *float32) {
	var in [PlanesMax + planesAfter]float32
	var out [PlanesMax + 8]float32
	plane := h * w
	copy(in[:], unsafe.Slice(x, plane))
	poolPlanesKernel(avg, 1, h, w, &out[0], &in[0])
	copy(unsafe.Slice(y, plane), out[:plane])
}

func maxPool3x3s1AVX2(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRows(rows, n, out, ldo, r, ldr, 1, maxPool3x3s1BlocksAVX2, maxPool3x3s1Generic)
}

func avgPool3x3s1AVX2(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRows(rows, n, out, ldo, r, ldr, 1, avgPool3x3s1BlocksAVX2, avgPool3x3s1Generic)
}

func avgPool2x2s2AVX2(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRows(rows, n, out, ldo, r, ldr, 2, avgPool2x2s2BlocksAVX2, avgPool2x2s2Generic)
}

func avgPool3x3s2AVX2(rows, n int, out *float32, ldo int, r *float32, ldr int) {
	poolRows(rows, n, out, ldo, r, ldr, 2, avgPool3x3s2BlocksAVX2, avgPool3x3s2Generic)
}

func maxFoldAVX2(n int, dst, src *float32, s int) {
	var body func(int, *float32, *float32)
	switch s {
	case 1:
		body = maxFold1BlocksAVX2
	case 2:
		body = maxFold2BlocksAVX2
	default:
		maxFoldGeneric(n, dst, src, s)
		return
	}
	blocksOf(8, n, func(m, off int) { body(m, fadd(dst, off), fadd(src, s*off)) },
		func() { maxFoldGeneric(n, dst, src, s) })
}

func dwconv3x3s1AVX2(n int, out, r *float32, ldr int, w *float32, b, lo, hi float32) {
	blocksOf(8, n, func(m, off int) { dwconv3x3s1BlocksAVX2(m, fadd(out, off), fadd(r, off), ldr, w, b, lo, hi) },
		func() { dwconv3x3s1Generic(n, out, r, ldr, w, b, lo, hi) })
}

// Every row's partial last block is recomputed as the block ending at n.
func dwconv3x3s1rAVX2(rows, n int, out *float32, ldo int, r *float32, ldr int, w *float32, b, lo, hi float32) {
	blocksOf(8, n, func(m, off int) {
		dwconv3x3s1rBlocksAVX2(rows, m, fadd(out, off), ldo, fadd(r, off), ldr, w, b, lo, hi)
	},
		func() { dwconv3x3s1rGeneric(rows, n, out, ldo, r, ldr, w, b, lo, hi) })
}

func dwconv3x3s2AVX2(n int, out, r *float32, ldr int, w *float32, b, lo, hi float32) {
	blocksOf(8, n, func(m, off int) { dwconv3x3s2BlocksAVX2(m, fadd(out, off), fadd(r, 2*off), ldr, w, b, lo, hi) },
		func() { dwconv3x3s2Generic(n, out, r, ldr, w, b, lo, hi) })
}

func dwconv3x3s2pAVX2(rows, n int, out *float32, ldo int, r *float32, ldr, half int, w *float32, b, lo, hi float32) {
	blocksOf(8, n, func(m, off int) {
		dwconv3x3s2pBlocksAVX2(rows, m, fadd(out, off), ldo, fadd(r, off), ldr, half, w, b, lo, hi)
	},
		func() { dwconv3x3s2pGeneric(rows, n, out, ldo, r, ldr, half, w, b, lo, hi) })
}

// The taps kernels accumulate, so the outputs after the whole blocks go to
// the twin instead of an overlapping block.
func dwconvTapsS1AVX2(n int, out, r *float32, ldr int, w *float32, kh, kw int) {
	m := n &^ 7
	dwconvTapsS1BlocksAVX2(m, out, r, ldr, w, kh, kw)
	if m < n {
		dwconvTapsS1Generic(n-m, fadd(out, m), fadd(r, m), ldr, w, kh, kw)
	}
}

func dwconvTapsS2AVX2(n int, out, r *float32, ldr int, w *float32, kh, kw int) {
	m := n &^ 7
	dwconvTapsS2BlocksAVX2(m, out, r, ldr, w, kh, kw)
	if m < n {
		dwconvTapsS2Generic(n-m, fadd(out, m), fadd(r, 2*m), ldr, w, kh, kw)
	}
}

func winograd43InColsAVX2(n int, t *float32, ldt int, r *float32, ldr int) {
	blocksOf(8, n, func(m, off int) { winograd43InColsBlocksAVX2(m, fadd(t, off), ldt, fadd(r, off), ldr) },
		func() { winograd43InColsGeneric(n, t, ldt, r, ldr) })
}

func winograd43InColsAVX512(n int, t *float32, ldt int, r *float32, ldr int) {
	blocksOf(16, n, func(m, off int) { winograd43InColsBlocksAVX512(m, fadd(t, off), ldt, fadd(r, off), ldr) },
		func() { winograd43InColsAVX2(n, t, ldt, r, ldr) })
}

// Four to seven tiles (the rows of 14×14 and 28×28 maps) run as two
// overlapping four-tile blocks.
func winograd43InRowAVX2(n int, t *float32, ldt int, o *float32, ldo int) {
	if n < 4 {
		winograd43InRowGeneric(n, t, ldt, o, ldo)
		return
	}
	for q := range 6 {
		tq, oq := fadd(t, q*ldt), fadd(o, 6*q*ldo)
		switch {
		case n < 8:
			winograd43InRowQuadAVX2(tq, oq, ldo)
			winograd43InRowQuadAVX2(fadd(tq, 4*(n-4)), fadd(oq, n-4), ldo)
		default:
			winograd43InRowBlocksAVX2(n, tq, oq, ldo)
			if n%8 != 0 {
				winograd43InRowBlocksAVX2(8, fadd(tq, 4*(n-8)), fadd(oq, n-8), ldo)
			}
		}
	}
}

func winograd43OutColsAVX2(n int, s *float32, lds int, m *float32, ldm int) {
	blocksOf(8, n, func(k, off int) { winograd43OutColsBlocksAVX2(k, fadd(s, off), lds, fadd(m, off), ldm) },
		func() { winograd43OutColsGeneric(n, s, lds, m, ldm) })
}

func winograd43OutColsAVX512(n int, s *float32, lds int, m *float32, ldm int) {
	blocksOf(16, n, func(k, off int) { winograd43OutColsBlocksAVX512(k, fadd(s, off), lds, fadd(m, off), ldm) },
		func() { winograd43OutColsAVX2(n, s, lds, m, ldm) })
}

func winograd43OutRowAVX2(n int, dst *float32, q *float32, ldq int, bias float32) {
	if n >= 4 && n < 8 {
		winograd43OutRowQuadAVX2(dst, q, ldq, bias)
		winograd43OutRowQuadAVX2(fadd(dst, 4*(n-4)), fadd(q, n-4), ldq, bias)
		return
	}
	blocksOf(8, n, func(m, off int) { winograd43OutRowBlocksAVX2(m, fadd(dst, 4*off), fadd(q, off), ldq, bias) },
		func() { winograd43OutRowGeneric(n, dst, q, ldq, bias) })
}

func interleave8AVX2(n int, dst *float32, ldd int, src *float32, lds int) {
	blocksOf(8, n, func(m, off int) { interleave8BlocksAVX2(m, fadd(dst, ldd*off), ldd, fadd(src, off), lds) },
		func() { interleave8Generic(n, dst, ldd, src, lds) })
}

func interleave4AVX2(n int, dst *float32, src *float32, lds int) {
	blocksOf(8, n, func(m, off int) { interleave4BlocksAVX2(m, fadd(dst, 4*off), fadd(src, off), lds) },
		func() { interleave4Generic(n, dst, src, lds) })
}

func interleave16AVX512(n int, dst *float32, ldd int, src *float32, lds int) {
	blocksOf(16, n, func(m, off int) { interleave16BlocksAVX512(m, fadd(dst, ldd*off), ldd, fadd(src, off), lds) },
		func() { interleave16Generic(n, dst, ldd, src, lds) })
}

func split16AVX512(n int, dst *float32, ldd int, src *float32, lds int) {
	blocksOf(16, n, func(m, off int) { split16BlocksAVX512(m, fadd(dst, off), ldd, fadd(src, lds*off), lds) },
		func() { split16Generic(n, dst, ldd, src, lds) })
}

func split8AVX2(n int, dst *float32, ldd int, src *float32, lds int) {
	blocksOf(8, n, func(m, off int) { split8BlocksAVX2(m, fadd(dst, off), ldd, fadd(src, lds*off), lds) },
		func() { split8Generic(n, dst, ldd, src, lds) })
}
