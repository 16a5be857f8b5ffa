package ops

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/tensor"
)

// TestRobustA builds the operators of this group with random, often
// invalid, attributes and inputs: they must return errors, never panic, and
// when they succeed write every output element.
func TestRobustA(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	small := func(lo, hi int) int { return lo + r.Intn(hi-lo+1) }
	randInts := func(n, lo, hi int) []int {
		v := make([]int, max(n, 0))
		for i := range v {
			v[i] = small(lo, hi)
		}
		return v
	}
	randShape := func(rank int) []int { return randInts(rank, 0, 4) }
	maybe := func(m map[string]any, k string, v any) {
		if r.Intn(2) == 0 {
			m[k] = v
		}
	}
	autoPads := []string{"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "bad"}
	for iter := 0; iter < 3000; iter++ {
		k := small(0, 3)
		attrs := map[string]any{}
		maybe(attrs, "strides", randInts(small(k-1, k+1), -1, 3))
		maybe(attrs, "dilations", randInts(small(k-1, k+1), -1, 3))
		maybe(attrs, "pads", randInts(2*small(k-1, k+1), -1, 3))
		maybe(attrs, "auto_pad", autoPads[r.Intn(len(autoPads))])
		maybe(attrs, "kernel_shape", randInts(small(k-1, k+1), 0, 3))
		maybe(attrs, "group", small(0, 3))
		maybe(attrs, "ceil_mode", small(0, 1))
		maybe(attrs, "count_include_pad", small(0, 1))
		maybe(attrs, "storage_order", small(0, 1))
		maybe(attrs, "output_padding", randInts(small(k-1, k+1), -1, 2))
		maybe(attrs, "output_shape", randInts(small(k-1, k+2), 0, 6))
		x := aRand(r, randShape(k+2)...)
		w := aRand(r, randShape(small(k+1, k+2))...)
		b := aRand(r, small(0, 4))
		ops := []struct {
			op   string
			nOut int
			in   []*tensor.Tensor
		}{
			{"Conv", 1, []*tensor.Tensor{x, w, b}},
			{"Conv", 1, []*tensor.Tensor{x, w}},
			{"ConvTranspose", 1, []*tensor.Tensor{x, w, b}},
			{"MaxPool", 2, []*tensor.Tensor{x}},
			{"AveragePool", 1, []*tensor.Tensor{x}},
			{"GlobalMaxPool", 1, []*tensor.Tensor{x}},
			{"GlobalAveragePool", 1, []*tensor.Tensor{x}},
			{"LRN", 1, []*tensor.Tensor{x}},
			{"MatMul", 1, []*tensor.Tensor{x, w}},
			{"Gemm", 1, []*tensor.Tensor{aRand(r, randShape(small(1, 2))...), aRand(r, randShape(small(1, 2))...), aRand(r, randShape(small(0, 2))...)}},
			{"BatchNormalization", 1, []*tensor.Tensor{x, b, b, b, b}},
			{"Pad", 1, []*tensor.Tensor{x, aI64([]int{2 * len(x.Shape)}, int64s(randInts(2*len(x.Shape), -2, 3))...)}},
			{"Resize", 1, []*tensor.Tensor{x, nil, nil, aI64([]int{len(x.Shape)}, int64s(randInts(len(x.Shape), -1, 4))...)}},
			{"Resize", 1, []*tensor.Tensor{x, nil, aF32([]int{len(x.Shape)}, float32s(randInts(len(x.Shape), -1, 3))...)}},
		}
		for _, o := range ops {
			a := attrs
			switch o.op {
			case "LRN":
				a = map[string]any{"size": small(-1, 4)}
			case "Gemm":
				a = map[string]any{"transA": small(0, 1), "transB": small(0, 1)}
			case "Pad":
				a = map[string]any{"mode": []string{"constant", "reflect", "edge"}[r.Intn(3)]}
			case "Resize":
				a = map[string]any{
					"mode":                           []string{"nearest", "linear", "cubic"}[r.Intn(3)],
					"coordinate_transformation_mode": []string{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"}[r.Intn(4)],
					"exclude_outside":                small(0, 1),
				}
			}
			out, err := aExec(aNode(o.op, len(o.in), o.nOut, a), 13, o.in...)
			if err != nil {
				if strings.HasPrefix(err.Error(), "panic") {
					t.Fatalf("%s %v on %v: %v", o.op, a, o.in, err)
				}
				continue
			}
			for _, ot := range out {
				if f := ot.Float32s(); f != nil {
					for i, v := range f {
						if v != v && o.op != "BatchNormalization" { // BN: var may be negative here
							t.Fatalf("%s %v on %v: output element %d not written", o.op, a, o.in, i)
						}
					}
				}
				if v := ot.Int64s(); v != nil {
					for i, e := range v {
						if e == -12345 {
							t.Fatalf("%s %v: index %d not written", o.op, a, i)
						}
					}
				}
			}
		}
	}
}

func int64s(v []int) []int64 {
	r := make([]int64, len(v))
	for i, x := range v {
		r[i] = int64(x)
	}
	return r
}

func float32s(v []int) []float32 {
	r := make([]float32, len(v))
	for i, x := range v {
		r[i] = float32(x)
	}
	return r
}
