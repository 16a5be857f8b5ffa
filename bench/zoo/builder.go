package zoo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Opset is the default-domain opset of the models the Builder writes.
const Opset = 13

// Builder writes an ONNX graph node by node with seeded random weights.
//
// Values are referred to by name (a string). The builder tracks the shape of
// every value, with the batch dimension symbolic (-1), and estimates of the
// mean and variance of each of its channels for random inputs, from which
// BatchNormalization nodes get running statistics that keep activations of
// order one through deep networks (as calibrated on data). Weights are
// He-scaled.
//
// Misuse (an unknown value, channels that do not divide, a shape that does
// not fit) panics with a *BuildError; Build and BuildSize turn it into an
// error.
type Builder struct {
	rng    *rand.Rand
	graph  *onnx.Graph
	shapes map[string][]int
	st     map[string]*stats
	scope  string
	count  map[string]int
}

// BuildError is the panic value of a misused Builder.
type BuildError struct{ Msg string }

func (e *BuildError) Error() string { return "zoo: " + e.Msg }

func (b *Builder) fail(format string, args ...any) {
	panic(&BuildError{Msg: fmt.Sprintf(format, args...)})
}

// NewBuilder starts a graph whose float32 input "input" has shape
// [N, c, h, w] with a symbolic batch dimension N.
func NewBuilder(name string, seed int64, c, h, w int) *Builder {
	b := &Builder{
		rng: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		graph: &onnx.Graph{
			Name:         name,
			Initializers: map[string]*tensor.Tensor{},
			Inputs: []onnx.ValueInfo{{Name: "input", DType: tensor.Float32,
				Shape: []int{-1, c, h, w}, DimNames: []string{"N", "", "", ""}}},
		},
		shapes: map[string][]int{"input": {-1, c, h, w}},
		st:     map[string]*stats{"input": newStats(c, 0, 1)},
		count:  map[string]int{},
	}
	return b
}

// Input is the name of the graph input.
func (b *Builder) Input() string { return "input" }

// Shape returns the shape of value x; dimension 0 is -1 for the batch.
func (b *Builder) Shape(x string) []int {
	s, ok := b.shapes[x]
	if !ok {
		b.fail("unknown value %q", x)
	}
	return append([]int(nil), s...)
}

// Channels is dimension 1 of x.
func (b *Builder) Channels(x string) int { return b.rank(x, 2)[1] }

// Scope prefixes the names of the nodes created until the returned function
// is called with name (nested scopes are joined with "."):
//
//	defer b.Scope("layer1.0")()
func (b *Builder) Scope(name string) (restore func()) {
	old := b.scope
	if old != "" {
		name = old + "." + name
	}
	b.scope = name
	return func() { b.scope = old }
}

// Model finishes the graph with value x as its output "output" and returns
// it; the Builder is not to be used afterwards.
func (b *Builder) Model(x string) *onnx.Model {
	shape := b.Shape(x)
	if x == b.Input() {
		b.fail("the output cannot be the input")
	}
	for _, n := range b.graph.Nodes {
		for i, o := range n.Outputs {
			if o == x {
				n.Outputs[i] = "output"
			}
		}
		for i, in := range n.Inputs {
			if in == x {
				n.Inputs[i] = "output"
			}
		}
	}
	names := make([]string, len(shape))
	names[0] = "N"
	b.graph.Outputs = []onnx.ValueInfo{{Name: "output", DType: tensor.Float32, Shape: shape, DimNames: names}}
	return &onnx.Model{
		IRVersion:    8,
		ProducerName: "gocnn/bench/zoo",
		Opsets:       map[string]int64{"": Opset},
		Graph:        b.graph,
	}
}

// node adds a node named after its scope and operator (e.g. "layer1.0.conv2")
// and returns it; its outputs are named after it.
func (b *Builder) node(op string, nout int, inputs ...string) *onnx.Node {
	for _, in := range inputs {
		if _, ok := b.shapes[in]; !ok && in != "" {
			if _, init := b.graph.Initializers[in]; !init {
				b.fail("%s: unknown input %q", op, in)
			}
		}
	}
	key := b.scope + "\x00" + op
	b.count[key]++
	name := strings.ToLower(op) + strconv.Itoa(b.count[key])
	if b.scope != "" {
		name = b.scope + "." + name
	}
	n := &onnx.Node{Name: name, OpType: op, Inputs: inputs, Attrs: map[string]*onnx.Attr{}}
	for i := range nout {
		out := name
		if nout > 1 {
			out = name + ":" + strconv.Itoa(i)
		}
		n.Outputs = append(n.Outputs, out)
	}
	b.graph.Nodes = append(b.graph.Nodes, n)
	return n
}

// set gives the node's i-th output its shape and statistics.
func (b *Builder) set(n *onnx.Node, i int, shape []int, st *stats) string {
	v := n.Outputs[i]
	b.shapes[v] = shape
	if st.len() != shape[1] {
		st = st.average(shape[1])
	}
	b.st[v] = st
	return v
}

func ints(n *onnx.Node, name string, v ...int) {
	a := &onnx.Attr{Name: name, Type: onnx.AttrInts}
	for _, x := range v {
		a.Ints = append(a.Ints, int64(x))
	}
	n.Attrs[name] = a
}

func intAttr(n *onnx.Node, name string, v int) {
	n.Attrs[name] = &onnx.Attr{Name: name, Type: onnx.AttrInt, I: int64(v)}
}

func floatAttr(n *onnx.Node, name string, v float32) {
	n.Attrs[name] = &onnx.Attr{Name: name, Type: onnx.AttrFloat, F: v}
}

// param adds an initializer with values uniform in [lo, hi).
func (b *Builder) param(name string, lo, hi float64, shape ...int) string {
	t := tensor.New(tensor.Float32, shape...)
	d := t.Float32s()
	for i := range d {
		d[i] = float32(lo + (hi-lo)*b.rng.Float64())
	}
	b.graph.Initializers[name] = t
	return name
}

// weight adds an initializer with zero mean and standard deviation std
// (uniform, which is cheap to draw for the large models).
func (b *Builder) weight(name string, std float64, shape ...int) string {
	a := std * math.Sqrt(3)
	t := tensor.New(tensor.Float32, shape...)
	d := t.Float32s()
	for i := range d {
		d[i] = float32(a * (2*float64(b.rng.Float32()) - 1))
	}
	b.graph.Initializers[name] = t
	return name
}

func (b *Builder) constInts(name string, v ...int) string {
	d := make([]int64, len(v))
	for i, x := range v {
		d[i] = int64(x)
	}
	b.graph.Initializers[name] = tensor.FromInt64([]int{len(v)}, d)
	return name
}

func (b *Builder) rank(x string, r int) []int {
	s := b.Shape(x)
	if len(s) < r {
		b.fail("value %q has shape %v, want rank ≥ %d", x, s, r)
	}
	return s
}

// outSize is the output length of a window of size k over n with padding
// pb+pe and stride s, rounding up for ceil mode the way PyTorch and ONNX do
// (the last window must start inside the input or the leading padding).
func outSize(n, k, s, pb, pe int, ceil bool) int {
	span := n + pb + pe - k
	if span < 0 {
		return 0
	}
	if !ceil {
		return span/s + 1
	}
	o := (span+s-1)/s + 1
	if (o-1)*s >= n+pb {
		o--
	}
	return o
}

// Conv adds a square convolution without bias: cout output channels, kernel
// k×k, the given stride, symmetric padding pad and groups. Weights are
// He-scaled (std √(2/fan-in)).
func (b *Builder) Conv(x string, cout, k, stride, pad, groups int) string {
	return b.conv(x, cout, k, stride, pad, groups, false)
}

// ConvBias is Conv with a bias.
func (b *Builder) ConvBias(x string, cout, k, stride, pad, groups int) string {
	return b.conv(x, cout, k, stride, pad, groups, true)
}

func (b *Builder) conv(x string, cout, k, stride, pad, groups int, bias bool) string {
	s := b.rank(x, 4)
	cin := s[1]
	if groups < 1 || cin%groups != 0 || cout%groups != 0 {
		b.fail("conv of %q: %d→%d channels in %d groups", x, cin, cout, groups)
	}
	oh, ow := outSize(s[2], k, stride, pad, pad, false), outSize(s[3], k, stride, pad, pad, false)
	if oh < 1 || ow < 1 {
		b.fail("conv of %q (%v): kernel %d stride %d pad %d leaves no output", x, s, k, stride, pad)
	}
	n := b.node("Conv", 1, x)
	fanIn := cin / groups * k * k
	w := b.weight(n.Name+".weight", math.Sqrt(2/float64(fanIn)), cout, cin/groups, k, k)
	n.Inputs = append(n.Inputs, w)
	var bv []float32
	if bias {
		n.Inputs = append(n.Inputs, b.param(n.Name+".bias", -0.1, 0.1, cout))
		bv = b.graph.Initializers[n.Inputs[2]].Float32s()
	}
	st := linearStats(b.st[x], b.graph.Initializers[w].Float32s(), bv, cout, cin/groups, k*k, groups)
	ints(n, "kernel_shape", k, k)
	ints(n, "strides", stride, stride)
	ints(n, "pads", pad, pad, pad, pad)
	ints(n, "dilations", 1, 1)
	intAttr(n, "group", groups)
	return b.set(n, 0, []int{s[0], cout, oh, ow}, st)
}

// BatchNorm adds an inference BatchNormalization (epsilon 1e-5) with random
// scale (0.5..1.5) and shift (±0.2) and running statistics near the
// estimated ones of x (mean within ±0.1 standard deviation, variance within
// ×0.8..1.25), as after calibration on data.
func (b *Builder) BatchNorm(x string) string {
	s := b.rank(x, 2)
	c := s[1]
	in := b.st[x]
	n := b.node("BatchNormalization", 1, x)
	gamma := b.param(n.Name+".weight", 0.5, 1.5, c)
	beta := b.param(n.Name+".bias", -0.2, 0.2, c)
	mean := b.param(n.Name+".running_mean", -0.1, 0.1, c)
	vr := b.param(n.Name+".running_var", 0.8, 1.25, c)
	g, bt := b.graph.Initializers[gamma].Float32s(), b.graph.Initializers[beta].Float32s()
	rm, rv := b.graph.Initializers[mean].Float32s(), b.graph.Initializers[vr].Float32s()
	const eps = 1e-5
	out := newStats(c, 0, 0)
	for i := range c {
		mu, v := in.at(i)
		v = max(v, 1e-6)
		rm[i] = float32(mu + float64(rm[i])*math.Sqrt(v))
		rv[i] = float32(v * float64(rv[i]))
		k := float64(g[i]) / math.Sqrt(float64(rv[i])+eps)
		out.mean[i] = k*(mu-float64(rm[i])) + float64(bt[i])
		out.vr[i] = k * k * v
	}
	n.Inputs = append(n.Inputs, gamma, beta, mean, vr)
	floatAttr(n, "epsilon", eps)
	floatAttr(n, "momentum", 0.9)
	return b.set(n, 0, s, out)
}

// unary adds a one-input node that keeps the shape.
func (b *Builder) unary(op, x string, f func(float64) float64) string {
	n := b.node(op, 1, x)
	return b.set(n, 0, b.Shape(x), mapStats(b.st[x], f))
}

// Relu adds max(x, 0).
func (b *Builder) Relu(x string) string {
	return b.unary("Relu", x, func(v float64) float64 { return max(v, 0) })
}

// Sigmoid adds 1/(1+exp(-x)).
func (b *Builder) Sigmoid(x string) string { return b.unary("Sigmoid", x, sigmoid) }

// Clip adds min(max(x, lo), hi) with the bounds as constant inputs (opset
// 11+ form); Clip(x, 0, 6) is ReLU6.
func (b *Builder) Clip(x string, lo, hi float32) string {
	n := b.node("Clip", 1, x)
	n.Inputs = append(n.Inputs, n.Name+".min", n.Name+".max")
	b.graph.Initializers[n.Name+".min"] = tensor.Scalar(lo)
	b.graph.Initializers[n.Name+".max"] = tensor.Scalar(hi)
	return b.set(n, 0, b.Shape(x), mapStats(b.st[x], func(v float64) float64 { return min(max(v, float64(lo)), float64(hi)) }))
}

// Mul adds the elementwise (broadcasting) product a·b.
func (b *Builder) Mul(x, y string) string {
	return b.binary("Mul", x, y, func(mx, vx, my, vy float64) (float64, float64) {
		m := mx * my
		return m, (vx+mx*mx)*(vy+my*my) - m*m // independent factors
	})
}

// Add adds the elementwise (broadcasting) sum a+b.
func (b *Builder) Add(x, y string) string {
	return b.binary("Add", x, y, func(mx, vx, my, vy float64) (float64, float64) {
		// residual branches are positively correlated; ρ = 0.5 matches
		// what ResNets and MobileNets measure
		return mx + my, vx + vy + math.Sqrt(vx*vy)
	})
}

func (b *Builder) binary(op, x, y string, f func(mx, vx, my, vy float64) (float64, float64)) string {
	sx, sy := b.Shape(x), b.Shape(y)
	if len(sx) != len(sy) {
		b.fail("%s of %q %v and %q %v: ranks differ", op, x, sx, y, sy)
	}
	out := make([]int, len(sx))
	for i := range sx {
		switch {
		case sx[i] == sy[i] || sy[i] == 1:
			out[i] = sx[i]
		case sx[i] == 1:
			out[i] = sy[i]
		default:
			b.fail("%s of %q %v and %q %v: shapes do not broadcast", op, x, sx, y, sy)
		}
	}
	st := newStats(out[1], 0, 0)
	for i := range out[1] {
		mx, vx := b.st[x].at(i)
		my, vy := b.st[y].at(i)
		st.mean[i], st.vr[i] = f(mx, vx, my, vy)
	}
	n := b.node(op, 1, x, y)
	return b.set(n, 0, out, st)
}

// SiLU adds x·sigmoid(x) as Sigmoid then Mul, the way PyTorch exports it.
func (b *Builder) SiLU(x string) string {
	y := b.Mul(x, b.Sigmoid(x))
	b.st[y] = mapStats(b.st[x], func(v float64) float64 { return v * sigmoid(v) }) // not independent
	return y
}

// MaxPool adds a k×k max pooling with the given stride, symmetric padding
// and ceil mode.
func (b *Builder) MaxPool(x string, k, stride, pad int, ceil bool) string {
	return b.pool("MaxPool", x, k, stride, pad, ceil)
}

// AvgPool adds a k×k average pooling (padding excluded from the average).
func (b *Builder) AvgPool(x string, k, stride, pad int, ceil bool) string {
	return b.pool("AveragePool", x, k, stride, pad, ceil)
}

func (b *Builder) pool(op, x string, k, stride, pad int, ceil bool) string {
	s := b.rank(x, 4)
	oh, ow := outSize(s[2], k, stride, pad, pad, ceil), outSize(s[3], k, stride, pad, pad, ceil)
	if oh < 1 || ow < 1 {
		b.fail("%s of %q (%v): kernel %d stride %d pad %d leaves no output", op, x, s, k, stride, pad)
	}
	n := b.node(op, 1, x)
	ints(n, "kernel_shape", k, k)
	ints(n, "strides", stride, stride)
	ints(n, "pads", pad, pad, pad, pad)
	if ceil {
		intAttr(n, "ceil_mode", 1)
	} else {
		intAttr(n, "ceil_mode", 0)
	}
	var st *stats
	if op == "MaxPool" {
		st = maxStats(b.st[x], k*k)
	} else {
		st = b.st[x].scaleVar(float64(k * k))
	}
	return b.set(n, 0, []int{s[0], s[1], oh, ow}, st)
}

// AdaptiveAvgPool is PyTorch's AdaptiveAvgPool2d(size) where the input is a
// multiple of size: an AveragePool with kernel and stride input/size (kernel
// 1 when they are equal, as torch.onnx exports it).
func (b *Builder) AdaptiveAvgPool(x string, size int) string {
	s := b.rank(x, 4)
	if s[2] != s[3] || s[2]%size != 0 {
		b.fail("adaptive average pool of %q (%v) to %d×%d: only whole multiples are supported", x, s, size, size)
	}
	k := s[2] / size
	n := b.node("AveragePool", 1, x)
	ints(n, "kernel_shape", k, k)
	ints(n, "strides", k, k)
	return b.set(n, 0, []int{s[0], s[1], size, size}, b.st[x].scaleVar(float64(k*k)))
}

// GlobalAvgPool adds a GlobalAveragePool: [N,C,H,W] → [N,C,1,1].
func (b *Builder) GlobalAvgPool(x string) string {
	s := b.rank(x, 3)
	out := append([]int(nil), s...)
	for i := 2; i < len(out); i++ {
		out[i] = 1
	}
	n := b.node("GlobalAveragePool", 1, x)
	return b.set(n, 0, out, b.st[x].scaleVar(float64(spatial(s))))
}

// ReduceMean adds a mean over axes, keeping them as size 1 or not.
func (b *Builder) ReduceMean(x string, keepdims bool, axes ...int) string {
	s := b.Shape(x)
	var out []int
	reduced := map[int]bool{}
	for _, a := range axes {
		if a < 0 {
			a += len(s)
		}
		if a <= 0 || a >= len(s) {
			b.fail("ReduceMean of %q %v: axis %d", x, s, a)
		}
		reduced[a] = true
	}
	for i, d := range s {
		switch {
		case !reduced[i]:
			out = append(out, d)
		case keepdims:
			out = append(out, 1)
		}
	}
	n := b.node("ReduceMean", 1, x)
	ints(n, "axes", axes...)
	intAttr(n, "keepdims", map[bool]int{false: 0, true: 1}[keepdims])
	return b.set(n, 0, out, b.st[x].scaleVar(float64(spatial(s))))
}

// Concat joins values along axis 1 (channels).
func (b *Builder) Concat(xs ...string) string {
	if len(xs) == 0 {
		b.fail("Concat of nothing")
	}
	out := b.Shape(xs[0])
	out[1] = 0
	var parts []*stats
	for _, x := range xs {
		s := b.rank(x, 2)
		for i := range s {
			if i != 1 && s[i] != out[i] {
				b.fail("Concat of %q %v with %v: shapes differ", x, s, out)
			}
		}
		out[1] += s[1]
		parts = append(parts, b.st[x])
	}
	n := b.node("Concat", 1, xs...)
	intAttr(n, "axis", 1)
	return b.set(n, 0, out, concatStats(parts...))
}

// Flatten adds Flatten(axis 1): [N, ...] → [N, product].
func (b *Builder) Flatten(x string) string {
	s := b.rank(x, 2)
	p := 1
	for _, d := range s[1:] {
		p *= d
	}
	n := b.node("Flatten", 1, x)
	intAttr(n, "axis", 1)
	return b.set(n, 0, []int{s[0], p}, b.st[x].repeat(p/s[1]))
}

// Gemm adds a fully connected layer [N,K] → [N,out] as PyTorch exports
// nn.Linear: Gemm with transB=1, weights [out,K] (He-scaled) and a bias.
func (b *Builder) Gemm(x string, out int) string {
	s := b.rank(x, 2)
	if len(s) != 2 {
		b.fail("Gemm of %q %v: want rank 2", x, s)
	}
	n := b.node("Gemm", 1, x)
	w := b.weight(n.Name+".weight", math.Sqrt(2/float64(s[1])), out, s[1])
	bias := b.param(n.Name+".bias", -0.1, 0.1, out)
	n.Inputs = append(n.Inputs, w, bias)
	floatAttr(n, "alpha", 1)
	floatAttr(n, "beta", 1)
	intAttr(n, "transB", 1)
	st := linearStats(b.st[x], b.graph.Initializers[w].Float32s(), b.graph.Initializers[bias].Float32s(), out, s[1], 1, 1)
	return b.set(n, 0, []int{s[0], out}, st)
}

// Reshape adds a Reshape to shape, where 0 copies the input dimension (use
// it for the batch) and one -1 takes what is left.
func (b *Builder) Reshape(x string, shape ...int) string {
	s := b.Shape(x)
	if len(shape) == 0 || shape[0] != 0 {
		b.fail("Reshape of %q to %v: dimension 0 must be 0 (keep the batch)", x, shape)
	}
	total := 1
	for _, d := range s[1:] {
		total *= d
	}
	out := make([]int, len(shape))
	out[0] = s[0]
	known, free := 1, -1
	for i := 1; i < len(shape); i++ {
		switch d := shape[i]; {
		case d == 0 && i < len(s):
			out[i] = s[i]
		case d == -1 && free < 0:
			free = i
			continue
		case d > 0:
			out[i] = d
		default:
			b.fail("Reshape of %q to %v: bad dimension %d", x, shape, d)
		}
		known *= out[i]
	}
	if free >= 0 && known > 0 {
		out[free] = total / known
		known *= out[free]
	}
	if known != total {
		b.fail("Reshape of %q %v to %v: sizes differ", x, s, shape)
	}
	n := b.node("Reshape", 1, x)
	n.Inputs = append(n.Inputs, b.constInts(n.Name+".shape", shape...))
	return b.set(n, 0, out, b.st[x])
}

// Transpose adds a Transpose with permutation perm (perm[0] must be 0).
func (b *Builder) Transpose(x string, perm ...int) string {
	s := b.Shape(x)
	if len(perm) != len(s) || perm[0] != 0 {
		b.fail("Transpose of %q %v by %v", x, s, perm)
	}
	out := make([]int, len(s))
	seen := map[int]bool{}
	for i, p := range perm {
		if p < 0 || p >= len(s) || seen[p] {
			b.fail("Transpose of %q %v by %v: not a permutation", x, s, perm)
		}
		seen[p] = true
		out[i] = s[p]
	}
	n := b.node("Transpose", 1, x)
	ints(n, "perm", perm...)
	return b.set(n, 0, out, b.st[x])
}

// Split cuts x along axis 1 into parts of the given sizes (opset 13 form,
// sizes as an input).
func (b *Builder) Split(x string, sizes ...int) []string {
	s := b.rank(x, 2)
	sum := 0
	for _, d := range sizes {
		if d < 1 {
			b.fail("Split of %q: size %d", x, d)
		}
		sum += d
	}
	if sum != s[1] {
		b.fail("Split of %q %v into %v: sizes do not add up", x, s, sizes)
	}
	n := b.node("Split", len(sizes), x)
	n.Inputs = append(n.Inputs, b.constInts(n.Name+".split", sizes...))
	intAttr(n, "axis", 1)
	outs := make([]string, len(sizes))
	at := 0
	for i, d := range sizes {
		o := append([]int(nil), s...)
		o[1] = d
		outs[i] = b.set(n, i, o, b.st[x].slice(at, at+d))
		at += d
	}
	return outs
}

// Slice takes channels [start, end) of x (opset 13 form, bounds as inputs).
func (b *Builder) Slice(x string, start, end int) string {
	s := b.rank(x, 2)
	if start < 0 || end > s[1] || start >= end {
		b.fail("Slice of %q %v: channels [%d,%d)", x, s, start, end)
	}
	n := b.node("Slice", 1, x)
	n.Inputs = append(n.Inputs, b.constInts(n.Name+".starts", start), b.constInts(n.Name+".ends", end),
		b.constInts(n.Name+".axes", 1), b.constInts(n.Name+".steps", 1))
	o := append([]int(nil), s...)
	o[1] = end - start
	return b.set(n, 0, o, b.st[x].slice(start, end))
}

// ChannelShuffle is ShuffleNet's shuffle of [N,C,H,W] in groups: Reshape to
// [N,g,C/g,H,W], Transpose(0,2,1,3,4), Reshape back.
func (b *Builder) ChannelShuffle(x string, groups int) string {
	s := b.rank(x, 4)
	if s[1]%groups != 0 {
		b.fail("channel shuffle of %q %v in %d groups", x, s, groups)
	}
	y := b.Reshape(x, 0, groups, s[1]/groups, s[2], s[3])
	y = b.Transpose(y, 0, 2, 1, 3, 4)
	y = b.Reshape(y, 0, s[1], s[2], s[3])
	in, per := b.st[x], s[1]/groups
	st := newStats(s[1], 0, 0)
	for i := range s[1] { // output channel i reads input channel (i%groups)*per + i/groups
		st.mean[i], st.vr[i] = in.at(i%groups*per + i/groups)
	}
	b.st[y] = st
	return y
}

// spatial is the product of the dimensions after the channels.
func spatial(shape []int) int {
	p := 1
	for _, d := range shape[2:] {
		p *= d
	}
	return p
}
