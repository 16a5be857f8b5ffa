// Package inspect describes a loaded gocnn model layer by layer: parameter
// counts, multiply-accumulates, activation sizes and receptive fields. The
// gocnn inspect command prints what Analyze returns.
//
// Receptive fields follow the classic forward arithmetic. Every spatial
// axis of a 3-D or higher graph input starts with jump 1, size 1 and start
// 0 (input pixel i has its centre at coordinate i). A sliding window of
// kernel k, stride s, dilation d and begin padding p, with k_eff = d(k-1)+1,
// maps a field (j, r, start) to
//
//	j'     = j·s
//	r'     = r + (k_eff-1)·j
//	start' = start + ((k_eff-1)/2 - p)·j
//
// Conv, gocnn.Conv, MaxPool and AveragePool are windows (auto_pad and
// ceil_mode resolved as ONNX defines them); global pools and spatial
// reductions cover their whole input; Pad shifts start; element-wise nodes
// and Concat pass fields through, taking the largest field over all their
// spatial inputs (max size, max jump). Flatten, Gemm, MatMul, Reshape and
// other reshaping nodes end the spatial path, and ConvTranspose, Resize and
// Upsample are not tracked (their outputs have no field).
//
// MACs: Conv = N·Cout·OH·OW·(Cin/group)·KH·KW (bias not counted; a fused
// residual Add or activation adds nothing), ConvTranspose =
// N·Cin·H·W·(Cout/group)·KH·KW, Gemm = M·N·K, MatMul = output elements·K;
// every other node, pools included, counts 0.
package inspect

import (
	"fmt"
	"strings"

	"github.com/gocnn/gocnn"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// Field is the receptive field of one spatial axis of a value, measured in
// pixels of the graph input the spatial path starts from.
type Field struct {
	// Jump is the cumulative stride: the distance in input pixels between
	// the fields of neighbouring output positions.
	Jump int `json:"jump"`
	// Size is the receptive field size in input pixels.
	Size int `json:"size"`
	// Start is the input coordinate of the centre of output position 0's
	// field (pixel i has its centre at i; negative means in the padding).
	Start float64 `json:"start"`
}

// InputField is the field of a graph input axis: one pixel.
func InputField() Field { return Field{Jump: 1, Size: 1} }

// Window returns the field after a sliding window of kernel k, stride s,
// dilation d and begin padding padBegin.
func (f Field) Window(k, s, d, padBegin int) Field {
	keff := d*(k-1) + 1
	return Field{
		Jump:  f.Jump * s,
		Size:  f.Size + (keff-1)*f.Jump,
		Start: f.Start + (float64(keff-1)/2-float64(padBegin))*float64(f.Jump),
	}
}

// Merge combines the fields of several values feeding one node (an Add or
// Concat joining branches): per axis the largest size and the largest jump,
// with the start of the largest field. Values of a different rank than the
// first are ignored; nil values are skipped. It returns nil if all are nil.
func Merge(fields ...[]Field) []Field {
	var out []Field
	for _, fs := range fields {
		if fs == nil {
			continue
		}
		if out == nil {
			out = append([]Field(nil), fs...)
			continue
		}
		if len(fs) != len(out) {
			continue
		}
		for i, f := range fs {
			if f.Size > out[i].Size {
				out[i].Size, out[i].Start = f.Size, f.Start
			}
			out[i].Jump = max(out[i].Jump, f.Jump)
		}
	}
	return out
}

// FieldString formats per-axis values compactly: "195" when every axis
// agrees, "195x131" otherwise; "-" for nil.
func FieldString(fs []Field, v func(Field) string) string {
	if fs == nil {
		return "-"
	}
	parts := make([]string, len(fs))
	same := true
	for i, f := range fs {
		parts[i] = v(f)
		same = same && parts[i] == parts[0]
	}
	if same && len(parts) > 0 {
		return parts[0]
	}
	return strings.Join(parts, "x")
}

// Value is a graph input as analysed.
type Value struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
}

// Layer is one node of the analysed model, in execution order.
type Layer struct {
	Name   string `json:"name"`
	Op     string `json:"op"`
	Kernel string `json:"kernel"`
	// Output is the shape of the node's first output (nil if unknown).
	Output []int `json:"output_shape"`
	// Params counts the elements of the node's constant inputs (see
	// Params).
	Params int64 `json:"params"`
	MACs   int64 `json:"macs"`
	// OutputBytes is the size of all the node's outputs (0 if unknown).
	OutputBytes int64 `json:"output_bytes"`
	// Field is the receptive field of the first output, one per spatial
	// axis; nil off the spatial path.
	Field []Field `json:"receptive_field,omitempty"`
	Note  string  `json:"note,omitempty"`
}

// Report is the analysis of a model for given input shapes.
type Report struct {
	Inputs []Value `json:"inputs"`
	Layers []Layer `json:"layers"`
	Params int64   `json:"params"`
	MACs   int64   `json:"macs"`
	// WeightBytes is Model.WeightBytes: the constants the model holds,
	// packed or transformed weights included.
	WeightBytes int64 `json:"weight_bytes"`
	// ArenaBytes is Model.ArenaBytes: the planned memory of one run for
	// these input shapes (intermediate values and kernels' scratch, reused
	// by liveness); 0 when the shapes depend on input values.
	ArenaBytes int64 `json:"arena_bytes"`
	// ScratchBytes is Model.ScratchBytes: the part of ArenaBytes that
	// kernels' scratch adds.
	ScratchBytes int64 `json:"scratch_bytes"`
	// ActivationBytes sums every node's output bytes: an upper bound on
	// activation memory that assumes no buffer is ever reused.
	ActivationBytes int64 `json:"activation_bytes"`
	// UnknownShapes counts the layers whose output shape depends on data
	// (typically behind Constant or Shape nodes in an unoptimised graph):
	// their MACs and bytes are counted as 0, so the totals are too low.
	UnknownShapes int `json:"unknown_shapes"`
}

// Analyze describes m for the given input shapes (by input name; inputs not
// given use their declared shape with symbolic dimensions 1).
func Analyze(m *gocnn.Model, shapes map[string][]int) (*Report, error) {
	layers, err := m.Layers(shapes)
	if err != nil {
		return nil, err
	}
	// Planning first: it lays out the weights for these shapes (Winograd
	// transforms), which WeightBytes then counts.
	r := &Report{}
	if r.ArenaBytes, err = m.ArenaBytes(shapes); err != nil {
		return nil, err
	}
	if r.ScratchBytes, err = m.ScratchBytes(shapes); err != nil {
		return nil, err
	}
	r.WeightBytes = m.WeightBytes()
	fields := map[string][]Field{}
	dtypes := map[string]tensor.DType{}
	for _, vi := range m.Inputs() {
		shape, ok := shapes[vi.Name]
		if !ok {
			shape = make([]int, len(vi.Shape))
			for j, d := range vi.Shape {
				shape[j] = max(d, 1)
			}
		}
		r.Inputs = append(r.Inputs, Value{Name: vi.Name, DType: vi.DType.String(), Shape: shape})
		dtypes[vi.Name] = vi.DType
		if len(shape) >= 3 {
			f := make([]Field, len(shape)-2)
			for i := range f {
				f[i] = InputField()
			}
			fields[vi.Name] = f
		}
	}
	for _, l := range layers {
		il := Layer{Name: l.Name, Op: l.OpType, Kernel: l.Kernel, Params: Params(l), MACs: MACs(l)}
		if il.Name == "" && len(l.Node.Outputs) > 0 {
			il.Name = l.Node.Outputs[0]
		}
		if len(l.OutputShapes) > 0 {
			il.Output = l.OutputShapes[0]
		}
		if il.Output == nil {
			r.UnknownShapes++
		}
		outFields, note := propagate(l, fields)
		il.Note = note
		for i, out := range l.Node.Outputs {
			if out == "" {
				continue
			}
			dt := outputDType(l, i, dtypes)
			dtypes[out] = dt
			if i < len(l.OutputShapes) && l.OutputShapes[i] != nil {
				il.OutputBytes += int64(elements(l.OutputShapes[i])) * int64(max(dt.Size(), 1))
			}
			if i < len(outFields) && outFields[i] != nil {
				fields[out] = outFields[i]
			}
		}
		if len(outFields) > 0 {
			il.Field = outFields[0]
		}
		r.Params += il.Params
		r.MACs += il.MACs
		r.ActivationBytes += il.OutputBytes
		r.Layers = append(r.Layers, il)
	}
	return r, nil
}

func elements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// shapeInputs lists operators whose constant inputs are shapes, indices,
// pads or bounds rather than learned parameters.
var shapeInputs = map[string]bool{
	"Pad": true, "Reshape": true, "Slice": true, "Resize": true, "Upsample": true,
	"Expand": true, "Tile": true, "Squeeze": true, "Unsqueeze": true, "Split": true,
	"Clip": true, "ConstantOfShape": true, "Range": true, "TopK": true,
}

// Params counts the parameters of one layer: the elements of its constant
// inputs (Layer.Weights), except for operators whose constant inputs are
// shapes, pads, axes or bounds (Pad, Reshape, Slice, Resize, Clip, Reduce*,
// ...), which count 0.
func Params(l gocnn.Layer) int64 {
	if shapeInputs[l.OpType] || strings.HasPrefix(l.OpType, "Reduce") {
		return 0
	}
	return l.Weights
}

// MACs counts the multiply-accumulates of one layer (see the package
// documentation for the convention); 0 when shapes are unknown.
func MACs(l gocnn.Layer) int64 {
	in := func(i int) []int {
		if i < len(l.InputShapes) {
			return l.InputShapes[i]
		}
		return nil
	}
	var out []int
	if len(l.OutputShapes) > 0 {
		out = l.OutputShapes[0]
	}
	switch l.OpType {
	case "Conv", ops.FusedDomain + ".Conv":
		w := in(1)
		if out == nil || len(w) < 3 {
			return 0
		}
		return int64(elements(out)) * int64(elements(w[1:]))
	case "ConvTranspose":
		x, w := in(0), in(1)
		if x == nil || len(w) < 3 {
			return 0
		}
		return int64(elements(x)) * int64(elements(w[1:]))
	case "Gemm":
		a := in(0)
		if out == nil || len(a) != 2 {
			return 0
		}
		k := a[1]
		if l.Node.AttrReader().Int("transA", 0) != 0 {
			k = a[0]
		}
		return int64(elements(out)) * int64(k)
	case "MatMul":
		a := in(0)
		if out == nil || len(a) == 0 {
			return 0
		}
		return int64(elements(out)) * int64(a[len(a)-1])
	}
	return 0
}

// outputDType guesses the element type of output i (the runtime's shape
// inference is not exposed with types): integer-producing operators are
// known, the rest take their first input's type, float32 by default.
func outputDType(l gocnn.Layer, i int, dtypes map[string]tensor.DType) tensor.DType {
	a := l.Node.AttrReader()
	switch l.OpType {
	case "Shape", "Size", "ArgMax", "ArgMin", "NonZero":
		return tensor.Int64
	case "MaxPool":
		if i == 1 {
			return tensor.Int64
		}
	case "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf":
		return tensor.Bool
	case "Cast":
		if dt := tensor.DType(a.Int("to", 0)); dt.Valid() {
			return dt
		}
	case "Constant", "ConstantOfShape":
		if at := l.Node.Attrs["value"]; at != nil && at.T != nil {
			return at.T.DType
		}
		return tensor.Float32
	case "Where":
		if len(l.Node.Inputs) > 1 {
			if dt, ok := dtypes[l.Node.Inputs[1]]; ok {
				return dt
			}
		}
	}
	for _, in := range l.Node.Inputs {
		if dt, ok := dtypes[in]; ok && dt.Valid() {
			return dt
		}
	}
	return tensor.Float32
}

// propagate returns the receptive fields of l's outputs (nil entries off
// the spatial path) and a note when the node stops a field it cannot track.
func propagate(l gocnn.Layer, fields map[string][]Field) ([][]Field, string) {
	n := l.Node
	inField := func(i int) []Field {
		if i < len(n.Inputs) && n.Inputs[i] != "" {
			return fields[n.Inputs[i]]
		}
		return nil
	}
	anyField := false
	for i := range n.Inputs {
		anyField = anyField || inField(i) != nil
	}
	if !anyField {
		return nil, ""
	}
	shape := func(i int) []int {
		if i < len(l.InputShapes) {
			return l.InputShapes[i]
		}
		return nil
	}
	switch l.OpType {
	case "Conv", ops.FusedDomain + ".Conv":
		f := inField(0)
		if f == nil {
			return nil, ""
		}
		p, err := ops.ParseConvParams(n)
		if err != nil {
			return nil, "receptive field: " + err.Error()
		}
		g, err := p.Geometry(shape(0), shape(1), nil)
		if err != nil || len(g.Axes) != len(f) {
			return nil, "receptive field: shapes unknown"
		}
		out := make([]Field, len(f))
		for i, a := range g.Axes {
			out[i] = f[i].Window(a.Kernel, a.Stride, a.Dilation, a.PadBegin)
		}
		return [][]Field{Merge(out, inField(3))}, ""
	case "MaxPool", "AveragePool":
		f := inField(0)
		if f == nil {
			return nil, ""
		}
		p, err := ops.ParsePoolParams(n)
		if err != nil {
			return nil, "receptive field: " + err.Error()
		}
		g, err := p.Geometry(shape(0))
		if err != nil || len(g.Axes) != len(f) {
			return nil, "receptive field: shapes unknown"
		}
		out := make([]Field, len(f))
		for i, a := range g.Axes {
			out[i] = f[i].Window(a.Kernel, a.Stride, a.Dilation, a.PadBegin)
		}
		return [][]Field{out, out}, ""
	case "GlobalAveragePool", "GlobalMaxPool":
		return [][]Field{whole(inField(0), shape(0))}, ""
	case "Pad":
		return padField(l, inField(0))
	case "ConvTranspose", "Resize", "Upsample":
		return nil, "receptive field not tracked through " + l.OpType
	case "Flatten", "Gemm", "MatMul", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
		"Shape", "Size", "Gather", "Expand", "Tile", "DepthToSpace", "SpaceToDepth":
		return nil, ""
	}
	if strings.HasPrefix(l.OpType, "Reduce") {
		in, f := shape(0), inField(0)
		var out []int
		if len(l.OutputShapes) > 0 {
			out = l.OutputShapes[0]
		}
		if f != nil && len(out) == len(in) && sameDims(in[2:], out[2:]) {
			return [][]Field{f}, ""
		}
		if f != nil && len(out) == len(in) && allOnes(out[2:]) {
			return [][]Field{whole(f, in)}, ""
		}
		// A mean over the spatial axes without keepdims ([N,C,H,W] to
		// [N,C]): the layer sees the whole input; nothing spatial follows.
		if f != nil && len(out) == 2 && len(in) > 2 && out[0] == in[0] && out[1] == in[1] {
			return [][]Field{whole(f, in)}, ""
		}
		return nil, ""
	}
	// Element-wise and channel-wise nodes (activations, Add, Mul,
	// BatchNormalization, Concat on channels, Split...): an output keeps the
	// spatial path when its batch and spatial dims equal those of a spatial
	// input; it takes the largest field of those inputs.
	outs := make([][]Field, len(l.OutputShapes))
	for o, os := range l.OutputShapes {
		var match [][]Field
		for i := range n.Inputs {
			f, s := inField(i), shape(i)
			if f != nil && len(s) == len(os) && len(s) == len(f)+2 && s[0] == os[0] && sameDims(s[2:], os[2:]) {
				match = append(match, f)
			}
		}
		outs[o] = Merge(match...)
	}
	return outs, ""
}

// whole is the field of a node that reduces every spatial position of its
// input (shape in) into one: a window as large as the input.
func whole(f []Field, in []int) []Field {
	if f == nil || len(in) != len(f)+2 {
		return nil
	}
	out := make([]Field, len(f))
	for i := range f {
		out[i] = f[i].Window(in[2+i], 1, 1, 0)
	}
	return out
}

// padField shifts the field by the begin padding of a Pad node: from the
// pads attribute (opset < 11), else from the shapes, assuming the padding
// is split evenly (the pads input's values are not exposed by Layers).
func padField(l gocnn.Layer, f []Field) ([][]Field, string) {
	if f == nil || len(l.InputShapes) == 0 || len(l.OutputShapes) == 0 {
		return nil, ""
	}
	in, out := l.InputShapes[0], l.OutputShapes[0]
	if len(in) != len(f)+2 || len(out) != len(in) {
		return nil, ""
	}
	res := make([]Field, len(f))
	note := ""
	pads := l.Node.AttrReader().Ints("pads", nil)
	for i := range f {
		ax := 2 + i
		var begin int
		switch {
		case len(pads) == 2*len(in):
			begin = int(pads[ax])
		case out[ax] != in[ax]:
			begin = (out[ax] - in[ax]) / 2
			note = "receptive field: Pad assumed symmetric"
		}
		res[i] = Field{Jump: f[i].Jump, Size: f[i].Size, Start: f[i].Start - float64(begin*f[i].Jump)}
	}
	return [][]Field{res}, note
}

func sameDims(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func allOnes(a []int) bool {
	for _, d := range a {
		if d != 1 {
			return false
		}
	}
	return true
}

// ShapeString formats a shape as "1x3x224x224" ("?" if unknown).
func ShapeString(s []int) string {
	if s == nil {
		return "?"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	if len(parts) == 0 {
		return "scalar"
	}
	return strings.Join(parts, "x")
}
