package inspect

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gocnn/gocnn"
	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// chain builds a single-channel NCHW network layer by layer; weights are
// zero tensors (receptive fields and MACs do not look at values).
type chain struct {
	nodes []*onnx.Node
	inits map[string]*tensor.Tensor
	cur   string
	ch    int // channels of the current value
	in    int // channels of the input X
	opset int64
}

func newChain(ch int) *chain {
	return &chain{inits: map[string]*tensor.Tensor{}, cur: "X", ch: ch, in: ch, opset: 13}
}

func ints(name string, v ...int64) *onnx.Attr {
	return &onnx.Attr{Name: name, Type: onnx.AttrInts, Ints: v}
}

func (c *chain) add(n *onnx.Node) string {
	if n.Attrs == nil {
		n.Attrs = map[string]*onnx.Attr{}
	}
	c.nodes = append(c.nodes, n)
	c.cur = n.Outputs[0]
	return c.cur
}

// conv appends a k×k Conv with stride s and pad p on every side, then Relu.
func (c *chain) conv(name string, k, s, p int, attrs ...*onnx.Attr) string {
	w := name + ".w"
	c.inits[w] = tensor.New(tensor.Float32, c.ch, c.ch, k, k)
	a := map[string]*onnx.Attr{
		"kernel_shape": ints("kernel_shape", int64(k), int64(k)),
		"strides":      ints("strides", int64(s), int64(s)),
		"pads":         ints("pads", int64(p), int64(p), int64(p), int64(p)),
	}
	for _, at := range attrs {
		a[at.Name] = at
	}
	c.add(&onnx.Node{Name: name, OpType: "Conv", Inputs: []string{c.cur, w}, Outputs: []string{name + ".y"}, Attrs: a})
	return c.add(&onnx.Node{Name: name + ".relu", OpType: "Relu", Inputs: []string{c.cur}, Outputs: []string{name + ".r"}})
}

func (c *chain) pool(name, op string, k, s, p int, attrs ...*onnx.Attr) string {
	a := map[string]*onnx.Attr{
		"kernel_shape": ints("kernel_shape", int64(k), int64(k)),
		"strides":      ints("strides", int64(s), int64(s)),
		"pads":         ints("pads", int64(p), int64(p), int64(p), int64(p)),
	}
	for _, at := range attrs {
		a[at.Name] = at
	}
	return c.add(&onnx.Node{Name: name, OpType: op, Inputs: []string{c.cur}, Outputs: []string{name + ".y"}, Attrs: a})
}

func (c *chain) model(t *testing.T, h, w int, noOpt bool) *gocnn.Model {
	t.Helper()
	m := &onnx.Model{
		Opsets: map[string]int64{"": c.opset},
		Graph: &onnx.Graph{
			Inputs:       []onnx.ValueInfo{{Name: "X", DType: tensor.Float32, Shape: []int{1, c.in, h, w}, DimNames: []string{"", "", "", ""}}},
			Outputs:      []onnx.ValueInfo{{Name: c.cur, DType: tensor.Float32}},
			Initializers: c.inits,
			Nodes:        c.nodes,
		},
	}
	b, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	gm, err := gocnn.Decode(b, &gocnn.Options{NoOptimize: noOpt})
	if err != nil {
		t.Fatal(err)
	}
	return gm
}

// fieldAt returns the field of the layer that produces value v (after
// fusion the Relu's output names the fused conv).
func fieldAt(t *testing.T, r *Report, m *gocnn.Model, v string) []Field {
	t.Helper()
	ls, err := m.Layers(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range ls {
		for _, o := range l.Node.Outputs {
			if o == v {
				return r.Layers[i].Field
			}
		}
	}
	t.Fatalf("no layer produces %q", v)
	return nil
}

func wantField(t *testing.T, what string, got []Field, size, jump int) {
	t.Helper()
	if len(got) != 2 {
		t.Fatalf("%s: field %v, want 2 axes", what, got)
	}
	for _, f := range got {
		if f.Size != size || f.Jump != jump {
			t.Errorf("%s: field %+v, want size %d jump %d", what, f, size, jump)
		}
	}
}

func analyze(t *testing.T, m *gocnn.Model) *Report {
	t.Helper()
	r, err := Analyze(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAlexNet(t *testing.T) {
	for _, noOpt := range []bool{false, true} {
		c := newChain(1)
		c.conv("conv1", 11, 4, 2)
		c.pool("pool1", "MaxPool", 3, 2, 0)
		c.conv("conv2", 5, 1, 2)
		c.pool("pool2", "MaxPool", 3, 2, 0)
		c.conv("conv3", 3, 1, 1)
		c.conv("conv4", 3, 1, 1)
		c.conv("conv5", 3, 1, 1)
		pool5 := c.pool("pool5", "MaxPool", 3, 2, 0)
		m := c.model(t, 224, 224, noOpt)
		r := analyze(t, m)
		wantField(t, "conv1", fieldAt(t, r, m, "conv1.r"), 11, 4)
		wantField(t, "pool1", fieldAt(t, r, m, "pool1.y"), 19, 8)
		wantField(t, "conv2", fieldAt(t, r, m, "conv2.r"), 51, 8)
		wantField(t, "pool2", fieldAt(t, r, m, "pool2.y"), 67, 16)
		wantField(t, "conv5", fieldAt(t, r, m, "conv5.r"), 163, 16)
		wantField(t, "pool5", fieldAt(t, r, m, pool5), 195, 32)
		if got := r.Layers[len(r.Layers)-1].Output; fmt.Sprint(got) != "[1 1 6 6]" {
			t.Errorf("pool5 output %v, want [1 1 6 6]", got)
		}
	}
}

func TestVGG16(t *testing.T) {
	c := newChain(1)
	var conv53 string
	for stage, n := range []int{2, 2, 3, 3, 3} {
		for i := range n {
			conv53 = c.conv(fmt.Sprintf("conv%d_%d", stage+1, i+1), 3, 1, 1)
		}
		c.pool(fmt.Sprintf("pool%d", stage+1), "MaxPool", 2, 2, 0)
	}
	m := c.model(t, 224, 224, false)
	r := analyze(t, m)
	wantField(t, "conv1_2", fieldAt(t, r, m, "conv1_2.r"), 5, 1)
	wantField(t, "conv5_3", fieldAt(t, r, m, conv53), 196, 16)
	pool5 := fieldAt(t, r, m, "pool5.y")
	wantField(t, "pool5", pool5, 212, 32)
	// Pools of 2×2/2 move the first centre by half their input jump:
	// 0.5 + 1 + 2 + 4 + 8.
	if pool5[0].Start != 15.5 {
		t.Errorf("pool5 start %v, want 15.5", pool5[0].Start)
	}
	// 13 convs of 3×3 on one channel, 224² ... 14²: MACs = 9·Σ HW.
	var want int64
	for stage, n := range []int{2, 2, 3, 3, 3} {
		hw := int64(224>>stage) * int64(224>>stage)
		want += int64(n) * 9 * hw
	}
	if r.MACs != want {
		t.Errorf("MACs %d, want %d", r.MACs, want)
	}
	if r.Params != 13*9 {
		t.Errorf("params %d, want %d", r.Params, 13*9)
	}
}

func TestZF5(t *testing.T) {
	c := newChain(1)
	c.conv("conv1", 7, 2, 3)
	c.pool("pool1", "MaxPool", 3, 2, 1)
	c.conv("conv2", 5, 2, 2)
	c.pool("pool2", "MaxPool", 3, 2, 1)
	c.conv("conv3", 3, 1, 1)
	c.conv("conv4", 3, 1, 1)
	conv5 := c.conv("conv5", 3, 1, 1)
	m := c.model(t, 224, 224, false)
	r := analyze(t, m)
	wantField(t, "conv5", fieldAt(t, r, m, conv5), 139, 16)
}

// TestAutoPadCeilDilation checks windows whose padding is resolved from
// auto_pad, ceil_mode and dilations.
func TestAutoPadCeilDilation(t *testing.T) {
	c := newChain(1)
	c.conv("dil", 3, 1, 2, ints("dilations", 2, 2)) // k_eff 5: r 5, start 0
	c.conv("same", 3, 2, 0, &onnx.Attr{Name: "auto_pad", Type: onnx.AttrString, S: "SAME_UPPER"})
	c.pool("ceil", "AveragePool", 2, 2, 0, &onnx.Attr{Name: "ceil_mode", Type: onnx.AttrInt, I: 1})
	delete(c.nodes[len(c.nodes)-1].Attrs, "pads")
	m := c.model(t, 15, 15, false)
	r := analyze(t, m)
	// dil: j 1, r 5, start 0. same (in 15, s 2, k 3): out 8, total pad
	// max(0, 7·2+3-15) = 2, begin 1: j 2, r 7, start 0. ceil: out 4, r 9,
	// j 4, start 1.
	got := fieldAt(t, r, m, "ceil.y")
	wantField(t, "ceil", got, 9, 4)
	if got[0].Start != 1 {
		t.Errorf("start %v, want 1", got[0].Start)
	}
	if out := r.Layers[len(r.Layers)-1].Output; fmt.Sprint(out) != "[1 1 4 4]" {
		t.Errorf("output %v", out)
	}
}

// TestBranches joins a 3×3 branch and a 5×5 branch (ResNet/Inception
// style): the Add and the Concat take the larger field.
func TestBranches(t *testing.T) {
	for _, noOpt := range []bool{false, true} {
		c := newChain(1)
		stem := c.conv("stem", 3, 1, 1) // r 3
		c.conv("a", 5, 1, 2)            // r 7
		a := c.cur
		c.cur = stem
		b := c.conv("b", 3, 1, 1) // r 5
		sum := c.add(&onnx.Node{Name: "sum", OpType: "Add", Inputs: []string{b, a}, Outputs: []string{"sum.y"}})
		cat := c.add(&onnx.Node{Name: "cat", OpType: "Concat", Inputs: []string{stem, sum}, Outputs: []string{"cat.y"},
			Attrs: map[string]*onnx.Attr{"axis": {Name: "axis", Type: onnx.AttrInt, I: 1}}})
		c.ch = 2
		c.conv("after", 3, 2, 1) // r 9, j 2
		c.add(&onnx.Node{Name: "gap", OpType: "GlobalAveragePool", Inputs: []string{c.cur}, Outputs: []string{"gap.y"}})
		c.add(&onnx.Node{Name: "flat", OpType: "Flatten", Inputs: []string{c.cur}, Outputs: []string{"flat.y"}})
		m := c.model(t, 16, 16, noOpt)
		r := analyze(t, m)
		wantField(t, "sum", fieldAt(t, r, m, sum), 7, 1)
		wantField(t, "cat", fieldAt(t, r, m, cat), 7, 1)
		wantField(t, "after", fieldAt(t, r, m, "after.r"), 9, 2)
		// GAP over 8×8 at jump 2: 9 + 7·2 = 23.
		wantField(t, "gap", fieldAt(t, r, m, "gap.y"), 23, 2)
		if f := fieldAt(t, r, m, "flat.y"); f != nil {
			t.Errorf("Flatten has field %v, want none", f)
		}
	}
}

func TestMerge(t *testing.T) {
	a := []Field{{Jump: 2, Size: 7, Start: 1}}
	b := []Field{{Jump: 4, Size: 5, Start: 3}}
	got := Merge(nil, a, b)
	if got[0] != (Field{Jump: 4, Size: 7, Start: 1}) {
		t.Errorf("Merge: %+v", got)
	}
	if Merge(nil, nil) != nil {
		t.Error("Merge of nils is not nil")
	}
	if s := FieldString([]Field{{Size: 3}, {Size: 5}}, func(f Field) string { return fmt.Sprint(f.Size) }); s != "3x5" {
		t.Errorf("FieldString %q", s)
	}
}

// TestTorchMACs checks the totals of two PyTorch exports against counts
// written out from their architectures (testdata/torch/export.py).
func TestTorchMACs(t *testing.T) {
	lenet := int64(6*28*28*1*5*5 + // conv1 1→6, 5×5, 28²
		16*10*10*6*5*5 + // conv2 6→16, 5×5, 10²
		400*120 + 120*84 + 84*10) // fc1, fc2, fc3
	resnet := int64(16*32*32*3*3*3 + // stem 3→16
		2*16*32*32*16*3*3 + // block1: two 16→16 at 32²
		32*16*16*16*3*3 + // block2 conv1 16→32, stride 2
		32*16*16*32*3*3 + // block2 conv2 32→32 at 16²
		32*16*16*16 + // 1×1 shortcut 16→32, stride 2
		32*10) // fc
	for _, c := range []struct {
		file string
		macs int64
	}{
		{"lenet5_op13.onnx", lenet},
		{"tiny_resnet_op13.onnx", resnet},
	} {
		for _, noOpt := range []bool{false, true} {
			m, err := gocnn.Load("../testdata/torch/"+c.file, &gocnn.Options{NoOptimize: noOpt})
			if err != nil {
				t.Fatal(err)
			}
			r := analyze(t, m)
			if noOpt && c.file == "lenet5_op13.onnx" {
				// Unoptimised, Pad reads its pads from a Constant node,
				// which only runs at run time: the shapes after it are
				// unknown and count nothing.
				if r.MACs != 6*28*28*25 || r.Layers[len(r.Layers)-1].Output != nil || r.UnknownShapes == 0 {
					t.Errorf("%s -O0: MACs %d, last output %v", c.file, r.MACs, r.Layers[len(r.Layers)-1].Output)
				}
				continue
			}
			if r.UnknownShapes != 0 {
				t.Errorf("%s: %d unknown shapes", c.file, r.UnknownShapes)
			}
			if c.file == "lenet5_op13.onnx" && r.Params != 156+2416+48120+10164+850 {
				t.Errorf("%s: params %d, want 61706", c.file, r.Params)
			}
			if r.MACs != c.macs {
				t.Errorf("%s (O0 %v): MACs %d, want %d", c.file, noOpt, r.MACs, c.macs)
			}
			var sum int64
			for _, l := range r.Layers {
				sum += l.MACs
			}
			if sum != r.MACs {
				t.Errorf("%s: layer MACs sum to %d, total %d", c.file, sum, r.MACs)
			}
			if c.file == "lenet5_op13.onnx" {
				// conv1 r 5; pool 2/2: 6, j 2; conv2 5: 14; pool 2/2: 16, j 4.
				var last []Field
				for _, l := range r.Layers {
					if l.Field != nil {
						last = l.Field
					}
				}
				wantField(t, c.file, last, 16, 4)
			}
			if r.WeightBytes != m.WeightBytes() || r.ActivationBytes <= 0 {
				t.Errorf("%s: weight bytes %d, activation bytes %d", c.file, r.WeightBytes, r.ActivationBytes)
			}
			// Every model here has a convolution, whose scratch the arena holds.
			if sb, _ := m.ScratchBytes(nil); r.ScratchBytes != sb || r.ScratchBytes <= 0 || r.ScratchBytes >= r.ArenaBytes {
				t.Errorf("%s: scratch bytes %d (model: %d), arena bytes %d", c.file, r.ScratchBytes, sb, r.ArenaBytes)
			}
		}
	}
}

func TestTinyResNetFields(t *testing.T) {
	m, err := gocnn.Load("../testdata/torch/tiny_resnet_op13.onnx", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := analyze(t, m)
	// stem 3 → block1 conv1 5 → conv2 7 (+identity 3: max 7) → block2
	// conv1 3/2: 9, j 2 → conv2: 13, j 2; shortcut 1×1/2 of r 7 joins:
	// max 13 → GAP over 16² at j 2: 13 + 15·2 = 43.
	want := map[string][2]int{}
	for _, l := range r.Layers {
		if l.Field != nil {
			want[l.Name] = [2]int{l.Field[0].Size, l.Field[0].Jump}
		}
	}
	for name, w := range map[string][2]int{
		"/stem/stem.0/Conv":                {3, 1},
		"/block1/conv2/Conv":               {7, 1},
		"/block2/conv1/Conv":               {9, 2},
		"/block2/shortcut/shortcut.0/Conv": {13, 2},
		"/pool/GlobalAveragePool":          {43, 2},
	} {
		if want[name] != w {
			t.Errorf("%s: size, jump %v, want %v", name, want[name], w)
		}
	}
}

func TestInputOverride(t *testing.T) {
	m, err := gocnn.Load("../testdata/torch/tiny_resnet_op13.onnx", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(m, map[string][]int{"input": {2, 3, 64, 48}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r.Inputs[0].Shape) != "[2 3 64 48]" {
		t.Errorf("inputs %+v", r.Inputs)
	}
	// GAP over 32×24 at jump 2 after r 13: 13+31·2, 13+23·2.
	for _, l := range r.Layers {
		if l.Op == "GlobalAveragePool" && (l.Field[0].Size != 75 || l.Field[1].Size != 59) {
			t.Errorf("GAP field %+v", l.Field)
		}
	}
	if _, err := Analyze(m, map[string][]int{"input": {1, 3, 64}}); err == nil {
		t.Error("rank-3 input accepted")
	}
}

// TestPadAndTranspose: an opset-10 Pad (pads attribute) shifts the start
// and enlarges nothing; ConvTranspose is counted but ends the field.
func TestPadAndTranspose(t *testing.T) {
	c := newChain(2)
	c.opset = 10
	c.add(&onnx.Node{Name: "pad", OpType: "Pad", Inputs: []string{"X"}, Outputs: []string{"pad.y"},
		Attrs: map[string]*onnx.Attr{"pads": ints("pads", 0, 0, 2, 1, 0, 0, 2, 1)}})
	c.conv("conv", 3, 1, 0) // r 3, start: -2+1 = -1 (rows), -1+1 = 0 (cols)
	w := "up.w"
	c.inits[w] = tensor.New(tensor.Float32, 2, 3, 4, 4) // Cin 2, Cout 3
	c.add(&onnx.Node{Name: "up", OpType: "ConvTranspose", Inputs: []string{c.cur, w}, Outputs: []string{"up.y"},
		Attrs: map[string]*onnx.Attr{"strides": ints("strides", 2, 2)}})
	m := c.model(t, 8, 8, true)
	r := analyze(t, m)
	conv := r.Layers[1]
	if fmt.Sprint(conv.Output) != "[1 2 10 8]" || len(conv.Field) != 2 ||
		conv.Field[0] != (Field{Jump: 1, Size: 3, Start: -1}) || conv.Field[1] != (Field{Jump: 1, Size: 3, Start: 0}) {
		t.Errorf("conv after pad: %+v", conv)
	}
	up := r.Layers[len(r.Layers)-1]
	// ConvTranspose 10×8 → (10-1)·2+4 = 22, (8-1)·2+4 = 18; MACs = N·Cin·H·W·Cout·KH·KW.
	if fmt.Sprint(up.Output) != "[1 3 22 18]" || up.MACs != 2*10*8*3*16 || up.Field != nil || !strings.Contains(up.Note, "ConvTranspose") {
		t.Errorf("ConvTranspose layer %+v", up)
	}
	if up.Params != 2*3*16 || r.Layers[0].Params != 0 {
		t.Errorf("params: up %d, pad %d", up.Params, r.Layers[0].Params)
	}
}

// TestConv1D: a rank-3 input has one spatial axis.
func TestConv1D(t *testing.T) {
	m := &onnx.Model{
		Opsets: map[string]int64{"": 13},
		Graph: &onnx.Graph{
			Inputs:       []onnx.ValueInfo{{Name: "X", DType: tensor.Float32, Shape: []int{-1, 2, 50}, DimNames: []string{"N", "", ""}}},
			Outputs:      []onnx.ValueInfo{{Name: "Y", DType: tensor.Float32}},
			Initializers: map[string]*tensor.Tensor{"W": tensor.New(tensor.Float32, 4, 2, 5)},
			Nodes: []*onnx.Node{{Name: "c", OpType: "Conv", Inputs: []string{"X", "W"}, Outputs: []string{"Y"},
				Attrs: map[string]*onnx.Attr{"strides": ints("strides", 3), "dilations": ints("dilations", 2)}}},
		},
	}
	b, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	gm, err := gocnn.Decode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(gm, map[string][]int{"X": {3, 2, 50}})
	if err != nil {
		t.Fatal(err)
	}
	// k_eff 9: out (50-9)/3+1 = 14; MACs 3·4·14·2·5.
	l := r.Layers[0]
	if len(l.Field) != 1 || l.Field[0] != (Field{Jump: 3, Size: 9, Start: 4}) || l.MACs != 3*4*14*2*5 {
		t.Errorf("1-D conv %+v", l)
	}
}
