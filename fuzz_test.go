package gocnn

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// fuzzLimits keep a hostile model from allocating without bound.
var fuzzLimits = onnx.Options{MaxWeightBytes: 64 << 20, MaxTensorElements: 1 << 20, MaxNodes: 10000}

// FuzzLoadRun feeds arbitrary bytes to the loader and runs whatever loads
// on a small input: only errors may come out, never a panic or a hang.
func FuzzLoadRun(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "onnx-node", "*", "model.onnx"))
	for _, s := range seeds[:min(len(seeds), 60)] {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "torch", "tiny_resnet_op13.onnx")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, &Options{Limits: fuzzLimits})
		if err != nil {
			return
		}
		inputs := map[string]*tensor.Tensor{}
		for _, vi := range m.Inputs() {
			shape := make([]int, len(vi.Shape))
			for i, d := range vi.Shape {
				shape[i] = max(d, 1)
			}
			n, err := tensor.NumElements(shape)
			if err != nil || n > 1<<16 || !vi.DType.Valid() {
				return
			}
			inputs[vi.Name] = &tensor.Tensor{DType: vi.DType, Shape: shape, Data: tensor.MakeData(vi.DType, n)}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		m.Run(ctx, inputs)
	})
}
