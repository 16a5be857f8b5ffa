package gocnn

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gocnn/gocnn/internal/testutil"
	"github.com/gocnn/gocnn/tensor"
)

// TestConcurrentRuns shares one model between 8 goroutines; every result
// must be bit-identical to a single-threaded run's.
func TestConcurrentRuns(t *testing.T) {
	file := filepath.Join("testdata", "torch", "lenet5_op13.onnx")
	in, _ := torchCase(t, file)
	single, err := Load(file, &Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	name := single.Inputs()[0].Name
	want, err := single.Run(context.Background(), map[string]*tensor.Tensor{name: in})
	if err != nil {
		t.Fatal(err)
	}
	wantBits := tensor.EncodeLittleEndian(want[single.Outputs()[0].Name].Data)
	shared, err := Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := 25
	if testing.Short() || raceEnabled {
		runs = 3
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*runs)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range runs {
				out, err := shared.Run(context.Background(), map[string]*tensor.Tensor{name: in})
				if err != nil {
					errs <- err
					return
				}
				if string(tensor.EncodeLittleEndian(out[shared.Outputs()[0].Name].Data)) != string(wantBits) {
					t.Error("a concurrent run differs from the single-threaded run")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestOptimisedMatchesUnoptimised: graph optimisation must not change any
// committed model's outputs beyond float rounding.
func TestOptimisedMatchesUnoptimised(t *testing.T) {
	for _, file := range torchModels(t) {
		in, _ := torchCase(t, file)
		var outs [2][]float32
		for i, opts := range []*Options{{}, {NoOptimize: true, Reference: true}} {
			m, err := Load(file, opts)
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs()[0].Name: in})
			if err != nil {
				t.Fatal(err)
			}
			outs[i] = out[m.Outputs()[0].Name].Float32s()
		}
		if e := testutil.MaxRelErr(outs[0], outs[1]); e > 1e-5 {
			t.Errorf("%s: optimised and unoptimised differ by %.3g × max|output|", filepath.Base(file), e)
		}
	}
}
