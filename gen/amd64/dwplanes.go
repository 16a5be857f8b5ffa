package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// planesVecs is the most vectors per row of the planes kernels (asm's
// PlanesWidest = 8·planesVecs).
const planesVecs = 5

// dwPlanes emits dwconv3x3Planes{8,…,40}BlocksAVX2, for rows of up to
// 8·vecs floats in vecs vectors (DWPlanesFunc in asm/dwconv_generic.go): a
// depthwise 3×3 stride-1 "same" convolution over whole planes with the
// nine weights in registers. The first and last
// output rows of a plane and the rows between have their own code, so
// each sums just the kernel rows inside the plane, without a branch: per
// vector and kernel row, the input row read at column offsets −1, 0, 1
// (unaligned loads; the lanes that fall outside the row masked to zero,
// the padding) in its own FMA chain, the first from the bias, then the
// chains added in order. Rows are read and written 8·vecs lanes wide, into
// the row after them: one float before a plane and 8·vecs + 1 − w after it
// are read, 8·vecs − w after it written, so the Go wrapper sends the first
// and last planes of a call through copies with room around them. Planes
// need h ≥ 2.
//
// (A 5×5 kernel of the same design, its 25 weights broadcast as it went,
// ran MobileNet-sized 960@7×7 layers at 33 against the eight-lane route's
// 38 GFLOP/s: two loads per FMA.)
func dwPlanes(g *build.Context, vecs int) {
	const k, pad = 3, 1
	name := fmt.Sprintf("dwconv3x3Planes%dBlocksAVX2", 8*vecs)
	g.Function(name)
	g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	g.SignatureExpr("func(n, h, w int, y, x, wt, b *float32, bs int, lo, hi float32)")
	g.Pragma("noescape")
	g.Doc(name+" is DWConv3x3Planes (DWPlanesFunc; see its twin in dwconv_generic.go)",
		fmt.Sprintf("for h ≥ 2 and rows of %d to %d, with the bias b[p·bs] and reads and writes", 8*vecs-7, 8*vecs),
		"past the planes (see dwPlanes in the generator).")
	prm := gpParams(g, "n", "h", "w", "y", "x", "wt", "b", "bs")
	n, h, wb, y, x, wt, b, bs := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6], prm[7]
	g.SHLQ(U8(2), wb) // row bytes
	g.SHLQ(U8(2), bs)
	// The masks of the shifted taps: column −1 is lane 0 of the first
	// vector; column w is lane k = w − 8·(vecs−1) − 1 of the last, whose
	// lanes below k stay (laneMasks from offset 8 − k). The lanes past the
	// row are outputs the next row rewrites, so neither mask needs them.
	left, right := g.YMM(), g.YMM()
	g.VMOVUPS(iconst(g, "notlane0", [8]int32{0, -1, -1, -1, -1, -1, -1, -1}), left)
	t := g.GP64()
	g.LEAQ(laneMasks(g), t)
	g.SUBQ(wb, t)
	g.VMOVUPS(Mem{Base: t, Disp: 36 + 32*(vecs-1)}, right)
	// mask is the mask of vector c's taps shifted by s (nil: none).
	mask := func(c, s int) VecVirtual {
		switch {
		case s < 0 && c == 0:
			return left
		case s > 0 && c == vecs-1:
			return right
		}
		return nil
	}
	lo, hi := bcast(g, "lo"), bcast(g, "hi")
	g.SUBQ(wb, x) // x walks the rows r − 1 of the current output row r
	var ws [9]VecVirtual
	// row sums output row r's kernel rows us, a vector at a time, and
	// stores it.
	row := func(us []int) {
		for c := 0; c < vecs; c++ {
			var acc VecVirtual
			for _, u := range us {
				in := func(s int) Mem {
					if u == 0 {
						return Mem{Base: x, Disp: 4*s + 32*c}
					}
					return Mem{Base: x, Index: wb, Scale: uint8(u), Disp: 4*s + 32*c}
				}
				sum := g.YMM()
				if acc == nil {
					g.VBROADCASTSS(Mem{Base: b}, sum)
				}
				for v := 0; v < k; v++ {
					s := v - pad
					wv := ws[3*u+v]
					var tap Op = in(s)
					if m := mask(c, s); m != nil {
						tm := g.YMM()
						g.VANDPS(in(s), m, tm)
						tap = tm
					}
					if v == 0 && acc != nil {
						g.VMULPS(tap, wv, sum)
					} else {
						g.VFMADD231PS(tap, wv, sum)
					}
				}
				if acc == nil {
					acc = sum
				} else {
					g.VADDPS(sum, acc, acc)
				}
			}
			g.VMAXPS(acc, lo, acc) // maxps(lo, ·)
			g.VMINPS(acc, hi, acc) // minps(hi, ·)
			g.VMOVUPS(acc, Mem{Base: y, Disp: 32 * c})
		}
		g.ADDQ(wb, x)
		g.ADDQ(wb, y)
	}
	kernelRows := func(a, e int) []int {
		var us []int
		for u := a; u < e; u++ {
			us = append(us, u)
		}
		return us
	}
	mid := g.GP64()
	g.Label(name + "_plane")
	for i := range ws {
		ws[i] = g.YMM()
		g.VBROADCASTSS(Mem{Base: wt, Disp: 4 * i}, ws[i])
	}
	for j := 0; j < pad; j++ { // top rows: kernel rows from pad − j on
		row(kernelRows(pad-j, k))
	}
	g.MOVQ(h, mid)
	g.SUBQ(U8(2*pad), mid)
	g.JZ(LabelRef(name + "_bottom"))
	g.Label(name + "_row")
	row(kernelRows(0, k))
	g.DECQ(mid)
	g.JNZ(LabelRef(name + "_row"))
	g.Label(name + "_bottom")
	for j := 0; j < pad; j++ { // bottom rows: kernel rows up to k − 1 − j
		row(kernelRows(0, k-1-j))
	}
	g.ADDQ(U32(4*k*k), wt)
	g.ADDQ(bs, b)
	g.DECQ(n)
	g.JNZ(LabelRef(name + "_plane"))
	g.VZEROUPPER()
	g.RET()
}
