package gocnn

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// optimize rewrites g in place into an equivalent graph with less work:
// no-op removal, constant folding, BatchNormalization folded into the
// preceding Conv, PyTorch's Shape→Gather→Unsqueeze→Concat→Reshape flatten
// chain replaced by Flatten, activations fused into Conv, and dead nodes
// removed. Each pass only rewrites what it can prove equivalent.
func optimize(g *onnx.Graph, opset int64) error {
	g.Nodes = removeNoOps(g)
	if err := foldConstants(g, opset); err != nil {
		return err
	}
	g.Nodes = removeNoOps(g) // pads that were computed are constants now
	foldBatchNorm(g)
	replaceFlattenChains(g)
	fuseActivations(g)
	removeDeadNodes(g)
	return nil
}

// uses counts the readers of every value, graph outputs included.
func uses(g *onnx.Graph) map[string]int {
	u := map[string]int{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			u[in]++
		}
	}
	for _, vi := range g.Outputs {
		u[vi.Name]++
	}
	return u
}

// producers maps each node output to its node.
func producers(g *onnx.Graph) map[string]*onnx.Node {
	p := map[string]*onnx.Node{}
	for _, n := range g.Nodes {
		for _, out := range n.Outputs {
			p[out] = n
		}
	}
	return p
}

// foldConstants evaluates, once, every node whose inputs are all
// initializers (Constant nodes included) and turns its outputs into
// initializers. Nodes are visited in file order, which exporters keep
// topological; a node met before its constant inputs is simply left.
func foldConstants(g *onnx.Graph, opset int64) error {
	graphOutput := map[string]bool{}
	for _, vi := range g.Outputs {
		graphOutput[vi.Name] = true
	}
	var keep []*onnx.Node
	for _, n := range g.Nodes {
		if !isFoldable(g, n, graphOutput) {
			keep = append(keep, n)
			continue
		}
		k, err := ops.New(n, opset)
		if err != nil {
			return err
		}
		in := make([]*tensor.Tensor, len(n.Inputs))
		for i, name := range n.Inputs {
			in[i] = g.Initializers[name] // nil for ""
		}
		metas, err := k.Infer(in)
		if err != nil {
			return fmt.Errorf("gocnn: %v: %w", n, err)
		}
		if !smallEnough(metas) || nodeWork(n, in, metas) > maxFoldWork {
			keep = append(keep, n) // computed per run instead
			continue
		}
		out, err := runNode(&node{src: n, kernel: k}, in, metas, maxFoldElements)
		if err != nil {
			return fmt.Errorf("gocnn: %v: %w", n, err)
		}
		for i, name := range n.Outputs {
			if name != "" && i < len(out) {
				g.Initializers[name] = out[i]
			}
		}
	}
	g.Nodes = keep
	return nil
}

// maxFoldElements caps what constant folding may create: a folded value is
// stored in the model, and a hostile graph could ask for anything.
const maxFoldElements = 1 << 26

func smallEnough(metas []*tensor.Tensor) bool {
	for _, mt := range metas {
		if n, err := tensor.NumElements(mt.Shape); err != nil || n > maxFoldElements {
			return false
		}
	}
	return true
}

func isFoldable(g *onnx.Graph, n *onnx.Node, graphOutput map[string]bool) bool {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return false
	}
	if randomOps[n.OpType] {
		return false
	}
	for _, out := range n.Outputs {
		if graphOutput[out] {
			return false // keep the graph's outputs computed by nodes
		}
	}
	for _, in := range n.Inputs {
		if in == "" {
			continue
		}
		if _, ok := g.Initializers[in]; !ok {
			return false
		}
	}
	return true
}

// foldBatchNorm merges BatchNormalization(Conv(x, W, b)) into one Conv with
// W'[o] = W[o]·s[o] and b'[o] = (b[o]−mean[o])·s[o] + beta[o], where
// s = gamma/√(var+ε), when the Conv's only reader is the BN and every
// parameter is a float32 initializer.
func foldBatchNorm(g *onnx.Graph) {
	u, prod := uses(g), producers(g)
	removed := map[*onnx.Node]bool{}
	for _, bn := range g.Nodes {
		if bn.OpType != "BatchNormalization" || bn.Domain != "" || len(bn.Inputs) != 5 || len(bn.Outputs) != 1 {
			continue
		}
		c := prod[bn.Inputs[0]]
		if c == nil || c.OpType != "Conv" || c.Domain != "" || u[bn.Inputs[0]] != 1 || len(c.Inputs) < 2 {
			continue
		}
		if a := bn.AttrReader(); a.Int("training_mode", 0) != 0 || a.Err() != nil {
			continue
		}
		eps := float64(bn.AttrReader().Float("epsilon", 1e-5))
		w := g.Initializers[c.Inputs[1]]
		var params [4][]float32
		ok := w != nil && w.DType == tensor.Float32 && len(w.Shape) >= 3
		for i := 0; ok && i < 4; i++ {
			t := g.Initializers[bn.Inputs[1+i]]
			ok = t != nil && t.DType == tensor.Float32 && t.Len() == w.Shape[0]
			if ok {
				params[i] = t.Float32s()
			}
		}
		var b []float32
		if ok && len(c.Inputs) > 2 && c.Inputs[2] != "" {
			bt := g.Initializers[c.Inputs[2]]
			ok = bt != nil && bt.DType == tensor.Float32 && bt.Len() == w.Shape[0]
			if ok {
				b = bt.Float32s()
			}
		}
		if !ok {
			continue
		}
		gamma, beta, mean, variance := params[0], params[1], params[2], params[3]
		cout := w.Shape[0]
		per := w.Len() / cout
		nw := make([]float32, w.Len())
		nb := make([]float32, cout)
		wd := w.Float32s()
		for o := range cout {
			s := float64(gamma[o]) / math.Sqrt(float64(variance[o])+eps)
			for j := range per {
				nw[o*per+j] = float32(float64(wd[o*per+j]) * s)
			}
			bias := 0.0
			if b != nil {
				bias = float64(b[o])
			}
			nb[o] = float32((bias-float64(mean[o]))*s + float64(beta[o]))
		}
		wName, bName := bn.Outputs[0]+"::folded_W", bn.Outputs[0]+"::folded_B"
		g.Initializers[wName] = tensor.FromFloat32(append([]int{}, w.Shape...), nw)
		g.Initializers[bName] = tensor.FromFloat32([]int{cout}, nb)
		c.Inputs = []string{c.Inputs[0], wName, bName}
		c.Outputs = []string{bn.Outputs[0]}
		removed[bn] = true
	}
	g.Nodes = without(g.Nodes, removed)
}

func without(nodes []*onnx.Node, removed map[*onnx.Node]bool) []*onnx.Node {
	if len(removed) == 0 {
		return nodes
	}
	var keep []*onnx.Node
	for _, n := range nodes {
		if !removed[n] {
			keep = append(keep, n)
		}
	}
	return keep
}

// replaceFlattenChains turns Reshape(x, Concat(Unsqueeze(Gather(Shape(x),
// 0)), [-1])), PyTorch's export of x.view(x.size(0), -1), into
// Flatten(x, axis=1). The batch dimension is symbolic, so the chain cannot
// be folded to a constant; the pattern is the same computation without it.
func replaceFlattenChains(g *onnx.Graph) {
	prod := producers(g)
	for _, r := range g.Nodes {
		if r.OpType != "Reshape" || r.Domain != "" || len(r.Inputs) != 2 {
			continue
		}
		if a := r.AttrReader(); a.Int("allowzero", 0) != 0 {
			continue
		}
		cat := prod[r.Inputs[1]]
		if cat == nil || cat.OpType != "Concat" || len(cat.Inputs) != 2 || cat.AttrReader().Int("axis", -99) != 0 {
			continue
		}
		rest := g.Initializers[cat.Inputs[1]]
		if rest == nil || rest.DType != tensor.Int64 || rest.Len() != 1 || rest.Int64s()[0] != -1 {
			continue
		}
		unsq := prod[cat.Inputs[0]]
		if unsq == nil || unsq.OpType != "Unsqueeze" || !unsqueezesAxis0(g, unsq) {
			continue
		}
		gather := prod[unsq.Inputs[0]]
		if gather == nil || gather.OpType != "Gather" || gather.AttrReader().Int("axis", 0) != 0 {
			continue
		}
		idx := g.Initializers[gather.Inputs[1]]
		if idx == nil || idx.Len() != 1 {
			continue
		}
		if v, err := idx.Int64Values(); err != nil || v[0] != 0 {
			continue
		}
		shape := prod[gather.Inputs[0]]
		if shape == nil || shape.OpType != "Shape" || shape.Inputs[0] != r.Inputs[0] || len(shape.Attrs) != 0 {
			continue
		}
		r.OpType = "Flatten"
		r.Inputs = r.Inputs[:1]
		r.Attrs = map[string]*onnx.Attr{"axis": {Name: "axis", Type: onnx.AttrInt, I: 1}}
	}
}

// unsqueezesAxis0 reports whether an Unsqueeze adds exactly axis 0, by
// attribute (opset < 13) or constant input.
func unsqueezesAxis0(g *onnx.Graph, n *onnx.Node) bool {
	if axes := n.AttrReader().Ints("axes", nil); axes != nil {
		return len(axes) == 1 && axes[0] == 0 && len(n.Inputs) == 1
	}
	if len(n.Inputs) != 2 {
		return false
	}
	t := g.Initializers[n.Inputs[1]]
	if t == nil || t.Len() != 1 {
		return false
	}
	v, err := t.Int64Values()
	return err == nil && v[0] == 0
}

// removeDeadNodes drops nodes none of whose outputs is read.
func removeDeadNodes(g *onnx.Graph) {
	for {
		u := uses(g)
		removed := map[*onnx.Node]bool{}
		for _, n := range g.Nodes {
			live := false
			for _, out := range n.Outputs {
				live = live || (out != "" && u[out] > 0)
			}
			if !live {
				removed[n] = true
			}
		}
		if len(removed) == 0 {
			return
		}
		g.Nodes = without(g.Nodes, removed)
	}
}
