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

// TestNodeWork checks Options.MaxNodeWork: a node whose multiply-adds on
// the planned shapes pass the cap fails the Run naming it (planned and
// dynamic shapes, the default cap and a set one), and constant folding
// leaves such a node to the runs instead of computing it at load.
func TestNodeWork(t *testing.T) {
	ctx := context.Background()
	shape := func(d ...int64) *tensor.Tensor { return tensor.FromInt64([]int{len(d)}, d) }
	model := func(in onnx.ValueInfo, inits map[string]*tensor.Tensor, nodes ...*onnx.Node) []byte {
		m := graphModel(nodes...)
		m.Graph.Inputs = []onnx.ValueInfo{in}
		m.Graph.Outputs = []onnx.ValueInfo{{Name: "Y", DType: tensor.Float32}}
		m.Graph.Initializers = inits
		return encode(t, m)
	}
	run := func(b []byte, opts *Options, in *tensor.Tensor) error {
		m, err := Decode(b, opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Run(ctx, map[string]*tensor.Tensor{"X": in})
		return err
	}
	fill := func(shape string, out string) *onnx.Node {
		return &onnx.Node{OpType: "ConstantOfShape", Inputs: []string{shape}, Outputs: []string{out}}
	}
	x := tensor.FromFloat32([]int{1, 3}, make([]float32, 3))
	vx := onnx.ValueInfo{Name: "X", DType: tensor.Float32, Shape: []int{1, 3}}

	// 2¹⁵×2¹⁵ squared (3.5·10¹³ multiply-adds) from a few hundred bytes:
	// refused under the default cap, before its 8 GB of operands exist.
	huge := model(vx, map[string]*tensor.Tensor{"S": shape(1<<15, 1<<15)},
		fill("S", "A"), &onnx.Node{Name: "square", OpType: "MatMul", Inputs: []string{"A", "A"}, Outputs: []string{"Y"}})
	oneLine(t, run(huge, nil, x), "MatMul needs about 3.52e+13 multiply-adds")

	// Folding: 1024×2048·2048×1024 (2³¹ multiply-adds) is left to the runs.
	fold := model(vx, map[string]*tensor.Tensor{"S": shape(1024, 2048), "T": shape(2048, 1024)},
		fill("S", "A"), fill("T", "B"), &onnx.Node{Name: "mm", OpType: "MatMul", Inputs: []string{"A", "B"}, Outputs: []string{"C"}},
		&onnx.Node{OpType: "Relu", Inputs: []string{"C"}, Outputs: []string{"Y"}}) // (graph outputs are never folded)
	oneLine(t, run(fold, &Options{MaxNodeWork: 1 << 30}, x), "MatMul needs about 2.15e+09 multiply-adds")

	// A Conv on the input: 1×8×20×20 by 16×8×3×3 is 18·18·16·72 = 373248.
	vc := onnx.ValueInfo{Name: "X", DType: tensor.Float32, Shape: []int{1, 8, 20, 20}}
	w := tensor.FromFloat32([]int{16, 8, 3, 3}, make([]float32, 16*8*9))
	conv := model(vc, map[string]*tensor.Tensor{"W": w}, &onnx.Node{Name: "c", OpType: "Conv", Inputs: []string{"X", "W"}, Outputs: []string{"Y"}})
	xc := tensor.FromFloat32([]int{1, 8, 20, 20}, make([]float32, 8*400))
	oneLine(t, run(conv, &Options{MaxNodeWork: 373247}, xc), "Conv needs about 3.73e+05 multiply-adds")
	if err := run(conv, &Options{MaxNodeWork: 373248}, xc); err != nil {
		t.Errorf("conv at the cap: %v", err)
	}
	if err := run(conv, &Options{MaxNodeWork: -1}, xc); err != nil {
		t.Errorf("conv without a cap: %v", err)
	}

	// Shapes from the input's values: the dynamic route checks too.
	vd := onnx.ValueInfo{Name: "X", DType: tensor.Float32, Shape: []int{3}}
	dyn := model(vd, nil,
		&onnx.Node{OpType: "Cast", Inputs: []string{"X"}, Outputs: []string{"S"}, Attrs: map[string]*onnx.Attr{"to": {Name: "to", Type: onnx.AttrInt, I: 7}}}, // INT64,
		fill("S", "A"), &onnx.Node{Name: "dyn", OpType: "MatMul", Inputs: []string{"A", "A"}, Outputs: []string{"Y"}})
	xd := tensor.FromFloat32([]int{3}, []float32{1, 64, 64})
	oneLine(t, run(dyn, &Options{MaxNodeWork: 64*64*64 - 1}, xd), "MatMul needs about 2.62e+05 multiply-adds")
	if err := run(dyn, &Options{MaxNodeWork: 64 * 64 * 64}, xd); err != nil {
		t.Errorf("dynamic matmul at the cap: %v", err)
	}
}
