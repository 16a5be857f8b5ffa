package ops

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// fuzzAttrNames are the attributes the operators read, so random nodes
// exercise real parsing paths.
var fuzzAttrNames = []string{"axis", "axes", "keepdims", "perm", "split", "starts", "ends", "to",
	"alpha", "beta", "gamma", "allowzero", "start", "end", "noop_with_empty_axes", "value", "min", "max",
	"shape", "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad", "ceil_mode",
	"count_include_pad", "storage_order", "transA", "transB", "epsilon", "size", "bias", "mode",
	"scales", "output_padding", "output_shape", "coordinate_transformation_mode", "nearest_mode",
	"cubic_coeff_a", "exclude_outside", "extrapolation_value", "spatial", "training_mode", "activation"}

var fuzzStrings = []string{"", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "constant", "reflect",
	"edge", "nearest", "linear", "cubic", "half_pixel", "align_corners", "asymmetric",
	"tf_crop_and_resize", "floor", "ceil", "Relu", "bogus"}

// FuzzInfer builds random nodes of every registered operator, with random
// attributes of random types and random inputs, and runs shape inference
// and the kernel: errors are expected, panics and hangs are bugs.
func FuzzInfer(f *testing.F) {
	for i := range 16 {
		f.Add(uint64(i), uint64(7*i+1), uint8(i*13))
	}
	var names []string
	for op := range Supported() {
		names = append(names, op)
	}
	sort.Strings(names)
	f.Fuzz(func(t *testing.T, s1, s2 uint64, opIndex uint8) {
		r := rand.New(rand.NewPCG(s1, s2))
		op := names[int(opIndex)%len(names)]
		n := &onnx.Node{Name: "fuzz", OpType: op, Attrs: map[string]*onnx.Attr{}}
		for i := range r.IntN(5) {
			n.Inputs = append(n.Inputs, string(rune('a'+i)))
		}
		n.Outputs = []string{"y"}
		if r.IntN(4) == 0 {
			n.Outputs = append(n.Outputs, "z")
		}
		for _, name := range fuzzAttrNames {
			if r.IntN(4) == 0 {
				n.Attrs[name] = fuzzAttr(r, name)
			}
		}
		in := make([]*tensor.Tensor, len(n.Inputs))
		for i := range in {
			if r.IntN(10) == 0 {
				n.Inputs[i] = ""
				continue
			}
			in[i] = bRandomTensor(r)
		}
		bTryRun(n, int64(1+r.IntN(18)), in)
	})
}

func fuzzAttr(r *rand.Rand, name string) *onnx.Attr {
	a := &onnx.Attr{Name: name}
	switch r.IntN(6) {
	case 0:
		a.Type, a.I = onnx.AttrInt, int64(r.IntN(11)-3)
	case 1:
		a.Type = onnx.AttrInts
		for range r.IntN(7) {
			a.Ints = append(a.Ints, int64(r.IntN(11)-3))
		}
	case 2:
		a.Type, a.F = onnx.AttrFloat, float32(r.NormFloat64()*2)
	case 3:
		a.Type = onnx.AttrFloats
		for range r.IntN(5) {
			a.Floats = append(a.Floats, float32(r.NormFloat64()*2))
		}
	case 4:
		a.Type, a.S = onnx.AttrString, fuzzStrings[r.IntN(len(fuzzStrings))]
	case 5:
		a.Type, a.T = onnx.AttrTensor, bRandomTensor(r)
	}
	return a
}
