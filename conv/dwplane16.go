package conv

import (
	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/parallel"
)

// Depthwise k×k stride-1 "same" convolution (k = 3, 5) on planes whose
// rows are up to seven 16-lane vectors at 3×3 (MobileNet's and
// EfficientNet's maps from 112×112 down) and up to two at 5×5: each plane
// is copied into a padded plane in the worker's scratch (a band of rows
// at a time if it is large: planeBandBytes) and convolved by one
// DWPlaneK3S1/DWPlaneK5S1 call a band, its weights in registers. The
// eight-lane route spent as long transposing small planes in and out as
// convolving them; the per-plane row kernels are eight lanes wide.

// dwPlaneWidths are the narrowest rows that take the route for 3×3 and
// for 5×5 windows, and the widest (also capped by asm.DWPlaneWidest).
// BenchmarkConv, one / two threads, against the routes before:
// mobilenetv2.dw32.s1 (3×3, 112×112) 158 / 94 → 109 / 66 µs, dw144.s1
// (56×56) 160 / 85 → 105 / 66 (per-plane rows kernels); dw192.s1
// (28×28) 63 / 33 → 38 / 21, dw384.s1 (14×14) 35 / 19 → 20 / 13
// (DWConv3x3Planes);
// efficientnet.dw240.5x5 (28×28) 110 / 63 → 89 / 46 (sixteen lanes; 81 /
// 43 since the fifth kernel row's weights come from memory); but
// efficientnet.dw480.5x5 (14×14) ran 46 / 29 in the lanes against 55 / 31
// here and mobilenetv2.dw960.5x5 (7×7) 27 / 15 against 94 / 49, so 5×5
// planes of one vector stay in the lanes. (A variable so tests can send
// other planes here.)
var dwPlaneWidths = [3]int{9, 17, 112}

// dwPlaneKernel is kt's kernel for k×k windows, or nil.
func dwPlaneKernel(kt *asm.Kernels, k int) asm.DWPlaneS1Func {
	switch k {
	case 3:
		return kt.DWPlaneK3S1
	case 5:
		return kt.DWPlaneK5S1
	}
	return nil
}

// usePlane16 reports whether a depthwise Run on g takes DWPlaneK3S1 or
// DWPlaneK5S1.
func (k *Conv) usePlane16(g *geometry) bool {
	p := (k.kh - 1) / 2
	same := k.kh == k.kw && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
		g.ph == p && g.pw == p && g.oh == g.h && g.ow == g.w
	return dwPlaneKernel(k.kern, k.kh) != nil && k.m == k.group && k.cg == 1 && same &&
		g.h >= 1 && g.w >= dwPlaneWidths[(k.kh-1)/4] && g.w <= min(dwPlaneWidths[2], asm.DWPlaneWidest(k.kh))
}

// planeBandBytes bounds the padded rows one DWPlaneK3S1/DWPlaneK5S1 call
// reads: a plane whose padded rows take more is copied and convolved in
// bands of output rows whose padded rows fit, so that the kernel reads
// them from L1 right after the copy wrote them. BenchmarkConv, five
// alternations, one / two threads: mobilenetv2.dw32.s1 (112×112, 52 KB a
// padded plane) 97–103 → 85–93 / 64–70 → 51–64 µs; dw144.s1 (56×56, two
// bands) the same within noise. Bands of 24 or 12 KB gained less on the
// first, of 6 or 4 KB less again.
const planeBandBytes = 8 << 10

// plane16Dims are the padded rows' stride, the output rows a call computes
// (all g.h, or a band) and the floats the padded rows take with the slack
// the kernels read past them.
func (k *Conv) plane16Dims(g *geometry) (ldp, band, size int) {
	ldp, band = g.w+k.kw-1, g.h
	if (g.h+k.kh-1)*ldp*4 > planeBandBytes {
		band = max(1, planeBandBytes/(4*ldp)-(k.kh-1))
	}
	return ldp, band, (band+k.kh-1)*ldp + asm.DWPlaneSlack
}

// dwPlane16Task computes depthwise output planes a plane at a time; part i
// takes a contiguous range of the N·M planes (dwTask's fields).
type dwPlane16Task dwTask

func (k *Conv) runDWPlane16(st *runState, g *geometry, x, y, res []float32) {
	planes := g.n * k.m
	parts := k.parts(planes, planes*g.outPlane, 16<<10)
	st.task16 = dwPlane16Task{k: k, g: g, x: x, y: y, res: res, parts: parts, sc: st.sc}
	parallel.Default().Run(&st.task16, parts)
	st.task16 = dwPlane16Task{}
}

func (t *dwPlane16Task) Run(part int) {
	k, g, kt := t.k, t.g, t.k.kern
	planes := g.n * k.m
	lo, hi := part*planes/t.parts, (part+1)*planes/t.parts
	if lo >= hi {
		return
	}
	f, kk := dwPlaneKernel(kt, k.kh), k.kh*k.kw
	ldp, band, size := k.plane16Dims(g)
	sc := t.sc.part(part)
	pad := sc.take(size)
	clear(pad) // the padding and slack; each plane rewrites the image inside it
	p := (k.kh - 1) / 2
	clo, chi, fused := k.ep.kernelClamp(t.res != nil)
	for pl := lo; pl < hi; pl++ {
		m := pl % k.m
		x := t.x[pl*g.inPlane : (pl+1)*g.inPlane]
		y := t.y[pl*g.outPlane : (pl+1)*g.outPlane]
		var b float32
		if k.bias != nil {
			b = k.bias[m]
		}
		for r0 := 0; r0 < g.h; r0 += band {
			// Padded row i holds input row top + i: rows a…c−1 of the
			// plane, zeros above and below (rewritten only by bands).
			r1 := min(g.h, r0+band)
			top := r0 - p
			a, c := max(0, top), min(g.h, r1+p)
			if band < g.h {
				for r := top; r < a; r++ {
					clear(pad[(r-top)*ldp+g.pw:][:g.w])
				}
				for r := c; r < r1+p; r++ {
					clear(pad[(r-top)*ldp+g.pw:][:g.w])
				}
			}
			in := pad[(a-top)*ldp+g.pw:]
			_ = in[(c-a-1)*ldp+g.w-1]
			kt.CopyRows(c-a, g.w, &in[0], ldp, &x[a*g.w], g.w)
			f(r1-r0, g.ow, &y[r0*g.ow], &pad[0], ldp, &k.dwW[m*kk], b, clo, chi)
		}
		if t.res != nil {
			r := t.res[pl*g.outPlane : (pl+1)*g.outPlane]
			kt.Add(len(y), &y[0], &y[0], &r[0])
		}
	}
	if !fused {
		k.ep.activate(kt, t.y[lo*g.outPlane:hi*g.outPlane])
	}
}
