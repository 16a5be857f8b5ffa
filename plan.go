package gocnn

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/gocnn/gocnn/internal/freelist"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// A plan is the execution of a model for one set of input shapes. It is
// made on the first Run with those shapes and cached:
//
//   - every value's type and shape is known;
//   - values that depend only on shapes and constants (Shape→Gather→…
//     chains) are computed once, here, and their nodes skipped per run;
//   - reshape-like nodes become views that share their input's memory;
//   - every other float32 intermediate gets an offset in one arena, reusing
//     the memory of values that are dead by then (liveness, first fit);
//   - every node's scratch (ops.ScratchKernel: padded copies, Winograd
//     tiles, gemm packing buffers) on several threads starts after them,
//     at one offset for all nodes, its threads' private regions at one
//     stride (the largest node's): a thread's buffers stay on the same
//     cache lines from node to node, lines its own core last wrote.
//     (Placed in dead values' memory, each node's regions had fallen on
//     lines the other core wrote: two threads ran SqueezeNet 17 % slower.)
//     On one thread, scratch is a block live during its node like the
//     values (see threaded).
//
// Arenas are handed to concurrent runs from a free list that grows to the
// number of runs in flight, so a steady-state run allocates nothing.
type plan struct {
	shapes [][]int // input shapes, in m.inputs order
	// values holds per slot the value when the plan knows it (constants
	// and shape-only results), metas the type and shape of every slot.
	values []*tensor.Tensor
	metas  []*tensor.Tensor
	run    []bool             // per node: runs per call (false: computed in the plan)
	outs   [][]*tensor.Tensor // per node: output types and shapes
	view   []bool             // per node: output 0 shares input 0's data
	offset []int              // per slot: float32 offset in the arena, or -1
	floats int                // arena size in float32s
	// need is per node its scratch layout, scratch the arena extent it
	// gets (n == 0: none), and valueFloats the arena size the
	// intermediates alone take.
	need        []ops.Scratch
	scratch     []extent
	valueFloats int

	free freelist.List[arena]
}

// extent is n float32s at offset off of the arena.
type extent struct{ off, n int }

// arena is one run's memory: the buffer and ready-made tensor headers.
type arena struct {
	buf       []float32
	env       []*tensor.Tensor   // per slot
	ins, outs [][]*tensor.Tensor // per node
}

// maxPlans bounds the plan cache: each distinct input shape costs one.
const maxPlans = 8

// arenaAlign keeps every arena value 64-byte aligned for SIMD loads.
const arenaAlign = 16

// randomOps must run every time: their results are not functions of their
// inputs.
var randomOps = map[string]bool{"RandomNormal": true, "RandomUniform": true,
	"RandomNormalLike": true, "RandomUniformLike": true, "Multinomial": true}

// viewOps produce their input's elements in the same order: their output
// can share the input's memory.
var viewOps = map[string]bool{"Reshape": true, "Flatten": true, "Squeeze": true, "Unsqueeze": true,
	"Identity": true, "Dropout": true}

// preparer is implemented by kernels that lay out weights for an input
// shape ahead of the first Run (conv's Winograd transform).
type preparer interface{ Prepare(x []int) }

// errNoPlan marks a model whose shapes depend on input values.
var errNoPlan = errors.New("shapes depend on input values")

// planFor returns the cached plan for the inputs' shapes, making it if
// needed, or nil (with no error) when shapes depend on input values.
func (m *Model) planFor(inputs map[string]*tensor.Tensor) (*plan, error) {
	m.planMu.Lock()
	defer m.planMu.Unlock()
	for i, p := range m.plans {
		if p.matches(m, inputs) {
			if i > 0 { // keep the most recent first
				copy(m.plans[1:i+1], m.plans[:i])
				m.plans[0] = p
			}
			if p.metas == nil {
				return nil, nil // known dynamic
			}
			return p, nil
		}
	}
	p, err := m.makePlan(inputs)
	if errors.Is(err, errNoPlan) {
		p, err = &plan{shapes: inputShapes(m, inputs)}, nil
	}
	if err != nil {
		return nil, err
	}
	if len(m.plans) == maxPlans {
		m.plans = m.plans[:maxPlans-1]
	}
	m.plans = append([]*plan{p}, m.plans...)
	if p.metas == nil {
		return nil, nil
	}
	return p, nil
}

func inputShapes(m *Model, inputs map[string]*tensor.Tensor) [][]int {
	shapes := make([][]int, len(m.inputs))
	for i, vi := range m.inputs {
		shapes[i] = append([]int(nil), inputs[vi.Name].Shape...)
	}
	return shapes
}

func (p *plan) matches(m *Model, inputs map[string]*tensor.Tensor) bool {
	for i, vi := range m.inputs {
		if !tensor.SameShape(p.shapes[i], inputs[vi.Name].Shape) {
			return false
		}
	}
	return true
}

// scratchFits reports whether a node's scratch is a size the arena can
// hold: kernels size it from shapes the file chose, and a size past what
// make accepts would panic (and one past memory end the process) rather
// than fail the plan.
func scratchFits(s ops.Scratch) bool {
	const m = tensor.MaxElements
	return s.Parts >= 0 && s.Per >= 0 && s.Shared >= 0 && s.Shared <= m &&
		(s.Parts == 0 || s.Per <= (m-s.Shared)/s.Parts)
}

// makePlan infers every shape for the inputs and lays out the arena.
func (m *Model) makePlan(inputs map[string]*tensor.Tensor) (*plan, error) {
	nslots := len(m.values)
	p := &plan{
		shapes:  inputShapes(m, inputs),
		values:  make([]*tensor.Tensor, nslots),
		metas:   make([]*tensor.Tensor, nslots),
		run:     make([]bool, len(m.nodes)),
		outs:    make([][]*tensor.Tensor, len(m.nodes)),
		view:    make([]bool, len(m.nodes)),
		offset:  make([]int, nslots),
		scratch: make([]extent, len(m.nodes)),
		need:    make([]ops.Scratch, len(m.nodes)),
	}
	for s, c := range m.consts {
		if c != nil {
			p.metas[s] = c.Meta()
			if c.Data != nil {
				p.values[s] = c
			}
		}
	}
	for i, vi := range m.inputs {
		p.metas[m.inSlot[i]] = inputs[vi.Name].Meta()
	}
	// Shapes, and values computable from shapes and constants.
	for ni, n := range m.nodes {
		in := make([]*tensor.Tensor, len(n.in))
		known := true
		for i, s := range n.in {
			if s < 0 {
				continue
			}
			if in[i] = p.values[s]; in[i] == nil {
				in[i] = p.metas[s]
				known = false
			}
		}
		if (n.src.OpType == "Shape" || n.src.OpType == "Size") && in[0].Data == nil {
			// The result needs only the input's shape; the kernel gets
			// placeholder data of that shape.
			in[0] = &tensor.Tensor{DType: in[0].DType, Shape: in[0].Shape, Data: tensor.MakeData(in[0].DType, in[0].Len())}
			known = true
		}
		metas, err := n.kernel.Infer(in)
		if errors.Is(err, ops.ErrDynamic) {
			return nil, errNoPlan
		}
		if err != nil {
			return nil, fmt.Errorf("gocnn: %v: %w", n, err)
		}
		if len(metas) < len(n.out) {
			return nil, fmt.Errorf("gocnn: %v: kernel returned %d outputs, the node has %d", n, len(metas), len(n.out))
		}
		for i, s := range n.out {
			if s < 0 {
				continue
			}
			cnt, err := tensor.NumElements(metas[i].Shape)
			if err != nil || int64(cnt) > m.maxElements {
				return nil, fmt.Errorf("gocnn: %v: output %d of shape %v exceeds the limit of %d elements", n, i, metas[i].Shape, m.maxElements)
			}
			p.metas[s] = metas[i]
		}
		if err := checkWork(n.src, in, metas, m.maxWork); err != nil {
			return nil, fmt.Errorf("gocnn: %v: %w", n, err)
		}
		p.outs[ni] = metas
		if known && smallEnough(metas) && !randomOps[n.src.OpType] {
			out, err := runNode(n, in, metas, m.maxElements)
			if err != nil {
				return nil, fmt.Errorf("gocnn: %v: %w", n, err)
			}
			for i, s := range n.out {
				if s >= 0 {
					p.values[s] = out[i]
				}
			}
			continue
		}
		p.run[ni] = true
		if pr, ok := unwrapKernel(n.kernel).(preparer); ok && in[0] != nil {
			pr.Prepare(in[0].Shape)
		}
		p.need[ni] = scratchSize(n.kernel, in)
		if nd := p.need[ni]; !scratchFits(nd) {
			return nil, fmt.Errorf("gocnn: %v: scratch of %d×%d + %d floats is too large", n, nd.Parts, nd.Per, nd.Shared)
		}
		p.view[ni] = viewOps[n.src.OpType] && n.src.Domain == "" && len(n.out) > 0 && n.out[0] >= 0 &&
			n.in[0] >= 0 && metas[0].DType == in[0].DType
	}
	p.layout(m)
	// Planning is rare (once per input shape) and may have transformed
	// weights: return the garbage to the OS now, not at a later GC.
	if m.WeightBytes() > freeOSThreshold {
		debug.FreeOSMemory()
	}
	return p, nil
}

// layout assigns arena offsets by liveness: a value's memory is reused once
// its last reader (or the last reader of a view of it) has run. A Concat
// whose inputs are laid out contiguously in its output (batch 1 along the
// channels, or any concat along the first non-unit axis) costs nothing:
// its inputs' producers write straight into the output.
func (p *plan) layout(m *Model) {
	nslots := len(m.values)
	parent := make([]int, nslots) // the value whose memory a value lies in
	at := make([]int, nslots)     // its offset there
	viewOut := make([]bool, nslots)
	for s := range parent {
		parent[s] = s
		p.offset[s] = -1
	}
	for ni, n := range m.nodes {
		switch {
		case !p.run[ni]:
		case p.view[ni]:
			parent[n.out[0]] = n.in[0]
			viewOut[n.out[0]] = true
		case p.concatInPlace(m, ni, parent):
			off := 0
			for _, s := range n.in {
				parent[s], at[s] = n.out[0], off
				off += p.metas[s].Len()
			}
			p.run[ni] = false // the inputs are already in place
		}
	}
	// Each value's root block and offset in it, through views and nested
	// concats.
	root := make([]int, nslots)
	rootOff := make([]int, nslots)
	for s := range root {
		r := s
		for parent[r] != r {
			rootOff[s] += at[r]
			r = parent[r]
		}
		root[s] = r
	}
	// Each block lives from the first node writing into it to the last
	// node reading any value in it.
	first := make([]int, nslots)
	last := make([]int, nslots)
	for s := range first {
		first[s] = -1
	}
	touch := func(s, ni int) {
		r := root[s]
		if first[r] < 0 || ni < first[r] {
			first[r] = ni
		}
		last[r] = max(last[r], ni)
	}
	for ni, n := range m.nodes {
		if !p.run[ni] {
			continue
		}
		for _, s := range n.out {
			if s >= 0 {
				touch(s, ni)
			}
		}
		for _, s := range n.in {
			if s >= 0 && first[root[s]] >= 0 {
				touch(s, ni)
			}
		}
	}
	for _, s := range m.outSlot {
		last[root[s]] = len(m.nodes) // copied out after the last node
	}
	opens := make([][]int, len(m.nodes)) // roots whose block opens at each node
	for r := range root {
		if root[r] == r && first[r] >= 0 && p.metas[r] != nil && p.metas[r].DType == tensor.Float32 && !viewOut[r] {
			opens[first[r]] = append(opens[first[r]], r)
		}
	}
	p.valueFloats = p.allocate(m, opens, last, false)
	if p.threaded() {
		p.floats = p.layScratch()
	} else {
		p.floats = p.allocate(m, opens, last, true)
	}
	for s := range root {
		if r := root[s]; r != s && p.offset[r] >= 0 && !viewOut[s] {
			p.offset[s] = p.offset[r] + rootOff[s]
		}
	}
}

// allocate places the blocks that open at each node (opens, live until
// node last[root]) first fit by offset, and with withScratch each running
// node's scratch, live during the node. It returns the arena size.
func (p *plan) allocate(m *Model, opens [][]int, last []int, withScratch bool) int {
	type block struct{ off, size, last int }
	var live []block // sorted by offset
	floats := 0
	place := func(n, last int) int {
		size := (n + arenaAlign - 1) / arenaAlign * arenaAlign
		off, i := 0, len(live)
		for j, b := range live {
			if b.off-off >= size {
				i = j
				break
			}
			off = b.off + b.size
		}
		live = append(live, block{})
		copy(live[i+1:], live[i:])
		live[i] = block{off, size, last}
		floats = max(floats, off+size)
		return off
	}
	for ni := range m.nodes {
		kept := live[:0]
		for _, b := range live {
			if b.last >= ni {
				kept = append(kept, b)
			}
		}
		live = kept
		for _, r := range opens[ni] {
			p.offset[r] = place(p.metas[r].Len(), last[r])
		}
		if nd := p.need[ni]; withScratch && p.takesScratch(ni) {
			p.scratch[ni] = extent{off: place(nd.Size(), ni), n: nd.Size()}
		}
	}
	return floats
}

// takesScratch reports whether node ni runs and takes scratch.
func (p *plan) takesScratch(ni int) bool {
	return p.need[ni].Size() > 0 && p.run[ni] && !p.view[ni]
}

// threaded reports whether a node's scratch has regions for several
// threads. With one, no line crosses cores, and the scratch goes where
// allocate puts it among the values: in the memory of values dead while
// its node runs, lines still in the cache (after the values, SqueezeNet
// ran 4 % slower on one thread).
func (p *plan) threaded() bool {
	for ni, nd := range p.need {
		if nd.Parts > 1 && p.takesScratch(ni) {
			return true
		}
	}
	return false
}

// layScratch gives each running node that takes scratch its extent: all
// at the offset after the values, the threads' regions the largest Per
// apart (ops.Scratch). It returns the arena size.
func (p *plan) layScratch() int {
	base := (p.valueFloats + arenaAlign - 1) / arenaAlign * arenaAlign
	stride := 0
	for ni, nd := range p.need {
		if p.takesScratch(ni) {
			stride = max(stride, (nd.Per+ops.ScratchAlign-1)/ops.ScratchAlign*ops.ScratchAlign)
		}
	}
	floats := p.valueFloats
	for ni, nd := range p.need {
		if p.takesScratch(ni) {
			p.scratch[ni] = extent{off: base, n: nd.Parts*stride + nd.Shared}
			floats = max(floats, base+p.scratch[ni].n)
		}
	}
	return floats
}

// concatInPlace reports whether Concat node ni can have its inputs written
// directly into its output: float32 inputs that are distinct, produced by
// nodes that run, not views or graph outputs, not already placed elsewhere,
// and contiguous in the output (every dimension before the axis is 1).
func (p *plan) concatInPlace(m *Model, ni int, parent []int) bool {
	n := m.nodes[ni]
	if n.src.OpType != "Concat" || n.src.Domain != "" || len(n.out) != 1 || n.out[0] < 0 {
		return false
	}
	out := p.metas[n.out[0]]
	if out.DType != tensor.Float32 {
		return false
	}
	axis, err := n.src.AttrReader().Int("axis", 1), error(nil)
	if axis < 0 {
		axis += int64(len(out.Shape))
	}
	if err != nil || axis < 0 || int(axis) >= len(out.Shape) {
		return false
	}
	for _, d := range out.Shape[:axis] {
		if d != 1 {
			return false
		}
	}
	producer := map[int]int{}
	for pi, pn := range m.nodes {
		for _, s := range pn.out {
			if s >= 0 {
				producer[s] = pi
			}
		}
	}
	seen := map[int]bool{}
	for _, s := range n.in {
		pi, ok := producer[s]
		if s < 0 || seen[s] || !ok || !p.run[pi] || p.view[pi] || parent[s] != s || slices.Contains(m.outSlot, s) {
			return false
		}
		seen[s] = true
	}
	return true
}

// ArenaBytes is the size of one run's arena for the given input shapes (by
// name; absent inputs take their declared shape, symbolic dimensions 1):
// the intermediates and the kernels' scratch (see ScratchBytes).
func (m *Model) ArenaBytes(shapes map[string][]int) (int64, error) {
	p, err := m.planForShapes(shapes)
	if err != nil || p == nil {
		return 0, err
	}
	return 4 * int64(p.floats), nil
}

// planForShapes is planFor for input shapes by name (absent inputs take
// their declared shape, symbolic dimensions 1).
func (m *Model) planForShapes(shapes map[string][]int) (*plan, error) {
	inputs := map[string]*tensor.Tensor{}
	for _, vi := range m.inputs {
		shape, ok := shapes[vi.Name]
		if !ok {
			shape = make([]int, len(vi.Shape))
			for j, d := range vi.Shape {
				shape[j] = max(d, 1)
			}
		}
		inputs[vi.Name] = &tensor.Tensor{DType: vi.DType, Shape: shape}
	}
	return m.planFor(inputs)
}

// ScratchBytes is the part of ArenaBytes that kernels' scratch adds (padded
// copies, Winograd tiles, gemm packing buffers): the arena minus the one
// the intermediates alone need: on several threads the largest node's
// scratch, its regions at the model's stride; on one, scratch reuses the
// memory of values dead while its node runs, so usually less (see plan).
func (m *Model) ScratchBytes(shapes map[string][]int) (int64, error) {
	p, err := m.planForShapes(shapes)
	if err != nil || p == nil {
		return 0, err
	}
	return 4 * int64(p.floats-p.valueFloats), nil
}

// get returns a free arena, making one if every arena is in use.
func (p *plan) get(m *Model) *arena {
	a := p.free.Get()
	if a.env != nil {
		return a
	}
	*a = arena{
		buf:  make([]float32, p.floats),
		env:  make([]*tensor.Tensor, len(m.values)),
		ins:  make([][]*tensor.Tensor, len(m.nodes)),
		outs: make([][]*tensor.Tensor, len(m.nodes)),
	}
	for s, mt := range p.metas {
		switch {
		case p.values[s] != nil:
			a.env[s] = p.values[s]
		case m.consts[s] != nil: // released: its kernel holds it
			a.env[s] = m.consts[s]
		case mt == nil:
		case p.offset[s] >= 0:
			a.env[s] = &tensor.Tensor{DType: mt.DType, Shape: mt.Shape, Data: a.buf[p.offset[s] : p.offset[s]+mt.Len()]}
		default: // inputs and views get Data per run; other types their own buffer
			a.env[s] = &tensor.Tensor{DType: mt.DType, Shape: mt.Shape}
		}
	}
	for ni, n := range m.nodes {
		if !p.run[ni] {
			continue
		}
		for _, s := range n.out {
			if s >= 0 && a.env[s].Data == nil && !(p.view[ni] && s == n.out[0]) {
				a.env[s].Data = tensor.MakeData(p.metas[s].DType, p.metas[s].Len())
			}
		}
		a.ins[ni] = make([]*tensor.Tensor, len(n.in))
		for i, s := range n.in {
			if s >= 0 {
				a.ins[ni][i] = a.env[s]
			}
		}
		a.outs[ni] = make([]*tensor.Tensor, len(n.out))
		for i, s := range n.out {
			if s >= 0 {
				a.outs[ni][i] = a.env[s]
			} else {
				// An omitted output still gets scratch: kernels write every output.
				mt := p.outs[ni][i]
				a.outs[ni][i] = &tensor.Tensor{DType: mt.DType, Shape: mt.Shape, Data: tensor.MakeData(mt.DType, mt.Len())}
			}
		}
	}
	return a
}

func (p *plan) put(a *arena) { p.free.Put(a) }

// execute runs the planned nodes on inputs placed in a.env. With times
// non-nil it adds each node's wall time to times[node].
func (m *Model) execute(ctx interface{ Err() error }, p *plan, a *arena, times []time.Duration) error {
	for ni, n := range m.nodes {
		if !p.run[ni] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.view[ni] {
			a.outs[ni][0].Data = a.ins[ni][0].Data
			continue
		}
		var start time.Time
		if times != nil {
			start = time.Now()
		}
		var err error
		if sc := p.scratch[ni]; sc.n > 0 {
			err = n.scratch.run(a.ins[ni], a.outs[ni], a.buf[sc.off:sc.off+sc.n:sc.off+sc.n])
		} else {
			err = n.kernel.Run(a.ins[ni], a.outs[ni])
		}
		if err != nil {
			return fmt.Errorf("gocnn: %v: %w", n, err)
		}
		if times != nil {
			times[ni] += time.Since(start)
		}
	}
	return nil
}

// LayerTime is one node's share of a profiled run.
type LayerTime struct {
	Name, OpType string
	Kernel       string        // the implementation, as in Layer.Kernel
	Time         time.Duration // mean wall time per run
	// Median is the median wall time over the runs: on a shared machine the
	// mean carries the runs that were held up (at two threads they were
	// common enough to add a third to a model's sum of node means).
	Median time.Duration
}

// Profile runs the model runs times on inputs and returns the mean and the
// median time of every node that runs per call, in execution order. Nodes
// computed at planning time or turned into views take no time and are
// left out.
func (m *Model) Profile(ctx context.Context, inputs map[string]*tensor.Tensor, runs int) ([]LayerTime, error) {
	p, a, err := m.prepare(inputs)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("gocnn: Profile: the model's shapes depend on input values")
	}
	defer p.put(a)
	runs = max(runs, 1)
	nn := len(m.nodes)
	times := make([]time.Duration, runs*nn) // run r's at [r·nn, (r+1)·nn)
	for r := range runs {
		if err := m.execute(ctx, p, a, times[r*nn:(r+1)*nn]); err != nil {
			return nil, err
		}
	}
	node := make([]time.Duration, runs)
	var lt []LayerTime
	for ni, n := range m.nodes {
		if !p.run[ni] || p.view[ni] {
			continue
		}
		op := n.src.OpType
		if n.src.Domain != "" {
			op = n.src.Domain + "." + op
		}
		var x []int
		if len(n.in) > 0 && n.in[0] >= 0 && p.metas[n.in[0]] != nil {
			x = p.metas[n.in[0]].Shape
		}
		var sum time.Duration
		for r := range runs {
			node[r] = times[r*nn+ni]
			sum += node[r]
		}
		lt = append(lt, LayerTime{Name: n.src.Name, OpType: op, Kernel: kernelNameFor(n.kernel, x),
			Time: sum / time.Duration(runs), Median: median(node)})
	}
	return lt, nil
}

// median returns the median of d (the mean of the middle two for an even
// count), reordering d.
func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	h := len(d) / 2
	if len(d)%2 == 1 {
		return d[h]
	}
	return (d[h-1] + d[h]) / 2
}
