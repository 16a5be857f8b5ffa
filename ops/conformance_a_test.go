package ops

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Conformance cases of ONNX's node tests for the operators in conv.go,
// convtranspose.go, pool.go, norm.go, matmul.go, resize.go and pad.go. Each
// is a single-node model; the node runs directly through ops.New.
var conformanceAPrefixes = []string{
	"test_conv", "test_basic_conv", "test_convtranspose", "test_maxpool",
	"test_averagepool", "test_globalaveragepool", "test_globalmaxpool",
	"test_batchnorm", "test_lrn", "test_gemm", "test_matmul", "test_resize",
	"test_upsample", "test_constant_pad",
}

const conformanceADir = "../testdata/onnx-node"

func conformanceACases(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join(conformanceADir, "required.txt"))
	if err != nil {
		t.Skip("no conformance data:", err)
	}
	var cases []string
	for _, c := range strings.Fields(string(b)) {
		for _, p := range conformanceAPrefixes {
			if strings.HasPrefix(c, p) {
				cases = append(cases, c)
				break
			}
		}
	}
	return cases
}

func TestConformanceA(t *testing.T) {
	for _, c := range conformanceACases(t) {
		t.Run(c, func(t *testing.T) {
			if err := runConformanceA(filepath.Join(conformanceADir, c)); err != nil {
				t.Error(err)
			}
		})
	}
}

// fillGarbageA fills a freshly allocated output so that a kernel that skips an
// element fails the comparison.
func fillGarbageA(t *tensor.Tensor) {
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = float32(math.NaN())
		}
	case []int64:
		for i := range d {
			d[i] = -12345
		}
	}
}

func runConformanceA(dir string) error {
	m, err := onnx.Load(filepath.Join(dir, "model.onnx"), nil)
	if err != nil {
		return err
	}
	if len(m.Graph.Nodes) != 1 {
		return fmt.Errorf("%d nodes, want 1", len(m.Graph.Nodes))
	}
	node := m.Graph.Nodes[0]
	vals := map[string]*tensor.Tensor{}
	for name, t := range m.Graph.Initializers {
		vals[name] = t
	}
	for i, gi := range m.Graph.Inputs {
		t, _, err := onnx.LoadTensor(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", i)))
		if err != nil {
			return err
		}
		vals[gi.Name] = t
	}
	k, err := New(node, m.Opset())
	if err != nil {
		return err
	}
	in := make([]*tensor.Tensor, len(node.Inputs))
	for i, name := range node.Inputs {
		if name == "" {
			continue
		}
		if in[i] = vals[name]; in[i] == nil {
			return fmt.Errorf("no value for input %q", name)
		}
	}
	metas, err := k.Infer(in)
	if err != nil {
		return fmt.Errorf("infer: %w", err)
	}
	if len(metas) != len(node.Outputs) {
		return fmt.Errorf("infer gave %d outputs, node has %d", len(metas), len(node.Outputs))
	}
	out := make([]*tensor.Tensor, len(metas))
	for i, mt := range metas {
		out[i] = tensor.New(mt.DType, mt.Shape...)
		fillGarbageA(out[i])
	}
	if err := k.Run(in, out); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	for i := range out {
		want, _, err := onnx.LoadTensor(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("output_%d.pb", i)))
		if err != nil {
			return err
		}
		if err := compareA(out[i], want, 1e-4, 1e-5); err != nil {
			return fmt.Errorf("output %d: %w", i, err)
		}
	}
	return nil
}

// compareA checks got against want: same type and shape, floats within
// atol + rtol*|want|, integers exactly.
func compareA(got, want *tensor.Tensor, rtol, atol float64) error {
	if got.DType != want.DType || !tensor.SameShape(got.Shape, want.Shape) {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	switch w := want.Data.(type) {
	case []float32:
		g := got.Float32s()
		bad := 0
		var first string
		for i := range w {
			x, y := float64(g[i]), float64(w[i])
			if math.IsNaN(x) && math.IsNaN(y) {
				continue
			}
			if !(math.Abs(x-y) <= atol+rtol*math.Abs(y)) && x != y {
				if bad == 0 {
					first = fmt.Sprintf("element %d: got %v, want %v", i, x, y)
				}
				bad++
			}
		}
		if bad > 0 {
			return fmt.Errorf("%d of %d elements differ; first %s", bad, len(w), first)
		}
	case []int64:
		g := got.Int64s()
		for i := range w {
			if g[i] != w[i] {
				return fmt.Errorf("element %d: got %d, want %d", i, g[i], w[i])
			}
		}
	default:
		return fmt.Errorf("cannot compare %v", want.DType)
	}
	return nil
}
