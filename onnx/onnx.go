// Package onnx decodes ONNX model files into plain Go values: a graph of
// nodes with typed attributes, and initializers as tensors. It knows nothing
// about how operators compute; see package ops for that.
package onnx

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gocnn/gocnn/tensor"
)

// Model is a decoded ONNX ModelProto.
type Model struct {
	IRVersion       int64
	ProducerName    string
	ProducerVersion string
	// Opsets maps an operator domain ("" is the default ONNX domain) to the
	// opset version the model imports.
	Opsets map[string]int64
	Graph  *Graph
}

// Opset returns the version of the default ONNX domain.
func (m *Model) Opset() int64 {
	if v, ok := m.Opsets[""]; ok {
		return v
	}
	return m.Opsets["ai.onnx"]
}

// Graph is a decoded GraphProto. Inputs excludes initializers that older
// exporters also list as graph inputs.
type Graph struct {
	Name         string
	Nodes        []*Node
	Inputs       []ValueInfo
	Outputs      []ValueInfo
	ValueInfo    []ValueInfo
	Initializers map[string]*tensor.Tensor
}

// InitializerNames returns the initializer names, sorted.
func (g *Graph) InitializerNames() []string {
	names := make([]string, 0, len(g.Initializers))
	for n := range g.Initializers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ValueInfo describes a graph input or output.
type ValueInfo struct {
	Name  string
	DType tensor.DType
	// Shape is nil when the file declares no shape. A dimension that is
	// symbolic (e.g. "batch") or unknown is -1, with its name in DimNames.
	Shape    []int
	DimNames []string
}

func (v ValueInfo) String() string {
	dims := make([]string, len(v.Shape))
	for i, d := range v.Shape {
		switch {
		case d >= 0:
			dims[i] = fmt.Sprint(d)
		case v.DimNames[i] != "":
			dims[i] = v.DimNames[i]
		default:
			dims[i] = "?"
		}
	}
	return fmt.Sprintf("%s %v[%s]", v.Name, v.DType, strings.Join(dims, ","))
}

// Node is one operator application.
type Node struct {
	Name   string
	OpType string
	Domain string
	// Inputs may hold "" for an omitted optional input.
	Inputs  []string
	Outputs []string
	Attrs   map[string]*Attr
}

func (n *Node) String() string {
	if n.Name != "" {
		return fmt.Sprintf("%s node %q", n.OpType, n.Name)
	}
	if len(n.Outputs) > 0 {
		return fmt.Sprintf("%s node producing %q", n.OpType, n.Outputs[0])
	}
	return n.OpType + " node"
}

// AttrType is the type of an attribute's value.
type AttrType int32

// The attribute types of ONNX's AttributeProto.
const (
	AttrUndefined AttrType = iota
	AttrFloat
	AttrInt
	AttrString
	AttrTensor
	AttrGraph
	AttrFloats
	AttrInts
	AttrStrings
	AttrTensors
	AttrGraphs
	AttrSparseTensor
	AttrSparseTensors
	AttrTypeProto
	AttrTypeProtos
)

var attrTypeNames = [...]string{"undefined", "float", "int", "string", "tensor", "graph",
	"floats", "ints", "strings", "tensors", "graphs", "sparse_tensor", "sparse_tensors",
	"type_proto", "type_protos"}

func (t AttrType) String() string {
	if int(t) < len(attrTypeNames) && t >= 0 {
		return attrTypeNames[t]
	}
	return fmt.Sprintf("attrtype(%d)", int32(t))
}

// Attr is a node attribute; the field that matches Type holds the value.
// Sparse tensors and type protos are recorded by type only.
type Attr struct {
	Name    string
	Type    AttrType
	F       float32
	I       int64
	S       string
	T       *tensor.Tensor
	G       *Graph
	Floats  []float32
	Ints    []int64
	Strings []string
	Tensors []*tensor.Tensor
	Graphs  []*Graph
}
