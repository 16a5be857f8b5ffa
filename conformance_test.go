package gocnn

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/internal/testutil"
	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Tolerances for ONNX's conformance data: fp32 reference outputs computed
// by numpy.
const conformanceRtol, conformanceAtol = 1e-4, 1e-5

// TestConformance runs every case of ONNX's backend test suite listed in
// testdata/onnx-node/required.txt, optimised and as loaded.
func TestConformance(t *testing.T) {
	dir := filepath.Join("testdata", "onnx-node")
	list, err := os.ReadFile(filepath.Join(dir, "required.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cases := strings.Fields(string(list))
	passed, failed := 0, 0
	var failures []string
	for _, name := range cases {
		ok := t.Run(name, func(t *testing.T) {
			for _, opts := range testOptions {
				if err := runConformanceCase(filepath.Join(dir, name), opts); err != nil {
					t.Fatalf("%+v: %v", *opts, err)
				}
			}
		})
		if ok {
			passed++
		} else {
			failed++
			failures = append(failures, name)
		}
	}
	sort.Strings(failures)
	if len(failures) > 0 {
		t.Logf("failing cases: %s", strings.Join(failures, " "))
	}
	fmt.Printf("onnx conformance: %d passed, %d failed\n", passed, failed)
}

// testOptions are the configurations every model test runs under: the
// default (optimised, fast kernels), the graph as loaded, and the pure
// reference kernels.
var testOptions = []*Options{{}, {NoOptimize: true}, {Reference: true, NoOptimize: true}}

func runConformanceCase(dir string, opts *Options) error {
	m, err := Load(filepath.Join(dir, "model.onnx"), opts)
	if err != nil {
		return err
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return fmt.Errorf("no test data sets")
	}
	for _, set := range sets {
		inputs := map[string]*tensor.Tensor{}
		for i, vi := range m.Inputs() {
			x, _, err := onnx.LoadTensor(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				return err
			}
			inputs[vi.Name] = x
		}
		got, err := m.Run(context.Background(), inputs)
		if err != nil {
			return err
		}
		for i, vi := range m.Outputs() {
			want, _, err := onnx.LoadTensor(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				return err
			}
			if err := testutil.AllClose(got[vi.Name], want, conformanceRtol, conformanceAtol); err != nil {
				return fmt.Errorf("%s: output %q: %v", filepath.Base(set), vi.Name, err)
			}
		}
	}
	return nil
}
