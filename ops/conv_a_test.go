package ops

import (
	"math"
	"math/rand"
	"runtime"
	"strconv"
	"testing"

	"github.com/gocnn/gocnn/tensor"
)

// naiveConv2D is a direct 2-D grouped convolution written from the
// definition, independent of ConvReference's tap enumeration.
func naiveConv2D(x *tensor.Tensor, w *tensor.Tensor, b []float32, group, sh, sw, dh, dw, pt, pl, oh, ow int) []float32 {
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m, cg, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	mg := m / group
	xd, wdd := x.Float32s(), w.Float32s()
	y := make([]float32, n*m*oh*ow)
	for in := 0; in < n; in++ {
		for om := 0; om < m; om++ {
			g := om / mg
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					var acc float64
					if b != nil {
						acc = float64(b[om])
					}
					for ic := 0; ic < cg; ic++ {
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								iy, ix := oy*sh-pt+ky*dh, ox*sw-pl+kx*dw
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								xv := xd[((in*c+g*cg+ic)*h+iy)*wd+ix]
								wv := wdd[((om*cg+ic)*kh+ky)*kw+kx]
								acc += float64(xv) * float64(wv)
							}
						}
					}
					y[((in*m+om)*oh+oy)*ow+ox] = float32(acc)
				}
			}
		}
	}
	return y
}

func TestConvGroupedBiasVsNaive(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	x := aRand(r, 2, 6, 9, 8)
	w := aRand(r, 9, 2, 3, 2) // group 3: 2 input and 3 output channels per group
	b := aRand(r, 9)
	n := aNode("Conv", 3, 1, map[string]any{
		"group": 3, "strides": []int{2, 1}, "dilations": []int{2, 3},
		"pads": []int{1, 2, 0, 1}, "kernel_shape": []int{3, 2},
	})
	out := aMust(t, n, 11, x, w, b)
	// H: 9+1+0 - 5 = 5 -> 5/2+1 = 3; W: 8+2+1 - 4 = 7 -> 8
	want := naiveConv2D(x, w, b.Float32s(), 3, 2, 1, 2, 3, 1, 2, 3, 8)
	aClose(t, "grouped conv", out[0], []int{2, 9, 3, 8}, want)

	// Depthwise, no bias, SAME_UPPER with stride 2.
	w = aRand(r, 6, 1, 3, 3)
	n = aNode("Conv", 2, 1, map[string]any{"group": 6, "strides": []int{2, 2}, "auto_pad": "SAME_UPPER"})
	out = aMust(t, n, 11, x, w)
	// H 9 -> 5, total pad (5-1)*2+3-9 = 2 -> 1,1; W 8 -> 4, total (3)*2+3-8 = 1 -> 0,1
	want = naiveConv2D(x, w, nil, 6, 2, 2, 1, 1, 1, 0, 5, 4)
	aClose(t, "depthwise same_upper", out[0], []int{2, 6, 5, 4}, want)

	// SAME_LOWER puts the odd padding unit first.
	n = aNode("Conv", 2, 1, map[string]any{"group": 6, "strides": []int{2, 2}, "auto_pad": "SAME_LOWER"})
	out = aMust(t, n, 11, x, w)
	want = naiveConv2D(x, w, nil, 6, 2, 2, 1, 1, 1, 1, 5, 4)
	aClose(t, "depthwise same_lower", out[0], []int{2, 6, 5, 4}, want)

	// VALID ignores pads.
	n = aNode("Conv", 2, 1, map[string]any{"group": 6, "auto_pad": "VALID", "pads": []int{5, 5, 5, 5}})
	out = aMust(t, n, 11, x, w)
	want = naiveConv2D(x, w, nil, 6, 1, 1, 1, 1, 0, 0, 7, 6)
	aClose(t, "valid", out[0], []int{2, 6, 7, 6}, want)
}

func TestConv1D(t *testing.T) {
	x := aF32([]int{1, 2, 5}, 1, 2, 3, 4, 5, 10, 20, 30, 40, 50)
	w := aF32([]int{1, 2, 2}, 1, -1, 0.5, 0.25)
	b := aF32([]int{1}, 100)
	n := aNode("Conv", 3, 1, map[string]any{"pads": []int{1, 0}, "strides": []int{2}})
	out := aMust(t, n, 11, x, w, b)
	// positions -1..0, 1..2, 3..4
	want := []float32{
		100 + (-1*1 + 0.25*10),
		100 + (2 - 3 + 0.5*20 + 0.25*30),
		100 + (4 - 5 + 0.5*40 + 0.25*50),
	}
	aClose(t, "conv1d", out[0], []int{1, 1, 3}, want)
}

func TestConv3DVsSliced2D(t *testing.T) {
	// A 3-D conv with kernel depth 1 is a 2-D conv of every depth slice.
	r := rand.New(rand.NewSource(2))
	x := aRand(r, 1, 2, 3, 5, 4)
	w := aRand(r, 3, 2, 1, 2, 2)
	out := aMust(t, aNode("Conv", 2, 1, map[string]any{"pads": []int{0, 1, 0, 0, 0, 1}}), 11, x, w)
	w2 := tensor.FromFloat32([]int{3, 2, 2, 2}, w.Float32s())
	for d := 0; d < 3; d++ {
		xs := tensor.New(tensor.Float32, 1, 2, 5, 4)
		for c := 0; c < 2; c++ {
			copy(xs.Float32s()[c*20:(c+1)*20], x.Float32s()[(c*3+d)*20:(c*3+d+1)*20])
		}
		want := naiveConv2D(xs, w2, nil, 1, 1, 1, 1, 1, 1, 0, 5, 4)
		got := tensor.New(tensor.Float32, 1, 3, 5, 4)
		for m := 0; m < 3; m++ {
			copy(got.Float32s()[m*20:(m+1)*20], out[0].Float32s()[(m*3+d)*20:(m*3+d+1)*20])
		}
		aClose(t, "conv3d slice", got, []int{1, 3, 5, 4}, want)
	}
}

// TestConvTransposeReferenceMemory checks that the reference allocates
// about one output channel's accumulator, not a table entry per input
// position and kernel tap: a fuzzed 388-byte model whose 3-D kernel was as
// large as its 3×55×48 input had taken 1.5 GB and 39 s. Here the tables
// would be 1800 × 1800 entries (about 150 MB).
func TestConvTransposeReferenceMemory(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	x, w := aRand(r, 1, 1, 2, 30, 30), aRand(r, 1, 1, 2, 30, 30)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out := aMust(t, aNode("ConvTranspose", 2, 1, nil), 11, x, w)[0]
	runtime.ReadMemStats(&after)
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(64*out.Len()); got > limit {
		t.Errorf("ConvTranspose to %v allocated %d bytes, want at most %d", out.Shape, got, limit)
	}
}

// TestConvTransposeAdjoint checks <Conv(x), y> == <x, ConvTranspose(y)>
// with the same weights, strides, dilations, pads and groups:
// ConvTranspose is the adjoint of Conv.
func TestConvTransposeAdjoint(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, tc := range []struct {
		x, w             []int
		group            int
		strides, dil, pd []int
	}{
		{[]int{1, 2, 7}, []int{3, 2, 3}, 1, []int{2}, []int{1}, []int{1, 0}},
		{[]int{2, 4, 7, 6}, []int{6, 2, 3, 2}, 2, []int{2, 3}, []int{1, 2}, []int{1, 0, 2, 1}},
		{[]int{1, 3, 4, 5, 5}, []int{3, 1, 2, 3, 2}, 3, []int{1, 2, 2}, []int{2, 1, 1}, []int{0, 1, 1, 1, 0, 0}},
		// Begin pads that are not a multiple of the dilation along the
		// last axis (the taps that land before the output's first column).
		{[]int{1, 2, 9}, []int{4, 2, 3}, 1, []int{2}, []int{2}, []int{3, 1}},
		{[]int{1, 1, 5, 8}, []int{2, 1, 2, 3}, 1, []int{1, 2}, []int{1, 3}, []int{0, 2, 1, 1}},
	} {
		x := aRand(r, tc.x...)
		w := aRand(r, tc.w...)
		conv := aNode("Conv", 2, 1, map[string]any{"group": tc.group, "strides": tc.strides, "dilations": tc.dil, "pads": tc.pd})
		cy := aMust(t, conv, 11, x, w)[0]
		y := aRand(r, cy.Shape...)
		k := len(tc.x) - 2
		opad := make([]int, k)
		for i := 0; i < k; i++ {
			full := tc.strides[i]*(cy.Shape[2+i]-1) + (tc.w[2+i]-1)*tc.dil[i] + 1 - tc.pd[i] - tc.pd[k+i]
			opad[i] = tc.x[2+i] - full
		}
		ct := aNode("ConvTranspose", 2, 1, map[string]any{"group": tc.group, "strides": tc.strides, "dilations": tc.dil, "pads": tc.pd, "output_padding": opad})
		tx := aMust(t, ct, 11, y, w)[0]
		if !tensor.SameShape(tx.Shape, x.Shape) {
			t.Fatalf("ConvTranspose shape %v, want %v", tx.Shape, x.Shape)
		}
		var a, b float64
		for i, v := range cy.Float32s() {
			a += float64(v) * float64(y.Float32s()[i])
		}
		for i, v := range tx.Float32s() {
			b += float64(v) * float64(x.Float32s()[i])
		}
		if d := a - b; d > 1e-4 || d < -1e-4 {
			t.Errorf("%v: <conv x, y> = %v, <x, convT y> = %v", tc.x, a, b)
		}
	}
}

func TestConvTransposeBiasAndOutputShape(t *testing.T) {
	x := aF32([]int{1, 1, 2}, 1, 2)
	w := aF32([]int{1, 2, 2}, 1, 10, 100, 1000)
	b := aF32([]int{2}, 0.5, -0.5)
	// stride 2: full output 4: [x0*w0, x0*w1, x1*w0, x1*w1]; output_shape 6
	// gives total padding -2, split as -1 at each end (ONNX's reference:
	// begin = total - total//2), so both ends get the bias only.
	out := aMust(t, aNode("ConvTranspose", 3, 1, map[string]any{"strides": []int{2}, "output_shape": []int{6}}), 11, x, w, b)
	aClose(t, "convT", out[0], []int{1, 2, 6}, []float32{
		0.5, 1.5, 10.5, 2.5, 20.5, 0.5,
		-0.5, 99.5, 999.5, 199.5, 1999.5, -0.5,
	})
	// The full [N, C, L] output_shape form; odd total -1 goes to the end.
	out = aMust(t, aNode("ConvTranspose", 3, 1, map[string]any{"strides": []int{2}, "output_shape": []int{1, 2, 5}}), 11, x, w, b)
	aClose(t, "convT full output_shape", out[0], []int{1, 2, 5}, []float32{
		1.5, 10.5, 2.5, 20.5, 0.5,
		99.5, 999.5, 199.5, 1999.5, -0.5,
	})
	// SAME_UPPER: output 4 = in*stride, total 0.
	out = aMust(t, aNode("ConvTranspose", 3, 1, map[string]any{"strides": []int{2}, "auto_pad": "SAME_UPPER"}), 11, x, w, b)
	aClose(t, "convT same_upper", out[0], []int{1, 2, 4}, []float32{1.5, 10.5, 2.5, 20.5, 99.5, 999.5, 199.5, 1999.5})
	// Pads crop.
	out = aMust(t, aNode("ConvTranspose", 3, 1, map[string]any{"strides": []int{2}, "pads": []int{1, 1}}), 11, x, w, b)
	aClose(t, "convT pads", out[0], []int{1, 2, 2}, []float32{10.5, 2.5, 999.5, 199.5})
}

func TestConvErrors(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	x, w := aRand(r, 1, 4, 5, 5), aRand(r, 2, 2, 3, 3)
	for _, tc := range []struct {
		attrs  map[string]any
		in     []*tensor.Tensor
		substr string
	}{
		{map[string]any{"group": 0}, []*tensor.Tensor{x, w}, "group 0"},
		{map[string]any{"group": 3}, []*tensor.Tensor{x, w}, "divisible"},
		{map[string]any{}, []*tensor.Tensor{x, w}, "input channels per group"},
		{map[string]any{"group": 2, "strides": []int{0, 1}}, []*tensor.Tensor{x, w}, "strides"},
		{map[string]any{"group": 2, "dilations": []int{1, -1}}, []*tensor.Tensor{x, w}, "dilations"},
		{map[string]any{"group": 2, "pads": []int{1, 1, -1, 1}}, []*tensor.Tensor{x, w}, "negative"},
		{map[string]any{"group": 2, "pads": []int{1, 1, 1}}, []*tensor.Tensor{x, w}, "odd"},
		{map[string]any{"group": 2, "strides": []int{1, 1, 1}}, []*tensor.Tensor{x, w}, "spatial axes"},
		{map[string]any{"group": 2, "kernel_shape": []int{3, 2}}, []*tensor.Tensor{x, w}, "kernel_shape"},
		{map[string]any{"group": 2, "auto_pad": "SAME"}, []*tensor.Tensor{x, w}, "auto_pad"},
		{map[string]any{"group": 2, "dilations": []int{3, 1}}, []*tensor.Tensor{x, w}, "larger than the padded input"},
		{map[string]any{"group": 2}, []*tensor.Tensor{x, w, aRand(r, 3)}, "B has shape"},
		{map[string]any{"group": 2}, []*tensor.Tensor{x, aRand(r, 2, 2, 3)}, "rank"},
		{map[string]any{"group": 2}, []*tensor.Tensor{x}, "needs 2 inputs"},
		{map[string]any{"group": 2}, []*tensor.Tensor{x, nil}, "missing"},
		{map[string]any{"group": 2}, []*tensor.Tensor{tensor.New(tensor.Int64, 1, 4, 5, 5), w}, "type"},
		{map[string]any{"group": 2, "strides": "x"}, []*tensor.Tensor{x, w}, "strides"},
	} {
		aWantErr(t, tc.substr, aNode("Conv", len(tc.in), 1, tc.attrs), 11, tc.in...)
	}
	// ConvTranspose.
	wt := aRand(r, 4, 1, 3, 3)
	aWantErr(t, "input channels", aNode("ConvTranspose", 2, 1, nil), 11, x, aRand(r, 3, 1, 3, 3))
	aWantErr(t, "output_padding", aNode("ConvTranspose", 2, 1, map[string]any{"output_padding": []int{-1, 0}}), 11, x, wt)
	aWantErr(t, "output_shape", aNode("ConvTranspose", 2, 1, map[string]any{"output_shape": []int{4, 4, 4}}), 11, x, wt)
	aWantErr(t, "not positive", aNode("ConvTranspose", 2, 1, map[string]any{"pads": []int{4, 0, 4, 0}}), 11, x, wt)
	aWantErr(t, "divisible", aNode("ConvTranspose", 2, 1, map[string]any{"group": 3}), 11, x, wt)
}

// TestConvTransposeGeometryTooLarge checks that sizes whose output
// arithmetic would overflow int are errors. The sizes are 64-bit ones.
func TestConvTransposeGeometryTooLarge(t *testing.T) {
	if strconv.IntSize < 64 {
		t.Skip("the cases overflow 64-bit ints")
	}
	one := uint64(1) // (shifted at run time: the constants would not compile for 32-bit ints)
	for _, tc := range []struct {
		x, w     []int
		strides  []int
		dilation []int
		pads     []int
	}{
		// Each wraps to a small positive output without the checks:
		// 2³³·2³¹ = 2⁶⁴, 2³⁰·2³⁴ = 2⁶⁴, and pads summing to 2⁶⁴ − 2.
		{[]int{1, 1, int(one<<31 + 1)}, []int{1, 1, 3}, []int{int(one << 33)}, nil, nil},
		{[]int{1, 1, 4}, []int{1, 1, int(one<<30 + 1)}, nil, []int{int(one << 34)}, nil},
		{[]int{1, 1, 4}, []int{1, 1, 3}, nil, nil, []int{math.MaxInt, math.MaxInt}},
	} {
		p := &ConvTransposeParams{ConvParams: ConvParams{Group: 1, Strides: tc.strides, Dilations: tc.dilation, Pads: tc.pads}}
		if g, err := p.Geometry(tc.x, tc.w, nil); err == nil {
			t.Errorf("%+v: no error, output %v", tc, g.OutShape)
		}
	}
}
