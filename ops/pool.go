package ops

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

func init() {
	register("MaxPool", 1, buildMaxPool)
	register("AveragePool", 1, buildAveragePool)
	register("GlobalAveragePool", 1, buildGlobalPool(false))
	register("GlobalMaxPool", 1, buildGlobalPool(true))
}

// PoolParams are the attributes of a MaxPool or AveragePool node. The fast
// pooling paths parse nodes with ParsePoolParams and resolve shapes with
// Geometry, so they accept exactly what the reference kernels accept.
//
// Attributes: kernel_shape (required), strides (default 1), dilations
// (default 1), pads ([x1_begin, ..., x1_end, ...], default 0; ignored
// unless auto_pad is NOTSET), auto_pad (NOTSET, SAME_UPPER, SAME_LOWER,
// VALID), ceil_mode (0/1), count_include_pad (AveragePool, 0/1) and
// storage_order (MaxPool's Indices output: 0 row-major, 1 column-major).
type PoolParams struct {
	KernelShape     []int
	Strides         []int // nil when absent (all 1)
	Dilations       []int // nil when absent (all 1)
	Pads            []int // nil when absent (all 0)
	AutoPad         string
	CeilMode        bool
	CountIncludePad bool
	StorageOrder    int
}

// ParsePoolParams reads and checks the attributes of a MaxPool or
// AveragePool node.
func ParsePoolParams(n *onnx.Node) (*PoolParams, error) {
	a := n.AttrReader()
	p := &PoolParams{AutoPad: a.String("auto_pad", AutoPadNotSet)}
	if !a.Has("kernel_shape") {
		return nil, fmt.Errorf("%v: attribute kernel_shape is required", n)
	}
	p.KernelShape = ints(a.Ints("kernel_shape", nil))
	if a.Has("strides") {
		p.Strides = ints(a.Ints("strides", nil))
	}
	if a.Has("dilations") {
		p.Dilations = ints(a.Ints("dilations", nil))
	}
	if a.Has("pads") {
		p.Pads = ints(a.Ints("pads", nil))
	}
	ceil := a.Int("ceil_mode", 0)
	cip := a.Int("count_include_pad", 0)
	so := a.Int("storage_order", 0)
	if err := a.Err(); err != nil {
		return nil, err
	}
	if p.AutoPad == "" {
		p.AutoPad = AutoPadNotSet
	}
	if err := checkAutoPad(p.AutoPad); err != nil {
		return nil, fmt.Errorf("%v: %w", n, err)
	}
	if len(p.KernelShape) == 0 {
		return nil, fmt.Errorf("%v: kernel_shape is empty", n)
	}
	if err := checkWindowAttrs(p.KernelShape, p.Strides, p.Dilations, p.Pads); err != nil {
		return nil, fmt.Errorf("%v: %w", n, err)
	}
	if ceil != 0 && ceil != 1 {
		return nil, fmt.Errorf("%v: ceil_mode %d is not 0 or 1", n, ceil)
	}
	if cip != 0 && cip != 1 {
		return nil, fmt.Errorf("%v: count_include_pad %d is not 0 or 1", n, cip)
	}
	if so != 0 && so != 1 {
		return nil, fmt.Errorf("%v: storage_order %d is not 0 or 1", n, so)
	}
	p.CeilMode, p.CountIncludePad, p.StorageOrder = ceil == 1, cip == 1, int(so)
	return p, nil
}

// PoolGeometry is a pooling node resolved against an input shape.
type PoolGeometry struct {
	N, C     int
	Axes     []WindowAxis // one per spatial axis
	OutShape []int        // [N, C, out_1, ..., out_k]
}

// Geometry validates the input shape X [N, C, D1..Dk] against the
// attributes and resolves the output shape with WindowOutput.
func (p *PoolParams) Geometry(x []int) (*PoolGeometry, error) {
	k := len(p.KernelShape)
	if len(x) != k+2 {
		return nil, fmt.Errorf("X has rank %d, kernel_shape %v wants rank %d", len(x), p.KernelShape, k+2)
	}
	strides, err := spatialAttr("strides", p.Strides, k, 1)
	if err != nil {
		return nil, err
	}
	dil, err := spatialAttr("dilations", p.Dilations, k, 1)
	if err != nil {
		return nil, err
	}
	pads, err := spatialAttr("pads", p.Pads, 2*k, 0)
	if err != nil {
		return nil, err
	}
	g := &PoolGeometry{N: x[0], C: x[1], Axes: make([]WindowAxis, k), OutShape: []int{x[0], x[1]}}
	for i := 0; i < k; i++ {
		ax, err := WindowOutput(x[2+i], p.KernelShape[i], strides[i], dil[i], pads[i], pads[k+i], p.AutoPad, p.CeilMode)
		if err != nil {
			return nil, fmt.Errorf("spatial axis %d: %w", i, err)
		}
		g.Axes[i] = ax
		g.OutShape = append(g.OutShape, ax.Out)
	}
	if err := checkOutputShape(g.OutShape, true); err != nil {
		return nil, err
	}
	return g, nil
}

type poolKernel struct {
	p    *PoolParams
	max  bool // MaxPool, else AveragePool
	nOut int
}

func buildMaxPool(n *onnx.Node, opset int64) (Kernel, error) {
	p, err := ParsePoolParams(n)
	if err != nil {
		return nil, err
	}
	nOut := len(n.Outputs) // Indices are computed when listed, even if unnamed
	if nOut < 1 || nOut > 2 {
		return nil, fmt.Errorf("%v: has %d outputs, want 1 or 2", n, len(n.Outputs))
	}
	return poolKernel{p: p, max: true, nOut: nOut}, nil
}

func buildAveragePool(n *onnx.Node, opset int64) (Kernel, error) {
	p, err := ParsePoolParams(n)
	if err != nil {
		return nil, err
	}
	if len(n.Outputs) != 1 {
		return nil, fmt.Errorf("%v: has %d outputs, want 1", n, len(n.Outputs))
	}
	return poolKernel{p: p, nOut: 1}, nil
}

func (k poolKernel) geometry(in []*tensor.Tensor) (*PoolGeometry, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	if err := float32In(in[0], "X"); err != nil {
		return nil, err
	}
	return k.p.Geometry(in[0].Shape)
}

func (k poolKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	g, err := k.geometry(in)
	if err != nil {
		return nil, err
	}
	outs := []*tensor.Tensor{meta(tensor.Float32, g.OutShape)}
	if k.nOut == 2 {
		outs = append(outs, meta(tensor.Int64, cloneInts(g.OutShape)))
	}
	return outs, nil
}

func (k poolKernel) Run(in, out []*tensor.Tensor) error {
	g, err := k.geometry(in)
	if err != nil {
		return err
	}
	x, err := inFloat32(in[0], "X")
	if err != nil {
		return err
	}
	y, err := outFloat32(out, 0, sizeOf(g.OutShape))
	if err != nil {
		return err
	}
	if !k.max {
		AveragePoolReference(g, k.p.CountIncludePad, x, y)
		return nil
	}
	var idx []int64
	if k.nOut == 2 {
		if len(out) < 2 || out[1] == nil {
			return fmt.Errorf("output 1 is missing")
		}
		var ok bool
		if idx, ok = out[1].Data.([]int64); !ok || len(idx) != len(y) {
			return fmt.Errorf("output 1 is %v with %T data, want int64 with %d elements", out[1], out[1].Data, len(y))
		}
	}
	MaxPoolReference(g, k.p.StorageOrder, x, y, idx)
	return nil
}

// MaxPoolReference computes MaxPool for geometry g. Padding never wins: a
// window with no tap inside the input yields -Inf (and index -1). When idx
// is not nil it receives, for every output, the flat index into X of the
// first maximal element: ((n*C + c) * D1*...*Dk) + the spatial offset,
// row-major when storageOrder is 0, column-major (first spatial axis
// fastest) when 1. NaN inputs are never selected.
func MaxPoolReference(g *PoolGeometry, storageOrder int, x, y []float32, idx []int64) {
	inSize, outSize := 1, 1
	for _, a := range g.Axes {
		inSize *= a.In
		outSize *= a.Out
	}
	o := make([]int, len(g.Axes))
	var inOffs, kOffs []int
	for p := 0; p < outSize; p++ {
		inOffs, kOffs = windowTaps(g.Axes, o, inOffs[:0], kOffs[:0])
		for nc := 0; nc < g.N*g.C; nc++ {
			best, at := float32(math.Inf(-1)), -1
			for _, off := range inOffs {
				if v := x[nc*inSize+off]; v > best || (at < 0 && v == best) {
					best, at = v, off
				}
			}
			y[nc*outSize+p] = best
			if idx != nil {
				if at < 0 {
					idx[nc*outSize+p] = -1
				} else {
					idx[nc*outSize+p] = int64(nc*inSize + poolStorageIndex(g.Axes, at, storageOrder))
				}
			}
		}
		odometerNext(o, func(d int) int { return g.Axes[d].Out })
	}
}

// poolStorageIndex converts a row-major flat spatial offset into the
// storage order of MaxPool's Indices output.
func poolStorageIndex(ax []WindowAxis, off, storageOrder int) int {
	if storageOrder == 0 {
		return off
	}
	// Unpack the row-major offset, then repack with the first axis fastest.
	coord := make([]int, len(ax))
	for d := len(ax) - 1; d >= 0; d-- {
		coord[d] = off % ax[d].In
		off /= ax[d].In
	}
	r := 0
	for d := len(ax) - 1; d >= 0; d-- {
		r = r*ax[d].In + coord[d]
	}
	return r
}

// AveragePoolReference computes AveragePool for geometry g, summing in
// float64. The divisor is the number of taps inside the input, or with
// countIncludePad the number of taps inside the input extended by the
// explicit (or auto_pad-computed) pads; taps in the extra region that
// ceil_mode adds are never counted. A window with a zero divisor yields 0.
func AveragePoolReference(g *PoolGeometry, countIncludePad bool, x, y []float32) {
	inSize, outSize := 1, 1
	for _, a := range g.Axes {
		inSize *= a.In
		outSize *= a.Out
	}
	o := make([]int, len(g.Axes))
	var inOffs, kOffs []int
	for p := 0; p < outSize; p++ {
		inOffs, kOffs = windowTaps(g.Axes, o, inOffs[:0], kOffs[:0])
		count := len(inOffs)
		if countIncludePad {
			count = 1
			for d, a := range g.Axes {
				t0, t1 := a.Taps(o[d], -a.PadBegin, a.In+a.PadEnd)
				count *= t1 - t0
			}
		}
		for nc := 0; nc < g.N*g.C; nc++ {
			var sum float64
			for _, off := range inOffs {
				sum += float64(x[nc*inSize+off])
			}
			v := 0.0
			if count > 0 {
				v = sum / float64(count)
			}
			y[nc*outSize+p] = float32(v)
		}
		odometerNext(o, func(d int) int { return g.Axes[d].Out })
	}
}

// buildGlobalPool builds GlobalMaxPool (max) or GlobalAveragePool: X [N, C,
// D1..Dk] with k >= 1 reduces to [N, C, 1, ..., 1].
func buildGlobalPool(isMax bool) Builder {
	return func(n *onnx.Node, opset int64) (Kernel, error) {
		infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if err := need(in, 1); err != nil {
				return nil, err
			}
			if err := float32In(in[0], "X"); err != nil {
				return nil, err
			}
			x := in[0].Shape
			if len(x) < 3 {
				return nil, fmt.Errorf("X has rank %d, want at least 3 (N, C, spatial...)", len(x))
			}
			shape := []int{x[0], x[1]}
			for range x[2:] {
				shape = append(shape, 1)
			}
			return one(tensor.Float32, shape)
		}
		run := func(in, out []*tensor.Tensor) error {
			if _, err := infer(in); err != nil {
				return err
			}
			x, err := inFloat32(in[0], "X")
			if err != nil {
				return err
			}
			nc := in[0].Shape[0] * in[0].Shape[1]
			y, err := outFloat32(out, 0, nc)
			if err != nil {
				return err
			}
			size := sizeOf(in[0].Shape[2:])
			for i := 0; i < nc; i++ {
				plane := x[i*size : (i+1)*size]
				if isMax {
					best := float32(math.Inf(-1))
					for _, v := range plane {
						if v > best { // NaN never wins, as in MaxPool
							best = v
						}
					}
					y[i] = best
				} else {
					var sum float64
					for _, v := range plane {
						sum += float64(v)
					}
					y[i] = float32(sum / float64(max(size, 1)))
				}
			}
			return nil
		}
		return kernel{infer, run}, nil
	}
}
