package gocnn

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// ErrGraph wraps errors in a model's graph structure.
var ErrGraph = errors.New("gocnn: invalid graph")

func graphErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrGraph, fmt.Sprintf(format, args...))
}

// build checks the graph, orders it, binds kernels and infers shapes.
func build(om *onnx.Model, opts *Options) (*Model, error) {
	if opts == nil {
		opts = &Options{}
	}
	g := om.Graph
	m := &Model{opset: om.Opset(), inputs: g.Inputs, outputs: g.Outputs, maxElements: opts.Limits.MaxTensorElements}
	if m.maxElements <= 0 {
		m.maxElements = 1 << 32
	}
	switch m.maxWork = opts.MaxNodeWork; {
	case m.maxWork == 0:
		m.maxWork = DefaultMaxNodeWork
	case m.maxWork < 0:
		m.maxWork = 0 // no cap
	}
	if m.opset < 1 {
		return nil, graphErr("the model imports no default-domain opset")
	}
	if len(g.Outputs) == 0 {
		return nil, graphErr("the graph has no outputs")
	}
	order, err := topoSort(g, g.Nodes)
	if err != nil {
		return nil, err
	}
	if !opts.NoOptimize {
		g.Nodes = order
		if err := optimize(g, m.opset); err != nil {
			return nil, err
		}
		if order, err = topoSort(g, g.Nodes); err != nil {
			return nil, err
		}
	}

	slot := map[string]int{}
	define := func(name string, t *tensor.Tensor) int {
		slot[name] = len(m.values)
		m.values = append(m.values, name)
		m.consts = append(m.consts, t)
		return slot[name]
	}
	for _, name := range g.InitializerNames() {
		define(name, g.Initializers[name])
	}
	for _, vi := range g.Inputs {
		m.inSlot = append(m.inSlot, define(vi.Name, nil))
	}
	for _, on := range order {
		n := &node{src: on}
		for _, name := range on.Inputs {
			if name == "" {
				n.in = append(n.in, -1)
				continue
			}
			n.in = append(n.in, slot[name]) // topoSort checked it exists
		}
		for _, name := range on.Outputs {
			if name == "" {
				n.out = append(n.out, -1)
				continue
			}
			n.out = append(n.out, define(name, nil))
		}
		m.nodes = append(m.nodes, n)
	}
	if err := m.buildKernels(om, opts); err != nil {
		return nil, err
	}
	for _, vi := range g.Outputs {
		s, ok := slot[vi.Name]
		if !ok {
			return nil, graphErr("output %q is not produced by any node", vi.Name)
		}
		m.outSlot = append(m.outSlot, s)
	}
	if err := m.inferShapes(); err != nil {
		return nil, err
	}
	m.releaseOwnedConstants()
	// The decoded file and the weights now held packed are garbage: for a
	// large model, hand the memory back so it costs what it holds.
	if m.WeightBytes() > freeOSThreshold {
		debug.FreeOSMemory()
	}
	return m, nil
}

// freeOSThreshold is the weight size above which loading and planning
// return garbage to the OS at once (a forced GC costs a few milliseconds).
const freeOSThreshold = 32 << 20

// buildKernels makes every node's kernel. Fast kernels pack or transform
// their weights, the bulk of load time, so nodes are built in parallel; the
// error reported is the first in execution order.
func (m *Model) buildKernels(om *onnx.Model, opts *Options) error {
	errs := make([]error, len(m.nodes))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, n := range m.nodes {
		opset := om.Opsets[n.src.Domain]
		if d := n.src.Domain; d == "" || d == "ai.onnx" || d == ops.FusedDomain {
			opset = m.opset
		}
		consts := make([]*tensor.Tensor, len(n.in))
		for j, s := range n.in {
			if s >= 0 {
				consts[j] = m.consts[s]
			}
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			n.kernel, errs[i] = newKernel(n.src, opset, consts, opts)
			n.scratch = scratchOf(n.kernel)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// removeNoOps drops Identity, inference-mode Dropout and zero-padding Pad
// nodes by renaming their consumers' inputs, unless the node feeds a graph
// output directly.
func removeNoOps(g *onnx.Graph) []*onnx.Node {
	isOutput := map[string]bool{}
	for _, vi := range g.Outputs {
		isOutput[vi.Name] = true
	}
	alias := map[string]string{}
	resolve := func(name string) string {
		for i := 0; i < len(alias)+1; i++ {
			a, ok := alias[name]
			if !ok {
				break
			}
			name = a
		}
		return name
	}
	var keep []*onnx.Node
	for _, n := range g.Nodes {
		noop := n.Domain == "" && len(n.Inputs) >= 1 && n.Inputs[0] != "" && len(n.Outputs) >= 1 &&
			(n.OpType == "Identity" || n.OpType == "Dropout" && dropoutIsNoOp(n) || n.OpType == "Pad" && padIsNoOp(g, n))
		if noop && !isOutput[n.Outputs[0]] {
			alias[n.Outputs[0]] = n.Inputs[0]
			continue
		}
		keep = append(keep, n)
	}
	if len(alias) == 0 {
		return g.Nodes
	}
	out := make([]*onnx.Node, len(keep))
	for i, n := range keep {
		c := *n
		c.Inputs = make([]string, len(n.Inputs))
		for j, in := range n.Inputs {
			c.Inputs[j] = resolve(in)
		}
		out[i] = &c
	}
	return out
}

// padIsNoOp reports whether a Pad node pads nothing: its pads, an
// attribute (before opset 11) or a constant input, are all zero. (PyTorch
// exports such a Pad before average pooling.)
func padIsNoOp(g *onnx.Graph, n *onnx.Node) bool {
	var pads []int64
	if a, ok := n.Attrs["pads"]; ok {
		pads = a.Ints
	} else if len(n.Inputs) > 1 && n.Inputs[1] != "" {
		t := g.Initializers[n.Inputs[1]]
		if t == nil || t.DType != tensor.Int64 {
			return false
		}
		pads = t.Int64s()
	}
	if len(pads) == 0 {
		return false
	}
	for _, p := range pads {
		if p != 0 {
			return false
		}
	}
	return true
}

// dropoutIsNoOp reports whether a Dropout node is an identity: one used
// output and no training-mode input.
func dropoutIsNoOp(n *onnx.Node) bool {
	if len(n.Outputs) > 1 && n.Outputs[1] != "" {
		return false
	}
	return len(n.Inputs) < 3 || n.Inputs[2] == ""
}

// topoSort orders nodes so each runs after its inputs' producers, and
// rejects duplicate value names, dangling inputs and cycles.
func topoSort(g *onnx.Graph, nodes []*onnx.Node) ([]*onnx.Node, error) {
	producer := map[string]int{} // value name -> node index, -1 for graph inputs/initializers
	for name := range g.Initializers {
		producer[name] = -1
	}
	for _, vi := range g.Inputs {
		if _, dup := producer[vi.Name]; dup {
			return nil, graphErr("input %q is defined twice", vi.Name)
		}
		producer[vi.Name] = -1
	}
	for i, n := range nodes {
		for _, out := range n.Outputs {
			if out == "" {
				continue
			}
			if _, dup := producer[out]; dup {
				return nil, graphErr("value %q is defined twice (again by %v)", out, n)
			}
			producer[out] = i
		}
	}
	indeg := make([]int, len(nodes))
	users := make([][]int, len(nodes))
	for i, n := range nodes {
		for _, in := range n.Inputs {
			if in == "" {
				continue
			}
			p, ok := producer[in]
			if !ok {
				return nil, graphErr("%v reads %q, which no node, input or initializer defines", n, in)
			}
			if p >= 0 {
				indeg[i]++
				users[p] = append(users[p], i)
			}
		}
	}
	var order []*onnx.Node
	var ready []int
	for i := range nodes {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	// Pop from the front so independent nodes keep their file order.
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		order = append(order, nodes[i])
		for _, u := range users[i] {
			if indeg[u]--; indeg[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(order) != len(nodes) {
		for i, d := range indeg {
			if d > 0 {
				return nil, graphErr("the graph has a cycle through %v", nodes[i])
			}
		}
	}
	return order, nil
}

// inferShapes runs shape inference from the declared input shapes (symbolic
// dimensions taken as 1), so errors in the graph surface at load time.
func (m *Model) inferShapes() error {
	env := make([]*tensor.Tensor, len(m.values))
	copy(env, m.consts)
	for i, vi := range m.inputs {
		if vi.Shape == nil || !vi.DType.Valid() {
			continue // unknown: everything downstream is inferred per run
		}
		shape := make([]int, len(vi.Shape))
		for j, d := range vi.Shape {
			shape[j] = max(d, 1)
		}
		env[m.inSlot[i]] = &tensor.Tensor{DType: vi.DType, Shape: shape}
	}
	for _, n := range m.nodes {
		in := make([]*tensor.Tensor, len(n.in))
		known := true
		for i, s := range n.in {
			if s >= 0 {
				in[i] = env[s]
				known = known && in[i] != nil
			}
		}
		if !known {
			continue
		}
		metas, err := n.kernel.Infer(in)
		if errors.Is(err, ops.ErrDynamic) {
			continue
		}
		if err != nil {
			return fmt.Errorf("gocnn: %v: %w", n, err)
		}
		if len(metas) < len(n.out) {
			return fmt.Errorf("gocnn: %v: kernel returned %d outputs, the node has %d", n, len(metas), len(n.out))
		}
		for i, s := range n.out {
			if s >= 0 {
				env[s] = metas[i]
			}
		}
	}
	return nil
}

// runNode allocates outputs of the given metas, each of at most limit
// elements, and runs n's kernel.
func runNode(n *node, in, metas []*tensor.Tensor, limit int64) ([]*tensor.Tensor, error) {
	out := make([]*tensor.Tensor, len(metas))
	for i, mt := range metas {
		cnt, err := tensor.NumElements(mt.Shape)
		if err != nil {
			return nil, err
		}
		if int64(cnt) > limit {
			return nil, fmt.Errorf("output %d of shape %v exceeds the limit of %d elements", i, mt.Shape, limit)
		}
		out[i] = &tensor.Tensor{DType: mt.DType, Shape: mt.Shape, Data: tensor.MakeData(mt.DType, cnt)}
	}
	if err := n.kernel.Run(in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// releaseOwnedConstants drops the model's reference to constants that every
// reader's kernel holds in its own (packed or transformed) form, so the
// weights are not kept twice. The type and shape stay for Layers.
func (m *Model) releaseOwnedConstants() {
	needed := make([]bool, len(m.values))
	for _, s := range m.outSlot {
		needed[s] = true
	}
	for _, n := range m.nodes {
		own, _ := n.kernel.(ownsInputs)
		for i, s := range n.in {
			if s >= 0 && !slices.Contains(own.owned, i) {
				needed[s] = true
			}
		}
	}
	for s, c := range m.consts {
		if c != nil && c.Data != nil && !needed[s] {
			m.consts[s] = c.Meta()
		}
	}
}
