package gocnn

import (
	"context"
	"testing"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// concatModel is Y = Concat(Relu(X), Neg(X), Relu(Neg(X))) along axis 1.
func concatModel() *onnx.Model {
	m := graphModel(
		&onnx.Node{OpType: "Relu", Inputs: []string{"X"}, Outputs: []string{"a"}},
		&onnx.Node{OpType: "Neg", Inputs: []string{"X"}, Outputs: []string{"b"}},
		&onnx.Node{OpType: "Relu", Inputs: []string{"b"}, Outputs: []string{"c"}},
		&onnx.Node{OpType: "Concat", Inputs: []string{"a", "b", "c"}, Outputs: []string{"Y"},
			Attrs: map[string]*onnx.Attr{"axis": {Type: onnx.AttrInt, I: 1}}},
	)
	m.Graph.Outputs[0].Shape = []int{-1, 9}
	return m
}

// TestConcatInPlace: with batch 1 the Concat's inputs are written straight
// into its output (the node does not run); with batch 2 they cannot be, and
// it runs. Both give the reference result.
func TestConcatInPlace(t *testing.T) {
	m, err := Decode(encode(t, concatModel()), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 2} {
		x := tensor.New(tensor.Float32, batch, 3)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(i) - 2.5
		}
		out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"X": x})
		if err != nil {
			t.Fatal(err)
		}
		y := out["Y"].Float32s()
		for b := range batch {
			for j := range 3 {
				v := x.Float32s()[b*3+j]
				want := []float32{max(v, 0), -v, max(-v, 0)}
				for k, w := range want {
					if got := y[b*9+k*3+j]; got != w {
						t.Fatalf("batch %d: Y[%d,%d] = %g, want %g", batch, b, k*3+j, got, w)
					}
				}
			}
		}
		p := m.plans[0]
		concatRuns := p.run[len(m.nodes)-1]
		if concatRuns != (batch > 1) {
			t.Errorf("batch %d: Concat runs = %v", batch, concatRuns)
		}
	}
}

// TestArenaReuse: a chain reuses memory, so the arena holds two values,
// not one per node.
func TestArenaReuse(t *testing.T) {
	m, err := Decode(encode(t, chainModel(50, 1000)), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.ArenaBytes(nil)
	if err != nil {
		t.Fatal(err)
	}
	if per := int64(4 * 1008); b != 2*per {
		t.Errorf("arena %d bytes, want %d (two values of 1000 floats, 64-byte aligned)", b, 2*per)
	}
}
