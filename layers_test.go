package gocnn

import (
	"path/filepath"
	"testing"
)

func TestLayers(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "torch", "tiny_resnet_op9.onnx"), nil)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := m.Layers(map[string][]int{"input": {4, 3, 32, 32}})
	if err != nil {
		t.Fatal(err)
	}
	var convs int
	for _, l := range layers {
		if l.OpType == "BatchNormalization" {
			t.Errorf("BatchNormalization %s survived optimisation", l.Name)
		}
		if l.OpType == "gocnn.Conv" || l.OpType == "Conv" {
			convs++
			if l.Weights == 0 || !l.Constant[1] || l.OutputShapes[0][0] != 4 {
				t.Errorf("%s: weights %d, constant %v, out %v", l.Name, l.Weights, l.Constant, l.OutputShapes)
			}
		}
	}
	if convs != 6 {
		t.Errorf("%d convolutions, want 6", convs)
	}
	last := layers[len(layers)-1]
	if got := last.OutputShapes[0]; len(got) != 2 || got[0] != 4 || got[1] != 10 {
		t.Errorf("last layer %s output %v, want [4 10]", last.Name, got)
	}
	if m.WeightBytes() == 0 {
		t.Error("no weight bytes")
	}
}
