package gemm

import (
	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/cpu"
)

// BSource supplies the B operand (k×n) in packed panels, so callers such
// as convolution can pack straight from their own layout (implicit im2col)
// without materializing B.
//
// PackB writes the block B[k0:k0+kc, n0:n0+nc] into dst as ⌈nc/nr⌉ strips
// of nr columns. Strip s covers columns n0+s·nr … n0+s·nr+nr-1 and starts
// at dst[s·kc·nr]; inside it, row p is nr consecutive values:
//
//	dst[s*kc*nr + p*nr + j] = B[k0+p][n0+s*nr+j]   for p < kc, j < nr
//	                        = 0                     when s*nr+j ≥ nc
//
//	strip 0            strip 1
//	p=0: b00 … b0,nr-1  p=0: b0,nr …
//	p=1: b10 … b1,nr-1  …
//
// len(dst) ≥ ⌈nc/nr⌉·kc·nr. PackB must be safe for concurrent calls on
// disjoint dst (threads pack their own blocks).
type BSource interface {
	PackB(dst []float32, k0, kc, n0, nc, nr int)
}

// smallBlock is the largest block (kc·nc floats) that Matrix.PackB copies
// strip by strip, a CopyRows call per strip: a block this small is read
// from cache either way, and one call per strip replaced a copy per row
// and strip (BenchmarkSgemm avx512, six alternations: one thread 64³ 3.2 →
// 2.9 µs, 128³ 22.0 → 21.1; two threads 512³ 763 → 728). Larger blocks
// are read row by row (see PackB). A variable so that tests can move it.
var smallBlock = cpu.L2 / 2 / 4

// Matrix is a row-major matrix used as a BSource: B = Data (k×n, row
// stride LD) or, with Trans, B = Dataᵀ (Data is n×k).
type Matrix struct {
	Data  []float32
	LD    int
	Trans bool
}

// PackB implements BSource.
func (m *Matrix) PackB(dst []float32, k0, kc, n0, nc, nr int) {
	if !m.Trans {
		// Row by row: each row of the block is read once, in address order
		// (the hardware prefetcher streams it), and scattered to the
		// strips. Strip by strip reads kc short pieces LD apart per strip,
		// a cache and TLB miss each: 128×784×1152 measured 75 → 82 % of
		// the FMA peak, 256×196×2304 80 → 85 %.
		full := nc / nr
		if full > 0 && kc*nc <= smallBlock {
			kt := asm.Default() // (any table's copy is the same)
			for s := range full {
				src := m.Data[k0*m.LD+n0+s*nr:]
				_ = src[(kc-1)*m.LD+nr-1]
				kt.CopyRows(kc, nr, &dst[s*kc*nr], nr, &src[0], m.LD)
			}
		} else if full > 0 && !scatterRows(dst, m.Data[k0*m.LD+n0:], m.LD, kc, nr, full) {
			for p := 0; p < kc; p++ {
				src := m.Data[(k0+p)*m.LD+n0:]
				for s := 0; s < full; s++ {
					copy(dst[s*kc*nr+p*nr:s*kc*nr+p*nr+nr], src[s*nr:])
				}
			}
		}
		if w := nc - full*nr; w > 0 {
			d := dst[full*kc*nr : (full+1)*kc*nr]
			for p := 0; p < kc; p++ {
				row := d[p*nr : p*nr+nr]
				copy(row[:w], m.Data[(k0+p)*m.LD+n0+full*nr:])
				clear(row[w:])
			}
		}
		return
	}
	for s := 0; s*nr < nc; s++ {
		w := min(nr, nc-s*nr)
		d := dst[s*kc*nr : (s+1)*kc*nr]
		j0 := n0 + s*nr
		if w < nr {
			clear(d)
		}
		for j := 0; j < w; j++ {
			src := m.Data[(j0+j)*m.LD+k0:]
			src = src[:kc]
			for p, v := range src {
				d[p*nr+j] = v
			}
		}
	}
}

// packA packs rows [i0, i0+mc) and columns [p0, p0+kc) of op(A) into dst
// as ⌈mc/mr⌉ strips of mr = kern.MR rows: dst[s*mr*ldk + p*mr + i] = op(A)[i0+s*mr+i][p0+p],
// zero for rows past mc. ldk is the distance between strips in k steps
// (kc for a block buffer, K for a whole PackedA).
func packA(dst []float32, kern *asm.Kernels, ldk int, trans bool, a []float32, lda, i0, mc, p0, kc int) {
	mr := kern.MR
	for s := 0; s*mr < mc; s++ {
		h := min(mr, mc-s*mr)
		d := dst[s*mr*ldk : s*mr*ldk+kc*mr]
		r0 := i0 + s*mr
		if h < mr {
			clear(d)
		}
		if trans { // op(A)[i][p] = a[p*lda+i]: rows of a are contiguous in i
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+r0:]
				copy(d[p*mr:p*mr+h], src[:h])
			}
			continue
		}
		if h == mr && gatherRows(kern, d, a[r0*lda+p0:], lda, kc) {
			continue
		}
		for i := 0; i < h; i++ {
			src := a[(r0+i)*lda+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*mr+i] = v
			}
		}
	}
}

// scatterRows copies kc rows of strips·nr floats (source stride ld) into
// strips of nr columns, d[s*kc*nr + p*nr + j] = src[p*ld + s*nr + j], for
// the common panel widths; it reports false for other widths. Fixed-size
// array copies avoid a memmove call per piece.
func scatterRows(d, src []float32, ld, kc, nr, strips int) bool {
	switch nr {
	case 8:
		for p := 0; p < kc; p++ {
			row := src[p*ld : p*ld+strips*8]
			for s := range strips {
				*(*[8]float32)(d[s*kc*8+p*8:]) = *(*[8]float32)(row[s*8:])
			}
		}
	case 16:
		for p := 0; p < kc; p++ {
			row := src[p*ld : p*ld+strips*16]
			for s := range strips {
				*(*[16]float32)(d[s*kc*16+p*16:]) = *(*[16]float32)(row[s*16:])
			}
		}
	case 24:
		for p := 0; p < kc; p++ {
			row := src[p*ld : p*ld+strips*24]
			for s := range strips {
				*(*[24]float32)(d[s*kc*24+p*24:]) = *(*[24]float32)(row[s*24:])
			}
		}
	case 32:
		for p := 0; p < kc; p++ {
			row := src[p*ld : p*ld+strips*32]
			for s := range strips {
				*(*[32]float32)(d[s*kc*32+p*32:]) = *(*[32]float32)(row[s*32:])
			}
		}
	default:
		return false
	}
	return true
}

// gatherRows interleaves mr = kern.MR rows of kc floats (row stride ld)
// into d as d[p*mr+i] = src[i*ld+p], for the common tile heights; false
// otherwise. The table's Interleave4 and Interleave8 do MR = 4 and 8 where it
// has them.
func gatherRows(kern *asm.Kernels, d, src []float32, ld, kc int) bool {
	switch kern.MR {
	case 4:
		if f := kern.Interleave4; f != nil {
			if kc > 0 {
				_ = src[3*ld+kc-1] // the kernel reads exactly these
				_ = d[4*kc-1]
				f(kc, &d[0], &src[0], ld)
			}
			break
		}
		r0, r1, r2, r3 := src[:kc], src[ld:ld+kc], src[2*ld:2*ld+kc], src[3*ld:3*ld+kc]
		for p := range r0 {
			q := (*[4]float32)(d[p*4:])
			q[0], q[1], q[2], q[3] = r0[p], r1[p], r2[p], r3[p]
		}
	case 6:
		r0, r1, r2, r3, r4, r5 := src[:kc], src[ld:ld+kc], src[2*ld:2*ld+kc], src[3*ld:3*ld+kc], src[4*ld:4*ld+kc], src[5*ld:5*ld+kc]
		for p := range r0 {
			q := (*[6]float32)(d[p*6:])
			q[0], q[1], q[2], q[3], q[4], q[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
		}
	case 8:
		if f := kern.Interleave8; f != nil {
			if kc > 0 {
				_ = src[7*ld+kc-1]
				_ = d[8*kc-1]
				f(kc, &d[0], 8, &src[0], ld)
			}
			break
		}
		r0, r1, r2, r3 := src[:kc], src[ld:ld+kc], src[2*ld:2*ld+kc], src[3*ld:3*ld+kc]
		r4, r5, r6, r7 := src[4*ld:4*ld+kc], src[5*ld:5*ld+kc], src[6*ld:6*ld+kc], src[7*ld:7*ld+kc]
		for p := range r0 {
			q := (*[8]float32)(d[p*8:])
			q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p], r6[p], r7[p]
		}
	default:
		return false
	}
	return true
}

// PackedA is op(A) packed once (typically weights at model load) for one
// kernel table; Gemm reuses it for every call. Layout: K is cut into
// Gemm's k blocks (equal blocks of at most KC); the block of width kb
// starting at column p0 is at Data[p0*H:], H = ⌈M/MR⌉·MR, and holds the
// ⌈M/MR⌉ strips of MR rows, strip s at s*MR*kb, element (p, i) of the
// strip at p*MR+i, rows past M zero. The micro-panels of consecutive
// strips are thus contiguous, so the prefetches running ahead of one
// tile's panel fetch the next tile's (strips over the whole K had put the
// other k blocks of the same rows in between: 2048×49×512, whose panels
// come from memory, ran 20 % slower).
type PackedA struct {
	M, K    int
	Kernels *asm.Kernels
	Data    []float32
	r0, h   int // a Rows view: its first row and the packing's height H
}

// PackedASize returns the number of floats PackA needs for an m×k op(A).
func PackedASize(kern *asm.Kernels, m, k int) int {
	return (m + kern.MR - 1) / kern.MR * kern.MR * k
}

// PackA packs op(A) (m×k; a is m×k with row stride lda, or k×m if trans)
// for table kern (nil: asm.Default()). dst is reused if it has room for
// PackedASize floats, else a new slice is allocated.
func PackA(kern *asm.Kernels, trans bool, m, k int, a []float32, lda int, dst []float32) *PackedA {
	kern = orDefault(kern)
	dst = resize(dst, PackedASize(kern, m, k))
	h := roundUp(m, kern.MR)
	kc := blocks(kern, k).kc
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		packA(dst[p0*h:], kern, kb, trans, a, lda, 0, m, p0, kb)
	}
	return &PackedA{M: m, K: k, Kernels: kern, Data: dst, h: h}
}

// Rows returns rows [m0, m1) of p as a PackedA sharing p's data, so that
// threads can each multiply their own rows. m0 must be a multiple of MR.
func (p *PackedA) Rows(m0, m1 int) PackedA {
	mr := p.Kernels.MR
	if m0%mr != 0 || m0 < 0 || m1 < m0 || m1 > p.M {
		panic("gemm: PackedA.Rows: bad row range")
	}
	return PackedA{M: m1 - m0, K: p.K, Kernels: p.Kernels, Data: p.Data, r0: p.r0 + m0, h: p.height()}
}

// height is H, the row count of the packing p (or the view p) is in.
func (p *PackedA) height() int {
	if p.h == 0 { // (built by hand, not by PackA or Rows)
		return roundUp(p.M, p.Kernels.MR)
	}
	return p.h
}

// panel returns the micro-panel of rows i… (a multiple of MR) in the k
// block of width kb at column p0; the next strip's follows MR·kb floats on.
func (p *PackedA) panel(i, p0, kb int) *float32 {
	return &p.Data[p0*p.height()+(p.r0+i)*kb]
}

// Panels returns p's micro-panels when K is a single k block of Gemm's
// (K ≤ KC): strip s (rows s·MR … s·MR+MR−1) at panels[s·MR·K:], element
// (p, i) at p·MR+i, the layout an SgemmFunc reads as its A. ok is false
// when K spans several blocks. Kernels called on them directly, like
// conv's implicit im2col through SgemmOffs, bypass Gemm.
func (p *PackedA) Panels() (panels []float32, ok bool) {
	if p.K == 0 || !OneBlock(p.Kernels, p.K) {
		return nil, false
	}
	return p.Data[p.r0*p.K : (p.r0+roundUp(p.M, p.Kernels.MR))*p.K], true
}

// OneBlock reports whether Gemm with table kern (nil: asm.Default())
// runs k as a single k block (PackedA.Panels).
func OneBlock(kern *asm.Kernels, k int) bool { return blocks(orDefault(kern), k).kc >= k }

// PackedB is op(B) packed once (typically weights that are the B operand,
// as in a Winograd GEMM with the tiles as rows) for one kernel table; Gemm
// then reads its panels in place. Layout: ⌈N/NR⌉ strips of NR columns
// over the whole K, strip s at Data[s*NR*K], element (p, j) of the strip
// at p*NR+j, columns past N zero. A KC block of a strip is thus one
// contiguous kc×NR micro-panel.
type PackedB struct {
	K, N    int
	Kernels *asm.Kernels
	Data    []float32
}

// Cols returns the view of columns [n0, n1) of p; n0 must be a multiple of
// NR (a strip's start), so the view's strips are p's own.
func (p *PackedB) Cols(n0, n1 int) PackedB {
	if n0%p.Kernels.NR != 0 || n0 < 0 || n1 < n0 || n1 > p.N {
		panic("gemm: PackedB.Cols: bad column range")
	}
	return PackedB{K: p.K, N: n1 - n0, Kernels: p.Kernels, Data: p.Data[n0*p.K:]}
}

// PackedBSize returns the number of floats PackB needs for a k×n op(B).
func PackedBSize(kern *asm.Kernels, k, n int) int {
	return (n + kern.NR - 1) / kern.NR * kern.NR * k
}

// PackB packs op(B) (k×n; b is k×n with row stride ldb, or n×k if trans)
// for table kern (nil: asm.Default()). dst is reused if it has room for
// PackedBSize floats, else a new slice is allocated.
func PackB(kern *asm.Kernels, trans bool, k, n int, b []float32, ldb int, dst []float32) *PackedB {
	kern = orDefault(kern)
	dst = resize(dst, PackedBSize(kern, k, n))
	if k > 0 && n > 0 {
		m := Matrix{Data: b, LD: ldb, Trans: trans}
		m.PackB(dst, 0, k, 0, n, kern.NR)
	}
	return &PackedB{K: k, N: n, Kernels: kern, Data: dst}
}

// orDefault returns kern, or asm.Default() when it is nil.
func orDefault(kern *asm.Kernels) *asm.Kernels {
	if kern == nil {
		return asm.Default()
	}
	return kern
}

// resize returns dst with length n, reusing it if it has room.
func resize(dst []float32, n int) []float32 {
	if cap(dst) < n {
		return make([]float32, n)
	}
	return dst[:n]
}
