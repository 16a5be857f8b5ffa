package gocnn

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// graphModel builds a float32 model over [N,3] values from nodes.
func graphModel(nodes ...*onnx.Node) *onnx.Model {
	vi := func(name string) onnx.ValueInfo {
		return onnx.ValueInfo{Name: name, DType: tensor.Float32, Shape: []int{-1, 3}, DimNames: []string{"N", ""}}
	}
	for _, n := range nodes {
		if n.Attrs == nil {
			n.Attrs = map[string]*onnx.Attr{}
		}
	}
	return &onnx.Model{
		Opsets: map[string]int64{"": 13},
		Graph: &onnx.Graph{
			Inputs:       []onnx.ValueInfo{vi("X")},
			Outputs:      []onnx.ValueInfo{vi("Y")},
			Initializers: map[string]*tensor.Tensor{},
			Nodes:        nodes,
		},
	}
}

func encode(t *testing.T, m *onnx.Model) []byte {
	t.Helper()
	b, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// oneLine fails unless err is a single-line message containing want.
func oneLine(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		t.Fatalf("error %q: want one line containing %q", msg, want)
	}
}

func TestLoadErrors(t *testing.T) {
	relu := func(in, out string) *onnx.Node {
		return &onnx.Node{Name: "r_" + out, OpType: "Relu", Inputs: []string{in}, Outputs: []string{out}}
	}
	cases := []struct {
		name  string
		model *onnx.Model
		want  string
	}{
		{"unknown op", graphModel(&onnx.Node{Name: "n1", OpType: "FancyOp", Inputs: []string{"X"}, Outputs: []string{"Y"}}),
			`unsupported operator FancyOp (node "n1", opset 13)`},
		{"custom domain", graphModel(&onnx.Node{Name: "n1", OpType: "Relu", Domain: "com.example", Inputs: []string{"X"}, Outputs: []string{"Y"}}),
			"unsupported operator com.example.Relu"},
		{"cycle", graphModel(relu("X", "A"), &onnx.Node{Name: "add", OpType: "Add", Inputs: []string{"A", "C"}, Outputs: []string{"B"}},
			relu("B", "C"), relu("C", "Y")), "cycle"},
		{"dangling input", graphModel(relu("nowhere", "Y")), `reads "nowhere"`},
		{"duplicate output", graphModel(relu("X", "Y"), relu("X", "Y")), `"Y" is defined twice`},
		{"missing output", graphModel(relu("X", "Z")), `output "Y" is not produced`},
		{"wrong attribute type", graphModel(&onnx.Node{Name: "s", OpType: "Softmax", Inputs: []string{"X"}, Outputs: []string{"Y"},
			Attrs: map[string]*onnx.Attr{"axis": {Type: onnx.AttrString, S: "one"}}}), `attribute "axis"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(encode(t, c.model), nil)
			oneLine(t, err, c.want)
		})
	}
}

func TestMalformedFile(t *testing.T) {
	_, err := Decode([]byte("this is not an onnx file"), nil)
	oneLine(t, err, "invalid model")
	path := filepath.Join(t.TempDir(), "m.onnx")
	os.WriteFile(path, []byte{0x08}, 0o644)
	_, err = Load(path, nil)
	oneLine(t, err, "m.onnx")
	_, err = Load(filepath.Join(t.TempDir(), "missing.onnx"), nil)
	oneLine(t, err, "missing.onnx")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%v does not wrap fs.ErrNotExist", err)
	}
}

func TestRunInputErrors(t *testing.T) {
	m, err := Decode(encode(t, graphModel(&onnx.Node{OpType: "Relu", Inputs: []string{"X"}, Outputs: []string{"Y"}})), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	x := tensor.FromFloat32([]int{2, 3}, make([]float32, 6))
	if _, err := m.Run(ctx, map[string]*tensor.Tensor{"X": x}); err != nil {
		t.Fatal(err)
	}
	_, err = m.Run(ctx, map[string]*tensor.Tensor{"X": tensor.FromFloat32([]int{2, 4}, make([]float32, 8))})
	oneLine(t, err, `shape [2,4], the model wants X float32[N,3]`)
	if !errors.Is(err, ErrInput) {
		t.Errorf("%v does not wrap ErrInput", err)
	}
	_, err = m.Run(ctx, map[string]*tensor.Tensor{"X": tensor.FromInt64([]int{2, 3}, make([]int64, 6))})
	oneLine(t, err, "type int64, the model wants float32")
	_, err = m.Run(ctx, map[string]*tensor.Tensor{"X": tensor.FromFloat32([]int{2, 3}, make([]float32, 5))})
	oneLine(t, err, "5 elements for shape [2 3]")
	_, err = m.Run(ctx, map[string]*tensor.Tensor{"Z": x})
	oneLine(t, err, `no input "Z"`)
	_, err = m.Run(ctx, nil)
	oneLine(t, err, `input "X" is missing`)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Run(cancelled, map[string]*tensor.Tensor{"X": x}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
}

// chainModel is a chain of n Relu nodes over a [1, size] input.
func chainModel(n, size int) *onnx.Model {
	m := graphModel()
	m.Graph.Inputs[0].Shape = []int{1, size}
	m.Graph.Outputs[0].Shape = []int{1, size}
	prev := "X"
	for i := range n {
		out := fmt.Sprintf("v%d", i)
		if i == n-1 {
			out = "Y"
		}
		m.Graph.Nodes = append(m.Graph.Nodes, &onnx.Node{OpType: "Softplus", Inputs: []string{prev}, Outputs: []string{out}, Attrs: map[string]*onnx.Attr{}})
		prev = out
	}
	return m
}

// TestCancelMidRun cancels a long run from another goroutine: Run must
// return context.Canceled long before the run would have finished.
func TestCancelMidRun(t *testing.T) {
	if runtime.GOARCH == "wasm" {
		t.Skip("wasm runs one goroutine at a time without preemption: the canceller cannot run during the run")
	}
	m, err := Decode(encode(t, chainModel(4000, 1<<14)), nil)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.Float32, 1, 1<<14)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err = m.Run(ctx, map[string]*tensor.Tensor{"X": x})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v after %v, want context.Canceled", err, time.Since(start))
	}
}

// TestPlanCache: each input shape gets one cached plan; repeating a shape
// reuses it.
func TestPlanCache(t *testing.T) {
	m, err := Decode(encode(t, graphModel(&onnx.Node{OpType: "Relu", Inputs: []string{"X"}, Outputs: []string{"Y"}})), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 2, 1, 2, 3} {
		x := tensor.New(tensor.Float32, batch, 3)
		out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"X": x})
		if err != nil {
			t.Fatal(err)
		}
		if out["Y"].Shape[0] != batch {
			t.Fatalf("batch %d: output %v", batch, out["Y"])
		}
	}
	if len(m.plans) != 3 {
		t.Errorf("%d plans cached, want 3", len(m.plans))
	}
	for b := 4; b < 4+2*maxPlans; b++ {
		m.Run(context.Background(), map[string]*tensor.Tensor{"X": tensor.New(tensor.Float32, b, 3)})
	}
	if len(m.plans) > maxPlans {
		t.Errorf("%d plans cached, the cap is %d", len(m.plans), maxPlans)
	}
}
