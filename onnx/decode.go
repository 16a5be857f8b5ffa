package onnx

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/gocnn/gocnn/onnx/internal/onnxpb"
	"github.com/gocnn/gocnn/tensor"
)

// Options bound what a model file may make the decoder do. The zero value
// means the defaults.
type Options struct {
	// Dir is the folder that external-data paths are relative to. Load sets
	// it to the model file's folder; with Decode and Read it must be set for
	// models that keep weights outside the file. External data must be a
	// regular file inside Dir (links included).
	Dir string
	// MaxWeightBytes caps the total bytes of all initializers (default 16 GiB).
	MaxWeightBytes int64
	// MaxTensorElements caps the elements of any one tensor (default 2^32).
	MaxTensorElements int64
	// MaxNodes caps the node count, subgraphs included (default 1<<20).
	MaxNodes int
}

func (o *Options) withDefaults() Options {
	r := Options{}
	if o != nil {
		r = *o
	}
	if r.MaxWeightBytes <= 0 {
		r.MaxWeightBytes = 16 << 30
	}
	if r.MaxTensorElements <= 0 {
		r.MaxTensorElements = 1 << 32
	}
	if r.MaxNodes <= 0 {
		r.MaxNodes = 1 << 20
	}
	return r
}

// ErrFormat wraps every error caused by the contents of a model file.
var ErrFormat = errors.New("onnx: invalid model")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// Load reads and decodes the model file at path. On unix systems the file
// is memory-mapped for the duration of decoding, so its bytes are held once
// on the heap: as the decoded tensors.
func Load(path string, opts *Options) (*Model, error) {
	b, release, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	defer release()
	o := opts.withDefaults()
	if o.Dir == "" {
		o.Dir = filepath.Dir(path)
	}
	m, err := Decode(b, &o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Read decodes a model from r.
func Read(r io.Reader, opts *Options) (*Model, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Decode(b, opts)
}

// Decode decodes a serialized ModelProto.
func Decode(b []byte, opts *Options) (*Model, error) {
	o := opts.withDefaults()
	var pm onnxpb.ModelProto
	if err := proto.Unmarshal(b, &pm); err != nil {
		return nil, formatErr("not an ONNX protobuf: %v", err)
	}
	if pm.Graph == nil {
		return nil, formatErr("the model has no graph")
	}
	m := &Model{
		IRVersion:       pm.IrVersion,
		ProducerName:    pm.ProducerName,
		ProducerVersion: pm.ProducerVersion,
		Opsets:          map[string]int64{},
	}
	for _, op := range pm.OpsetImport {
		m.Opsets[op.Domain] = op.Version
	}
	if len(pm.OpsetImport) == 0 {
		// IR version 2 models have no opset import and mean opset 1.
		m.Opsets[""] = 1
	}
	d := decoder{opts: o}
	g, err := d.graph(pm.Graph, 0)
	if err != nil {
		return nil, err
	}
	m.Graph = g
	return m, nil
}

type decoder struct {
	opts        Options
	nodes       int
	weightBytes int64
}

// maxGraphDepth bounds subgraph nesting, so a hostile file cannot recurse
// the decoder into a stack overflow.
const maxGraphDepth = 32

func (d *decoder) graph(pg *onnxpb.GraphProto, depth int) (*Graph, error) {
	if depth > maxGraphDepth {
		return nil, formatErr("subgraphs nested deeper than %d", maxGraphDepth)
	}
	g := &Graph{Name: pg.Name, Initializers: map[string]*tensor.Tensor{}}
	for _, pt := range pg.Initializer {
		if pt.Name == "" {
			return nil, formatErr("graph %q: initializer without a name", pg.Name)
		}
		if _, dup := g.Initializers[pt.Name]; dup {
			return nil, formatErr("graph %q: initializer %q defined twice", pg.Name, pt.Name)
		}
		t, err := d.tensor(pt)
		if err != nil {
			return nil, fmt.Errorf("initializer %q: %w", pt.Name, err)
		}
		g.Initializers[pt.Name] = t
	}
	if len(pg.SparseInitializer) > 0 {
		return nil, formatErr("graph %q: sparse initializers are not supported", pg.Name)
	}
	var err error
	for _, vi := range pg.Input {
		if _, isInit := g.Initializers[vi.Name]; isInit {
			continue // older exporters list weights as inputs too
		}
		v, err := valueInfo(vi)
		if err != nil {
			return nil, err
		}
		g.Inputs = append(g.Inputs, v)
	}
	if g.Outputs, err = valueInfos(pg.Output); err != nil {
		return nil, err
	}
	if g.ValueInfo, err = valueInfos(pg.ValueInfo); err != nil {
		return nil, err
	}
	for _, pn := range pg.Node {
		d.nodes++
		if d.nodes > d.opts.MaxNodes {
			return nil, formatErr("more than %d nodes", d.opts.MaxNodes)
		}
		n := &Node{
			Name: pn.Name, OpType: pn.OpType, Domain: pn.Domain,
			Inputs: pn.Input, Outputs: pn.Output,
			Attrs: make(map[string]*Attr, len(pn.Attribute)),
		}
		for _, pa := range pn.Attribute {
			a, err := d.attr(pa, depth)
			if err != nil {
				return nil, fmt.Errorf("%v: attribute %q: %w", n, pa.Name, err)
			}
			if _, dup := n.Attrs[a.Name]; dup {
				return nil, formatErr("%v: attribute %q given twice", n, a.Name)
			}
			n.Attrs[a.Name] = a
		}
		g.Nodes = append(g.Nodes, n)
	}
	return g, nil
}

func valueInfos(pvs []*onnxpb.ValueInfoProto) ([]ValueInfo, error) {
	var vs []ValueInfo
	for _, pv := range pvs {
		v, err := valueInfo(pv)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, nil
}

func valueInfo(pv *onnxpb.ValueInfoProto) (ValueInfo, error) {
	v := ValueInfo{Name: pv.Name}
	if pv.Name == "" {
		return v, formatErr("value without a name")
	}
	tt := pv.GetType().GetTensorType()
	if tt == nil {
		return v, nil // untyped, or a sequence/map: type comes from inference
	}
	v.DType = tensor.DType(tt.ElemType)
	if tt.Shape == nil {
		return v, nil
	}
	v.Shape = make([]int, len(tt.Shape.Dim))
	v.DimNames = make([]string, len(tt.Shape.Dim))
	for i, dim := range tt.Shape.Dim {
		switch x := dim.Value.(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			if x.DimValue < 0 || x.DimValue > tensor.MaxElements {
				return v, formatErr("value %q: dimension %d is %d", pv.Name, i, x.DimValue)
			}
			v.Shape[i] = int(x.DimValue)
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			v.Shape[i], v.DimNames[i] = -1, x.DimParam
		default:
			v.Shape[i] = -1
		}
	}
	return v, nil
}

func (d *decoder) attr(pa *onnxpb.AttributeProto, depth int) (*Attr, error) {
	if pa.RefAttrName != "" {
		return nil, formatErr("attribute references (functions) are not supported")
	}
	a := &Attr{Name: pa.Name, Type: AttrType(pa.Type)}
	switch a.Type {
	case AttrFloat:
		a.F = pa.F
	case AttrInt:
		a.I = pa.I
	case AttrString:
		a.S = string(pa.S)
	case AttrFloats:
		a.Floats = pa.Floats
	case AttrInts:
		a.Ints = pa.Ints
	case AttrStrings:
		for _, s := range pa.Strings {
			a.Strings = append(a.Strings, string(s))
		}
	case AttrTensor:
		if pa.T == nil {
			return nil, formatErr("tensor attribute without a tensor")
		}
		t, err := d.tensor(pa.T)
		if err != nil {
			return nil, err
		}
		a.T = t
	case AttrTensors:
		for _, pt := range pa.Tensors {
			t, err := d.tensor(pt)
			if err != nil {
				return nil, err
			}
			a.Tensors = append(a.Tensors, t)
		}
	case AttrGraph:
		if pa.G == nil {
			return nil, formatErr("graph attribute without a graph")
		}
		g, err := d.graph(pa.G, depth+1)
		if err != nil {
			return nil, err
		}
		a.G = g
	case AttrGraphs:
		for _, pg := range pa.Graphs {
			g, err := d.graph(pg, depth+1)
			if err != nil {
				return nil, err
			}
			a.Graphs = append(a.Graphs, g)
		}
	case AttrSparseTensor, AttrSparseTensors, AttrTypeProto, AttrTypeProtos:
		// Kept by type only: no operator we run reads them.
	case AttrUndefined:
		// IR version < 0.0.2 files omit the type; infer it from the field set.
		return inferAttrType(pa, a)
	default:
		return nil, formatErr("unknown attribute type %d", pa.Type)
	}
	return a, nil
}

func inferAttrType(pa *onnxpb.AttributeProto, a *Attr) (*Attr, error) {
	switch {
	case len(pa.Ints) > 0:
		a.Type, a.Ints = AttrInts, pa.Ints
	case len(pa.Floats) > 0:
		a.Type, a.Floats = AttrFloats, pa.Floats
	case len(pa.S) > 0:
		a.Type, a.S = AttrString, string(pa.S)
	case pa.I != 0:
		a.Type, a.I = AttrInt, pa.I
	case pa.F != 0:
		a.Type, a.F = AttrFloat, pa.F
	default:
		return nil, formatErr("attribute without a type")
	}
	return a, nil
}

// tensor converts a TensorProto, checking that its data matches its shape
// before allocating anything sized by the shape.
func (d *decoder) tensor(pt *onnxpb.TensorProto) (*tensor.Tensor, error) {
	t, err := decodeTensor(pt, d.opts)
	if err != nil {
		return nil, err
	}
	d.weightBytes += int64(t.Len() * t.DType.Size())
	if d.weightBytes > d.opts.MaxWeightBytes {
		return nil, formatErr("weights exceed %d bytes", d.opts.MaxWeightBytes)
	}
	return t, nil
}

func decodeTensor(pt *onnxpb.TensorProto, o Options) (*tensor.Tensor, error) {
	dt := tensor.DType(pt.DataType)
	if !dt.Valid() {
		return nil, formatErr("tensor %q: unsupported data type %v", pt.Name, onnxpb.TensorProto_DataType(pt.DataType))
	}
	if pt.Segment != nil {
		return nil, formatErr("tensor %q: segmented tensors are not supported", pt.Name)
	}
	shape := make([]int, len(pt.Dims))
	for i, v := range pt.Dims {
		if v < 0 || v > tensor.MaxElements {
			return nil, formatErr("tensor %q: dimension %d is %d", pt.Name, i, v)
		}
		shape[i] = int(v)
	}
	n, err := tensor.NumElements(shape)
	if err != nil || int64(n) > o.MaxTensorElements {
		return nil, formatErr("tensor %q: shape %v is too large (limit %d elements)", pt.Name, shape, o.MaxTensorElements)
	}
	t := &tensor.Tensor{DType: dt, Shape: shape}
	raw := pt.RawData
	if pt.DataLocation == onnxpb.TensorProto_EXTERNAL {
		if raw, err = externalData(pt, o.Dir, int64(n)*int64(dt.Size())); err != nil {
			return nil, err
		}
	}
	if raw != nil || n == 0 {
		if len(raw) != n*dt.Size() {
			return nil, formatErr("tensor %q: shape %v needs %d bytes, raw_data has %d", pt.Name, shape, n*dt.Size(), len(raw))
		}
		t.Data = tensor.FromLittleEndian(dt, raw, n)
		return t, nil
	}
	if t.Data, err = typedData(pt, dt, n); err != nil {
		return nil, err
	}
	return t, nil
}

// typedData converts the typed repeated fields, which hold the values when
// raw_data is absent.
func typedData(pt *onnxpb.TensorProto, dt tensor.DType, n int) (any, error) {
	var have int
	switch dt {
	case tensor.Float32:
		have = len(pt.FloatData)
	case tensor.Float64:
		have = len(pt.DoubleData)
	case tensor.Int64:
		have = len(pt.Int64Data)
	default:
		have = len(pt.Int32Data)
	}
	if have != n {
		return nil, formatErr("tensor %q: shape %v needs %d values, the file has %d", pt.Name, pt.Dims, n, have)
	}
	switch dt {
	case tensor.Float32:
		return pt.FloatData, nil
	case tensor.Float64:
		return pt.DoubleData, nil
	case tensor.Int64:
		return pt.Int64Data, nil
	}
	out := tensor.MakeData(dt, n)
	for i, v := range pt.Int32Data {
		switch o := out.(type) {
		case []int32:
			o[i] = v
		case []uint8:
			o[i] = uint8(v)
		case []int8:
			o[i] = int8(v)
		case []bool:
			o[i] = v != 0
		}
	}
	return out, nil
}

// externalData reads a tensor stored outside the model file. The location
// must stay inside dir.
func externalData(pt *onnxpb.TensorProto, dir string, size int64) ([]byte, error) {
	var loc string
	var offset, length int64 = 0, -1
	for _, kv := range pt.ExternalData {
		var err error
		switch kv.Key {
		case "location":
			loc = kv.Value
		case "offset":
			offset, err = strconv.ParseInt(kv.Value, 10, 64)
		case "length":
			length, err = strconv.ParseInt(kv.Value, 10, 64)
		}
		if err != nil || offset < 0 {
			return nil, formatErr("tensor %q: bad external data %s=%q", pt.Name, kv.Key, kv.Value)
		}
	}
	if dir == "" {
		return nil, formatErr("tensor %q: external data needs the model's folder (load from a path or set Options.Dir)", pt.Name)
	}
	if loc == "" || !filepath.IsLocal(filepath.FromSlash(loc)) {
		return nil, formatErr("tensor %q: external data location %q is outside the model's folder", pt.Name, loc)
	}
	if length >= 0 && length != size {
		return nil, formatErr("tensor %q: external data length %d, the shape needs %d bytes", pt.Name, length, size)
	}
	// A Root: a symbolic link in the folder cannot lead outside it either.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", pt.Name, err)
	}
	defer root.Close()
	name := filepath.FromSlash(loc)
	// Only regular files: opening a named pipe blocks until a writer
	// comes, and a device may never end.
	if st, err := root.Stat(name); err != nil {
		return nil, fmt.Errorf("tensor %q: %w", pt.Name, err)
	} else if !st.Mode().IsRegular() {
		return nil, formatErr("tensor %q: external data location %q is not a regular file (%v)", pt.Name, loc, st.Mode().Type())
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", pt.Name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if offset > st.Size() || st.Size()-offset < size {
		return nil, formatErr("tensor %q: external file %q holds %d bytes, needs %d at offset %d", pt.Name, loc, st.Size(), size, offset)
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, offset); err != nil {
		return nil, fmt.Errorf("tensor %q: %w", pt.Name, err)
	}
	return b, nil
}

// ReadTensor decodes a serialized TensorProto (the .pb files of ONNX's
// test data).
func ReadTensor(r io.Reader) (*tensor.Tensor, string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, "", err
	}
	var pt onnxpb.TensorProto
	if err := proto.Unmarshal(b, &pt); err != nil {
		return nil, "", formatErr("not a TensorProto: %v", err)
	}
	t, err := decodeTensor(&pt, (&Options{}).withDefaults())
	return t, pt.Name, err
}

// LoadTensor reads a .pb TensorProto file.
func LoadTensor(path string) (*tensor.Tensor, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	t, name, err := ReadTensor(f)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return t, name, nil
}
