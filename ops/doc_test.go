package ops

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// docNewestOpset is the newest opset version the doc test builds nodes
// for: the newest one any builder tells apart (Pad's wrap mode and
// Resize's half_pixel_symmetric arrive in 19).
const docNewestOpset = 19

// docName is the key of registry entry k in the documentation table.
func docName(k opKey) string {
	if k.domain == "" {
		return k.op
	}
	return k.domain + "." + k.op
}

func docIndex(t *testing.T) map[string]OpDoc {
	t.Helper()
	m := map[string]OpDoc{}
	for _, d := range Docs() {
		if _, dup := m[d.Op]; dup {
			t.Errorf("%s is documented twice", d.Op)
		}
		m[d.Op] = d
	}
	return m
}

// TestDocsCoverRegistry: one entry per registered operator, none for an
// operator without a kernel, with the registration's first opset, and
// well-formed attribute and type lists.
func TestDocsCoverRegistry(t *testing.T) {
	docs := docIndex(t)
	for k, regs := range registry {
		d, ok := docs[docName(k)]
		if !ok {
			t.Errorf("operator %s is registered but has no entry in ops/doc.go", docName(k))
			continue
		}
		if d.Since != regs[0].since {
			t.Errorf("%s: documented from opset %d, registered from %d", d.Op, d.Since, regs[0].since)
		}
	}
	for name, d := range docs {
		if !slices.ContainsFunc(registryKeys(), func(k opKey) bool { return docName(k) == name }) {
			t.Errorf("ops/doc.go documents %s, which is not registered", name)
		}
		if len(d.Types) == 0 {
			t.Errorf("%s: no element types documented", name)
		}
		seen := map[string]bool{}
		for _, a := range d.Attrs {
			if seen[a.Name] {
				t.Errorf("%s: attribute %s documented twice", name, a.Name)
			}
			seen[a.Name] = true
			if a.To != 0 && a.To < max(a.From, d.Since) {
				t.Errorf("%s: attribute %s has the empty opset range %d-%d", name, a.Name, max(a.From, d.Since), a.To)
			}
		}
	}
}

func registryKeys() []opKey {
	var ks []opKey
	for k := range registry {
		ks = append(ks, k)
	}
	return ks
}

// TestDocsMarkdownUpToDate: docs/operators.md is what the generator
// writes now.
func TestDocsMarkdownUpToDate(t *testing.T) {
	got, err := os.ReadFile("../docs/operators.md")
	if err != nil {
		t.Fatalf("%v (run go generate ./ops)", err)
	}
	if !bytes.Equal(got, DocMarkdown()) {
		t.Errorf("docs/operators.md is stale: run go generate ./ops (or go run ./ops/internal/gendoc > docs/operators.md)")
	}
}

// docFixture is a node that builds and infers without error: the
// required attributes, the inputs (nil for an omitted optional one) and
// the number of outputs.
type docFixture struct {
	attrs map[string]*onnx.Attr
	in    []*tensor.Tensor
	nOut  int
}

// docTensor returns a tensor of type dt and the given shape holding vals
// (cycled; 1, 2, 3, ... when none are given).
func docTensor(dt tensor.DType, shape []int, vals ...float64) *tensor.Tensor {
	t := tensor.New(dt, shape...)
	for i := 0; i < t.Len(); i++ {
		v := float64(i%7 + 1)
		if len(vals) > 0 {
			v = vals[i%len(vals)]
		}
		switch d := t.Data.(type) {
		case []float32:
			d[i] = float32(v)
		case []float64:
			d[i] = v
		case []int64:
			d[i] = int64(v)
		case []int32:
			d[i] = int32(v)
		case []uint8:
			d[i] = uint8(v)
		case []int8:
			d[i] = int8(v)
		case []bool:
			d[i] = v != 0
		}
	}
	return t
}

func docInts(name string, v ...int64) *onnx.Attr {
	return &onnx.Attr{Name: name, Type: onnx.AttrInts, Ints: v}
}

func docInt(name string, v int64) *onnx.Attr { return &onnx.Attr{Name: name, Type: onnx.AttrInt, I: v} }

func docFloats(name string, v ...float32) *onnx.Attr {
	return &onnx.Attr{Name: name, Type: onnx.AttrFloats, Floats: v}
}

func docString(name, v string) *onnx.Attr {
	return &onnx.Attr{Name: name, Type: onnx.AttrString, S: v}
}

// docFixtureFor returns a plausible node for op at opset whose data input
// has type dt. attr is the attribute about to be tested ("" for none), for
// the fused Conv, whose activation attributes need a matching activation.
func docFixtureFor(op string, opset int64, dt tensor.DType, attr string) docFixture {
	x := docTensor(dt, []int{2, 2, 4, 4})
	f := docFixture{attrs: map[string]*onnx.Attr{}, in: []*tensor.Tensor{x}, nOut: 1}
	set := func(as ...*onnx.Attr) {
		for _, a := range as {
			f.attrs[a.Name] = a
		}
	}
	i64 := func(v ...float64) *tensor.Tensor { return docTensor(tensor.Int64, []int{len(v)}, v...) }
	switch op {
	case "Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less",
		"GreaterOrEqual", "LessOrEqual", "Max", "Min", "Sum", "Mean":
		f.in = append(f.in, docTensor(dt, x.Shape))
	case "PRelu":
		f.in = append(f.in, docTensor(dt, []int{1}))
	case "Where":
		f.in = []*tensor.Tensor{docTensor(tensor.Bool, x.Shape, 1, 0), x, docTensor(dt, x.Shape)}
	case "MatMul":
		f.in = []*tensor.Tensor{docTensor(dt, []int{2, 3}), docTensor(dt, []int{3, 2})}
	case "Gemm":
		f.in = []*tensor.Tensor{docTensor(dt, []int{2, 3}), docTensor(dt, []int{3, 4}), docTensor(dt, []int{4})}
	case "Conv", "gocnn.Conv":
		f.in = append(f.in, docTensor(dt, []int{3, 2, 3, 3}), docTensor(dt, []int{3}))
		switch attr {
		case ActPrefix + "alpha":
			set(docString(AttrActivation, "LeakyRelu"))
		case ActPrefix + "beta":
			set(docString(AttrActivation, "HardSigmoid"))
		case ActPrefix + "min", ActPrefix + "max":
			set(docString(AttrActivation, "Clip"))
		}
	case "ConvTranspose":
		f.in = append(f.in, docTensor(dt, []int{2, 3, 3, 3}), docTensor(dt, []int{3}))
	case "MaxPool", "AveragePool":
		set(docInts("kernel_shape", 2, 2))
	case "BatchNormalization":
		for range 4 {
			f.in = append(f.in, docTensor(dt, []int{2}))
		}
	case "LRN":
		set(docInt("size", 3))
	case "Cast":
		set(docInt("to", int64(tensor.Float32)))
	case "Clip", "Dropout":
	case "Concat":
		set(docInt("axis", 0))
		f.in = append(f.in, docTensor(dt, x.Shape))
	case "Constant":
		f.in = nil
		set(&onnx.Attr{Name: "value", Type: onnx.AttrTensor, T: docTensor(dt, []int{2})})
	case "ConstantOfShape":
		f.in = []*tensor.Tensor{i64(2, 3)}
		set(&onnx.Attr{Name: "value", Type: onnx.AttrTensor, T: docTensor(dt, []int{1})})
	case "Range":
		f.in = []*tensor.Tensor{docTensor(dt, nil, 0), docTensor(dt, nil, 3), docTensor(dt, nil, 1)}
	case "Gather":
		f.in = append(f.in, i64(1, 0))
	case "Pad":
		switch {
		case opset < 2:
			set(docInts("paddings", 0, 0, 1, 1, 0, 0, 1, 1))
		case opset < 11:
			set(docInts("pads", 0, 0, 1, 1, 0, 0, 1, 1))
		default:
			f.in = append(f.in, i64(0, 0, 1, 1, 0, 0, 1, 1))
		}
	case "Reshape":
		if opset < 5 {
			set(docInts("shape", -1))
		} else {
			f.in = append(f.in, i64(-1))
		}
	case "Unsqueeze":
		if opset < 13 {
			set(docInts("axes", 0))
		} else {
			f.in = append(f.in, i64(0))
		}
	case "Split":
		f.nOut = 2
	case "Slice":
		if opset < 10 {
			set(docInts("starts", 0), docInts("ends", 1))
		} else {
			f.in = append(f.in, i64(0), i64(1))
		}
	case "Expand":
		f.in = append(f.in, i64(1))
	case "Tile":
		f.in = append(f.in, i64(1, 1, 1, 1))
	case "Resize":
		if opset < 11 {
			f.in = append(f.in, docTensor(tensor.Float32, []int{4}, 1, 1, 2, 2))
		} else {
			f.in = append(f.in, nil, docTensor(tensor.Float32, []int{4}, 1, 1, 2, 2))
		}
	case "Upsample":
		if opset < 9 {
			set(docFloats("scales", 1, 1, 2, 2))
		} else {
			f.in = append(f.in, docTensor(tensor.Float32, []int{4}, 1, 1, 2, 2))
		}
	}
	return f
}

// docNode makes the node of fixture f for op, with extra replacing or
// adding an attribute.
func docNode(op string, f docFixture, extra *onnx.Attr) *onnx.Node {
	n := &onnx.Node{Name: "doc", OpType: op, Attrs: map[string]*onnx.Attr{}}
	if dom, name, ok := strings.Cut(op, "."); ok {
		n.Domain, n.OpType = dom, name
	}
	for i, t := range f.in {
		name := fmt.Sprint("in", i)
		if t == nil {
			name = ""
		}
		n.Inputs = append(n.Inputs, name)
	}
	for i := range f.nOut {
		n.Outputs = append(n.Outputs, fmt.Sprint("out", i))
	}
	for k, a := range f.attrs {
		n.Attrs[k] = a
	}
	if extra != nil {
		n.Attrs[extra.Name] = extra
	}
	return n
}

// docBuild builds and infers the node; the error of whichever fails.
func docBuild(n *onnx.Node, opset int64, in []*tensor.Tensor) error {
	k, err := New(n, opset)
	if err != nil {
		return err
	}
	_, err = k.Infer(in)
	return err
}

// docReads reports whether a builder read attribute name: a wrong-typed
// value (a graph, which no operator takes) is reported with the name.
// Activation attributes of a fused node reach the activation's builder
// without their prefix.
func docReads(err error, name string) bool {
	if err == nil {
		return false
	}
	name = strings.TrimPrefix(name, ActPrefix)
	return regexp.MustCompile(`attribute "?` + regexp.QuoteMeta(name) + `"? is graph`).MatchString(err.Error())
}

// docOpsets returns the opset versions worth building op at: its first,
// the newest the test knows, and both sides of every attribute range.
func docOpsets(d OpDoc) []int64 {
	vs := []int64{d.Since, max(d.Since, docNewestOpset)}
	for _, a := range d.Attrs {
		vs = append(vs, a.From-1, a.From, a.To, a.To+1)
	}
	var out []int64
	for _, v := range vs {
		if v >= d.Since && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// readIn reports whether d documents attribute name as read at opset.
func (d OpDoc) readIn(name string, opset int64) bool {
	for _, a := range d.Attrs {
		if a.Name == name && opset >= max(a.From, d.Since) && (a.To == 0 || opset <= a.To) {
			return true
		}
	}
	return false
}

// docProbeNames are attribute names to try on every operator: every name
// the table documents plus common ONNX attributes no builder should read.
func docProbeNames(docs []OpDoc) []string {
	names := []string{"momentum", "is_test", "consumed_inputs", "seed", "dtype", "sparse_value", "value_string",
		"value_strings", "batch_dims", "reduction", "direction", "largest", "sorted", "blocksize", "mean", "scale"}
	for _, d := range docs {
		for _, a := range d.Attrs {
			if !slices.Contains(names, a.Name) {
				names = append(names, a.Name)
			}
		}
	}
	return names
}

// TestDocsAttributesAreRead: in every opset where an attribute is
// documented, giving it a wrong type makes ops.New or Infer fail with an
// error naming it (so the builder reads it); and in every opset tried, no
// undocumented attribute is read that way.
func TestDocsAttributesAreRead(t *testing.T) {
	docs := Docs()
	probe := docProbeNames(docs)
	graph := func(name string) *onnx.Attr {
		return &onnx.Attr{Name: name, Type: onnx.AttrGraph, G: &onnx.Graph{}}
	}
	for _, d := range docs {
		dt := d.Types[0]
		for _, opset := range docOpsets(d) {
			base := docFixtureFor(d.Op, opset, dt, "")
			if err := docBuild(docNode(d.Op, base, nil), opset, base.in); err != nil {
				t.Errorf("%s opset %d: the test's fixture does not build: %v", d.Op, opset, err)
				continue
			}
			for _, a := range d.Attrs {
				if !d.readIn(a.Name, opset) {
					continue
				}
				f := docFixtureFor(d.Op, opset, dt, a.Name)
				if err := docBuild(docNode(d.Op, f, nil), opset, f.in); err != nil {
					t.Errorf("%s opset %d: the test's fixture for %s does not build: %v", d.Op, opset, a.Name, err)
					continue
				}
				err := docBuild(docNode(d.Op, f, graph(a.Name)), opset, f.in)
				if !docReads(err, a.Name) {
					t.Errorf("%s opset %d: attribute %s is documented but a wrong-typed value is not reported (error: %v)",
						d.Op, opset, a.Name, err)
				}
			}
			for _, name := range probe {
				if d.readIn(name, opset) {
					continue
				}
				err := docBuild(docNode(d.Op, base, graph(name)), opset, base.in)
				if docReads(err, name) {
					t.Errorf("%s opset %d: the builder reads attribute %s, which ops/doc.go does not list for this opset (error: %v)",
						d.Op, opset, name, err)
				}
			}
		}
	}
}

// TestDocsTypes: at the newest opset, Infer accepts exactly the
// documented element types for the data input.
func TestDocsTypes(t *testing.T) {
	for _, d := range Docs() {
		opset := max(d.Since, docNewestOpset)
		for _, dt := range docAll {
			f := docFixtureFor(d.Op, opset, dt, "")
			err := docBuild(docNode(d.Op, f, nil), opset, f.in)
			switch want := slices.Contains(d.Types, dt); {
			case want && err != nil:
				t.Errorf("%s: documented for %v, but an input of that type fails: %v", d.Op, dt, err)
			case !want && err == nil:
				t.Errorf("%s: accepts %v inputs, which ops/doc.go does not list", d.Op, dt)
			}
		}
	}
}
