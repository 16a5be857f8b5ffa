package gocnn

import (
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// fuseActivations folds what follows a Conv into one gocnn.Conv node: an
// Add of another value (a residual connection), then one activation. A
// value is fused away only when the Conv (or Add) is its sole reader and it
// is not a graph output.
func fuseActivations(g *onnx.Graph) {
	removed := map[*onnx.Node]bool{}
	for {
		u, prod := uses(g), producers(g)
		readers := map[string][]*onnx.Node{}
		for _, n := range g.Nodes {
			for _, in := range n.Inputs {
				readers[in] = append(readers[in], n)
			}
		}
		// single returns the only reader of value v, if v is not a graph output.
		single := func(v string) *onnx.Node {
			if u[v] != 1 || len(readers[v]) != 1 || removed[readers[v][0]] {
				return nil
			}
			return readers[v][0]
		}
		changed := false
		for _, c := range g.Nodes {
			if removed[c] || c.OpType != "Conv" || (c.Domain != "" && c.Domain != ops.FusedDomain) || len(c.Outputs) != 1 {
				continue
			}
			if _, done := c.Attrs[ops.AttrActivation]; done {
				continue
			}
			if gate, mul := gatedActivation(c.Outputs[0], readers, u, removed); gate != nil {
				// x·HardSigmoid(x) with torch's constants is HardSwish;
				// x·Sigmoid(x) is SiLU.
				toFused(c)
				c.Attrs[ops.AttrActivation] = &onnx.Attr{Type: onnx.AttrString, S: gate.OpType}
				c.Outputs = mul.Outputs
				removed[gate.src], removed[mul] = true, true
				changed = true
				continue
			}
			next := single(c.Outputs[0])
			if next == nil {
				continue
			}
			// A residual Add(conv, r) or Add(r, conv), before any activation.
			if next.OpType == "Add" && next.Domain == "" && len(next.Inputs) == 2 && len(c.Inputs) <= 3 && next.Inputs[0] != next.Inputs[1] {
				r := next.Inputs[1]
				if r == c.Outputs[0] {
					r = next.Inputs[0]
				}
				if p := prod[r]; p != c {
					toFused(c)
					for len(c.Inputs) < 3 {
						c.Inputs = append(c.Inputs, "")
					}
					c.Inputs = append(c.Inputs, r)
					c.Outputs = next.Outputs
					removed[next] = true
					changed = true
					continue
				}
			}
			if act := activationAttrs(g, next, prod, c); act != nil {
				toFused(c)
				for k, v := range act {
					c.Attrs[k] = v
				}
				c.Outputs = next.Outputs
				removed[next] = true
				changed = true
			}
		}
		g.Nodes = without(g.Nodes, removed)
		if !changed {
			return
		}
	}
}

func toFused(c *onnx.Node) { c.Domain = ops.FusedDomain }

// gate is a gated activation found by gatedActivation: OpType is the fused
// activation's name, src the gating node.
type gate struct {
	OpType string
	src    *onnx.Node
}

// gatedActivation matches v read by exactly a gate node g (Sigmoid, or
// HardSigmoid with alpha 1/6 and beta 1/2) and a Mul(v, g(v)), with g(v)
// read only by that Mul: PyTorch's exports of SiLU and of HardSwish before
// opset 14.
func gatedActivation(v string, readers map[string][]*onnx.Node, u map[string]int, removed map[*onnx.Node]bool) (*gate, *onnx.Node) {
	rs := readers[v]
	if len(rs) != 2 || u[v] != 2 || removed[rs[0]] || removed[rs[1]] {
		return nil, nil
	}
	for _, g := range rs {
		mul := rs[0]
		if mul == g {
			mul = rs[1]
		}
		if g.Domain != "" || len(g.Outputs) != 1 || mul.OpType != "Mul" || mul.Domain != "" || len(mul.Inputs) != 2 {
			continue
		}
		gv := g.Outputs[0]
		if u[gv] != 1 || !(mul.Inputs[0] == v && mul.Inputs[1] == gv || mul.Inputs[0] == gv && mul.Inputs[1] == v) {
			continue
		}
		switch g.OpType {
		case "Sigmoid":
			return &gate{"SiLU", g}, mul
		case "HardSigmoid":
			a := g.AttrReader()
			alpha, beta := a.Float("alpha", 0.2), a.Float("beta", 0.5)
			if a.Err() == nil && math.Abs(float64(alpha)-1.0/6) < 1e-6 && beta == 0.5 {
				return &gate{"HardSwish", g}, mul
			}
		}
	}
	return nil, nil
}

// activationAttrs returns the fused-node attributes for activation node n
// applied to conv's output, or nil if n is not a fusable activation.
func activationAttrs(g *onnx.Graph, n *onnx.Node, prod map[string]*onnx.Node, conv *onnx.Node) map[string]*onnx.Attr {
	if n.Domain != "" || len(n.Outputs) != 1 {
		return nil
	}
	str := func(s string) *onnx.Attr { return &onnx.Attr{Type: onnx.AttrString, S: s} }
	flt := func(f float32) *onnx.Attr { return &onnx.Attr{Type: onnx.AttrFloat, F: f} }
	act := map[string]*onnx.Attr{ops.AttrActivation: str(n.OpType)}
	switch n.OpType {
	case "Relu", "Sigmoid", "HardSwish":
	case "LeakyRelu":
		act[ops.ActPrefix+"alpha"] = flt(n.AttrReader().Float("alpha", 0.01))
	case "HardSigmoid":
		a := n.AttrReader()
		act[ops.ActPrefix+"alpha"] = flt(a.Float("alpha", 0.2))
		act[ops.ActPrefix+"beta"] = flt(a.Float("beta", 0.5))
	case "Clip":
		lo, hi, ok := clipBounds(g, n)
		if !ok {
			return nil
		}
		act[ops.ActPrefix+"min"] = flt(lo)
		act[ops.ActPrefix+"max"] = flt(hi)
	default:
		return nil
	}
	return act
}

// clipBounds reads Clip's bounds from attributes (opset < 11) or constant
// inputs; absent bounds are ±max float32.
func clipBounds(g *onnx.Graph, n *onnx.Node) (lo, hi float32, ok bool) {
	a := n.AttrReader()
	lo, hi = a.Float("min", -maxFloat32), a.Float("max", maxFloat32)
	for i, dst := range []*float32{&lo, &hi} {
		if len(n.Inputs) <= i+1 || n.Inputs[i+1] == "" {
			continue
		}
		t := g.Initializers[n.Inputs[i+1]]
		if t == nil || t.DType != tensor.Float32 || t.Len() != 1 {
			return 0, 0, false
		}
		*dst = t.Float32s()[0]
	}
	return lo, hi, a.Err() == nil
}

const maxFloat32 = 3.4028234663852886e38
