package onnx

import (
	"fmt"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/gocnn/gocnn/onnx/internal/onnxpb"
	"github.com/gocnn/gocnn/tensor"
)

// Encode serializes m as an ONNX ModelProto, with initializers in raw_data.
// Together with the types of this package it lets Go programs build models
// (tests, benchmarks, converters) without the ONNX Python package.
func Encode(m *Model) ([]byte, error) {
	pm := &onnxpb.ModelProto{
		IrVersion:       m.IRVersion,
		ProducerName:    m.ProducerName,
		ProducerVersion: m.ProducerVersion,
	}
	if pm.IrVersion == 0 {
		pm.IrVersion = 8
	}
	domains := make([]string, 0, len(m.Opsets))
	for d := range m.Opsets {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	for _, d := range domains {
		pm.OpsetImport = append(pm.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: d, Version: m.Opsets[d]})
	}
	g, err := encodeGraph(m.Graph)
	if err != nil {
		return nil, err
	}
	pm.Graph = g
	return proto.Marshal(pm)
}

func encodeGraph(g *Graph) (*onnxpb.GraphProto, error) {
	pg := &onnxpb.GraphProto{Name: g.Name}
	for _, name := range g.InitializerNames() {
		pt, err := encodeTensor(name, g.Initializers[name])
		if err != nil {
			return nil, err
		}
		pg.Initializer = append(pg.Initializer, pt)
	}
	pg.Input = encodeValueInfos(g.Inputs)
	pg.Output = encodeValueInfos(g.Outputs)
	pg.ValueInfo = encodeValueInfos(g.ValueInfo)
	for _, n := range g.Nodes {
		pn := &onnxpb.NodeProto{Name: n.Name, OpType: n.OpType, Domain: n.Domain, Input: n.Inputs, Output: n.Outputs}
		names := make([]string, 0, len(n.Attrs))
		for k := range n.Attrs {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			pa, err := encodeAttr(k, n.Attrs[k])
			if err != nil {
				return nil, fmt.Errorf("%v: %w", n, err)
			}
			pn.Attribute = append(pn.Attribute, pa)
		}
		pg.Node = append(pg.Node, pn)
	}
	return pg, nil
}

func encodeValueInfos(vs []ValueInfo) []*onnxpb.ValueInfoProto {
	var out []*onnxpb.ValueInfoProto
	for _, v := range vs {
		tt := &onnxpb.TypeProto_Tensor{ElemType: int32(v.DType)}
		if v.Shape != nil {
			tt.Shape = &onnxpb.TensorShapeProto{}
			for i, d := range v.Shape {
				dim := &onnxpb.TensorShapeProto_Dimension{}
				if d >= 0 {
					dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
				} else if i < len(v.DimNames) && v.DimNames[i] != "" {
					dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v.DimNames[i]}
				}
				tt.Shape.Dim = append(tt.Shape.Dim, dim)
			}
		}
		out = append(out, &onnxpb.ValueInfoProto{
			Name: v.Name,
			Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}},
		})
	}
	return out
}

func encodeAttr(name string, a *Attr) (*onnxpb.AttributeProto, error) {
	pa := &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_AttributeType(a.Type)}
	switch a.Type {
	case AttrFloat:
		pa.F = a.F
	case AttrInt:
		pa.I = a.I
	case AttrString:
		pa.S = []byte(a.S)
	case AttrFloats:
		pa.Floats = a.Floats
	case AttrInts:
		pa.Ints = a.Ints
	case AttrStrings:
		for _, s := range a.Strings {
			pa.Strings = append(pa.Strings, []byte(s))
		}
	case AttrTensor:
		t, err := encodeTensor("", a.T)
		if err != nil {
			return nil, err
		}
		pa.T = t
	case AttrGraph:
		g, err := encodeGraph(a.G)
		if err != nil {
			return nil, err
		}
		pa.G = g
	default:
		return nil, fmt.Errorf("attribute %q: cannot encode type %v", name, a.Type)
	}
	return pa, nil
}

// encodeTensor converts t into a TensorProto with its data in raw_data.
func encodeTensor(name string, t *tensor.Tensor) (*onnxpb.TensorProto, error) {
	if err := t.Check(); err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	pt := &onnxpb.TensorProto{Name: name, DataType: int32(t.DType), RawData: tensor.EncodeLittleEndian(t.Data)}
	for _, d := range t.Shape {
		pt.Dims = append(pt.Dims, int64(d))
	}
	return pt, nil
}

// MarshalTensor serializes t as a TensorProto (the .pb format of ONNX's
// test data).
func MarshalTensor(name string, t *tensor.Tensor) ([]byte, error) {
	pt, err := encodeTensor(name, t)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(pt)
}
