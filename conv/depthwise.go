package conv

import (
	"sync"

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
	buf := padBufs.Get().(*[]float32)
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
		depthwisePlane(g, k.kh, k.kw, xp, wp, k.dwW[m*kk:(m+1)*kk], b, y, res, &k.ep)
	}
	padBufs.Put(buf)
}

// padBufs holds per-worker padded planes for depthwise ((H+pads)·(W+pads)
// floats each).
var padBufs = sync.Pool{New: func() any { return new([]float32) }}

// depthwisePlane computes one output plane from the padded input plane xp
// (row stride wp): y = epilogue(b + Σ w[i][j]·xp(shifted)), with unrolled
// row kernels for 3×3 at stride 1 and 2 and a per-tap streaming loop
// otherwise. Each row gets its residual and activation while in cache.
func depthwisePlane(g *geometry, kh, kw int, xp []float32, wp int, w []float32, b float32, y, res []float32, ep *Epilogue) {
	OW := g.ow
	for oh := 0; oh < g.oh; oh++ {
		row := y[oh*OW : oh*OW+OW]
		ih := oh * g.sh
		if kh == 3 && kw == 3 && g.dh == 1 && g.dw == 1 && (g.sw == 1 || g.sw == 2) {
			r0 := xp[ih*wp : ih*wp+wp]
			r1 := xp[(ih+1)*wp : (ih+1)*wp+wp]
			r2 := xp[(ih+2)*wp : (ih+2)*wp+wp]
			if g.sw == 1 {
				dw3x3s1(row, r0, r1, r2, 0, w, b)
			} else {
				dw3x3s2(row, r0, r1, r2, 0, w, b)
			}
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
			for i := range row {
				row[i] += r[i]
			}
		}
		ep.activate(row)
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
// is inside the rows. This is the per-row function a SIMD kernel replaces.
func dw3x3s1(out, r0, r1, r2 []float32, x0 int, w []float32, b float32) {
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	n := len(out)
	r0 = r0[x0 : x0+n+2]
	r1 = r1[x0 : x0+n+2]
	r2 = r2[x0 : x0+n+2]
	for i := range out {
		a := r0[i : i+3 : i+3]
		c := r1[i : i+3 : i+3]
		e := r2[i : i+3 : i+3]
		// Three short chains instead of one long one.
		s0 := b + w0*a[0] + w1*a[1] + w2*a[2]
		s1 := w3*c[0] + w4*c[1] + w5*c[2]
		s2 := w6*e[0] + w7*e[1] + w8*e[2]
		out[i] = s0 + (s1 + s2)
	}
}

// dw3x3s2 is dw3x3s1 with stride 2: rows[r][x0+2i+j].
func dw3x3s2(out, r0, r1, r2 []float32, x0 int, w []float32, b float32) {
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	n := len(out)
	r0 = r0[x0 : x0+2*n+1]
	r1 = r1[x0 : x0+2*n+1]
	r2 = r2[x0 : x0+2*n+1]
	for i := range out {
		a := r0[2*i : 2*i+3 : 2*i+3]
		c := r1[2*i : 2*i+3 : 2*i+3]
		e := r2[2*i : 2*i+3 : 2*i+3]
		s0 := b + w0*a[0] + w1*a[1] + w2*a[2]
		s1 := w3*c[0] + w4*c[1] + w5*c[2]
		s2 := w6*e[0] + w7*e[1] + w8*e[2]
		out[i] = s0 + (s1 + s2)
	}
}
