package ops

import (
	"fmt"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Operators that move or re-describe elements without computing on them:
// Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Concat, Split,
// Transpose, Expand, Tile.

func init() {
	register("Shape", 1, buildShape)
	register("Size", 1, buildSize)
	register("Reshape", 1, buildReshape)
	register("Flatten", 1, buildFlatten)
	register("Squeeze", 1, buildSqueeze)
	register("Unsqueeze", 1, buildUnsqueeze)
	register("Concat", 1, buildConcat)
	register("Split", 1, buildSplit)
	register("Transpose", 1, buildTranspose)
	register("Expand", 8, buildExpand)
	register("Tile", 6, buildTile)
}

// oneInput checks that n has one input and one output.
func oneInput(n *onnx.Node) error {
	if err := nodeInputs(n, 1, 1); err != nil {
		return err
	}
	return nodeOutputs(n, 1, 1)
}

// anyInput checks that input 0 is present and of a supported type.
func anyInput(in []*tensor.Tensor) error {
	if err := need(in, 1); err != nil {
		return err
	}
	return wantType(in[0], "input", allTypes...)
}

// copyKernel is a kernel whose output holds the input's elements in the
// same order under the shape that shapeOf computes.
func copyKernel(shapeOf func(in []*tensor.Tensor) ([]int, error)) Kernel {
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := anyInput(in); err != nil {
			return nil, err
		}
		s, err := shapeOf(in)
		if err != nil {
			return nil, err
		}
		if numel(s) != in[0].Len() {
			return nil, fmt.Errorf("cannot give %d elements the shape %v", in[0].Len(), s)
		}
		return one(in[0].DType, s)
	}
	run := func(in, out []*tensor.Tensor) error {
		tensor.Copy(out[0], in[0])
		return nil
	}
	return checked{infer, run}
}

// --- Shape, Size ---

// buildShape: the int64 dimensions of the input, from opset 15 only those
// in [start, end) (negative values count from the end; both clamped).
func buildShape(n *onnx.Node, opset int64) (Kernel, error) {
	if err := oneInput(n); err != nil {
		return nil, err
	}
	a := n.AttrReader()
	start := a.Int("start", 0)
	end, hasEnd := a.Int("end", 0), a.Has("end")
	if err := a.Err(); err != nil {
		return nil, err
	}
	span := func(rank int) (int, int) {
		clamp := func(v int64) int {
			if v < 0 {
				v += int64(rank)
			}
			return int(min(max(v, 0), int64(rank)))
		}
		s, e := clamp(start), rank
		if hasEnd {
			e = clamp(end)
		}
		return s, max(e, s)
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := anyInput(in); err != nil {
			return nil, err
		}
		s, e := span(in[0].Rank())
		return one(tensor.Int64, []int{e - s})
	}
	run := func(in, out []*tensor.Tensor) error {
		s, e := span(in[0].Rank())
		o := out[0].Data.([]int64)
		for i, d := range in[0].Shape[s:e] {
			o[i] = int64(d)
		}
		return nil
	}
	return checked{infer, run}, nil
}

func buildSize(n *onnx.Node, opset int64) (Kernel, error) {
	if err := oneInput(n); err != nil {
		return nil, err
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := anyInput(in); err != nil {
			return nil, err
		}
		return one(tensor.Int64, []int{})
	}
	run := func(in, out []*tensor.Tensor) error {
		out[0].Data.([]int64)[0] = int64(in[0].Len())
		return nil
	}
	return checked{infer, run}, nil
}

// --- Reshape ---

// buildReshape: the new shape is the "shape" attribute before opset 5 and
// the int64 second input from 5. A 0 copies the input's dimension at that
// index (unless allowzero, opset 14, makes it a real 0); one -1 is inferred.
func buildReshape(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	if err := movedAttrs(n, opset, 5, "shape"); err != nil {
		return nil, err
	}
	a := n.AttrReader()
	var attrShape []int64
	if opset < 5 {
		if err := nodeInputs(n, 1, 1); err != nil {
			return nil, err
		}
		attrShape = a.Ints("shape", nil)
	} else if err := nodeInputs(n, 2, 2); err != nil {
		return nil, err
	}
	allowZero := a.Int("allowzero", 0) != 0
	if err := a.Err(); err != nil {
		return nil, err
	}
	return copyKernel(func(in []*tensor.Tensor) ([]int, error) {
		want := attrShape
		if opset >= 5 {
			if err := need(in, 2); err != nil {
				return nil, err
			}
			if err := wantType(in[1], "shape", tensor.Int64); err != nil {
				return nil, err
			}
			if in[1].Rank() != 1 {
				return nil, fmt.Errorf("shape must be 1-D, has shape %v", in[1].Shape)
			}
			var err error
			if want, err = values(in[1], "shape"); err != nil {
				return nil, err
			}
		}
		return reshapeTo(in[0].Shape, want, allowZero)
	}), nil
}

// reshapeTo resolves the 0 and -1 entries of a Reshape target.
func reshapeTo(in []int, want []int64, allowZero bool) ([]int, error) {
	out := make([]int, len(want))
	infer := -1
	known := 1
	hasZero := false
	for i, d := range want {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", want)
			}
			infer = i
			continue
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v copies dimension %d of %v, which has none", want, i, in)
			}
			out[i] = in[i]
		case d < 0 || d > tensor.MaxElements:
			return nil, fmt.Errorf("invalid dimension %d in shape %v", d, want)
		default:
			out[i] = int(d)
		}
		if out[i] == 0 {
			hasZero = true
		}
		if out[i] != 0 && known > tensor.MaxElements/out[i] {
			return nil, fmt.Errorf("shape %v is too large", want)
		}
		known *= out[i]
	}
	total := numel(in)
	if infer >= 0 {
		if allowZero && hasZero {
			return nil, fmt.Errorf("shape %v has both 0 and -1 with allowzero", want)
		}
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", in, want)
		}
		out[infer] = total / known
	} else if known != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, want)
	}
	return out, nil
}

// --- Flatten ---

// buildFlatten: the output is 2-D, [prod(dims before axis), prod(the rest)];
// axis (default 1) may be in [-rank, rank].
func buildFlatten(n *onnx.Node, opset int64) (Kernel, error) {
	if err := oneInput(n); err != nil {
		return nil, err
	}
	a := n.AttrReader()
	axis := a.Int("axis", 1)
	if err := a.Err(); err != nil {
		return nil, err
	}
	return copyKernel(func(in []*tensor.Tensor) ([]int, error) {
		r := int64(in[0].Rank())
		ax := axis
		if ax < 0 {
			ax += r
		}
		if ax < 0 || ax > r {
			return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
		}
		s := in[0].Shape
		return []int{numel(s[:ax]), numel(s[ax:])}, nil
	}), nil
}

// --- Squeeze, Unsqueeze ---

// axesArg reads the axes of Squeeze/Unsqueeze: the attribute before opset
// 13, the optional int64 input 1 from 13. It returns nil, false when absent.
func axesArg(in []*tensor.Tensor, attr []int64, fromInput bool) ([]int64, bool, error) {
	if !fromInput {
		return attr, attr != nil, nil
	}
	t := input(in, 1)
	if t == nil {
		return nil, false, nil
	}
	if err := wantType(t, "axes", tensor.Int64); err != nil {
		return nil, false, err
	}
	if t.Rank() != 1 {
		return nil, false, fmt.Errorf("axes must be 1-D, has shape %v", t.Shape)
	}
	v, err := values(t, "axes")
	return v, true, err
}

// axesNode checks the counts and reads the attribute of Squeeze/Unsqueeze.
func axesNode(n *onnx.Node, opset int64) (attr []int64, fromInput bool, err error) {
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, false, err
	}
	if opset >= 13 {
		if err := movedAttrs(n, opset, 13, "axes"); err != nil {
			return nil, false, err
		}
		return nil, true, nodeInputs(n, 1, 2)
	}
	if err := nodeInputs(n, 1, 1); err != nil {
		return nil, false, err
	}
	a := n.AttrReader()
	attr = a.Ints("axes", nil)
	return attr, false, a.Err()
}

// buildSqueeze removes the given size-1 dimensions, or all of them when no
// axes are given.
func buildSqueeze(n *onnx.Node, opset int64) (Kernel, error) {
	attr, fromInput, err := axesNode(n, opset)
	if err != nil {
		return nil, err
	}
	return copyKernel(func(in []*tensor.Tensor) ([]int, error) {
		axes, ok, err := axesArg(in, attr, fromInput)
		if err != nil {
			return nil, err
		}
		s := in[0].Shape
		drop := make([]bool, len(s))
		if !ok {
			for i, d := range s {
				drop[i] = d == 1
			}
		} else {
			ax, err := normAxes(axes, len(s))
			if err != nil {
				return nil, err
			}
			for _, d := range ax {
				if s[d] != 1 {
					return nil, fmt.Errorf("cannot squeeze dimension %d of shape %v", d, s)
				}
				drop[d] = true
			}
		}
		out := []int{}
		for i, d := range s {
			if !drop[i] {
				out = append(out, d)
			}
		}
		return out, nil
	}), nil
}

// buildUnsqueeze inserts size-1 dimensions at the given axes of the output.
func buildUnsqueeze(n *onnx.Node, opset int64) (Kernel, error) {
	attr, fromInput, err := axesNode(n, opset)
	if err != nil {
		return nil, err
	}
	return copyKernel(func(in []*tensor.Tensor) ([]int, error) {
		axes, ok, err := axesArg(in, attr, fromInput)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("axes are missing")
		}
		s := in[0].Shape
		r := len(s) + len(axes)
		ax, err := normAxes(axes, r)
		if err != nil {
			return nil, err
		}
		ins := make([]bool, r)
		for _, d := range ax {
			ins[d] = true
		}
		out := make([]int, r)
		j := 0
		for i := range out {
			if ins[i] {
				out[i] = 1
			} else {
				out[i] = s[j]
				j++
			}
		}
		return out, nil
	}), nil
}

// --- Concat ---

// buildConcat joins the inputs along axis (required from opset 4; default
// 1 before). All other dimensions must match.
func buildConcat(n *onnx.Node, opset int64) (Kernel, error) {
	if len(n.Inputs) < 1 {
		return nil, fmt.Errorf("%v: needs at least one input", n)
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	a := n.AttrReader()
	if opset >= 4 && !a.Has("axis") {
		return nil, a.Fail("attribute axis is missing")
	}
	axis := a.Int("axis", 1)
	if err := a.Err(); err != nil {
		return nil, err
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if len(in) == 0 {
			return nil, fmt.Errorf("needs at least one input")
		}
		if err := need(in, len(in)); err != nil {
			return nil, err
		}
		if err := wantType(in[0], "input 0", allTypes...); err != nil {
			return nil, err
		}
		if err := sameTypes(in); err != nil {
			return nil, err
		}
		s0 := in[0].Shape
		ax, err := normAxis(axis, len(s0))
		if err != nil {
			return nil, err
		}
		out := append([]int(nil), s0...)
		for i, t := range in[1:] {
			if t.Rank() != len(s0) {
				return nil, fmt.Errorf("input %d has shape %v, input 0 has %v", i+1, t.Shape, s0)
			}
			for d := range s0 {
				if d != ax && t.Shape[d] != s0[d] {
					return nil, fmt.Errorf("input %d has shape %v, input 0 has %v", i+1, t.Shape, s0)
				}
			}
			out[ax] += t.Shape[ax]
		}
		if _, err := checkedNumel(out); err != nil {
			return nil, err
		}
		return one(in[0].DType, out)
	}
	run := func(in, out []*tensor.Tensor) error {
		o := out[0]
		ax, _ := normAxis(axis, o.Rank())
		outer := numel(o.Shape[:ax])
		inner := numel(o.Shape[ax+1:])
		rowOut := o.Shape[ax] * inner
		off := 0
		for _, t := range in {
			row := t.Shape[ax] * inner
			for i := 0; i < outer; i++ {
				copyRange(o, i*rowOut+off, t, i*row, row)
			}
			off += row
		}
		return nil
	}
	return checked{infer, run}, nil
}

// --- Split ---

// buildSplit divides the input along axis (default 0) into one part per
// output. The part sizes come from the "split" attribute (opsets < 13;
// opset 1 also accepts a second input) or the optional int64 input 1 (from
// 13); without them the parts are equal, or from opset 18 with num_outputs
// ceil(dim/n) with a smaller last part.
func buildSplit(n *onnx.Node, opset int64) (Kernel, error) {
	nout := len(n.Outputs)
	if nout < 1 {
		return nil, fmt.Errorf("%v: needs at least one output", n)
	}
	maxIn := 1
	if opset >= 13 || opset < 2 {
		maxIn = 2
	}
	if err := nodeInputs(n, 1, maxIn); err != nil {
		return nil, err
	}
	if err := movedAttrs(n, opset, 13, "split"); err != nil {
		return nil, err
	}
	a := n.AttrReader()
	axis := a.Int("axis", 0)
	var attrSplit []int64
	if opset < 13 {
		attrSplit = a.Ints("split", nil)
	}
	numOutputs := int64(0)
	if opset >= 18 {
		numOutputs = a.Int("num_outputs", 0)
		if a.Has("num_outputs") && numOutputs != int64(nout) {
			return nil, a.Fail("num_outputs is %d but the node has %d outputs", numOutputs, nout)
		}
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	plan := func(in []*tensor.Tensor) (ax int, sizes []int, err error) {
		s := in[0].Shape
		if ax, err = normAxis(axis, len(s)); err != nil {
			return 0, nil, err
		}
		split := attrSplit
		if t := input(in, 1); t != nil {
			if err := wantType(t, "split", tensor.Int64); err != nil {
				return 0, nil, err
			}
			if t.Rank() != 1 {
				return 0, nil, fmt.Errorf("split must be 1-D, has shape %v", t.Shape)
			}
			if split, err = values(t, "split"); err != nil {
				return 0, nil, err
			}
		}
		dim := s[ax]
		sizes = make([]int, nout)
		switch {
		case split != nil:
			if len(split) != nout {
				return 0, nil, fmt.Errorf("split has %d sizes for %d outputs", len(split), nout)
			}
			sum := int64(0)
			for i, v := range split {
				if v < 0 {
					return 0, nil, fmt.Errorf("negative size in split %v", split)
				}
				sum += v
				if sum > int64(dim) {
					break
				}
				sizes[i] = int(v)
			}
			if sum != int64(dim) {
				return 0, nil, fmt.Errorf("split %v does not add up to dimension %d of size %d", split, ax, dim)
			}
		case numOutputs > 0:
			chunk := (dim + nout - 1) / nout
			left := dim
			for i := range sizes {
				sizes[i] = min(chunk, left)
				left -= sizes[i]
			}
		default:
			if dim%nout != 0 {
				return 0, nil, fmt.Errorf("cannot split dimension %d of size %d into %d equal parts", ax, dim, nout)
			}
			for i := range sizes {
				sizes[i] = dim / nout
			}
		}
		return ax, sizes, nil
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := anyInput(in); err != nil {
			return nil, err
		}
		ax, sizes, err := plan(in)
		if err != nil {
			return nil, err
		}
		outs := make([]*tensor.Tensor, nout)
		for i, sz := range sizes {
			s := append([]int(nil), in[0].Shape...)
			s[ax] = sz
			outs[i] = meta(in[0].DType, s)
		}
		return outs, nil
	}
	run := func(in, out []*tensor.Tensor) error {
		x := in[0]
		ax, sizes, _ := plan(in)
		outer := numel(x.Shape[:ax])
		inner := numel(x.Shape[ax+1:])
		rowIn := x.Shape[ax] * inner
		off := 0
		for k, o := range out {
			row := sizes[k] * inner
			if o != nil {
				for i := 0; i < outer; i++ {
					copyRange(o, i*row, x, i*rowIn+off, row)
				}
			}
			off += row
		}
		return nil
	}
	return checked{infer, run}, nil
}

// --- Transpose ---

// buildTranspose permutes the dimensions by perm (default: reversed).
func buildTranspose(n *onnx.Node, opset int64) (Kernel, error) {
	if err := oneInput(n); err != nil {
		return nil, err
	}
	a := n.AttrReader()
	attrPerm := a.Ints("perm", nil)
	if err := a.Err(); err != nil {
		return nil, err
	}
	permFor := func(rank int) ([]int, error) {
		if attrPerm == nil {
			p := make([]int, rank)
			for i := range p {
				p[i] = rank - 1 - i
			}
			return p, nil
		}
		if len(attrPerm) != rank {
			return nil, fmt.Errorf("perm %v has %d entries for rank %d", attrPerm, len(attrPerm), rank)
		}
		seen := make([]bool, rank)
		p := make([]int, rank)
		for i, v := range attrPerm {
			if v < 0 || v >= int64(rank) || seen[v] {
				return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", attrPerm, rank-1)
			}
			seen[v] = true
			p[i] = int(v)
		}
		return p, nil
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := anyInput(in); err != nil {
			return nil, err
		}
		p, err := permFor(in[0].Rank())
		if err != nil {
			return nil, err
		}
		s := make([]int, len(p))
		for i, d := range p {
			s[i] = in[0].Shape[d]
		}
		return one(in[0].DType, s)
	}
	run := func(in, out []*tensor.Tensor) error {
		x, o := in[0], out[0]
		p, _ := permFor(x.Rank())
		xs := tensor.Strides(x.Shape)
		src := make([]int, len(p))
		for i, d := range p {
			src[i] = xs[d]
		}
		copyStrided(o, 0, tensor.Strides(o.Shape), x, 0, src, o.Shape)
		return nil
	}
	return checked{infer, run}, nil
}

// --- Expand, Tile ---

// buildExpand broadcasts the input with the int64 shape input (both ways:
// the output is the numpy broadcast of the two shapes).
func buildExpand(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeInputs(n, 2, 2); err != nil {
		return nil, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := anyInput(in); err != nil {
			return nil, err
		}
		if err := need(in, 2); err != nil {
			return nil, err
		}
		if err := wantType(in[1], "shape", tensor.Int64); err != nil {
			return nil, err
		}
		if in[1].Rank() != 1 {
			return nil, fmt.Errorf("shape must be 1-D, has shape %v", in[1].Shape)
		}
		v, err := values(in[1], "shape")
		if err != nil {
			return nil, err
		}
		want := make([]int, len(v))
		for i, d := range v {
			if d < 0 || d > tensor.MaxElements {
				return nil, fmt.Errorf("invalid shape %v", v)
			}
			want[i] = int(d)
		}
		s, err := broadcast(in[0].Shape, want)
		if err != nil {
			return nil, err
		}
		if _, err := checkedNumel(s); err != nil {
			return nil, err
		}
		return one(in[0].DType, s)
	}
	run := func(in, out []*tensor.Tensor) error {
		expandInto(out[0], in[0])
		return nil
	}
	return checked{infer, run}, nil
}

// buildTile repeats the input repeats[i] times along each dimension i.
func buildTile(n *onnx.Node, opset int64) (Kernel, error) {
	if err := nodeInputs(n, 2, 2); err != nil {
		return nil, err
	}
	if err := nodeOutputs(n, 1, 1); err != nil {
		return nil, err
	}
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := anyInput(in); err != nil {
			return nil, err
		}
		if err := need(in, 2); err != nil {
			return nil, err
		}
		if err := wantType(in[1], "repeats", tensor.Int64); err != nil {
			return nil, err
		}
		if in[1].Rank() != 1 || in[1].Len() != in[0].Rank() {
			return nil, fmt.Errorf("repeats has shape %v, want [%d]", in[1].Shape, in[0].Rank())
		}
		v, err := values(in[1], "repeats")
		if err != nil {
			return nil, err
		}
		s := make([]int, len(v))
		for i, r := range v {
			if r < 0 || r > tensor.MaxElements {
				return nil, fmt.Errorf("invalid repeats %v", v)
			}
			if in[0].Shape[i] != 0 && r > tensor.MaxElements/int64(in[0].Shape[i]) {
				return nil, fmt.Errorf("repeats %v make the output too large", v)
			}
			s[i] = in[0].Shape[i] * int(r)
		}
		if _, err := checkedNumel(s); err != nil {
			return nil, err
		}
		return one(in[0].DType, s)
	}
	run := func(in, out []*tensor.Tensor) error {
		// View the output as [r0, d0, r1, d1, ...]: the repeat index has
		// input stride 0, the input index the input's stride.
		x, o := in[0], out[0]
		xs := tensor.Strides(x.Shape)
		var shape, src []int
		for i, d := range x.Shape {
			shape = append(shape, o.Shape[i]/max(d, 1), d)
			src = append(src, 0, xs[i])
		}
		if o.Len() == 0 {
			return nil
		}
		copyStrided(o, 0, tensor.Strides(shape), x, 0, src, shape)
		return nil
	}
	return checked{infer, run}, nil
}
