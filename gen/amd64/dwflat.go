package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dwPlaneFlat emits dwPlane<h>x<w>K<k>S1AVX512, DWPlaneS1Func for k×k
// windows (k = 3, 5) on planes of h×w ≤ 64 floats (the 7×7 maps that end
// MobileNetV2, EfficientNet and ShuffleNetV2), each plane flattened: its
// outputs fill ⌈h·w/16⌉ vectors (49 of 64 lanes at 7×7, against 7 of 16
// with a row a vector, or the lanes route's transposes in and out). The
// plane is loaded into those vectors (lanes past it zero) between two
// zero vectors; output q's tap (u, j) reads q + w(u−p) + j−p (p =
// (k−1)/2), a VALIGND of two neighbouring vectors, so rows above and
// below read zeros, and the columns that wrap to the row before or after
// are masked out of the FMA (merge masking; masks fixed by h and w:
// planeFlatMask). The VALIGNDs and the FMAs share the two vector pipes
// and bound the kernels (29 + 33 a plane at 3×3, about 31 cycles; 79 +
// 90 at 5×5); unaligned loads of a copy between zeros instead cross a
// cache line each and ran slower still, and a layout of two rows a
// vector padded to eight (45 VALIGNDs at 5×5) measured 4 % faster. Each output sums
// its taps in two chains (even and odd kernel rows at 5×5, taps at 3×3,
// added at the store: eight chains over four vectors for the FMA
// latency), the first from the bias.
func dwPlaneFlat(g *build.Context, k, h, w int) {
	p := (k - 1) / 2
	plane := h * w
	vecs := (plane + 15) / 16
	if vecs > 4 || p*(w+1) > 16 {
		panic("dwPlaneFlat: planes of at most 64 floats, taps at most 16 floats away")
	}
	name := fmt.Sprintf("dwPlane%dx%dK%dS1AVX512", h, w, k)
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(n int, y, x, wt, b *float32, bs int, lo, hi float32)")
	g.Pragma("noescape")
	g.Doc(fmt.Sprintf("%s is DWPlaneS1Func for %d×%d windows on %d×%d planes, the biases bs", name, k, k, h, w),
		"floats apart (see dwPlaneFlat in the generator).")
	prm := gpParams(g, "n", "y", "x", "wt", "b", "bs")
	n, y, x, wt, b, bs := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5]
	g.SHLQ(U8(2), bs)
	g.TESTQ(n, n)
	g.JLE(LabelRef(name + "_done"))
	zero := g.ZMM()
	g.VXORPS(zero, zero, zero)
	kmask := func(bits uint16) Op {
		r, kr := g.GP32(), g.K()
		g.MOVL(U32(uint32(bits)), r)
		g.KMOVW(r, kr)
		return kr
	}
	// The last vector's lanes inside the plane (loads and stores).
	var last Op
	if plane%16 != 0 {
		last = kmask(uint16(1)<<(plane%16) - 1)
	}
	// Tap column j's mask of vector v: nil when every output lane may
	// add it, skip when none may.
	type tapMask struct {
		k    Op
		skip bool
	}
	// At k = 3 all masks and weights stay in registers; at 5 a tap
	// column's are loaded before its taps (seven mask registers).
	masks := make([][]tapMask, vecs)
	loadMasks := func(j int) {
		for v := range vecs {
			bits, all := planeFlatMask(k, h, w, v, j)
			switch {
			case bits == 0:
				masks[v][j].skip = true
			case bits != all:
				masks[v][j].k = kmask(bits)
			}
		}
	}
	for v := range masks {
		masks[v] = make([]tapMask, k)
	}
	if k == 3 {
		for j := range k {
			loadMasks(j)
		}
	}
	ws := make([]VecVirtual, k*k)
	for i := range ws {
		if k == 3 || i < k {
			ws[i] = g.ZMM()
		}
	}
	in := make([]VecVirtual, vecs)
	acc := make([][2]VecVirtual, vecs)
	for v := range acc {
		in[v] = g.ZMM()
		acc[v] = [2]VecVirtual{g.ZMM(), g.ZMM()}
	}
	// vec returns flattened vector i (zero outside the plane).
	vec := func(i int) VecVirtual {
		if i < 0 || i >= vecs {
			return zero
		}
		return in[i]
	}
	g.Label(name + "_loop")
	for v := range vecs {
		m := Mem{Base: x, Disp: 64 * v}
		if v == vecs-1 && last != nil {
			g.VMOVUPS_Z(m, last, in[v])
		} else {
			g.VMOVUPS(m, in[v])
		}
	}
	if k == 3 {
		for i, r := range ws {
			g.VBROADCASTSS(Mem{Base: wt, Disp: 4 * i}, r)
		}
	}
	g.VBROADCASTSS(Mem{Base: b}, acc[0][0])
	for v := range acc {
		if v > 0 {
			g.VMOVAPS(acc[0][0], acc[v][0])
		}
		g.VXORPS(acc[v][1], acc[v][1], acc[v][1])
	}
	// tap adds tap (u, j) with weight wr to every vector's chain c.
	tap := func(u, j int, wr VecVirtual, c int) {
		d := w*(u-p) + j - p // the tap's offset in the flattened plane
		q := (d+16)/16 - 1   // ⌊d/16⌋ for |d| ≤ 16
		r := d - 16*q
		for v := range vecs {
			m := masks[v][j]
			if m.skip {
				continue
			}
			src := vec(v + q)
			if r != 0 {
				src = g.ZMM()
				g.VALIGND(U8(r), vec(v+q), vec(v+q+1), src)
			}
			if m.k != nil {
				g.VFMADD231PS(src, wr, m.k, acc[v][c])
			} else {
				g.VFMADD231PS(src, wr, acc[v][c])
			}
		}
	}
	if k == 3 {
		for t := range k * k {
			tap(t/k, t%k, ws[t], t%2)
		}
	} else {
		// Column by column (its masks), the column's weights in registers.
		for j := range k {
			for u := range k {
				g.VBROADCASTSS(Mem{Base: wt, Disp: 4 * (u*k + j)}, ws[u])
			}
			loadMasks(j)
			for u := range k {
				tap(u, j, ws[u], u%2)
			}
		}
	}
	sums := make([]VecVirtual, vecs)
	for v := range acc {
		sums[v] = acc[v][0]
		g.VADDPS(acc[v][1], sums[v], sums[v])
	}
	planeStore(g, sums, y, last)
	g.ADDQ(U32(4*plane), x)
	g.ADDQ(U32(4*plane), y)
	g.ADDQ(U8(uint8(4*k*k)), wt)
	g.ADDQ(bs, b)
	g.DECQ(n)
	g.JNZ(LabelRef(name + "_loop"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}

// planeFlatMask returns the lanes of vector v of a flattened h×w plane's
// outputs (lane l is output 16v + l) that add tap column j of a k×k
// window (reading column col + j − 1, which must be inside the row), and
// all, the lanes of outputs in v.
func planeFlatMask(k, h, w, v, j int) (bits, all uint16) {
	for l := range 16 {
		q := 16*v + l
		if q >= h*w {
			break
		}
		all |= 1 << l
		if col := q%w + j - (k-1)/2; col >= 0 && col < w {
			bits |= 1 << l
		}
	}
	return bits, all
}
