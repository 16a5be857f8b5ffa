package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func init() { families["dwconv"] = dwconv }

// Depthwise 3×3 row kernels, stride 1 and 2 (asm/dwconv_generic.go has the
// twin). Each block of 8 outputs sums three partial sums, one per kernel
// row, as the twin does: s0 = b + Σ_j w[j]·r0, s1 = Σ_j w[3+j]·r1,
// s2 = Σ_j w[6+j]·r2, out = clamp(s0 + (s1 + s2)), with FMA.
//
// Stride 1 keeps the nine weights in registers and reads the three taps of
// a row as unaligned loads at column offsets 0, 1, 2. Stride 2 splits
// columns into even/odd lanes (see pool.go), needs more registers for
// that, and so reads the weights as broadcast vectors from a 288-byte
// local area filled once per call.

const dwSig = "func(n int, out *float32, r *float32, ldr int, w *float32, b, lo, hi float32)"

func dwconv(g *build.Context) {
	for _, s := range []int{1, 2} {
		dwKernel(g, s)
	}
}

func dwKernel(g *build.Context, stride int) {
	name := fmt.Sprintf("dwconv3x3s%dBlocksAVX2", stride)
	g.Function(name)
	if stride == 1 {
		g.Attributes(attr.NOSPLIT | attr.NOFRAME)
	} else {
		g.Attributes(attr.NOSPLIT)
	}
	g.SignatureExpr(dwSig)
	g.Pragma("noescape")
	g.Doc(fmt.Sprintf("%s computes out[i] for i < 8·⌊n/8⌋ of a depthwise 3×3 stride-%d row", name, stride),
		"with bias b and clamp [lo, hi] (see DWRowFunc in dwconv_generic.go).")
	n := g.Load(g.Param("n"), g.GP64())
	out := g.Load(g.Param("out"), g.GP64())
	r := g.Load(g.Param("r"), g.GP64())
	ldr := g.Load(g.Param("ldr"), g.GP64())
	g.SHLQ(U8(2), ldr)
	w := g.Load(g.Param("w"), g.GP64())
	bv, lo, hi := bcast(g, "b"), bcast(g, "lo"), bcast(g, "hi")
	// weight(k) is an operand holding w[k] in all lanes.
	var weight func(k int) Op
	if stride == 1 {
		var ws [9]VecVirtual
		for k := range ws {
			ws[k] = g.YMM()
			g.VBROADCASTSS(Mem{Base: w, Disp: 4 * k}, ws[k])
		}
		weight = func(k int) Op { return ws[k] }
	} else {
		local := g.AllocLocal(9 * 32)
		for k := 0; k < 9; k++ {
			t := g.YMM()
			g.VBROADCASTSS(Mem{Base: w, Disp: 4 * k}, t)
			g.VMOVUPS(t, local.Offset(32*k))
		}
		weight = func(k int) Op { return local.Offset(32 * k) }
	}
	g.SHRQ(U8(3), n)
	g.JZ(LabelRef(name + "_done"))
	g.Label(name + "_loop")
	var acc [3]VecVirtual
	for k := 0; k < 3; k++ {
		// The three taps of kernel row k for the 8 outputs of this block.
		var taps [3]Op
		if stride == 1 {
			for j := range taps {
				taps[j] = rowMem(r, ldr, k, 4*j)
			}
		} else {
			a := g.YMM()
			g.VMOVUPS(rowMem(r, ldr, k, 0), a)
			e := shuf(g, 0x88, rowMem(r, ldr, k, 32), a)
			d := shuf(g, 0xDD, rowMem(r, ldr, k, 32), a)
			c := g.YMM()
			g.VMOVUPS(rowMem(r, ldr, k, 4), c)
			f := shuf(g, 0xDD, rowMem(r, ldr, k, 36), c)
			taps = [3]Op{e, d, f}
		}
		// One of tap and weight is a register: stride 1 reads taps from
		// memory, stride 2 weights.
		mulOps := func(j int) (Op, VecVirtual) {
			if stride == 1 {
				return taps[j], weight(3*k + j).(VecVirtual)
			}
			return weight(3*k + j), taps[j].(VecVirtual)
		}
		acc[k] = g.YMM()
		m, x := mulOps(0)
		if k == 0 {
			g.VMOVAPS(bv, acc[k])
			g.VFMADD231PS(m, x, acc[k])
		} else {
			g.VMULPS(m, x, acc[k])
		}
		for j := 1; j < 3; j++ {
			m, x := mulOps(j)
			g.VFMADD231PS(m, x, acc[k])
		}
	}
	g.VADDPS(acc[2], acc[1], acc[1])
	g.VADDPS(acc[1], acc[0], acc[0])
	g.VMAXPS(acc[0], lo, acc[0]) // maxps(lo, ·)
	g.VMINPS(acc[0], hi, acc[0]) // minps(hi, ·)
	if stride == 2 {
		g.VPERMPD(U8(0xD8), acc[0], acc[0])
	}
	g.VMOVUPS(acc[0], Mem{Base: out})
	g.ADDQ(U8(32), out)
	g.ADDQ(U8(32*stride), r)
	g.DECQ(n)
	g.JNZ(LabelRef(name + "_loop"))
	g.Label(name + "_done")
	g.VZEROUPPER()
	g.RET()
}
