package pool

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

func TestFromNode(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := randT(rng, 2, 6, 11, 9)
	c := map[string]*tensor.Tensor{
		"s": randT(rng, 6), "b": randT(rng, 6), "m": randT(rng, 6), "v": randT(rng, 6),
		"lo": tensor.Scalar(-0.5), "hi": tensor.Scalar(1.5),
	}
	for i, v := range c["v"].Float32s() {
		c["v"].Float32s()[i] = v*v + 0.5
	}
	consts := func(name string) *tensor.Tensor { return c[name] }
	f := func(name string, v float32) *onnx.Attr { return &onnx.Attr{Name: name, Type: onnx.AttrFloat, F: v} }
	nodes := []*onnx.Node{
		poolCases[4].node("MaxPool"),
		poolCases[8].node("AveragePool"),
		{OpType: "GlobalAveragePool"},
		{OpType: "GlobalMaxPool"},
		{OpType: "BatchNormalization", Inputs: []string{"X", "s", "b", "m", "v"}, Attrs: map[string]*onnx.Attr{"epsilon": f("epsilon", 0.01)}},
		{OpType: "Relu"},
		{OpType: "LeakyRelu", Attrs: map[string]*onnx.Attr{"alpha": f("alpha", 0.25)}},
		{OpType: "HardSigmoid", Attrs: map[string]*onnx.Attr{"alpha": f("alpha", 0.3), "beta": f("beta", 0.4)}},
		{OpType: "HardSwish"},
		{OpType: "Sigmoid"},
		{OpType: "Clip", Inputs: []string{"X", "lo", "hi"}},
		{OpType: "Clip", Inputs: []string{"X", "", "hi"}},
	}
	for _, n := range nodes {
		if n.Inputs == nil {
			n.Inputs = []string{"X"}
		}
		n.Outputs = []string{"Y"}
		k, err := FromNode(n, 14, consts, Options{})
		if err != nil {
			t.Fatalf("%v: %v", n, err)
		}
		in := []*tensor.Tensor{x}
		for _, name := range n.Inputs[1:] {
			in = append(in, c[name])
		}
		compare(t, n.OpType, runFast(t, k, in), runRef(t, n, in), 1e-5)
	}
	// Clip-6 reads its bounds from attributes.
	n := &onnx.Node{OpType: "Clip", Inputs: []string{"X"}, Outputs: []string{"Y"},
		Attrs: map[string]*onnx.Attr{"min": f("min", 0), "max": f("max", 6)}}
	k, err := FromNode(n, 6, consts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := x.Clone()
	for i, v := range want.Float32s() {
		want.Float32s()[i] = min(max(v, 0), 6)
	}
	compare(t, "Clip-6", runFast(t, k, []*tensor.Tensor{x}), want, 0)

	for _, bad := range []*onnx.Node{
		{OpType: "MaxPool", Outputs: []string{"Y", "I"}, Attrs: poolCases[0].node("MaxPool").Attrs},
		{OpType: "BatchNormalization", Inputs: []string{"X", "s", "b", "m", "unknown"}, Outputs: []string{"Y"}},
		{OpType: "Clip", Inputs: []string{"X", "dynamic"}, Outputs: []string{"Y"}},
		{OpType: "Tanh", Inputs: []string{"X"}, Outputs: []string{"Y"}},
	} {
		if _, err := FromNode(bad, 14, consts, Options{}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%v: error %v, want ErrUnsupported", bad, err)
		}
	}
}
