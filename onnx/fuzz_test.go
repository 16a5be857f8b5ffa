package onnx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadTensor: arbitrary bytes give a consistent tensor or an error.
func FuzzReadTensor(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/onnx-node/test_conv*/test_data_set_0/*.pb")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, _, err := ReadTensor(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := x.Check(); err != nil {
			t.Fatalf("inconsistent tensor: %v", err)
		}
	})
}

// FuzzDecode: arbitrary bytes decode into a model or give an error,
// within the limits.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/onnx-node/test_[a-c]*/model.onnx")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, &Options{MaxWeightBytes: 1 << 24, MaxTensorElements: 1 << 20})
		if err != nil {
			return
		}
		for _, w := range m.Graph.Initializers {
			if err := w.Check(); err != nil {
				t.Fatalf("inconsistent initializer: %v", err)
			}
		}
	})
}
