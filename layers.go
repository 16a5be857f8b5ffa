package gocnn

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// Layer describes one node of a loaded model, in execution order, with the
// shapes it sees for given input shapes. Tools (gocnn inspect, profilers)
// build on it.
type Layer struct {
	Name   string
	OpType string // a fused node reports its domain: "gocnn.Conv"
	// Node is the node as the runtime runs it (after optimisation unless
	// the model was loaded with NoOptimize). Do not modify it.
	Node *onnx.Node
	// InputShapes and OutputShapes are nil for values whose shape depends
	// on data not known without running.
	InputShapes, OutputShapes [][]int
	// Constant marks which inputs are weights (known at load).
	Constant []bool
	// Weights counts the elements of the constant inputs.
	Weights int64
	// Kernel names the implementation chosen for the node, e.g. "reference"
	// or a fast path's algorithm and ISA.
	Kernel string
}

// Describer is implemented by kernels that can name their algorithm.
type Describer interface{ Describe() string }

// kernelNameFor names the implementation k uses for input shape x (a
// convolution may pick another algorithm for small inputs); nil x gives
// the load-time choice.
func kernelNameFor(k ops.Kernel, x []int) string {
	if c, ok := unwrapKernel(k).(interface{ AlgorithmFor([]int) string }); ok && x != nil {
		name := kernelName(k)
		if i, j := strings.Index(name, "/"), strings.LastIndex(name, "/"); i >= 0 && j > i {
			return name[:i+1] + c.AlgorithmFor(x) + name[j:]
		}
	}
	return kernelName(k)
}

// kernelName names the implementation behind k: "reference" for package
// ops' kernels, else the fast path's description.
func kernelName(k ops.Kernel) string {
	switch d := k.(type) {
	case Describer:
		return d.Describe()
	case interface{ Algorithm() string }:
		return "conv/" + d.Algorithm() + "/" + gemmISA()
	}
	return "reference"
}

// Layers infers every node's shapes for the given input shapes (by input
// name; inputs not given use their declared shape, symbolic dimensions 1).
func (m *Model) Layers(shapes map[string][]int) ([]Layer, error) {
	env := make([]*tensor.Tensor, len(m.values))
	copy(env, m.consts)
	for i, vi := range m.inputs {
		shape, ok := shapes[vi.Name]
		if !ok {
			shape = make([]int, len(vi.Shape))
			for j, d := range vi.Shape {
				shape[j] = max(d, 1)
			}
		}
		if vi.Shape != nil && len(shape) != len(vi.Shape) {
			return nil, fmt.Errorf("%w %q: rank %d, the model wants %v", ErrInput, vi.Name, len(shape), vi)
		}
		env[m.inSlot[i]] = &tensor.Tensor{DType: vi.DType, Shape: shape}
	}
	var layers []Layer
	for _, n := range m.nodes {
		l := Layer{Name: n.src.Name, OpType: n.src.OpType, Node: n.src, Kernel: "reference"}
		if n.src.Domain != "" {
			l.OpType = n.src.Domain + "." + n.src.OpType
		}
		l.Kernel = kernelName(n.kernel)
		if len(n.in) > 0 && n.in[0] >= 0 && env[n.in[0]] != nil {
			l.Kernel = kernelNameFor(n.kernel, env[n.in[0]].Shape)
		}
		if n.src.Domain == "" && viewOps[n.src.OpType] {
			l.Kernel = "view" // a plan shares the input's memory: nothing runs
		}
		in := make([]*tensor.Tensor, len(n.in))
		known := true
		for i, s := range n.in {
			var shape []int
			constant := false
			if s >= 0 {
				in[i] = env[s]
				if in[i] != nil {
					shape = in[i].Shape
				}
				if c := m.consts[s]; c != nil {
					constant = true
					l.Weights += int64(c.Len())
				}
				known = known && in[i] != nil
			}
			l.InputShapes = append(l.InputShapes, shape)
			l.Constant = append(l.Constant, constant)
		}
		l.OutputShapes = make([][]int, len(n.out))
		if known {
			metas, err := n.kernel.Infer(in)
			if err != nil && !errors.Is(err, ops.ErrDynamic) {
				return nil, fmt.Errorf("gocnn: %v: %w", n, err)
			}
			for i, s := range n.out {
				if err == nil && s >= 0 && i < len(metas) {
					env[s] = metas[i]
					l.OutputShapes[i] = metas[i].Shape
				}
			}
		}
		layers = append(layers, l)
	}
	return layers, nil
}

// WeightBytes is the memory the model holds for constants: initializers
// and folded values it keeps, plus what kernels hold in packed or
// transformed form.
func (m *Model) WeightBytes() int64 {
	var b int64
	for _, c := range m.consts {
		if c != nil && c.Data != nil {
			b += int64(c.Len() * c.DType.Size())
		}
	}
	for _, n := range m.nodes {
		if w, ok := unwrapKernel(n.kernel).(interface{ WeightBytes() int64 }); ok {
			b += w.WeightBytes()
		}
	}
	return b
}

// unwrapKernel returns the fast kernel inside the runtime's wrappers.
func unwrapKernel(k ops.Kernel) ops.Kernel {
	switch w := k.(type) {
	case ownsInputs:
		return w.Kernel
	case float32Only:
		return w.fast.Kernel
	}
	return k
}
