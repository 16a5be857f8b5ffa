// Package gocnn loads ONNX convolutional networks and runs them on the CPU,
// in pure Go with generated SIMD kernels.
//
// A Model is immutable once loaded and safe for concurrent use:
//
//	m, err := gocnn.Load("resnet18.onnx", nil)
//	...
//	out, err := m.Run(ctx, map[string]*tensor.Tensor{"input": x})
package gocnn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// Options configure loading. The zero value (or nil) gives the defaults.
type Options struct {
	// NoOptimize keeps the graph exactly as the file has it: no constant
	// folding, fusion or node removal.
	NoOptimize bool
	// Reference runs every node with the pure-Go reference kernels of
	// package ops instead of the fast paths: the oracle, for testing.
	Reference bool
	// Threads caps the goroutines one Run uses inside a node (≤ 0:
	// GOMAXPROCS).
	Threads int
	// Limits bound what a model file may make the loader allocate.
	Limits onnx.Options
	// MaxNodeWork caps the multiply-adds one node may do in a run (Conv,
	// ConvTranspose, Gemm, MatMul; window taps for pools and LRN),
	// estimated from the shapes when Run first sees an input shape: a
	// node past it fails that Run with an error naming it, instead of
	// running for hours where the context is not checked. 0:
	// DefaultMaxNodeWork; < 0: no cap.
	MaxNodeWork int64
}

// Model is a loaded network. It is immutable and safe for concurrent use.
type Model struct {
	opset   int64
	inputs  []onnx.ValueInfo
	outputs []onnx.ValueInfo
	// values names every value slot; consts holds the slots known at load.
	values []string
	consts []*tensor.Tensor
	nodes  []*node
	// inSlot and outSlot map graph inputs and outputs to value slots.
	inSlot, outSlot []int
	// maxElements caps every tensor a run creates (Limits.MaxTensorElements).
	maxElements int64
	// maxWork caps one node's work in a run (Options.MaxNodeWork; ≤ 0: none).
	maxWork int64
	// plans caches one execution plan per input shape, most recent first.
	planMu sync.Mutex
	plans  []*plan
}

// node is a graph node bound to its kernel and value slots.
type node struct {
	src     *onnx.Node
	kernel  ops.Kernel
	scratch withScratch // kernel, as a run with scratch calls it
	in      []int       // -1 for an omitted optional input
	out     []int
}

func (n *node) String() string { return n.src.String() }

// Load reads an ONNX model file. External data is looked up beside it.
func Load(path string, opts *Options) (*Model, error) {
	lim := limits(opts)
	if lim.Dir == "" {
		lim.Dir = filepath.Dir(path)
	}
	om, err := onnx.Load(path, &lim)
	if err != nil {
		return nil, err
	}
	m, err := build(om, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Decode loads a model from the bytes of an ONNX file.
func Decode(b []byte, opts *Options) (*Model, error) {
	lim := limits(opts)
	om, err := onnx.Decode(b, &lim)
	if err != nil {
		return nil, err
	}
	return build(om, opts)
}

// Read loads a model from r.
func Read(r io.Reader, opts *Options) (*Model, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Decode(b, opts)
}

func limits(opts *Options) onnx.Options {
	if opts == nil {
		return onnx.Options{}
	}
	return opts.Limits
}

// Inputs describes the inputs Run expects. A dimension of -1 may take any
// size (a symbolic dimension such as the batch).
func (m *Model) Inputs() []onnx.ValueInfo { return m.inputs }

// Outputs describes the outputs Run returns.
func (m *Model) Outputs() []onnx.ValueInfo { return m.outputs }

// Opset is the default-domain opset version the model imports.
func (m *Model) Opset() int64 { return m.opset }

// Run evaluates the model on named inputs and returns every graph output by
// name. It checks ctx between nodes. The model may be shared: concurrent
// runs use separate memory.
func (m *Model) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	p, a, err := m.prepare(inputs)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return m.runDynamic(ctx, inputs)
	}
	defer p.put(a)
	if err := m.execute(ctx, p, a, nil); err != nil {
		return nil, err
	}
	res := make(map[string]*tensor.Tensor, len(m.outputs))
	for i, vi := range m.outputs {
		res[vi.Name] = a.env[m.outSlot[i]].Clone()
	}
	return res, nil
}

// RunInto is Run writing into caller-owned output tensors, which must have
// the outputs' types and shapes. Once a model has seen an input shape,
// RunInto with that shape allocates nothing.
func (m *Model) RunInto(ctx context.Context, inputs, outputs map[string]*tensor.Tensor) error {
	p, a, err := m.prepare(inputs)
	if err != nil {
		return err
	}
	var results []*tensor.Tensor
	if p == nil {
		res, err := m.runDynamic(ctx, inputs)
		if err != nil {
			return err
		}
		for _, vi := range m.outputs {
			results = append(results, res[vi.Name])
		}
	} else {
		defer p.put(a)
		if err := m.execute(ctx, p, a, nil); err != nil {
			return err
		}
	}
	for i, vi := range m.outputs {
		src := a.outputOr(results, i, m.outSlot[i])
		dst := outputs[vi.Name]
		if dst == nil {
			return fmt.Errorf("gocnn: RunInto: no tensor for output %q", vi.Name)
		}
		if dst.DType != src.DType || !tensor.SameShape(dst.Shape, src.Shape) || dst.Check() != nil {
			return fmt.Errorf("gocnn: RunInto: output %q is %v, the tensor given is %v", vi.Name, src, dst)
		}
		tensor.Copy(dst, src)
	}
	return nil
}

// outputOr picks output i from a dynamic run's results or the arena.
func (a *arena) outputOr(results []*tensor.Tensor, i, slot int) *tensor.Tensor {
	if results != nil {
		return results[i]
	}
	return a.env[slot]
}

// prepare checks the inputs and returns the plan for their shapes with an
// arena holding them, or a nil plan when shapes depend on input values.
func (m *Model) prepare(inputs map[string]*tensor.Tensor) (*plan, *arena, error) {
	for name := range inputs {
		if !m.hasInput(name) {
			return nil, nil, fmt.Errorf("gocnn: the model has no input %q (inputs: %v)", name, m.inputNames())
		}
	}
	for _, vi := range m.inputs {
		t, ok := inputs[vi.Name]
		if !ok || t == nil {
			return nil, nil, fmt.Errorf("gocnn: input %q is missing", vi.Name)
		}
		if err := checkInput(vi, t); err != nil {
			return nil, nil, err
		}
	}
	p, err := m.planFor(inputs)
	if err != nil || p == nil {
		return nil, nil, err
	}
	a := p.get(m)
	for i, vi := range m.inputs {
		a.env[m.inSlot[i]].Data = inputs[vi.Name].Data
	}
	return p, a, nil
}

// runDynamic evaluates the graph allocating every value, inferring shapes
// node by node: for models whose shapes depend on input values.
func (m *Model) runDynamic(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	env := make([]*tensor.Tensor, len(m.values))
	copy(env, m.consts)
	for i, vi := range m.inputs {
		env[m.inSlot[i]] = inputs[vi.Name]
	}
	var in []*tensor.Tensor
	for _, n := range m.nodes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in = in[:0]
		for _, s := range n.in {
			if s < 0 {
				in = append(in, nil)
				continue
			}
			in = append(in, env[s])
		}
		metas, err := n.kernel.Infer(in)
		if err != nil {
			return nil, fmt.Errorf("gocnn: %v: %w", n, err)
		}
		if err := checkWork(n.src, in, metas, m.maxWork); err != nil {
			return nil, fmt.Errorf("gocnn: %v: %w", n, err)
		}
		out, err := runNode(n, in, metas, m.maxElements)
		if err != nil {
			return nil, fmt.Errorf("gocnn: %v: %w", n, err)
		}
		for i, s := range n.out {
			if s >= 0 && i < len(out) {
				env[s] = out[i]
			}
		}
	}
	res := make(map[string]*tensor.Tensor, len(m.outputs))
	for i, vi := range m.outputs {
		res[vi.Name] = env[m.outSlot[i]]
	}
	return res, nil
}

func (m *Model) hasInput(name string) bool {
	for _, vi := range m.inputs {
		if vi.Name == name {
			return true
		}
	}
	return false
}

func (m *Model) inputNames() []string {
	var names []string
	for _, vi := range m.inputs {
		names = append(names, vi.Name)
	}
	return names
}

// ErrInput wraps errors about the inputs given to Run.
var ErrInput = errors.New("gocnn: bad input")

func checkInput(vi onnx.ValueInfo, t *tensor.Tensor) error {
	if err := t.Check(); err != nil {
		return fmt.Errorf("%w %q: %v", ErrInput, vi.Name, err)
	}
	if vi.DType != tensor.Undefined && t.DType != vi.DType {
		return fmt.Errorf("%w %q: type %v, the model wants %v", ErrInput, vi.Name, t.DType, vi.DType)
	}
	if vi.Shape == nil {
		return nil
	}
	ok := len(vi.Shape) == len(t.Shape)
	for i := 0; ok && i < len(vi.Shape); i++ {
		ok = vi.Shape[i] < 0 || vi.Shape[i] == t.Shape[i]
	}
	if !ok {
		return fmt.Errorf("%w %q: shape %v, the model wants %v", ErrInput, vi.Name, tensor.ShapeString(t.Shape), vi)
	}
	return nil
}

// LoadInput reads a tensor from a .npy or ONNX .pb file.
func LoadInput(path string) (*tensor.Tensor, error) {
	if filepath.Ext(path) == ".pb" {
		t, _, err := onnx.LoadTensor(path)
		return t, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	return tensor.LoadNpy(path)
}
