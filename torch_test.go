package gocnn

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/internal/testutil"
	"github.com/gocnn/gocnn/tensor"
)

// torchTol bounds max|got-torch| relative to max|torch| for the PyTorch
// exports in testdata/torch (fp32 end to end).
const torchTol = 1e-4

// torchModels lists the committed exports with their input and output files.
func torchModels(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "torch", "*.onnx"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no PyTorch exports in testdata/torch: %v", err)
	}
	return files
}

func torchCase(t testing.TB, file string) (in, want *tensor.Tensor) {
	base := filepath.Base(file)
	stem := base[:strings.LastIndex(base, "_op")]
	dir := filepath.Dir(file)
	in, err := tensor.LoadNpy(filepath.Join(dir, stem+"_input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want, err = tensor.LoadNpy(filepath.Join(dir, stem+"_output.npy"))
	if err != nil {
		t.Fatal(err)
	}
	return in, want
}

// TestTorchExports checks every committed PyTorch export against torch's
// own output, optimised and as loaded.
func TestTorchExports(t *testing.T) {
	for _, file := range torchModels(t) {
		for _, opts := range testOptions {
			name := filepath.Base(file)
			if opts.NoOptimize {
				name += "/O0"
			}
			if opts.Reference {
				name += "/reference"
			}
			t.Run(name, func(t *testing.T) {
				m, err := Load(file, opts)
				if err != nil {
					t.Fatal(err)
				}
				in, want := torchCase(t, file)
				out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs()[0].Name: in})
				if err != nil {
					t.Fatal(err)
				}
				got := out[m.Outputs()[0].Name]
				if !tensor.SameShape(got.Shape, want.Shape) {
					t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
				}
				e := testutil.MaxRelErr(got.Float32s(), want.Float32s())
				t.Logf("max error %.3g × max|output|", e)
				if e > torchTol {
					t.Errorf("max error %.3g × max|output|, want ≤ %g", e, torchTol)
				}
			})
		}
	}
}

// TestBatchEqualsSingles runs each export at batch 2 and as two batch-1
// runs: the symbolic batch dimension must not change any result.
func TestBatchEqualsSingles(t *testing.T) {
	for _, file := range torchModels(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			m, err := Load(file, nil)
			if err != nil {
				t.Fatal(err)
			}
			in, _ := torchCase(t, file)
			name := m.Inputs()[0].Name
			all, err := m.Run(context.Background(), map[string]*tensor.Tensor{name: in})
			if err != nil {
				t.Fatal(err)
			}
			full := all[m.Outputs()[0].Name]
			per := full.Len() / full.Shape[0]
			img := in.Len() / in.Shape[0]
			for b := range in.Shape[0] {
				shape := append([]int{1}, in.Shape[1:]...)
				one := tensor.FromFloat32(shape, in.Float32s()[b*img:(b+1)*img])
				out, err := m.Run(context.Background(), map[string]*tensor.Tensor{name: one})
				if err != nil {
					t.Fatal(err)
				}
				got := out[m.Outputs()[0].Name].Float32s()
				if e := testutil.MaxRelErr(got, full.Float32s()[b*per:(b+1)*per]); e > 1e-6 {
					t.Errorf("item %d: batch-1 run differs from the batch run by %.3g", b, e)
				}
			}
		})
	}
}
