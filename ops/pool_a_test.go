package ops

import (
	"math"
	"testing"

	"github.com/gocnn/gocnn/tensor"
)

func TestWindowOutput(t *testing.T) {
	for _, tc := range []struct {
		in, k, s, d, pb, pe int
		auto                string
		ceil                bool
		out, gb, ge         int
	}{
		{5, 3, 1, 1, 0, 0, "NOTSET", false, 3, 0, 0},
		{5, 3, 2, 1, 1, 1, "NOTSET", false, 3, 1, 1},
		{6, 3, 2, 1, 0, 0, "NOTSET", false, 2, 0, 0},
		{6, 3, 2, 1, 0, 0, "NOTSET", true, 3, 0, 0},
		// ceil_mode: a window that would start in the end padding is dropped.
		{5, 2, 2, 1, 1, 1, "NOTSET", true, 3, 1, 1},
		{5, 3, 1, 2, 0, 0, "NOTSET", false, 1, 0, 0},
		{5, 3, 2, 1, 9, 9, "VALID", true, 2, 0, 0},
		{7, 3, 2, 1, 0, 0, "SAME_UPPER", false, 4, 1, 1},
		{8, 3, 2, 1, 0, 0, "SAME_UPPER", false, 4, 0, 1},
		{8, 3, 2, 1, 0, 0, "SAME_LOWER", false, 4, 1, 0},
		{8, 1, 3, 1, 0, 0, "SAME_LOWER", false, 3, 0, 0},
	} {
		a, err := WindowOutput(tc.in, tc.k, tc.s, tc.d, tc.pb, tc.pe, tc.auto, tc.ceil)
		if err != nil {
			t.Errorf("%+v: %v", tc, err)
			continue
		}
		if a.Out != tc.out || a.PadBegin != tc.gb || a.PadEnd != tc.ge {
			t.Errorf("%+v: got out %d pads %d,%d", tc, a.Out, a.PadBegin, a.PadEnd)
		}
	}
	// The last four: sizes whose arithmetic would overflow int (on 64-bit
	// platforms the first, a 2⁶¹ kernel dilated by 4, had wrapped to an
	// output of 5).
	const big = math.MaxInt/4 + 1
	for _, bad := range [][6]int{{0, 1, 1, 1, 0, 0}, {3, 0, 1, 1, 0, 0}, {3, 1, 0, 1, 0, 0}, {3, 1, 1, 0, 0, 0}, {3, 1, 1, 1, -1, 0}, {3, 4, 1, 1, 0, 0},
		{1, big, 1, 4, 0, 0}, {3, 1, 1, 1, big, big}, {3, 2, 1, big, 2 * big, 0}, {3, 1, big, 1, 0, 0}} {
		if _, err := WindowOutput(bad[0], bad[1], bad[2], bad[3], bad[4], bad[5], "NOTSET", false); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if _, err := WindowOutput(3, 1, 1, 1, 0, 0, "bogus", false); err == nil {
		t.Error("bad auto_pad accepted")
	}
}

func TestPoolCeilModeWithPads(t *testing.T) {
	x := aF32([]int{1, 1, 5}, 1, 5, 2, 4, 3)
	// k=2, s=2, pads 1,1, ceil: windows start at -1, 1, 3 (the one at 5
	// would start in the end padding).
	n := aNode("MaxPool", 1, 2, map[string]any{"kernel_shape": []int{2}, "strides": []int{2}, "pads": []int{1, 1}, "ceil_mode": 1})
	out := aMust(t, n, 12, x)
	aClose(t, "maxpool", out[0], []int{1, 1, 3}, []float32{1, 5, 4})
	if got := out[1].Int64s(); got[0] != 0 || got[1] != 1 || got[2] != 3 {
		t.Errorf("indices %v, want [0 1 3]", got)
	}
	n = aNode("AveragePool", 1, 1, map[string]any{"kernel_shape": []int{2}, "strides": []int{2}, "pads": []int{1, 1}, "ceil_mode": 1})
	out = aMust(t, n, 11, x)
	aClose(t, "avgpool", out[0], []int{1, 1, 3}, []float32{1, 3.5, 3.5})
	n.Attrs["count_include_pad"] = aNode("", 0, 0, map[string]any{"v": 1}).Attrs["v"]
	out = aMust(t, n, 11, x)
	aClose(t, "avgpool count_include_pad", out[0], []int{1, 1, 3}, []float32{0.5, 3.5, 3.5})
	// Without pads, ceil_mode adds a window overhanging the end; its
	// overhang is not counted even with count_include_pad.
	n = aNode("AveragePool", 1, 1, map[string]any{"kernel_shape": []int{2}, "strides": []int{2}, "ceil_mode": 1, "count_include_pad": 1})
	out = aMust(t, n, 11, x)
	aClose(t, "avgpool overhang", out[0], []int{1, 1, 3}, []float32{3, 3, 3})
}

func TestPoolDilationsAndEmptyWindows(t *testing.T) {
	x := aF32([]int{1, 1, 6}, 1, 2, 3, 4, 5, 6)
	n := aNode("AveragePool", 1, 1, map[string]any{"kernel_shape": []int{2}, "dilations": []int{3}})
	out := aMust(t, n, 19, x)
	aClose(t, "dilated avg", out[0], []int{1, 1, 3}, []float32{2.5, 3.5, 4.5})
	// Pads as large as the kernel give windows entirely in the padding:
	// MaxPool yields -Inf with index -1, AveragePool 0.
	n = aNode("MaxPool", 1, 2, map[string]any{"kernel_shape": []int{2}, "pads": []int{2, 0}})
	out = aMust(t, n, 12, aF32([]int{1, 1, 2}, 7, 8))
	aClose(t, "empty max", out[0], []int{1, 1, 3}, []float32{float32(math.Inf(-1)), 7, 8})
	if got := out[1].Int64s(); got[0] != -1 || got[1] != 0 || got[2] != 1 {
		t.Errorf("indices %v", got)
	}
	n = aNode("AveragePool", 1, 1, map[string]any{"kernel_shape": []int{2}, "pads": []int{2, 0}})
	out = aMust(t, n, 11, aF32([]int{1, 1, 2}, 7, 8))
	aClose(t, "empty avg", out[0], []int{1, 1, 3}, []float32{0, 7, 7.5})
}

func TestMaxPoolIndicesStorageOrder(t *testing.T) {
	// 2 channels of a 2x3 plane, kernel 1: every element is its own max.
	x := tensor.New(tensor.Float32, 1, 2, 2, 3)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(i)
	}
	for so, want := range [][]int64{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
		{0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11},
	} {
		n := aNode("MaxPool", 1, 2, map[string]any{"kernel_shape": []int{1, 1}, "storage_order": so})
		out := aMust(t, n, 12, x)
		for i, v := range out[1].Int64s() {
			if v != want[i] {
				t.Fatalf("storage_order %d: indices %v, want %v", so, out[1].Int64s(), want)
			}
		}
	}
	// 3-D, column-major: index = d + D*(h + H*w).
	x = tensor.New(tensor.Float32, 1, 1, 2, 2, 2)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(i)
	}
	n := aNode("MaxPool", 1, 2, map[string]any{"kernel_shape": []int{1, 1, 1}, "storage_order": 1})
	out := aMust(t, n, 12, x)
	want := []int64{0, 4, 2, 6, 1, 5, 3, 7}
	for i, v := range out[1].Int64s() {
		if v != want[i] {
			t.Fatalf("3-D column-major indices %v, want %v", out[1].Int64s(), want)
		}
	}
	// An unnamed Indices output is still produced.
	n = aNode("MaxPool", 1, 2, map[string]any{"kernel_shape": []int{1, 1, 1}})
	n.Outputs[1] = ""
	if out := aMust(t, n, 12, x); len(out) != 2 {
		t.Errorf("%d outputs, want 2", len(out))
	}
	// Ties pick the first maximum in row-major window order.
	out = aMust(t, aNode("MaxPool", 1, 2, map[string]any{"kernel_shape": []int{2, 2}}), 12, aF32([]int{1, 1, 2, 2}, 1, 3, 3, 3))
	if out[1].Int64s()[0] != 1 {
		t.Errorf("tie index %v, want 1", out[1].Int64s())
	}
}

func TestGlobalPools(t *testing.T) {
	x := aF32([]int{1, 2, 1, 3}, 1, 2, 6, -1, -2, -6)
	out := aMust(t, aNode("GlobalAveragePool", 1, 1, nil), 1, x)
	aClose(t, "gap", out[0], []int{1, 2, 1, 1}, []float32{3, -3})
	out = aMust(t, aNode("GlobalMaxPool", 1, 1, nil), 1, x)
	aClose(t, "gmp", out[0], []int{1, 2, 1, 1}, []float32{6, -1})
	aWantErr(t, "rank 2", aNode("GlobalMaxPool", 1, 1, nil), 1, aF32([]int{1, 2}, 1, 2))
}

func TestPoolErrors(t *testing.T) {
	x := aF32([]int{1, 1, 4, 4}, make([]float32, 16)...)
	for _, tc := range []struct {
		op     string
		attrs  map[string]any
		substr string
	}{
		{"MaxPool", map[string]any{}, "kernel_shape is required"},
		{"MaxPool", map[string]any{"kernel_shape": []int{2}}, "rank"},
		{"MaxPool", map[string]any{"kernel_shape": []int{2, 0}}, "non-positive"},
		{"MaxPool", map[string]any{"kernel_shape": []int{2, 2}, "strides": []int{1}}, "spatial axes"},
		{"MaxPool", map[string]any{"kernel_shape": []int{2, 2}, "strides": []int{1, 0}}, "strides"},
		{"MaxPool", map[string]any{"kernel_shape": []int{5, 2}}, "larger than the padded input"},
		{"MaxPool", map[string]any{"kernel_shape": []int{2, 2}, "storage_order": 2}, "storage_order"},
		{"MaxPool", map[string]any{"kernel_shape": []int{2, 2}, "ceil_mode": 3}, "ceil_mode"},
		{"AveragePool", map[string]any{"kernel_shape": []int{2, 2}, "pads": []int{0, 0, 0, -1}}, "negative"},
		{"AveragePool", map[string]any{"kernel_shape": []int{2, 2}, "auto_pad": "same"}, "auto_pad"},
		{"AveragePool", map[string]any{"kernel_shape": []int{2, 2}, "count_include_pad": 2}, "count_include_pad"},
	} {
		aWantErr(t, tc.substr, aNode(tc.op, 1, 1, tc.attrs), 12, x)
	}
	aWantErr(t, "outputs", aNode("AveragePool", 1, 2, map[string]any{"kernel_shape": []int{2, 2}}), 12, x)
	aWantErr(t, "type", aNode("MaxPool", 1, 1, map[string]any{"kernel_shape": []int{2, 2}}), 12, tensor.New(tensor.Int64, 1, 1, 4, 4))
}
