package conv

import "github.com/gocnn/gocnn/asm"

// Depthwise k×k stride-1 "same" convolution (k = 3, 5) on planes whose
// rows are up to seven 16-lane vectors at 3×3 (MobileNet's and
// EfficientNet's maps from 112×112 down) and up to two at 5×5: the planes
// are convolved where they lie, a DWPlaneK3S1/DWPlaneK5S1 call per run of
// them, each plane's weights in registers. The eight-lane route spent as
// long transposing small planes in and out as convolving them; the
// per-plane row kernels are eight lanes wide.

// dwPlaneWidths are the narrowest rows that take the route for 3×3 and
// for 5×5 windows, and the widest (also capped by asm.DWPlaneFast).
// BenchmarkConv, one / two threads, against the routes before:
// mobilenetv2.dw32.s1 (3×3, 112×112) 158 / 94 → 109 / 66 µs, dw144.s1
// (56×56) 160 / 85 → 105 / 66 (per-plane rows kernels); dw192.s1
// (28×28) 63 / 33 → 38 / 21, dw384.s1 (14×14) 35 / 19 → 20 / 13
// (DWConv3x3Planes); efficientnet.dw240.5x5 (28×28) 110 / 63 → 89 / 46
// (sixteen lanes). Since the kernels read the planes in place with a
// sliding window, 5×5 rows of one vector take the route too: GFLOP/s of
// CPU time, four alternations, efficientnet.dw480.5x5 (14×14) 97–101 →
// 140–145 one thread, 78–85 → 110–130 two; 7×7 planes, where rows of one
// vector left the lanes faster (mobilenetv2.dw960.5x5 98–103 there
// against 72–74 here), take the route flattened (dwPlaneFlat). (A
// variable so tests can send other planes here.)
var dwPlaneWidths = [3]int{9, 9, 112}

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
		g.h >= 1 && (g.w >= dwPlaneWidths[(k.kh-1)/4] && g.w <= dwPlaneWidths[2] && asm.DWPlaneFast(k.kh, g.w) ||
		dwPlaneFlat(k.kh, g.h, g.w))
}

// dwPlaneFlat reports whether k×k planes of h×w take the route even
// though their rows are narrower than dwPlaneWidths: the table's kernel
// takes them flattened, a 7×7 plane in four vectors (asm.DWPlaneFlat),
// where the sixteen-lane route transposed them in and out. BenchmarkConv,
// medians of five or eight alternations: mobilenetv2.dw960.s1 one thread
// 14.6 → 8.4 µs, two 10.2 → 5.7; dw960.5x5 21.0 → 20.5 and 14.2 → 11.8
// (its shifts and FMAs share the vector pipes). (A variable so tests can
// send such planes to the other routes.)
var dwPlaneFlat = asm.DWPlaneFlat
