package ops

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// The ONNX backend node tests this file's operators must pass: every case in
// required.txt except those of the convolution, pooling, normalization,
// matrix product and resampling operators, which other files implement.
// Cases run through a small sequential executor (nodes in file order), so
// the multi-node *_expanded cases work too.

const bNodeTestDir = "../testdata/onnx-node"

var bOthersCases = regexp.MustCompile(`conv|pool|batchnorm|lrn|gemm|matmul|resize|upsample|constant_pad`)

func TestConformanceB(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(bNodeTestDir, "required.txt"))
	if err != nil {
		t.Skip(err)
	}
	var failed []string
	for _, c := range strings.Fields(string(b)) {
		if bOthersCases.MatchString(c) {
			continue
		}
		t.Run(c, func(t *testing.T) {
			if err := bRunNodeCase(filepath.Join(bNodeTestDir, c)); err != nil {
				failed = append(failed, c)
				t.Error(err)
			}
		})
	}
	sort.Strings(failed)
	if len(failed) > 0 {
		t.Logf("%d failing cases: %s", len(failed), strings.Join(failed, " "))
	}
}

// bRunNodeCase runs test_data_set_* of one case directory.
func bRunNodeCase(dir string) error {
	m, err := onnx.Load(filepath.Join(dir, "model.onnx"), nil)
	if err != nil {
		return err
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return fmt.Errorf("no test data in %s", dir)
	}
	for _, set := range sets {
		var inputs, want []*tensor.Tensor
		for i := 0; ; i++ {
			t, _, err := onnx.LoadTensor(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
			if errors.Is(err, os.ErrNotExist) {
				break
			} else if err != nil {
				return err
			}
			inputs = append(inputs, t)
		}
		for i := 0; ; i++ {
			t, _, err := onnx.LoadTensor(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
			if errors.Is(err, os.ErrNotExist) {
				break
			} else if err != nil {
				return err
			}
			want = append(want, t)
		}
		got, err := bExecGraph(m, inputs)
		if err != nil {
			return err
		}
		if len(got) != len(want) {
			return fmt.Errorf("%d outputs, want %d", len(got), len(want))
		}
		for i := range want {
			if err := bCompareTensors(got[i], want[i]); err != nil {
				return fmt.Errorf("%s output %d (%s): %w", filepath.Base(set), i, m.Graph.Outputs[i].Name, err)
			}
		}
	}
	return nil
}

// bExecGraph runs the nodes of m in file order: Infer, allocate, Run.
func bExecGraph(m *onnx.Model, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	g := m.Graph
	vals := map[string]*tensor.Tensor{}
	for name, t := range g.Initializers {
		vals[name] = t
	}
	if len(inputs) != len(g.Inputs) {
		return nil, fmt.Errorf("%d inputs for %d graph inputs", len(inputs), len(g.Inputs))
	}
	for i, vi := range g.Inputs {
		vals[vi.Name] = inputs[i]
	}
	for _, n := range g.Nodes {
		k, err := New(n, m.Opset())
		if err != nil {
			return nil, err
		}
		in := make([]*tensor.Tensor, len(n.Inputs))
		for i, name := range n.Inputs {
			if name == "" {
				continue
			}
			if in[i] = vals[name]; in[i] == nil {
				return nil, fmt.Errorf("%v: input %q not computed", n, name)
			}
		}
		// Infer with values unknown first, as a loader would, then with
		// values where the shape depends on them.
		metas := make([]*tensor.Tensor, len(in))
		for i, t := range in {
			if t != nil {
				metas[i] = t.Meta()
			}
		}
		outs, err := k.Infer(metas)
		if errors.Is(err, ErrDynamic) {
			outs, err = k.Infer(in)
		}
		if err != nil {
			return nil, fmt.Errorf("%v: infer: %w", n, err)
		}
		if len(outs) != len(n.Outputs) {
			return nil, fmt.Errorf("%v: infer gave %d outputs for %d", n, len(outs), len(n.Outputs))
		}
		for i, o := range outs {
			if o.Data != nil {
				return nil, fmt.Errorf("%v: infer output %d has data", n, i)
			}
			o.Shape = append([]int(nil), o.Shape...)
			o.Data = bGarbage(o.DType, o.Len())
		}
		if err := k.Run(in, outs); err != nil {
			return nil, fmt.Errorf("%v: run: %w", n, err)
		}
		for i, name := range n.Outputs {
			vals[name] = outs[i]
		}
	}
	res := make([]*tensor.Tensor, len(g.Outputs))
	for i, vi := range g.Outputs {
		if res[i] = vals[vi.Name]; res[i] == nil {
			return nil, fmt.Errorf("output %q not computed", vi.Name)
		}
	}
	return res, nil
}

// bGarbage returns n elements of dt that are unlikely to be right answers.
func bGarbage(dt tensor.DType, n int) any {
	d := tensor.MakeData(dt, n)
	switch v := d.(type) {
	case []float32:
		for i := range v {
			v[i] = float32(math.NaN())
		}
	case []float64:
		for i := range v {
			v[i] = 12345.678
		}
	case []int64:
		for i := range v {
			v[i] = -987654321
		}
	case []int32:
		for i := range v {
			v[i] = -98765
		}
	case []uint8:
		for i := range v {
			v[i] = 0xAB
		}
	case []int8:
		for i := range v {
			v[i] = -77
		}
	case []bool:
		for i := range v {
			v[i] = i%2 == 0
		}
	}
	return d
}

// bCompareTensors checks type, shape and values: floats within rtol 1e-4 and
// atol 1e-5 (NaN matches NaN), everything else exactly.
func bCompareTensors(got, want *tensor.Tensor) error {
	if got.DType != want.DType || !tensor.SameShape(got.Shape, want.Shape) {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	if err := got.Check(); err != nil {
		return err
	}
	if isFloat(want.DType) {
		g, w := toFloat64s(got), toFloat64s(want)
		for i := range w {
			if math.IsNaN(w[i]) || math.IsNaN(g[i]) {
				if math.IsNaN(w[i]) != math.IsNaN(g[i]) {
					return fmt.Errorf("element %d: got %v, want %v", i, g[i], w[i])
				}
				continue
			}
			if g[i] == w[i] {
				continue
			}
			if math.Abs(g[i]-w[i]) > 1e-5+1e-4*math.Abs(w[i]) {
				return fmt.Errorf("element %d: got %v, want %v", i, g[i], w[i])
			}
		}
		return nil
	}
	if fmt.Sprint(got.Data) != fmt.Sprint(want.Data) {
		return fmt.Errorf("got %v, want %v", got.Data, want.Data)
	}
	return nil
}
