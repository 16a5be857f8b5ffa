package conv

import (
	"github.com/gocnn/gocnn/internal/parallel"
)

// Depthwise convolution with eight channels in the lanes. On small planes
// the per-plane route costs a few kernel calls and copies per plane for a
// few hundred multiply-adds (a 7×7 plane ran at a tenth of the FMA rate),
// so eight planes at a time are transposed to [position][8]
// (Interleave8), padded, convolved by one call over all output rows that
// computes eight channels per vector FMA (DWC8S1, DWC8S2; a call per row
// cost 30 % of a 7×7 layer), and transposed back into the output planes
// (Split8).

// dwc8MaxPlane is the largest output plane (OH·OW) that runs with eight
// channels in the lanes, 3×3 and 5×5 (a variable so tests can send larger
// planes there).
var dwc8MaxPlane = [2]int{14 * 14, 28 * 28}

// lanes8 rearranges depthwise weights w [m][kk] as [m/8][kk][8] and the bias
// (nil: zeros) as [m/8][8].
func lanes8(w, bias []float32, m, kk int) (w8, b8 []float32) {
	w8, b8 = make([]float32, m*kk), make([]float32, m)
	for c := 0; c < m; c++ {
		g, l := c/8, c%8
		for t := 0; t < kk; t++ {
			w8[(g*kk+t)*8+l] = w[c*kk+t]
		}
		if bias != nil {
			b8[c] = bias[c]
		}
	}
	return w8, b8
}

// useDWC8 reports whether a depthwise Run on g takes the eight-lane route.
func (k *Conv) useDWC8(g *geometry) bool {
	most := dwc8MaxPlane[0]
	if k.kh*k.kw > 9 {
		most = dwc8MaxPlane[1]
	}
	return k.dw8 != nil && dwFlat(g) && g.oh*g.ow <= most && g.oh > 0 && g.ow > 0
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

// dwc8Scratch takes one worker's scratch from c: the interleaved input
// plane (rows narrower than interleaveRows only), the padded one, and the
// interleaved outputs, eight lanes each, with room for what dwc8Row's
// extra outputs read and write.
func (k *Conv) dwc8Scratch(c *carver, g *geometry) (in, pad, out []float32) {
	hp, wp := dwPadDims(g, k.kh, k.kw)
	extra := dwc8Row(g) - g.ow
	if g.w < interleaveRows {
		in = c.take(8 * g.h * g.w)
	}
	return in, c.take(8 * (hp*wp + g.sw*extra)), c.take(8 * ((g.oh-1)*g.ow + dwc8Row(g)))
}

// interleaveRows is the narrowest input row that Interleave8 writes
// straight into the padded plane, a call per row; narrower planes are
// interleaved whole and their rows copied in (Interleave8 takes rows
// under eight positions in Go). Per row instead of whole plane and copy:
// BenchmarkConv efficientnet.dw240.5x5 (28×28) +8 %, dw144.5x5.s2 (56×56)
// +33 %, 14×14 layers even.
const interleaveRows = 8

// dwc8Task computes groups of eight output planes; part i takes a
// contiguous range of the N·M/8 groups (dwTask's fields, its own Run).
type dwc8Task dwTask

func (k *Conv) runDWC8(st *runState, g *geometry, x, y, res []float32) {
	groups := g.n * k.m / 8
	parts := k.parts(groups, groups*8*g.outPlane, 16<<10)
	st.task8 = dwc8Task{k: k, g: g, x: x, y: y, res: res, parts: parts, sc: st.sc}
	parallel.Default().Run(&st.task8, parts)
	st.task8 = dwc8Task{}
}

func (t *dwc8Task) Run(part int) {
	k, g, kt := t.k, t.g, t.k.kern
	groups := g.n * k.m / 8
	lo, hi := part*groups/t.parts, (part+1)*groups/t.parts
	if lo >= hi {
		return
	}
	kk := k.kh * k.kw
	hp, wp := dwPadDims(g, k.kh, k.kw)
	sc := t.sc.part(part)
	tin, pad, out := k.dwc8Scratch(&sc, g)
	clear(pad) // the padding; each group rewrites the image inside it
	clo, chi, fused := k.ep.kernelClamp(t.res != nil)
	f := kt.DWC8S1
	if g.sw == 2 {
		f = kt.DWC8S2
	}
	inner := pad[8*(g.ph*wp+g.pw) : 8*hp*wp]
	nrow := dwc8Row(g)
	plane8 := 8 * g.outPlane
	for gi := lo; gi < hi; gi++ {
		img, c0 := gi/(k.m/8), gi%(k.m/8)*8
		x := t.x[(img*g.c+c0)*g.inPlane : (img*g.c+c0+8)*g.inPlane]
		_, _ = inner[(g.h-1)*8*wp+8*g.w-1], x[8*g.inPlane-1]
		if g.w >= interleaveRows {
			for r := 0; r < g.h; r++ {
				kt.Interleave8(g.w, &inner[8*r*wp], 8, &x[r*g.w], g.inPlane)
			}
		} else {
			_ = tin[8*g.inPlane-1]
			kt.Interleave8(g.inPlane, &tin[0], 8, &x[0], g.inPlane)
			kt.CopyRows(g.h, 8*g.w, &inner[0], 8*wp, &tin[0], 8*g.w)
		}
		w8, b8 := k.dw8[(c0/8)*kk*8:(c0/8+1)*kk*8], k.dw8Bias[c0:c0+8]
		// Every output row in one call, in order (see dwc8Row).
		_, _ = pad[8*((g.sh*(g.oh-1)+k.kh-1)*wp+g.sw*(nrow-1)+k.kw)-1], out[8*((g.oh-1)*g.ow+nrow)-1]
		f(g.oh, nrow, &out[0], 8*g.ow, &pad[0], 8*wp, &w8[0], k.kh, k.kw, &b8[0], clo, chi)
		y := t.y[gi*plane8 : (gi+1)*plane8]
		_ = out[plane8-1]
		kt.Split8(g.outPlane, &y[0], g.outPlane, &out[0], 8)
		if t.res != nil {
			r := t.res[gi*plane8 : (gi+1)*plane8]
			kt.Add(plane8, &y[0], &y[0], &r[0])
		}
	}
	if !fused {
		k.ep.activate(kt, t.y[lo*plane8:hi*plane8])
	}
}
