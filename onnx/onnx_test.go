package onnx

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocnn/gocnn/onnx/internal/onnxpb"
	"github.com/gocnn/gocnn/tensor"
)

// tinyModel is Y = Relu(X + W) with W an initializer.
func tinyModel() *Model {
	return &Model{
		Opsets: map[string]int64{"": 13},
		Graph: &Graph{
			Name:         "tiny",
			Inputs:       []ValueInfo{{Name: "X", DType: tensor.Float32, Shape: []int{-1, 3}, DimNames: []string{"N", ""}}},
			Outputs:      []ValueInfo{{Name: "Y", DType: tensor.Float32, Shape: []int{-1, 3}, DimNames: []string{"N", ""}}},
			Initializers: map[string]*tensor.Tensor{"W": tensor.FromFloat32([]int{3}, []float32{1, -2, 3})},
			Nodes: []*Node{
				{Name: "add", OpType: "Add", Inputs: []string{"X", "W"}, Outputs: []string{"S"},
					Attrs: map[string]*Attr{}},
				{Name: "relu", OpType: "Relu", Inputs: []string{"S"}, Outputs: []string{"Y"},
					Attrs: map[string]*Attr{"note": {Type: AttrString, S: "x"}, "k": {Type: AttrInts, Ints: []int64{1, 2}}}},
			},
		},
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	b, err := Encode(tinyModel())
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Opset() != 13 || len(m.Graph.Nodes) != 2 || m.Graph.Nodes[1].Attrs["k"].Ints[1] != 2 {
		t.Fatalf("round trip lost data: %+v", m.Graph)
	}
	if got := m.Graph.Inputs[0].String(); got != "X float32[N,3]" {
		t.Errorf("input = %q", got)
	}
	w := m.Graph.Initializers["W"].Float32s()
	if len(w) != 3 || w[1] != -2 {
		t.Errorf("W = %v", w)
	}
}

// TestTruncated decodes every prefix of a model: each must fail cleanly or
// decode (a protobuf prefix can be a valid message), never panic.
func TestTruncated(t *testing.T) {
	b, err := Encode(tinyModel())
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	for i := range len(b) {
		if _, err := Decode(b[:i], nil); err != nil {
			failures++
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("prefix %d: error %v does not wrap ErrFormat", i, err)
			}
		}
	}
	if failures < len(b)/2 {
		t.Errorf("only %d of %d prefixes were rejected", failures, len(b))
	}
}

func TestGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("not a model"), bytes.Repeat([]byte{0xff}, 64)} {
		if _, err := Decode(b, nil); err == nil {
			t.Errorf("Decode(%q) succeeded", b)
		}
	}
}

func encodeProto(t *testing.T, pm *onnxpb.ModelProto) []byte {
	b, err := proto.Marshal(pm)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func modelWithInitializer(pt *onnxpb.TensorProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:   8,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: 13}},
		Graph:       &onnxpb.GraphProto{Initializer: []*onnxpb.TensorProto{pt}},
	}
}

func TestHostileTensors(t *testing.T) {
	cases := map[string]*onnxpb.TensorProto{
		"huge shape, no data":    {Name: "w", DataType: 1, Dims: []int64{1000000, 1000000}},
		"huge shape, small data": {Name: "w", DataType: 1, Dims: []int64{1 << 20, 1 << 20}, RawData: make([]byte, 16)},
		"negative dim":           {Name: "w", DataType: 1, Dims: []int64{-1, 4}},
		"size mismatch":          {Name: "w", DataType: 1, Dims: []int64{4}, RawData: make([]byte, 12)},
		"typed size mismatch":    {Name: "w", DataType: 1, Dims: []int64{4}, FloatData: []float32{1, 2}},
		"unknown data type":      {Name: "w", DataType: 99, Dims: []int64{1}, RawData: make([]byte, 4)},
		"string tensor":          {Name: "w", DataType: 8, Dims: []int64{1}},
		"escaping external data": {Name: "w", DataType: 1, Dims: []int64{1}, DataLocation: onnxpb.TensorProto_EXTERNAL,
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: "location", Value: "../../etc/passwd"}}},
		"absolute external data": {Name: "w", DataType: 1, Dims: []int64{1}, DataLocation: onnxpb.TensorProto_EXTERNAL,
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: "location", Value: "/etc/passwd"}}},
	}
	for name, pt := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(encodeProto(t, modelWithInitializer(pt)), &Options{Dir: t.TempDir()})
			if err == nil {
				t.Fatal("decoded without error")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// TestClaimedLengthBeyondFile: a raw_data field that claims 2 GB in a tiny
// file is refused by the protobuf decoder before it allocates.
func TestClaimedLengthBeyondFile(t *testing.T) {
	b := encodeProto(t, modelWithInitializer(&onnxpb.TensorProto{Name: "w", DataType: 1, Dims: []int64{1}, RawData: []byte{0, 0, 0, 0}}))
	// Find raw_data (field 9, wire type 2 → tag 0x4a, length 4) and claim 2^31 bytes.
	i := bytes.Index(b, []byte{0x4a, 0x04})
	if i < 0 {
		t.Fatal("raw_data tag not found")
	}
	evil := append(append([]byte{}, b[:i+1]...), 0x80, 0x80, 0x80, 0x80, 0x08)
	evil = append(evil, b[i+2:]...)
	if _, err := Decode(evil, nil); err == nil {
		t.Fatal("decoded a 2 GB claim")
	}
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	data := tensor.EncodeLittleEndian([]float32{0, 1.5, -2, 4})
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), append([]byte("pad!"), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	ext := func(loc, offset string) *onnxpb.TensorProto {
		return &onnxpb.TensorProto{Name: "w", DataType: 1, Dims: []int64{2, 2}, DataLocation: onnxpb.TensorProto_EXTERNAL,
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: "location", Value: loc}, {Key: "offset", Value: offset}, {Key: "length", Value: "16"}}}
	}
	path := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(path, encodeProto(t, modelWithInitializer(ext("w.bin", "4"))), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Graph.Initializers["w"].Float32s(); w[1] != 1.5 || w[3] != 4 {
		t.Errorf("w = %v", w)
	}
	if _, err := Decode(encodeProto(t, modelWithInitializer(ext("w.bin", "4"))), nil); err == nil {
		t.Error("external data without a folder was accepted")
	}
	if _, err := Decode(encodeProto(t, modelWithInitializer(ext("w.bin", "8"))), &Options{Dir: dir}); err == nil {
		t.Error("external data past the end of its file was accepted")
	}
	// A link inside the folder to a file outside it.
	outside := filepath.Join(t.TempDir(), "w.bin")
	if err := os.WriteFile(outside, append([]byte("pad!"), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.bin")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if _, err := Decode(encodeProto(t, modelWithInitializer(ext("link.bin", "4"))), &Options{Dir: dir}); err == nil {
		t.Error("external data through a link out of the folder was accepted")
	}
}

func TestLimits(t *testing.T) {
	b, err := Encode(tinyModel())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(b, &Options{MaxNodes: 1}); err == nil {
		t.Error("MaxNodes not enforced")
	}
	if _, err := Decode(b, &Options{MaxWeightBytes: 8}); err == nil {
		t.Error("MaxWeightBytes not enforced")
	}
	if _, err := Decode(b, &Options{MaxTensorElements: 2}); err == nil {
		t.Error("MaxTensorElements not enforced")
	}
}

func TestAttrs(t *testing.T) {
	n := tinyModel().Graph.Nodes[1]
	a := n.AttrReader()
	if a.Int("missing", 7) != 7 || a.String("note", "") != "x" || a.Ints("k", nil)[0] != 1 {
		t.Fatal("attribute reads wrong")
	}
	if a.Err() != nil {
		t.Fatal(a.Err())
	}
	a.Int("note", 0) // a string read as an int
	if a.Err() == nil || !strings.Contains(a.Err().Error(), `"note"`) {
		t.Errorf("wrong-type attribute: err = %v", a.Err())
	}
}

func TestReadTensor(t *testing.T) {
	x := tensor.FromInt64([]int{2}, []int64{-3, 1 << 40})
	b, err := MarshalTensor("x", x)
	if err != nil {
		t.Fatal(err)
	}
	y, name, err := ReadTensor(bytes.NewReader(b))
	if err != nil || name != "x" || y.Int64s()[1] != 1<<40 {
		t.Fatalf("ReadTensor = %v %q %v", y, name, err)
	}
}

// TestDecodeCopies: decoded tensors must not alias the input bytes, since
// Load unmaps the file after decoding.
func TestDecodeCopies(t *testing.T) {
	b, err := Encode(tinyModel())
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0xff
	}
	if w := m.Graph.Initializers["W"].Float32s(); w[0] != 1 || w[2] != 3 {
		t.Fatalf("initializer changed with the input buffer: %v", w)
	}
}

func TestLoadMapped(t *testing.T) {
	b, err := Encode(tinyModel())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Graph.Initializers["W"].Float32s(); w[1] != -2 {
		t.Fatalf("W = %v", w)
	}
}
