package ops

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/tensor"
)

func TestBatchNorm(t *testing.T) {
	x := aF32([]int{2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8)
	s, b := aF32([]int{2}, 2, 0.5), aF32([]int{2}, 1, -1)
	m, v := aF32([]int{2}, 1, 2), aF32([]int{2}, 4, 0.25)
	want := func(i int, xv float32) float32 {
		c := (i / 2) % 2
		sc, bi, mn, vr := []float64{2, 0.5}[c], []float64{1, -1}[c], []float64{1, 2}[c], []float64{4, 0.25}[c]
		return float32((float64(xv)-mn)/math.Sqrt(vr+1e-3)*sc + bi)
	}
	var w []float32
	for i, xv := range x.Float32s() {
		w = append(w, want(i, xv))
	}
	for _, opset := range []int64{6, 7, 9, 14, 15} {
		out := aMust(t, aNode("BatchNormalization", 5, 1, map[string]any{"epsilon": float32(1e-3)}), opset, x, s, b, m, v)
		aClose(t, "bn", out[0], []int{2, 2, 2}, w)
	}
	// Running mean and variance outputs pass the inputs through.
	out := aMust(t, aNode("BatchNormalization", 5, 3, map[string]any{"epsilon": float32(1e-3)}), 15, x, s, b, m, v)
	aClose(t, "bn mean", out[1], []int{2}, m.Float32s())
	aClose(t, "bn var", out[2], []int{2}, v.Float32s())
	// spatial=0 (opset 7): per-activation parameters of shape X.shape[1:].
	ones := aF32([]int{2, 2}, 1, 1, 1, 1)
	zeros := aF32([]int{2, 2}, 0, 0, 0, 0)
	mean4 := aF32([]int{2, 2}, 1, 2, 3, 4)
	out = aMust(t, aNode("BatchNormalization", 5, 1, map[string]any{"spatial": 0, "epsilon": float32(0)}), 7, x, ones, zeros, mean4, ones)
	aClose(t, "bn spatial=0", out[0], []int{2, 2, 2}, []float32{0, 0, 0, 0, 4, 4, 4, 4})
	// Rank 2 input (N, C).
	out = aMust(t, aNode("BatchNormalization", 5, 1, map[string]any{"epsilon": float32(0)}), 15, aF32([]int{1, 2}, 3, 4), aF32([]int{2}, 1, 1), aF32([]int{2}, 0, 0), aF32([]int{2}, 1, 2), aF32([]int{2}, 1, 4))
	aClose(t, "bn rank2", out[0], []int{1, 2}, []float32{2, 1})

	_, err := aExec(aNode("BatchNormalization", 5, 1, map[string]any{"training_mode": 1}), 15, x, s, b, m, v)
	if err == nil || !strings.Contains(err.Error(), "training_mode") || !strings.Contains(err.Error(), "t_batchnormalization") {
		t.Errorf("training_mode=1: error %v, want one naming the node", err)
	}
	aWantErr(t, "saved_mean", aNode("BatchNormalization", 5, 5, nil), 9, x, s, b, m, v)
	// Unnamed optional outputs still get a meta each (the runtime matches
	// metas to the node's output list).
	bn := aNode("BatchNormalization", 5, 5, nil)
	bn.Outputs = []string{"y", "", "", "", ""}
	if out := aMust(t, bn, 9, x, s, b, m, v); len(out) != 5 {
		t.Errorf("%d outputs, want 5", len(out))
	}
	aWantErr(t, "shape", aNode("BatchNormalization", 5, 1, nil), 15, x, aF32([]int{3}, 1, 1, 1), b, m, v)
	aWantErr(t, "needs 5", aNode("BatchNormalization", 4, 1, nil), 15, x, s, b, m)
}

func TestLRN(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	x := aRand(r, 2, 5, 3)
	for _, size := range []int{1, 2, 3, 4} {
		out := aMust(t, aNode("LRN", 1, 1, map[string]any{"size": size, "alpha": float32(0.1), "beta": float32(0.6), "bias": float32(1.5)}), 13, x)
		xd := x.Float32s()
		var want []float32
		for n := 0; n < 2; n++ {
			for c := 0; c < 5; c++ {
				for j := 0; j < 3; j++ {
					var sq float64
					lo := c - (size-1)/2
					hi := c + int(math.Ceil(float64(size-1)/2))
					for i := lo; i <= hi; i++ {
						if i >= 0 && i < 5 {
							v := float64(xd[(n*5+i)*3+j])
							sq += v * v
						}
					}
					want = append(want, float32(float64(xd[(n*5+c)*3+j])/math.Pow(1.5+0.1/float64(size)*sq, 0.6)))
				}
			}
		}
		aClose(t, "lrn", out[0], []int{2, 5, 3}, want)
	}
	aWantErr(t, "size is required", aNode("LRN", 1, 1, nil), 13, x)
	aWantErr(t, "not positive", aNode("LRN", 1, 1, map[string]any{"size": 0}), 13, x)
}

func naiveMatMul(a, b []float32, m, k, n int) []float32 {
	y := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var acc float64
			for l := 0; l < k; l++ {
				acc += float64(a[i*k+l]) * float64(b[l*n+j])
			}
			y[i*n+j] = float32(acc)
		}
	}
	return y
}

func TestMatMulShapes(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	n := aNode("MatMul", 2, 1, nil)
	// 1-D x 1-D: a scalar.
	out := aMust(t, n, 13, aF32([]int{3}, 1, 2, 3), aF32([]int{3}, 4, 5, 6))
	aClose(t, "dot", out[0], []int{}, []float32{32})
	// 1-D x batched: [K] x [B, K, N] -> [B, N].
	a, b := aRand(r, 4), aRand(r, 2, 4, 3)
	out = aMust(t, n, 13, a, b)
	var want []float32
	for i := 0; i < 2; i++ {
		want = append(want, naiveMatMul(a.Float32s(), b.Float32s()[i*12:(i+1)*12], 1, 4, 3)...)
	}
	aClose(t, "vec x batch", out[0], []int{2, 3}, want)
	// batched x 1-D: [B, M, K] x [K] -> [B, M].
	a, b = aRand(r, 2, 3, 4), aRand(r, 4)
	out = aMust(t, n, 13, a, b)
	want = want[:0]
	for i := 0; i < 2; i++ {
		want = append(want, naiveMatMul(a.Float32s()[i*12:(i+1)*12], b.Float32s(), 3, 4, 1)...)
	}
	aClose(t, "batch x vec", out[0], []int{2, 3}, want)
	// Broadcast batch: [2, 1, M, K] x [3, K, N] -> [2, 3, M, N].
	a, b = aRand(r, 2, 1, 2, 4), aRand(r, 3, 4, 5)
	out = aMust(t, n, 13, a, b)
	want = want[:0]
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			want = append(want, naiveMatMul(a.Float32s()[i*8:(i+1)*8], b.Float32s()[j*20:(j+1)*20], 2, 4, 5)...)
		}
	}
	aClose(t, "broadcast batch", out[0], []int{2, 3, 2, 5}, want)
	// Zero-sized K gives zeros.
	out = aMust(t, n, 13, tensor.New(tensor.Float32, 2, 0), tensor.New(tensor.Float32, 0, 3))
	aClose(t, "empty K", out[0], []int{2, 3}, make([]float32, 6))

	aWantErr(t, "inner dimensions", n, 13, aRand(r, 2, 3), aRand(r, 4, 2))
	aWantErr(t, "batch", n, 13, aRand(r, 2, 2, 3), aRand(r, 3, 3, 2))
	aWantErr(t, "rank", n, 13, aF32([]int{}, 1), aRand(r, 1))
}

func TestGemm(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	a, b := aRand(r, 4, 3), aRand(r, 5, 4) // transA: A' [3, 4]; transB: B' [4, 5]
	at, bt := tensor.New(tensor.Float32, 3, 4), tensor.New(tensor.Float32, 4, 5)
	for i := 0; i < 4; i++ {
		for j := 0; j < 3; j++ {
			at.Float32s()[j*4+i] = a.Float32s()[i*3+j]
		}
		for j := 0; j < 5; j++ {
			bt.Float32s()[i*5+j] = b.Float32s()[j*4+i]
		}
	}
	ab := naiveMatMul(at.Float32s(), bt.Float32s(), 3, 4, 5)
	c := aRand(r, 3, 1) // broadcast along N
	n := aNode("Gemm", 3, 1, map[string]any{"transA": 1, "transB": 1, "alpha": float32(0.5), "beta": float32(-2)})
	out := aMust(t, n, 13, a, b, c)
	want := make([]float32, 15)
	for i := range want {
		want[i] = float32(0.5*float64(ab[i]) - 2*float64(c.Float32s()[i/5]))
	}
	aClose(t, "gemm C [M,1]", out[0], []int{3, 5}, want)
	// No C (opset 11+).
	out = aMust(t, aNode("Gemm", 2, 1, nil), 13, at, bt)
	aClose(t, "gemm no C", out[0], []int{3, 5}, ab)
	// Legacy broadcast attribute accepted.
	out = aMust(t, aNode("Gemm", 3, 1, map[string]any{"broadcast": 1}), 6, at, bt, aF32([]int{}, 1))
	for i := range want {
		want[i] = ab[i] + 1
	}
	aClose(t, "gemm scalar C", out[0], []int{3, 5}, want)

	aWantErr(t, "inner dimensions", aNode("Gemm", 2, 1, nil), 13, a, b)
	aWantErr(t, "broadcast", aNode("Gemm", 3, 1, nil), 13, at, bt, aRand(r, 2, 5))
	aWantErr(t, "rank 2", aNode("Gemm", 2, 1, nil), 13, aRand(r, 3), bt)
	aWantErr(t, "transA", aNode("Gemm", 2, 1, map[string]any{"transA": 2}), 13, at, bt)
}

func TestPad(t *testing.T) {
	x := aF32([]int{1, 4}, 1, 2, 3, 4)
	for _, tc := range []struct {
		mode string
		pads []int64
		want []float32
	}{
		{"constant", []int64{0, 2, 0, 1}, []float32{9, 9, 1, 2, 3, 4, 9}},
		{"edge", []int64{0, 2, 0, 1}, []float32{1, 1, 1, 2, 3, 4, 4}},
		{"reflect", []int64{0, 2, 0, 1}, []float32{3, 2, 1, 2, 3, 4, 3}},
		// Pads beyond n-1 keep reflecting (period 2(n-1)).
		{"reflect", []int64{0, 5, 0, 4}, []float32{2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2}},
		{"wrap", []int64{0, 2, 0, 3}, []float32{3, 4, 1, 2, 3, 4, 1, 2, 3}},
		// Negative pads crop.
		{"constant", []int64{0, -1, 0, 1}, []float32{2, 3, 4, 9}},
		{"edge", []int64{0, -2, 0, 2}, []float32{3, 4, 4, 4}},
	} {
		opset := int64(13)
		if tc.mode == "wrap" {
			opset = 19
		}
		out := aMust(t, aNode("Pad", 3, 1, map[string]any{"mode": tc.mode}), opset, x, aI64([]int{4}, tc.pads...), aF32([]int{}, 9))
		aClose(t, tc.mode, out[0], []int{1, len(tc.want)}, tc.want)
	}
	// Opset 2: attributes.
	out := aMust(t, aNode("Pad", 1, 1, map[string]any{"pads": []int{1, 0, 0, 1}, "value": float32(-1)}), 2, x)
	aClose(t, "opset 2", out[0], []int{2, 5}, []float32{-1, -1, -1, -1, -1, 1, 2, 3, 4, -1})
	// Opset 18 axes; no constant_value means 0.
	out = aMust(t, aNode("Pad", 4, 1, nil), 18, x, aI64([]int{2}, 1, 1), nil, aI64([]int{1}, -1))
	aClose(t, "axes", out[0], []int{1, 6}, []float32{0, 1, 2, 3, 4, 0})
	// Other element types.
	xi := aI64([]int{3}, 5, 6, 7)
	got := aMust(t, aNode("Pad", 3, 1, nil), 13, xi, aI64([]int{2}, 1, 2), aI64([]int{}, -3))[0].Int64s()
	if want := []int64{-3, 5, 6, 7, -3, -3}; len(got) != len(want) || got[0] != want[0] || got[5] != want[5] || got[1] != 5 {
		t.Errorf("int64 pad %v, want %v", got, want)
	}
	xb := &tensor.Tensor{DType: tensor.Bool, Shape: []int{2}, Data: []bool{true, false}}
	gb := aMust(t, aNode("Pad", 2, 1, map[string]any{"mode": "reflect"}), 13, xb, aI64([]int{2}, 1, 1))[0].Data.([]bool)
	if len(gb) != 4 || gb[0] || !gb[1] || gb[2] || !gb[3] {
		t.Errorf("bool reflect pad %v", gb)
	}

	aWantErr(t, "pads has 2 values", aNode("Pad", 2, 1, nil), 13, x, aI64([]int{2}, 1, 1))
	aWantErr(t, "negative size", aNode("Pad", 2, 1, nil), 13, x, aI64([]int{4}, 0, -3, 0, -2))
	aWantErr(t, "mode", aNode("Pad", 2, 1, map[string]any{"mode": "wrap"}), 13, x, aI64([]int{4}, 0, 0, 0, 0))
	aWantErr(t, "constant_value", aNode("Pad", 3, 1, nil), 13, x, aI64([]int{4}, 0, 0, 0, 0), aI64([]int{}, 1))
	aWantErr(t, "required", aNode("Pad", 1, 1, nil), 2, x)
	aWantErr(t, "empty axis", aNode("Pad", 2, 1, map[string]any{"mode": "edge"}), 13, tensor.New(tensor.Float32, 1, 0), aI64([]int{4}, 0, 1, 0, 0))

	k, _ := New(aNode("Pad", 2, 1, nil), 13)
	if _, err := k.Infer([]*tensor.Tensor{x, {DType: tensor.Int64, Shape: []int{4}}}); !aIsDynamic(err) {
		t.Errorf("unknown pads: %v, want ErrDynamic", err)
	}
}

func TestResize(t *testing.T) {
	x := aF32([]int{1, 1, 1, 2}, 1, 3)
	// Linear, asymmetric, 1-D along W: x/2.
	n := aNode("Resize", 3, 1, map[string]any{"mode": "linear", "coordinate_transformation_mode": "asymmetric"})
	out := aMust(t, n, 13, x, nil, aF32([]int{4}, 1, 1, 1, 2))
	aClose(t, "linear asym", out[0], []int{1, 1, 1, 4}, []float32{1, 2, 3, 3})
	// half_pixel: (x+0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25 (clamped at the edges).
	n = aNode("Resize", 3, 1, map[string]any{"mode": "linear"})
	out = aMust(t, n, 13, x, nil, aF32([]int{4}, 1, 1, 1, 2))
	aClose(t, "linear half_pixel", out[0], []int{1, 1, 1, 4}, []float32{1, 1.5, 2.5, 3})
	// Nearest modes at ties: coordinate 0.5 exactly (asymmetric, scale 2, x=1).
	for mode, want := range map[string][]float32{
		"round_prefer_floor": {1, 1, 3, 3},
		"round_prefer_ceil":  {1, 3, 3, 3},
		"floor":              {1, 1, 3, 3},
		"ceil":               {1, 3, 3, 3},
	} {
		n = aNode("Resize", 4, 1, map[string]any{"coordinate_transformation_mode": "asymmetric", "nearest_mode": mode})
		out = aMust(t, n, 13, x, nil, nil, aI64([]int{4}, 1, 1, 1, 4))
		aClose(t, mode, out[0], []int{1, 1, 1, 4}, want)
	}
	// Opset 11 with an empty scales input and sizes.
	n = aNode("Resize", 4, 1, nil)
	out = aMust(t, n, 11, x, aF32([]int{0}), aF32([]int{0}), aI64([]int{4}, 1, 1, 2, 2))
	aClose(t, "opset 11 sizes", out[0], []int{1, 1, 2, 2}, []float32{1, 3, 1, 3})
	// Opset 10: X, scales; nearest floors when upsampling.
	out = aMust(t, aNode("Resize", 2, 1, nil), 10, x, aF32([]int{4}, 1, 1, 1, 3))
	aClose(t, "opset 10", out[0], []int{1, 1, 1, 6}, []float32{1, 1, 1, 3, 3, 3})
	// Opset 18 axes.
	out = aMust(t, aNode("Resize", 3, 1, map[string]any{"axes": []int{3}, "mode": "linear", "coordinate_transformation_mode": "align_corners"}), 18, x, nil, aF32([]int{1}, 1.5))
	aClose(t, "axes align_corners", out[0], []int{1, 1, 1, 3}, []float32{1, 2, 3})
	// keep_aspect_ratio_policy not_larger: one scale min(4/1, 3/2) = 1.5.
	out = aMust(t, aNode("Resize", 4, 1, map[string]any{"axes": []int{2, 3}, "keep_aspect_ratio_policy": "not_larger"}), 18, x, nil, nil, aI64([]int{2}, 4, 3))
	if !tensor.SameShape(out[0].Shape, []int{1, 1, 2, 3}) {
		t.Errorf("not_larger shape %v", out[0].Shape)
	}
	// Cubic on a constant signal stays constant (weights sum to 1).
	c := aF32([]int{1, 1, 3, 3}, 2, 2, 2, 2, 2, 2, 2, 2, 2)
	out = aMust(t, aNode("Resize", 3, 1, map[string]any{"mode": "cubic"}), 13, c, nil, aF32([]int{4}, 1, 1, 1.7, 0.6))
	aClose(t, "cubic constant", out[0], []int{1, 1, 5, 1}, []float32{2, 2, 2, 2, 2})

	// Upsample-7 (attribute) and Upsample-9 (input).
	out = aMust(t, aNode("Upsample", 1, 1, map[string]any{"scales": []float32{1, 1, 2, 2}}), 7, x)
	aClose(t, "upsample 7", out[0], []int{1, 1, 2, 4}, []float32{1, 1, 3, 3, 1, 1, 3, 3})
	out = aMust(t, aNode("Upsample", 2, 1, map[string]any{"mode": "linear"}), 9, x, aF32([]int{4}, 1, 1, 1, 2))
	aClose(t, "upsample 9 linear", out[0], []int{1, 1, 1, 4}, []float32{1, 2, 3, 3})

	aWantErr(t, "both", aNode("Resize", 4, 1, nil), 13, x, nil, aF32([]int{4}, 1, 1, 1, 2), aI64([]int{4}, 1, 1, 1, 4))
	aWantErr(t, "neither", aNode("Resize", 1, 1, nil), 13, x)
	aWantErr(t, "scales has 3", aNode("Resize", 3, 1, nil), 13, x, nil, aF32([]int{3}, 1, 1, 2))
	aWantErr(t, "positive", aNode("Resize", 3, 1, nil), 13, x, nil, aF32([]int{4}, 1, 1, 1, -2))
	aWantErr(t, "non-positive", aNode("Resize", 3, 1, nil), 13, x, nil, aF32([]int{4}, 1, 1, 0.1, 1))
	aWantErr(t, "mode", aNode("Resize", 3, 1, map[string]any{"mode": "area"}), 13, x, nil, aF32([]int{4}, 1, 1, 1, 2))
	aWantErr(t, "cubic", aNode("Resize", 2, 1, map[string]any{"mode": "cubic"}), 10, x, aF32([]int{4}, 1, 1, 1, 2))
	aWantErr(t, "coordinate_transformation_mode", aNode("Resize", 3, 1, map[string]any{"coordinate_transformation_mode": "x"}), 13, x, nil, aF32([]int{4}, 1, 1, 1, 2))
	aWantErr(t, "antialias", aNode("Resize", 3, 1, map[string]any{"antialias": 1}), 18, x, nil, aF32([]int{4}, 1, 1, 1, 2))
	aWantErr(t, "roi", aNode("Resize", 4, 1, map[string]any{"coordinate_transformation_mode": "tf_crop_and_resize"}), 13, x, nil, nil, aI64([]int{4}, 1, 1, 1, 4))
	aWantErr(t, "scales is required", aNode("Upsample", 1, 1, nil), 7, x)

	k, _ := New(aNode("Resize", 3, 1, nil), 13)
	if _, err := k.Infer([]*tensor.Tensor{x, nil, {DType: tensor.Float32, Shape: []int{4}}}); !aIsDynamic(err) {
		t.Errorf("unknown scales: %v, want ErrDynamic", err)
	}
}
