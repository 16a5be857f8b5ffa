package ops

import (
	"fmt"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

func init() {
	register("Conv", 1, buildConv)
}

// ConvParams are the attributes of a Conv node. The fast convolution paths
// parse nodes with ParseConvParams and resolve shapes with Geometry, so they
// accept exactly what the reference kernel accepts.
//
// Attributes: kernel_shape (optional; must equal W's spatial dims when
// given), strides (default 1), dilations (default 1), pads ([x1_begin,
// x2_begin, ..., x1_end, x2_end, ...], default 0; ignored unless auto_pad is
// NOTSET), auto_pad (NOTSET, SAME_UPPER, SAME_LOWER, VALID; default NOTSET)
// and group (default 1).
type ConvParams struct {
	KernelShape []int // nil when absent
	Strides     []int // nil when absent (all 1)
	Dilations   []int // nil when absent (all 1)
	Pads        []int // nil when absent (all 0)
	AutoPad     string
	Group       int
}

// ParseConvParams reads and checks the attributes of a Conv node (or of a
// fused node carrying the same attributes). Checks that need the input
// rank are done by Geometry.
func ParseConvParams(n *onnx.Node) (*ConvParams, error) {
	a := n.AttrReader()
	p := &ConvParams{
		AutoPad: a.String("auto_pad", AutoPadNotSet),
		Group:   int(a.Int("group", 1)),
	}
	if a.Has("kernel_shape") {
		p.KernelShape = ints(a.Ints("kernel_shape", nil))
	}
	if a.Has("strides") {
		p.Strides = ints(a.Ints("strides", nil))
	}
	if a.Has("dilations") {
		p.Dilations = ints(a.Ints("dilations", nil))
	}
	if a.Has("pads") {
		p.Pads = ints(a.Ints("pads", nil))
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	if p.AutoPad == "" {
		p.AutoPad = AutoPadNotSet
	}
	if err := checkAutoPad(p.AutoPad); err != nil {
		return nil, fmt.Errorf("%v: %w", n, err)
	}
	if p.Group < 1 {
		return nil, fmt.Errorf("%v: group %d is not positive", n, p.Group)
	}
	if err := checkWindowAttrs(p.KernelShape, p.Strides, p.Dilations, p.Pads); err != nil {
		return nil, fmt.Errorf("%v: %w", n, err)
	}
	return p, nil
}

// checkWindowAttrs checks the value ranges and mutual lengths of the
// sliding-window attributes that are present (nil means absent).
func checkWindowAttrs(kernel, strides, dilations, pads []int) error {
	k := -1 // spatial rank implied by the attributes seen so far
	same := func(name string, n int) error {
		if k >= 0 && n != k {
			return fmt.Errorf("attribute %s implies %d spatial axes, others %d", name, n, k)
		}
		k = n
		return nil
	}
	if kernel != nil {
		if err := same("kernel_shape", len(kernel)); err != nil {
			return err
		}
		for _, v := range kernel {
			if v < 1 {
				return fmt.Errorf("kernel_shape %v has a non-positive value", kernel)
			}
		}
	}
	if strides != nil {
		if err := same("strides", len(strides)); err != nil {
			return err
		}
		for _, v := range strides {
			if v < 1 {
				return fmt.Errorf("strides %v has a non-positive value", strides)
			}
		}
	}
	if dilations != nil {
		if err := same("dilations", len(dilations)); err != nil {
			return err
		}
		for _, v := range dilations {
			if v < 1 {
				return fmt.Errorf("dilations %v has a non-positive value", dilations)
			}
		}
	}
	if pads != nil {
		if len(pads)%2 != 0 {
			return fmt.Errorf("pads %v has an odd length", pads)
		}
		if err := same("pads", len(pads)/2); err != nil {
			return err
		}
		for _, v := range pads {
			if v < 0 {
				return fmt.Errorf("pads %v has a negative value", pads)
			}
		}
	}
	return nil
}

// spatialAttr returns attribute values for k spatial axes: v itself, or k
// copies of def when v is nil (absent). A present v of the wrong length is
// an error.
func spatialAttr(name string, v []int, k, def int) ([]int, error) {
	if v == nil {
		r := make([]int, k)
		for i := range r {
			r[i] = def
		}
		return r, nil
	}
	if len(v) != k {
		return nil, fmt.Errorf("attribute %s has %d values for %d spatial axes", name, len(v), k)
	}
	return v, nil
}

// ConvGeometry is a Conv resolved against concrete shapes.
type ConvGeometry struct {
	N, C, M, Group int          // batch, input channels, output channels, groups
	Axes           []WindowAxis // one per spatial axis, with resolved pads and output size
	KernelSize     int          // product of the kernel's spatial dims
	OutShape       []int        // [N, M, out_1, ..., out_k]
}

// Geometry validates the shapes of X (x), W (w) and the optional bias B
// (nil when absent) against the attributes and resolves the output shape.
// X is [N, C, D1..Dk] and W is [M, C/group, k1..kk] with k >= 1.
func (p *ConvParams) Geometry(x, w, bias []int) (*ConvGeometry, error) {
	if len(x) < 3 {
		return nil, fmt.Errorf("X has rank %d, want at least 3 (N, C, spatial...)", len(x))
	}
	if len(w) != len(x) {
		return nil, fmt.Errorf("W has rank %d, X has rank %d", len(w), len(x))
	}
	k := len(x) - 2
	g := &ConvGeometry{N: x[0], C: x[1], M: w[0], Group: p.Group}
	if g.C%g.Group != 0 {
		return nil, fmt.Errorf("input channels %d are not divisible by group %d", g.C, g.Group)
	}
	if g.M%g.Group != 0 {
		return nil, fmt.Errorf("output channels %d (W dim 0) are not divisible by group %d", g.M, g.Group)
	}
	if w[1] != g.C/g.Group {
		return nil, fmt.Errorf("W has %d input channels per group, X has %d channels in %d groups", w[1], g.C, g.Group)
	}
	if g.M < 1 {
		return nil, fmt.Errorf("W has %d output channels", g.M)
	}
	if bias != nil && (len(bias) != 1 || bias[0] != g.M) {
		return nil, fmt.Errorf("B has shape %v, want [%d]", bias, g.M)
	}
	if p.KernelShape != nil {
		if len(p.KernelShape) != k {
			return nil, fmt.Errorf("kernel_shape %v has %d values for %d spatial axes", p.KernelShape, len(p.KernelShape), k)
		}
		for i, v := range p.KernelShape {
			if v != w[2+i] {
				return nil, fmt.Errorf("kernel_shape %v does not match W shape %v", p.KernelShape, w)
			}
		}
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
	g.Axes = make([]WindowAxis, k)
	g.OutShape = []int{g.N, g.M}
	g.KernelSize = 1
	for i := 0; i < k; i++ {
		ax, err := WindowOutput(x[2+i], w[2+i], strides[i], dil[i], pads[i], pads[k+i], p.AutoPad, false)
		if err != nil {
			return nil, fmt.Errorf("spatial axis %d: %w", i, err)
		}
		g.Axes[i] = ax
		g.OutShape = append(g.OutShape, ax.Out)
		g.KernelSize *= ax.Kernel
	}
	if err := checkOutputShape(g.OutShape, true); err != nil {
		return nil, err
	}
	return g, nil
}

type convKernel struct{ p *ConvParams }

func buildConv(n *onnx.Node, opset int64) (Kernel, error) {
	p, err := ParseConvParams(n)
	if err != nil {
		return nil, err
	}
	return convKernel{p}, nil
}

func (k convKernel) geometry(in []*tensor.Tensor) (*ConvGeometry, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	if err := float32In(in[0], "X"); err != nil {
		return nil, err
	}
	if err := float32In(in[1], "W"); err != nil {
		return nil, err
	}
	var bias []int
	if b := input(in, 2); b != nil {
		if err := float32In(b, "B"); err != nil {
			return nil, err
		}
		bias = b.Shape
	}
	return k.p.Geometry(in[0].Shape, in[1].Shape, bias)
}

func (k convKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	g, err := k.geometry(in)
	if err != nil {
		return nil, err
	}
	return one(tensor.Float32, g.OutShape)
}

func (k convKernel) Run(in, out []*tensor.Tensor) error {
	g, err := k.geometry(in)
	if err != nil {
		return err
	}
	x, err := inFloat32(in[0], "X")
	if err != nil {
		return err
	}
	w, err := inFloat32(in[1], "W")
	if err != nil {
		return err
	}
	var b []float32
	if bt := input(in, 2); bt != nil {
		if b, err = inFloat32(bt, "B"); err != nil {
			return err
		}
	}
	y, err := outFloat32(out, 0, sizeOf(g.OutShape))
	if err != nil {
		return err
	}
	ConvReference(g, x, w, b, y)
	return nil
}

// ConvReference computes y = Conv(x, w, b) for the geometry g (b may be
// nil), accumulating each output in float64. x, w and y are dense NCHW
// (NC + spatial) arrays of the shapes g was resolved from.
func ConvReference(g *ConvGeometry, x, w, b, y []float32) {
	inSize, outSize := 1, 1
	for _, a := range g.Axes {
		inSize *= a.In
		outSize *= a.Out
	}
	cg, mg := g.C/g.Group, g.M/g.Group
	o := make([]int, len(g.Axes))
	var inOffs, kOffs []int
	for p := 0; p < outSize; p++ { // output spatial position, o is its multi-index
		inOffs, kOffs = windowTaps(g.Axes, o, inOffs[:0], kOffs[:0])
		for n := 0; n < g.N; n++ {
			for gr := 0; gr < g.Group; gr++ {
				for mi := 0; mi < mg; mi++ {
					m := gr*mg + mi
					var acc float64
					if b != nil {
						acc = float64(b[m])
					}
					for ci := 0; ci < cg; ci++ {
						xb := (n*g.C + gr*cg + ci) * inSize
						wb := (m*cg + ci) * g.KernelSize
						for t, off := range inOffs {
							acc += float64(x[xb+off]) * float64(w[wb+kOffs[t]])
						}
					}
					y[(n*g.M+m)*outSize+p] = float32(acc)
				}
			}
		}
		odometerNext(o, func(d int) int { return g.Axes[d].Out })
	}
}
