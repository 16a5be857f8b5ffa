package zoo

import (
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/onnx"
)

func TestOutSize(t *testing.T) {
	cases := []struct {
		n, k, s, p int
		ceil       bool
		want       int
	}{
		{224, 7, 2, 3, false, 112},
		{112, 3, 2, 1, false, 56},
		{112, 3, 2, 0, true, 56}, // GoogLeNet maxpool1
		{111, 3, 2, 0, true, 55}, // SqueezeNet
		{14, 2, 2, 0, true, 7},
		{13, 3, 2, 0, false, 6},
		{7, 3, 1, 1, true, 7},
		{5, 2, 2, 1, true, 3},  // a window starting in the trailing pad is dropped
		{2, 3, 2, 0, true, 0},  // nothing fits
		{6, 3, 2, 0, true, 3},  // ceil keeps the partial window
		{6, 3, 2, 0, false, 2}, // floor drops it
	}
	for _, c := range cases {
		if got := outSize(c.n, c.k, c.s, c.p, c.p, c.ceil); got != c.want {
			t.Errorf("outSize(%d, k%d s%d p%d ceil %v) = %d, want %d", c.n, c.k, c.s, c.p, c.ceil, got, c.want)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	if _, err := Build("lenet", 1); err == nil || !strings.Contains(err.Error(), `unknown model "lenet"`) {
		t.Errorf("unknown model: %v", err)
	}
	_, err := BuildSize("alexnet", 1, 64)
	if err == nil || !strings.Contains(err.Error(), "adaptive average pool") {
		t.Errorf("alexnet at 64: %v", err)
	}
	if _, err := BuildSize("resnet18", 1, 16); err != nil {
		t.Errorf("resnet18 at 16: %v", err)
	}
}

func TestBuilder(t *testing.T) {
	b := NewBuilder("t", 1, 3, 8, 8)
	x := b.Conv(b.Input(), 8, 3, 1, 1, 1)
	if got := b.Shape(x); !slices.Equal(got, []int{-1, 8, 8, 8}) {
		t.Fatalf("conv shape %v", got)
	}
	parts := b.Split(x, 4, 4)
	y := b.ChannelShuffle(b.Concat(parts[1], parts[0]), 2)
	if got := b.Shape(y); !slices.Equal(got, []int{-1, 8, 8, 8}) {
		t.Fatalf("shuffle shape %v", got)
	}
	z := b.Gemm(b.Flatten(b.GlobalAvgPool(b.SiLU(b.BatchNorm(y)))), 10)
	m := b.Model(z)
	if out := m.Graph.Outputs[0]; out.Name != "output" || !slices.Equal(out.Shape, []int{-1, 10}) {
		t.Fatalf("output %v", out)
	}
	if _, err := onnx.Encode(m); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if _, ok := recover().(*BuildError); !ok {
				t.Error("a bad Conv did not panic with a *BuildError")
			}
		}()
		b.Conv(x, 6, 3, 1, 1, 4) // 8 channels in 4 groups, but 6 outputs
	}()
}

// TestModels checks the layer counts of torchvision's exports and that
// weights depend on the seed only.
func TestModels(t *testing.T) {
	convs := map[string]int{"resnet18": 20, "mobilenet_v2": 52, "squeezenet1_1": 26, "googlenet": 57,
		"shufflenet_v2_x1_0": 56, "efficientnet_b0": 81}
	for name, want := range convs {
		m, err := BuildSize(name, 1, 32)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, nd := range m.Graph.Nodes {
			if nd.OpType == "Conv" {
				n++
			}
		}
		if n != want {
			t.Errorf("%s: %d Conv nodes, want %d", name, n, want)
		}
	}
	build := func(seed int64) []float32 {
		m, err := BuildSize("squeezenet1_1", seed, 32)
		if err != nil {
			t.Fatal(err)
		}
		return m.Graph.Initializers["fire8.conv3.weight"].Float32s()
	}
	if !slices.Equal(build(3), build(3)) {
		t.Error("same seed, different weights")
	}
	if slices.Equal(build(3), build(4)) {
		t.Error("different seeds, same weights")
	}
}
