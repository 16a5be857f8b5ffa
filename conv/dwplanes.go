package conv

import (
	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/parallel"
)

// Depthwise 3×3 stride-1 "same" convolution on planes up to 40 wide
// (MobileNetV2's 28×28, 14×14 and 7×7 stages): a row is one to five
// vectors, so DWConv3x3Planes computes all of a part's planes of an image
// in one call, with no padded copy and no transposes (see DWPlanesFunc).
// BenchmarkConv, three alternations against the routes before (eight
// lanes at 7×7 and 14×14, per plane at 28×28), GFLOP/s at one / two
// threads: mobilenetv2.dw960.s1 21.8 / 30.1 → 35.9 / 50.7, dw384.s1
// 26.7 / 34.4 → 36.9 / 55.8, dw192.s1 27.4 / 39.9 → 40.8 / 68.2. (5×5
// kernels stay on the eight-lane route: see dwPlanes in the generator.)

// dwPlanesWidest is the widest row that takes DWConv3x3Planes (a variable
// so tests can keep such planes on the eight-lane route).
var dwPlanesWidest = asm.PlanesWidest

// usePlanes reports whether a depthwise Run on g takes DWConv3x3Planes.
func (k *Conv) usePlanes(g *geometry) bool {
	same := k.kh == 3 && k.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
		g.ph == 1 && g.pw == 1 && g.oh == g.h && g.ow == g.w
	plane := g.h * g.w
	return k.kern.DWConv3x3Planes != nil && k.m == k.group && k.cg == 1 && same &&
		g.h >= 2 && g.w <= dwPlanesWidest && plane >= asm.PlanesMin && plane <= asm.PlanesMax
}

// planesFunc is a depthwise kernel over whole planes (asm.DWPlanesFunc,
// asm.DWPlaneS1Func).
type planesFunc = func(n, h, w int, y, x, wt, b *float32, lo, hi float32)

// dwPlanesTask computes depthwise output planes with f; part i takes a
// contiguous range of the N·M planes (dwTask's fields, no scratch), a
// call per image's run of them.
type dwPlanesTask struct {
	dwTask
	f planesFunc
}

// runPlanes runs a depthwise layer on g through f (DWConv3x3Planes for
// this route, DWPlaneK3S1/DWPlaneK5S1 for dwplane16.go's).
func (k *Conv) runPlanes(st *runState, g *geometry, x, y, res []float32, f planesFunc) {
	planes := g.n * k.m
	parts := k.parts(planes, planes*g.outPlane, 16<<10)
	st.taskP = dwPlanesTask{dwTask{k: k, g: g, x: x, y: y, res: res, parts: parts}, f}
	parallel.Default().Run(&st.taskP, parts)
	st.taskP = dwPlanesTask{}
}

func (t *dwPlanesTask) Run(part int) {
	k, g, kt := t.k, t.g, t.k.kern
	planes := g.n * k.m
	lo, hi := part*planes/t.parts, (part+1)*planes/t.parts
	if lo >= hi {
		return
	}
	kk := k.kh * k.kw
	clo, chi, fused := k.ep.kernelClamp(t.res != nil)
	for pl := lo; pl < hi; {
		m := pl % k.m
		n := min(hi-pl, k.m-m) // a call per image: the weights restart
		x := t.x[pl*g.inPlane : (pl+n)*g.inPlane]
		y := t.y[pl*g.outPlane : (pl+n)*g.outPlane]
		w := k.dwW[kk*m : kk*(m+n)]
		var b *float32
		if k.bias != nil {
			b = &k.bias[m : m+n][0]
		}
		t.f(n, g.h, g.w, &y[0], &x[0], &w[0], b, clo, chi)
		pl += n
	}
	y := t.y[lo*g.outPlane : hi*g.outPlane]
	if t.res != nil {
		r := t.res[lo*g.outPlane : hi*g.outPlane]
		kt.Add(len(y), &y[0], &y[0], &r[0])
	}
	if !fused {
		k.ep.activate(kt, y)
	}
}
