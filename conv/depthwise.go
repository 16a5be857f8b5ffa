package conv

import (
	"github.com/gocnn/gocnn/internal/freelist"
	"math"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/parallel"
)

// dwTask computes depthwise output planes; part i of parts takes a
// contiguous range of the N·M planes.
type dwTask struct {
	k         *Conv
	g         *geometry
	x, y, res []float32
	parts     int
}

func (k *Conv) runDepthwise(st *runState, g *geometry, x, y, res []float32) {
	planes := g.n * k.m
	// Below ~16K outputs per part the pool's hand-off costs more than it saves.
	parts := max(1, min(k.threads(), planes*g.outPlane/(16<<10), planes))
	st.task = dwTask{k: k, g: g, x: x, y: y, res: res, parts: parts}
	parallel.Default().Run(&st.task, parts)
	st.task = dwTask{}
}

func (t *dwTask) Run(part int) {
	k, g := t.k, t.g
	planes := g.n * k.m
	lo, hi := part*planes/t.parts, (part+1)*planes/t.parts
	mult := k.m / k.group
	kk := k.kh * k.kw
	buf := padBufs.Get()
	var xp []float32
	var wp int
	for pl := lo; pl < hi; pl++ {
		img, m := pl/k.m, pl%k.m
		c := m / mult
		x := t.x[(img*g.c+c)*g.inPlane : (img*g.c+c+1)*g.inPlane]
		y := t.y[pl*g.outPlane : (pl+1)*g.outPlane]
		var b float32
		if k.bias != nil {
			b = k.bias[m]
		}
		var res []float32
		if t.res != nil {
			res = t.res[pl*g.outPlane : (pl+1)*g.outPlane]
		}
		if mult == 1 || m%mult == 0 || pl == lo {
			// (Re)build the padded input plane when the channel changes.
			xp, _, wp = padded(buf, x, 1, g, k.kh, k.kw)
		}
		depthwisePlane(k.kern, g, k.kh, k.kw, xp, wp, k.dwW[m*kk:(m+1)*kk], b, y, res, &k.ep)
	}
	padBufs.Put(buf)
}

// padBufs holds per-worker padded planes for depthwise ((H+pads)·(W+pads)
// floats each).
var padBufs freelist.List[[]float32]

// depthwisePlane computes one output plane from the padded input plane xp
// (row stride wp): y = epilogue(b + Σ w[i][j]·xp(shifted)), with unrolled
// row kernels for 3×3 at stride 1 and 2 and a per-tap streaming loop
// otherwise. Each row gets its residual and activation while in cache.
func depthwisePlane(kt *asm.Kernels, g *geometry, kh, kw int, xp []float32, wp int, w []float32, b float32, y, res []float32, ep *Epilogue) {
	OW := g.ow
	if OW == 0 {
		return
	}
	// With no residual, ReLU and Clip run as the row kernels' clamp.
	lo, hi, fused := ep.clamp()
	if res != nil {
		lo, hi, fused = float32(math.Inf(-1)), float32(math.Inf(1)), false
	}
	for oh := 0; oh < g.oh; oh++ {
		fusedRow := false
		row := y[oh*OW : oh*OW+OW]
		ih := oh * g.sh
		if kh == 3 && kw == 3 && g.dh == 1 && g.dw == 1 && (g.sw == 1 || g.sw == 2) {
			// Rows ih…ih+2 of xp, wp apart; the kernels read columns
			// 0 … sw·(OW−1)+2 of each, inside the padded row.
			_ = xp[(ih+2)*wp+g.sw*(OW-1)+2]
			if g.sw == 1 {
				kt.DWConv3x3s1(OW, &row[0], &xp[ih*wp], wp, &w[0], b, lo, hi)
			} else {
				kt.DWConv3x3s2(OW, &row[0], &xp[ih*wp], wp, &w[0], b, lo, hi)
			}
			fusedRow = fused
		} else {
			for i := range row {
				row[i] = b
			}
			for i := 0; i < kh; i++ {
				line := xp[(ih+i*g.dh)*wp : (ih+i*g.dh+1)*wp]
				for j := 0; j < kw; j++ {
					dwFold(row, line[j*g.dw:], w[i*kw+j], g.sw)
				}
			}
		}
		if res != nil {
			r := res[oh*OW : oh*OW+OW]
			kt.Add(OW, &row[0], &row[0], &r[0])
		}
		if !fusedRow {
			ep.activate(kt, row)
		}
	}
}

// dwFold sets dst[i] += w·src[i·s].
func dwFold(dst, src []float32, w float32, s int) {
	if s == 1 {
		src = src[:len(dst)]
		for i, v := range src {
			dst[i] += w * v
		}
		return
	}
	for i := range dst {
		dst[i] += w * src[i*s]
	}
}

// dw3x3s1 computes out[i] = b + Σ_{r,j} w[3r+j]·rows[r][x0+i+j]; every tap
// is inside the rows. The 3×3 window slides along registers, so each output
// loads three new values. This is the per-row function a SIMD kernel
// replaces.
func dw3x3s1(out, r0, r1, r2 []float32, x0 int, w []float32, b float32) {
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	n := len(out)
	if n == 0 {
		return
	}
	r0 = r0[x0 : x0+n+2]
	r1 = r1[x0 : x0+n+2]
	r2 = r2[x0 : x0+n+2]
	a0, a1 := r0[0], r0[1]
	c0, c1 := r1[0], r1[1]
	e0, e1 := r2[0], r2[1]
	r0, r1, r2 = r0[2:], r1[2:], r2[2:]
	r1, r2 = r1[:len(r0)], r2[:len(r0)]
	out = out[:len(r0)]
	for i, a2 := range r0 {
		c2, e2 := r1[i], r2[i]
		s0 := b + w0*a0 + w1*a1 + w2*a2
		s1 := w3*c0 + w4*c1 + w5*c2
		s2 := w6*e0 + w7*e1 + w8*e2
		out[i] = s0 + (s1 + s2)
		a0, a1, c0, c1, e0, e1 = a1, a2, c1, c2, e1, e2
	}
}
