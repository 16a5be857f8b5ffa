package conv

import (
	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/parallel"
)

// dwTask computes depthwise output planes; part i of parts takes a
// contiguous range of the N·M planes, with region i of the scratch.
type dwTask struct {
	k         *Conv
	g         *geometry
	x, y, res []float32
	parts     int
	sc        scratchBuf
}

// dwRoute names the depthwise routes, in the order they are tried.
type dwRoute uint8

const (
	routePlane16 dwRoute = iota // DWPlaneK3S1/DWPlaneK5S1 (dwplane16.go)
	routePlanes                 // DWConv3x3Planes (dwplanes.go)
	routeLanes                  // channels in the lanes (dwc8.go)
	routeRows                   // per plane, rows and taps kernels
)

// dwRoute is the route a depthwise Run on g takes.
func (k *Conv) dwRoute(g *geometry) dwRoute {
	switch {
	case k.usePlane16(g):
		return routePlane16
	case k.small16(g) && k.useDWC(g):
		return routeLanes // sixteen lanes (see lanesFor)
	case k.usePlanes(g):
		return routePlanes
	case k.useDW5S2P(g):
		return routeRows
	case k.useDWC(g):
		return routeLanes
	}
	return routeRows
}

// useDW5S2P reports whether a depthwise Run on g is 5×5 at stride 2 with
// output rows of at least one 16-lane vector, which the rows route computes
// with DWConv5x5s2P: from each plane split into even and odd columns, with
// none of the lanes route's transposes.
func (k *Conv) useDW5S2P(g *geometry) bool {
	return k.kern.DWConv5x5s2P != nil && k.kh == 5 && k.kw == 5 && dwFlat(g) && g.sw == 2 && g.ow >= 16
}

func (k *Conv) runDepthwise(st *runState, g *geometry, x, y, res []float32) {
	switch k.dwRoute(g) {
	case routePlane16:
		k.runPlanes(st, g, x, y, res, dwPlaneKernel(k.kern, k.kh))
		return
	case routePlanes:
		k.runPlanes(st, g, x, y, res, k.kern.DWConv3x3Planes)
		return
	case routeLanes:
		k.runDWC(st, g, x, y, res)
		return
	}
	planes := g.n * k.m
	parts := k.parts(planes, planes*g.outPlane, 16<<10)
	st.task = dwTask{k: k, g: g, x: x, y: y, res: res, parts: parts, sc: st.sc}
	parallel.Default().Run(&st.task, parts)
	st.task = dwTask{}
}

// dwFlat reports whether the geometry runs on the taps kernels (strides 1
// and 2 without dilation); the rest takes the per-tap loop.
func dwFlat(g *geometry) bool {
	return g.sh == g.sw && (g.sw == 1 || g.sw == 2) && g.dh == 1 && g.dw == 1
}

// dwLayout gives the layout of one plane for the taps kernels: the padded
// plane is hp×wp with the input at (ph, pw), and output (oh, ow) is
// element oh·lda + ow of acc (n floats, whole 8-wide blocks), computed
// with calls of nc outputs each.
//
// At stride 1, lda = wp and one call computes the plane: output i reads
// the padded plane from element i on, so the window slides along a row
// and on to the next (the wp − OW outputs between rows are discarded).
// At stride 2 that would discard half the outputs, so each output row is
// one call of OW rounded up to 8. The rounded-up blocks read past the
// plane: the padded buffer holds size floats, zeros after the plane.
//
// At stride 2 (3×3 with the table's DWConv3x3s2P, or the sizes of
// splitTaps) the plane stores each padded row as its even columns, then
// its odd ones from element half on: the taps of a kernel row are then
// consecutive within each half, so the stride-1 kernels serve — a 3×3
// plane in one DWConv3x3s2P call, a k×k output row in two DWTapsS1 calls
// (even and odd kernel columns) — without stride 2's shuffles.
func dwLayout(kt *asm.Kernels, g *geometry, kh, kw int) flatLayout {
	var lda, nc, n, size, half int
	hp, wp := dwPadDims(g, kh, kw)
	var last int // elements the calls read
	if g.sw == 2 && (kh == 3 && kw == 3 && kt.DWConv3x3s2P != nil || splitTaps(kh, kw)) {
		half = (wp + 1) / 2
		lda = (g.ow + 7) &^ 7
		nc, n = lda, g.oh*lda
		// Even taps read E[i … i+(kW+1)/2−1], odd ones O[i … i+kW/2−1]; the
		// 3×3 kernel reads one float more in E.
		last = (2*(g.oh-1)+kh-1)*wp + max(half+nc+kw/2-1, nc+(kw+1)/2-1, nc+1)
		return flatLayout{wp: wp, lda: lda, nc: nc, n: n, size: max(hp*wp, last), half: half}
	}
	if g.sw == 1 {
		lda = wp
		nc = ((g.oh-1)*wp + g.ow + 7) &^ 7
		if kh*kw > 9 && nc >= 128 {
			nc = (nc + 31) &^ 31 // the taps kernels' wide blocks
		}
		n = nc
		last = (kh-1)*wp + nc + kw - 1
	} else {
		lda = (g.ow + 7) &^ 7
		nc = lda
		n = g.oh * lda
		last = ((g.oh-1)*2+kh-1)*wp + 2*(nc-1) + kw + 1
	}
	size = max(hp*wp, last)
	return flatLayout{wp: wp, lda: lda, nc: nc, n: n, size: size}
}

// flatLayout is dwLayout's result.
type flatLayout struct{ wp, lda, nc, n, size, half int }

func (t *dwTask) Run(part int) {
	k, g := t.k, t.g
	planes := g.n * k.m
	lo, hi := part*planes/t.parts, (part+1)*planes/t.parts
	mult := k.m / k.group
	kk := k.kh * k.kw
	sc := t.sc.part(part)
	var buf dwBuf
	buf.pad, buf.out = k.dwScratchPart(&sc, g)
	flat := dwFlat(g)
	if flat {
		buf.lay = dwLayout(k.kern, g, k.kh, k.kw)
		// The zeros around and after the plane: scratch comes with
		// arbitrary contents, and each plane then costs one copy per row.
		clear(buf.pad)
	}
	var xp []float32
	var wp int
	act0 := lo
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
		w := k.dwW[m*kk : (m+1)*kk]
		if flat {
			// (Re)build the padded plane when the channel changes.
			if mult == 1 || m%mult == 0 || pl == lo {
				dwPad(k.kern, &buf, x, g)
			}
			var wsplit []float32
			if k.dwSplit != nil {
				wsplit = k.dwSplit[m*kk : (m+1)*kk]
			}
			// An activation other than a clamp runs over planes act0…pl once
			// they hold actRun floats: a call per 7×7 plane cost more than
			// the SiLU it computed.
			if depthwiseFlat(k.kern, g, k.kh, k.kw, &buf, w, wsplit, b, y, res, &k.ep) &&
				((pl+1-act0)*g.outPlane >= actRun || pl == hi-1) {
				k.ep.activate(k.kern, t.y[act0*g.outPlane:(pl+1)*g.outPlane])
				act0 = pl + 1
			}
			continue
		}
		if mult == 1 || m%mult == 0 || pl == lo {
			xp, _, wp = padded(k.kern, &buf.pad, x, 1, g, k.kh, k.kw)
		}
		depthwisePlane(k.kern, g, k.kh, k.kw, xp, wp, w, b, y, res, &k.ep)
	}
}

// dwBuf is one worker's depthwise scratch (see dwScratchPart): the padded
// input plane and, on the taps kernels' geometries, the flat output rows
// and their layout (computed once per Run, not per plane).
type dwBuf struct {
	pad, out []float32
	lay      flatLayout
}

// splitTaps reports whether a kh×kw depthwise kernel at stride 2 runs as
// its even and odd column halves on the taps kernels: up to 7×7, but not
// the nine taps the 3×3 kernels take.
func splitTaps(kh, kw int) bool { return kh*kw != 9 && kh*kw <= 49 }

// splitColumns returns the [m][kh][kw] weights w as, per plane, the kh×⌈kw/2⌉
// even kernel columns, then the kh×⌊kw/2⌋ odd ones.
func splitColumns(w []float32, kh, kw int) []float32 {
	kk, ke, ko := kh*kw, (kw+1)/2, kw/2
	s := make([]float32, len(w))
	for p := 0; p+kk <= len(w); p += kk {
		for i := 0; i < kh; i++ {
			for j := 0; j < kw; j++ {
				if j%2 == 0 {
					s[p+i*ke+j/2] = w[p+i*kw+j]
				} else {
					s[p+kh*ke+i*ko+j/2] = w[p+i*kw+j]
				}
			}
		}
	}
	return s
}

// dwPad writes plane x into buf.pad in the flat layout of dwLayout, whose
// zeros around and after the plane are already there.
func dwPad(kt *asm.Kernels, buf *dwBuf, x []float32, g *geometry) {
	if g.h == 0 || g.w == 0 {
		return
	}
	wp, size, half := buf.lay.wp, buf.lay.size, buf.lay.half
	if half > 0 {
		// Phase p of a row is its half p (the even half, then the odd).
		pe, ue, po, uo := deinterleaved(g.pw)
		ev := buf.pad[g.ph*wp+pe*half+ue : size]
		od := buf.pad[g.ph*wp+po*half+uo : size]
		_, _, _ = ev[(g.h-1)*wp+(g.w-1)/2], od[(g.h-1)*wp+max(g.w/2-1, 0)], x[g.h*g.w-1]
		kt.Deinterleave(g.h, g.w, &ev[0], &od[0], wp, &x[0], g.w)
		return
	}
	xp := buf.pad[g.ph*wp+g.pw : size]
	_, _ = xp[(g.h-1)*wp+g.w-1], x[g.h*g.w-1]
	kt.CopyRows(g.h, g.w, &xp[0], wp, &x[0], g.w)
}

// depthwiseFlat computes one output plane from the padded plane in buf
// (see dwLayout; wsplit is the plane's weights by column parity at stride
// 2): taps-kernel calls into the flat rows of buf.out, bias
// and clamp over them, then their rows copied out (plus the residual);
// 3×3 at stride 1 writes the rows straight to y where the table has
// DWConv3x3s1R. It reports whether the activation is still to be applied
// (one that is not a clamp, or any after a residual), which the caller
// does over runs of planes.
func depthwiseFlat(kt *asm.Kernels, g *geometry, kh, kw int, buf *dwBuf, w, wsplit []float32, b float32, y, res []float32, ep *Epilogue) (pending bool) {
	wp, lda, nc, n, size := buf.lay.wp, buf.lay.lda, buf.lay.nc, buf.lay.n, buf.lay.size
	OW := g.ow
	if OW == 0 || g.oh == 0 {
		return false
	}
	xp, acc := buf.pad[:size], buf.out[:n]
	lo, hi, fused := ep.kernelClamp(res != nil)
	if kh == 3 && kw == 3 && g.sw == 1 && kt.DWConv3x3s1R != nil {
		// Every row straight into y, the residual over the whole plane: a
		// flat run into acc and a copy of its rows cost a third more
		// (BenchmarkConv mobilenetv2.dw144.s1: CopyRows 36 % of the layer).
		_, _ = xp[(g.oh+1)*wp+OW+1], y[g.oh*OW-1]
		kt.DWConv3x3s1R(g.oh, OW, &y[0], OW, &xp[0], wp, &w[0], b, lo, hi)
		if res != nil {
			kt.Add(g.oh*OW, &y[0], &y[0], &res[0])
		}
		return !fused
	}
	if half := buf.lay.half; kh == 5 && kw == 5 && half > 0 && kt.DWConv5x5s2P != nil && OW >= 16 {
		// Every row straight into y (see useDW5S2P).
		_, _ = xp[(2*g.oh+2)*wp+max(half+OW, OW+1)], y[g.oh*OW-1]
		kt.DWConv5x5s2P(g.oh, OW, &y[0], OW, &xp[0], wp, half, &w[0], b, lo, hi)
		if res != nil {
			kt.Add(g.oh*OW, &y[0], &y[0], &res[0])
		}
		return !fused
	}
	if kh == 3 && kw == 3 {
		// The 3×3 row kernels keep the weights in registers and add the
		// bias and clamp themselves.
		if g.sw == 1 {
			_ = xp[2*wp+nc+1]
			kt.DWConv3x3s1(nc, &acc[0], &xp[0], wp, &w[0], b, lo, hi)
		} else if half := buf.lay.half; half > 0 {
			_ = xp[2*g.oh*wp+max(half+nc, nc+1)-1]
			if res == nil && g.oh > 1 && nc <= 2*OW {
				// All but the last row straight into y: a row's rounded-up
				// block spills into the next row, computed after it.
				last := g.oh - 1
				_ = y[(last-1)*OW+nc-1]
				kt.DWConv3x3s2P(last, nc, &y[0], OW, &xp[0], wp, half, &w[0], b, lo, hi)
				kt.DWConv3x3s2P(1, nc, &acc[0], lda, &xp[2*last*wp], wp, half, &w[0], b, lo, hi)
				copy(y[last*OW:(last+1)*OW], acc[:OW])
				return !fused
			}
			kt.DWConv3x3s2P(g.oh, nc, &acc[0], lda, &xp[0], wp, half, &w[0], b, lo, hi)
		} else {
			for oh := 0; oh < g.oh; oh++ {
				r := xp[2*oh*wp:]
				_ = r[2*wp+2*(nc-1)+2]
				kt.DWConv3x3s2(nc, &acc[oh*lda], &r[0], wp, &w[0], b, lo, hi)
			}
		}
	} else {
		clear(acc)
		if g.sw == 1 {
			_ = xp[(kh-1)*wp+nc-1+kw-1]
			kt.DWTapsS1(nc, &acc[0], &xp[0], wp, &w[0], kh, kw)
		} else if half := buf.lay.half; half > 0 {
			// Even kernel columns over the even halves, odd over the odd.
			ke, ko := (kw+1)/2, kw/2
			we, wo := wsplit[:kh*ke], wsplit[kh*ke:kh*kw]
			for oh := 0; oh < g.oh; oh++ {
				r := xp[2*oh*wp:]
				_ = r[(kh-1)*wp+max(half+nc+ko-2, nc+ke-2)]
				kt.DWTapsS1(nc, &acc[oh*lda], &r[0], wp, &we[0], kh, ke)
				if ko > 0 {
					kt.DWTapsS1(nc, &acc[oh*lda], &r[half], wp, &wo[0], kh, ko)
				}
			}
		} else {
			for oh := 0; oh < g.oh; oh++ {
				r := xp[oh*g.sh*wp:]
				_ = r[(kh-1)*wp+2*(nc-1)+kw]
				kt.DWTapsS2(nc, &acc[oh*lda], &r[0], wp, &w[0], kh, kw)
			}
		}
		kt.ScaleShift(n, &acc[0], &acc[0], 1, b, lo, hi)
	}
	if res != nil {
		for oh := 0; oh < g.oh; oh++ {
			row := y[oh*OW : oh*OW+OW]
			kt.Add(OW, &row[0], &acc[oh*lda], &res[oh*OW])
		}
	} else {
		_, _ = y[g.oh*OW-1], acc[(g.oh-1)*lda+OW-1]
		kt.CopyRows(g.oh, OW, &y[0], OW, &acc[0], lda)
	}
	return !fused
}

// actRun is the fewest floats depthwise activates in one call.
const actRun = 8192

// depthwisePlane computes one output plane from the padded input plane xp
// (row stride wp) for the geometries dwFlat leaves out (dilations, strides
// above 2): y = epilogue(b + Σ w[i][j]·xp(shifted)), a per-tap streaming
// loop per output row.
func depthwisePlane(kt *asm.Kernels, g *geometry, kh, kw int, xp []float32, wp int, w []float32, b float32, y, res []float32, ep *Epilogue) {
	OW := g.ow
	if OW == 0 {
		return
	}
	for oh := 0; oh < g.oh; oh++ {
		row := y[oh*OW : oh*OW+OW]
		ih := oh * g.sh
		for i := range row {
			row[i] = b
		}
		for i := 0; i < kh; i++ {
			line := xp[(ih+i*g.dh)*wp : (ih+i*g.dh+1)*wp]
			for j := 0; j < kw; j++ {
				dwFold(row, line[j*g.dw:], w[i*kw+j], g.sw)
			}
		}
		if res != nil {
			r := res[oh*OW : oh*OW+OW]
			kt.Add(OW, &row[0], &row[0], &r[0])
		}
		ep.activate(kt, row)
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
