package conv

import (
	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/parallel"
)

// Depthwise convolution with L = 8 or 16 channels in the lanes. On small
// planes the per-plane route costs a few kernel calls and copies per plane
// for a few hundred multiply-adds (a 7×7 plane ran at a tenth of the FMA
// rate), so L planes at a time are transposed to [position][L]
// (Interleave8, twice for 16), padded, convolved by one call over all
// output rows that computes L channels per vector FMA (DWC8S1, DWC8S2,
// DWC16S1, DWC16S2; a call per row cost 30 % of a 7×7 layer), and
// transposed back into the output planes (Split8). Sixteen lanes for
// kernels above 3×3 where the table has them and the channels allow
// (dwLanes): those are FMA-bound, and 512-bit FMAs do twice the work of
// 256-bit ones at the same rate.

// dwc8MaxPlane is the largest output plane (OH·OW) that runs with the
// channels in the lanes, 3×3 and 5×5 (a variable so tests can send larger
// planes there).
var dwc8MaxPlane = [2]int{14 * 14, 28 * 28}

// dwLanes is the channels in the lanes kt's kernels take for m depthwise
// channels and kk taps: 16 where it has DWC16S1, 16 divides m and the
// kernel is above 3×3, 8 where it has DWC8S1 and 8 divides m, else 0 (no
// lanes route). Sixteen lanes ran 5×5 layers 1.4–1.6× as fast as eight
// (BenchmarkConv efficientnet.dw240.5x5, mobilenetv2.dw960.5x5, one
// thread) but 3×3 ones 6 % slower (mobilenetv2.dw192.s2: nine taps do not
// pay for the twice larger padded plane, 57 KB here, past L1).
func dwLanes(kt *asm.Kernels, m, kk int) int {
	switch {
	case kt.DWC16S1 != nil && m%16 == 0 && kk > 9:
		return 16
	case kt.DWC8S1 != nil && m%8 == 0:
		return 8
	}
	return 0
}

// lanesFor returns the lanes a Run on g takes the lanes route with and
// their weights and bias: sixteen for 3×3 windows too (with eight by
// dwLanes) on output planes up to dwc16Plane3, whose padded input planes
// are small enough that sixteen lanes stay in L1.
func (k *Conv) lanesFor(g *geometry) (L int, w, b []float32) {
	if k.small16(g) {
		return 16, k.dwL16, k.dwB16
	}
	return k.lanes, k.dwL, k.dwLBias
}

// small16 reports whether a 3×3 Run on g takes sixteen lanes for its
// small output planes (see lanesFor).
func (k *Conv) small16(g *geometry) bool { return k.dwL16 != nil && g.oh*g.ow <= dwc16Plane3 }

// dwc16Plane3 is the largest output plane a 3×3 layer takes sixteen lanes
// on, before the DWConv3x3Planes route as well. BenchmarkConv, three
// alternations, one / two threads: mobilenetv2.dw960.s1 (7×7) 21 / 12.4 →
// 15.3 / 10.9 µs (from DWConv3x3Planes), dw576.s2 (14×14 → 7×7) 21 / 21
// → 18 / 19 (from eight lanes); but dw192.s2 (28×28 → 14×14) 24.6 / 14.8
// → 26.2 / 16.8, and the 14×14 stride-1 layers no faster than
// DWConv3x3Planes (dw672: 42 → 43 µs one thread).
var dwc16Plane3 = 7 * 7

// dwcKernel is kt's L-lane depthwise kernel at stride s.
func dwcKernel(kt *asm.Kernels, L, s int) asm.DWCFunc {
	switch {
	case L == 16 && s == 2:
		return kt.DWC16S2
	case L == 16:
		return kt.DWC16S1
	case s == 2:
		return kt.DWC8S2
	}
	return kt.DWC8S1
}

// lanesL rearranges depthwise weights w [m][kk] as [m/L][kk][L] and the
// bias (nil: zeros) as [m/L][L].
func lanesL(w, bias []float32, m, kk, L int) (wl, bl []float32) {
	wl, bl = make([]float32, m*kk), make([]float32, m)
	for c := 0; c < m; c++ {
		g, l := c/L, c%L
		for t := 0; t < kk; t++ {
			wl[(g*kk+t)*L+l] = w[c*kk+t]
		}
		if bias != nil {
			bl[c] = bias[c]
		}
	}
	return wl, bl
}

// useDWC reports whether a depthwise Run on g takes the lanes route.
func (k *Conv) useDWC(g *geometry) bool {
	most := dwc8MaxPlane[0]
	if k.kh*k.kw > 9 {
		most = dwc8MaxPlane[1]
	}
	return k.dwL != nil && dwFlat(g) && g.oh*g.ow <= most && g.oh > 0 && g.ow > 0
}

// dwPadDims are the rows and row width of a depthwise plane padded for
// kh×kw windows (both routes: dwLayout and the eight-lane one).
func dwPadDims(g *geometry, kh, kw int) (hp, wp int) {
	return max(g.h+g.ph, (g.oh-1)*g.sh+kh), max(g.w+g.pw, (g.ow-1)*g.sw+kw)
}

// dwc8Row is the outputs computed per output row: OW rounded up to the
// kernels' blocks of eight (a lone output would be one FMA chain). The
// extra ones land on the next row's first outputs, computed after them,
// or past the last row; they read up to s·7 positions past a row.
func dwc8Row(g *geometry) int { return roundUp(g.ow, 8) }

// dwcScratch takes one worker's scratch from c: the interleaved input
// plane (rows narrower than interleaveRows only), the padded one, and the
// interleaved outputs, L each (lanesFor), with room for what dwc8Row's extra
// outputs read and write.
func (k *Conv) dwcScratch(c *carver, g *geometry) (in, pad, out []float32) {
	L, _, _ := k.lanesFor(g)
	hp, wp := dwPadDims(g, k.kh, k.kw)
	extra := dwc8Row(g) - g.ow
	if g.w < interleaveRows {
		in = c.take(L * g.h * g.w)
	}
	return in, c.take(L * (hp*wp + g.sw*extra)), c.take(L * ((g.oh-1)*g.ow + dwc8Row(g)))
}

// interleaveRows is the narrowest input row that Interleave8 writes
// straight into the padded plane, a call per row; narrower planes are
// interleaved whole and their rows copied in (Interleave8 takes rows
// under eight positions in Go). Per row instead of whole plane and copy:
// BenchmarkConv efficientnet.dw240.5x5 (28×28) +8 %, dw144.5x5.s2 (56×56)
// +33 %, 14×14 layers even — at sixteen lanes too, the whole plane
// through Interleave16 (whose blocks are sixteen positions) against rows
// of 14 in two eight-channel passes.
const interleaveRows = 8

// dwcPerPart is the fewest output floats a part of the lanes route takes,
// below the 16 Ki of the other routes: its transposes move each input
// twice, and a layer's input comes from the layer before, half of it from
// the other core's cache. In MobileNetV2 on two threads (gocnn bench
// -profile, four alternations) the 576-channel layer from 14×14 to 7×7
// at stride 2 (28 Ki outputs: one part before) took 0.058 → 0.032 ms; the
// 960-channel 7×7 ones after it, two parts either way, took as long or
// less (0.036 → 0.025, 0.034 → 0.030, 0.032 → 0.032).
const dwcPerPart = 4 << 10

// interleaveL writes n positions of L channels (rows of n floats, lds
// apart, from x) to the groups of L floats at dst: in one pass with the
// table's Interleave16 at sixteen lanes and n ≥ 16, else eight channels
// at a time into lanes h…h+7 of the groups. Against two eight-channel
// passes each way (BenchmarkConv, three alternations, one / two threads):
// efficientnet.dw240.5x5.s2 (rows of 28) 38.1 / 24.1 → 32.7 / 19.5 µs,
// mobilenetv2.dw960.s1 (7×7) 14.5 → 13.5 and dw960.5x5 23.5 → 22.5 on
// one thread; efficientnet.dw480.5x5 (rows of 14: only its outputs go
// through Split16) 44.4 → 45.3.
func interleaveL(kt *asm.Kernels, L, n int, dst, x []float32, lds int) {
	if L == 16 && kt.Interleave16 != nil && n >= 16 {
		kt.Interleave16(n, &dst[0], L, &x[0], lds)
		return
	}
	for h := 0; h < L; h += 8 {
		kt.Interleave8(n, &dst[h], L, &x[h*lds], lds)
	}
}

// splitL is interleaveL's inverse for n outputs of L channels: planes of n
// floats in y from the groups of L at out.
func splitL(kt *asm.Kernels, L, n int, y, out []float32) {
	if L == 16 && kt.Split16 != nil && n >= 16 {
		kt.Split16(n, &y[0], n, &out[0], L)
		return
	}
	for h := 0; h < L; h += 8 {
		kt.Split8(n, &y[h*n], n, &out[h], L)
	}
}

// dwcTask computes groups of L output planes (lanesFor); part i takes a
// contiguous range of the N·M/L groups (dwTask's fields, its own Run).
type dwcTask dwTask

func (k *Conv) runDWC(st *runState, g *geometry, x, y, res []float32) {
	L, _, _ := k.lanesFor(g)
	groups := g.n * k.m / L
	parts := k.parts(groups, groups*L*g.outPlane, dwcPerPart)
	st.taskL = dwcTask{k: k, g: g, x: x, y: y, res: res, parts: parts, sc: st.sc}
	parallel.Default().Run(&st.taskL, parts)
	st.taskL = dwcTask{}
}

func (t *dwcTask) Run(part int) {
	k, g, kt := t.k, t.g, t.k.kern
	L, dwL, dwB := k.lanesFor(g)
	groups := g.n * k.m / L
	lo, hi := part*groups/t.parts, (part+1)*groups/t.parts
	if lo >= hi {
		return
	}
	kk := k.kh * k.kw
	hp, wp := dwPadDims(g, k.kh, k.kw)
	sc := t.sc.part(part)
	tin, pad, out := k.dwcScratch(&sc, g)
	clear(pad) // the padding; each group rewrites the image inside it
	clo, chi, fused := k.ep.kernelClamp(t.res != nil)
	f := dwcKernel(kt, L, g.sw)
	inner := pad[L*(g.ph*wp+g.pw) : L*hp*wp]
	nrow := dwc8Row(g)
	planeL := L * g.outPlane
	for gi := lo; gi < hi; gi++ {
		img, c0 := gi/(k.m/L), gi%(k.m/L)*L
		x := t.x[(img*g.c+c0)*g.inPlane : (img*g.c+c0+L)*g.inPlane]
		_, _ = inner[(g.h-1)*L*wp+L*g.w-1], x[L*g.inPlane-1]
		if g.w >= interleaveRows {
			for r := 0; r < g.h; r++ {
				interleaveL(kt, L, g.w, inner[L*r*wp:], x[r*g.w:], g.inPlane)
			}
		} else {
			_ = tin[L*g.inPlane-1]
			interleaveL(kt, L, g.inPlane, tin, x, g.inPlane)
			kt.CopyRows(g.h, L*g.w, &inner[0], L*wp, &tin[0], L*g.w)
		}
		wl, bl := dwL[(c0/L)*kk*L:(c0/L+1)*kk*L], dwB[c0:c0+L]
		// Every output row in one call, in order (see dwc8Row).
		_, _ = pad[L*((g.sh*(g.oh-1)+k.kh-1)*wp+g.sw*(nrow-1)+k.kw)-1], out[L*((g.oh-1)*g.ow+nrow)-1]
		f(g.oh, nrow, &out[0], L*g.ow, &pad[0], L*wp, &wl[0], k.kh, k.kw, &bl[0], clo, chi)
		y := t.y[gi*planeL : (gi+1)*planeL]
		_ = out[planeL-1]
		splitL(kt, L, g.outPlane, y, out)
		if t.res != nil {
			r := t.res[gi*planeL : (gi+1)*planeL]
			kt.Add(planeL, &y[0], &y[0], &r[0])
		}
	}
	if !fused {
		k.ep.activate(kt, t.y[lo*planeL:hi*planeL])
	}
}
