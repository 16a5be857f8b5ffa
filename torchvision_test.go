package gocnn

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocnn/gocnn/internal/testutil"
	"github.com/gocnn/gocnn/tensor"
)

// TestTorchvision runs full-size torchvision exports made by
// bench/torchvision_export.py against torch's outputs, and checks that
// RunInto then allocates nothing. They are too large
// to commit: set GOCNN_MODELS to the folder holding them.
func TestTorchvision(t *testing.T) {
	dir := os.Getenv("GOCNN_MODELS")
	if dir == "" {
		t.Skip("GOCNN_MODELS is not set: no torchvision exports to run (see bench/README_models.md)")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if len(files) == 0 {
		t.Fatalf("no .onnx files in %s", dir)
	}
	for _, file := range files {
		stem := strings.TrimSuffix(file, ".onnx")
		t.Run(filepath.Base(stem), func(t *testing.T) {
			in, err := tensor.LoadNpy(stem + "_input.npy")
			if err != nil {
				t.Skip(err)
			}
			want, err := tensor.LoadNpy(stem + "_output.npy")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			m, err := Load(file, nil)
			if err != nil {
				t.Fatal(err)
			}
			loaded := time.Since(start)
			start = time.Now()
			out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs()[0].Name: in})
			if err != nil {
				t.Fatal(err)
			}
			ran := time.Since(start)
			e := testutil.MaxRelErr(out[m.Outputs()[0].Name].Float32s(), want.Float32s())
			t.Logf("load %v, first run %v, max error %.3g × max|output|", loaded.Round(time.Millisecond), ran.Round(time.Millisecond), e)
			if e > torchTol {
				t.Errorf("max error %.3g × max|output| > %g", e, torchTol)
			}
			// Steady state allocates nothing, whatever the model's ops. The
			// Go runtime itself allocates now and then when a goroutine
			// parks or wakes (a sudog, a new M): in 3–25 % of ResNet-50's
			// runs on two threads (runtime.MemStats around each, 300 runs).
			// An allocation of ours would show in every measurement, so
			// the least of three counts.
			outs := map[string]*tensor.Tensor{}
			for name, v := range out {
				outs[name] = tensor.New(v.DType, v.Shape...)
			}
			ins := map[string]*tensor.Tensor{m.Inputs()[0].Name: in}
			ctx := context.Background()
			allocs := testing.AllocsPerRun(2, func() { m.RunInto(ctx, ins, outs) })
			for i := 0; i < 2 && allocs != 0; i++ {
				allocs = min(allocs, testing.AllocsPerRun(2, func() { m.RunInto(ctx, ins, outs) }))
			}
			if allocs != 0 {
				t.Errorf("RunInto allocates %v times per run", allocs)
			}
		})
	}
}
