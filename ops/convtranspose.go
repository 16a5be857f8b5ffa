package ops

import (
	"fmt"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

func init() {
	register("ConvTranspose", 1, buildConvTranspose)
}

// ConvTransposeParams are the attributes of a ConvTranspose node: those of
// Conv (see ConvParams) plus output_padding (default 0) and output_shape
// (the spatial output dims, or the full output shape whose last k values
// are used; when given, the pads are derived from it and the pads attribute
// is ignored).
type ConvTransposeParams struct {
	ConvParams
	OutputPadding []int // nil when absent (all 0)
	OutputShape   []int // nil when absent
}

// ParseConvTransposeParams reads and checks the attributes of a
// ConvTranspose node.
func ParseConvTransposeParams(n *onnx.Node) (*ConvTransposeParams, error) {
	cp, err := ParseConvParams(n)
	if err != nil {
		return nil, err
	}
	p := &ConvTransposeParams{ConvParams: *cp}
	a := n.AttrReader()
	if a.Has("output_padding") {
		p.OutputPadding = ints(a.Ints("output_padding", nil))
	}
	if a.Has("output_shape") {
		p.OutputShape = ints(a.Ints("output_shape", nil))
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	for _, v := range p.OutputPadding {
		if v < 0 {
			return nil, fmt.Errorf("%v: output_padding %v has a negative value", n, p.OutputPadding)
		}
	}
	for _, v := range p.OutputShape {
		if v < 1 {
			return nil, fmt.Errorf("%v: output_shape %v has a non-positive value", n, p.OutputShape)
		}
	}
	return p, nil
}

// ConvTransposeGeometry is a ConvTranspose resolved against concrete
// shapes. Input position i along an axis contributes, through kernel tap k,
// to output position i*Stride + k*Dilation - PadBegin.
type ConvTransposeGeometry struct {
	N, C, M, Group int          // batch, input channels, output channels, groups
	Axes           []WindowAxis // In, Kernel, Stride, Dilation, resolved PadBegin/PadEnd, Out
	KernelSize     int
	OutShape       []int // [N, M, out_1, ..., out_k]
}

// floorDiv2 is x/2 rounded towards minus infinity (Python's x // 2), which
// ONNX uses to split a possibly negative total padding.
func floorDiv2(x int) int {
	if x < 0 {
		return -((-x + 1) / 2)
	}
	return x / 2
}

// Geometry validates the shapes of X [N, C, D1..Dk], W [C, M/group,
// k1..kk] and the optional bias [M] and resolves the output shape:
//
//	full = stride*(in-1) + output_padding + (kernel-1)*dilation + 1
//	output_shape given: total = full - output_shape; SAME_UPPER puts
//	    total//2 at the beginning, otherwise total - total//2 (// floors,
//	    so a negative total extends the output with zeros + bias)
//	SAME_UPPER/SAME_LOWER: output = in*stride, total split the same way
//	VALID: pads 0; NOTSET: the pads attribute
//	out = full - padBegin - padEnd
func (p *ConvTransposeParams) Geometry(x, w, bias []int) (*ConvTransposeGeometry, error) {
	if len(x) < 3 {
		return nil, fmt.Errorf("X has rank %d, want at least 3 (N, C, spatial...)", len(x))
	}
	if len(w) != len(x) {
		return nil, fmt.Errorf("W has rank %d, X has rank %d", len(w), len(x))
	}
	k := len(x) - 2
	g := &ConvTransposeGeometry{N: x[0], C: x[1], M: w[1] * p.Group, Group: p.Group}
	if w[0] != g.C {
		return nil, fmt.Errorf("W has %d input channels (dim 0), X has %d", w[0], g.C)
	}
	if g.C%g.Group != 0 {
		return nil, fmt.Errorf("input channels %d are not divisible by group %d", g.C, g.Group)
	}
	if g.M < 1 {
		return nil, fmt.Errorf("W has %d output channels per group", w[1])
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
	opad, err := spatialAttr("output_padding", p.OutputPadding, k, 0)
	if err != nil {
		return nil, err
	}
	oshape := p.OutputShape
	if oshape != nil {
		switch len(oshape) {
		case k:
		case k + 2:
			oshape = oshape[2:]
		default:
			return nil, fmt.Errorf("output_shape %v has %d values for %d spatial axes", p.OutputShape, len(p.OutputShape), k)
		}
	}
	g.Axes = make([]WindowAxis, k)
	g.OutShape = []int{g.N, g.M}
	g.KernelSize = 1
	for i := 0; i < k; i++ {
		a := WindowAxis{In: x[2+i], Kernel: w[2+i], Stride: strides[i], Dilation: dil[i]}
		if a.In < 1 || a.Kernel < 1 {
			return nil, fmt.Errorf("spatial axis %d: input size %d, kernel size %d", i, a.In, a.Kernel)
		}
		if !windowFits(a.In, a.Kernel, a.Stride, a.Dilation, opad[i], pads[i], pads[k+i]) || a.In-1 > tensor.MaxElements/a.Stride {
			return nil, fmt.Errorf("spatial axis %d: input %d, kernel %d, stride %d, dilation %d, pads %d, %d, output_padding %d: too large",
				i, a.In, a.Kernel, a.Stride, a.Dilation, pads[i], pads[k+i], opad[i])
		}
		full := a.Stride*(a.In-1) + opad[i] + (a.Kernel-1)*a.Dilation + 1
		var total int
		split := oshape != nil
		switch {
		case oshape != nil:
			total = full - oshape[i]
		case p.AutoPad == AutoPadSameUpper || p.AutoPad == AutoPadSameLower:
			total = full - a.In*a.Stride
			split = true
		case p.AutoPad == AutoPadValid:
		default:
			a.PadBegin, a.PadEnd = pads[i], pads[k+i]
		}
		if split {
			if p.AutoPad == AutoPadSameUpper {
				a.PadBegin, a.PadEnd = floorDiv2(total), total-floorDiv2(total)
			} else {
				a.PadBegin, a.PadEnd = total-floorDiv2(total), floorDiv2(total)
			}
		}
		a.Out = full - a.PadBegin - a.PadEnd
		if a.Out < 1 {
			return nil, fmt.Errorf("spatial axis %d: output size %d is not positive", i, a.Out)
		}
		g.Axes[i] = a
		g.OutShape = append(g.OutShape, a.Out)
		g.KernelSize *= a.Kernel
	}
	if err := checkOutputShape(g.OutShape, true); err != nil {
		return nil, err
	}
	return g, nil
}

type convTransposeKernel struct{ p *ConvTransposeParams }

func buildConvTranspose(n *onnx.Node, opset int64) (Kernel, error) {
	p, err := ParseConvTransposeParams(n)
	if err != nil {
		return nil, err
	}
	return convTransposeKernel{p}, nil
}

func (k convTransposeKernel) geometry(in []*tensor.Tensor) (*ConvTransposeGeometry, error) {
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

func (k convTransposeKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	g, err := k.geometry(in)
	if err != nil {
		return nil, err
	}
	return one(tensor.Float32, g.OutShape)
}

func (k convTransposeKernel) Run(in, out []*tensor.Tensor) error {
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
	ConvTransposeReference(g, x, w, b, y)
	return nil
}

// ConvTransposeReference computes y = ConvTranspose(x, w, b) for the
// geometry g (b may be nil) by scattering every input element through the
// kernel into a float64 accumulator the size of one output channel. It
// allocates only that accumulator: tables of every input position's taps
// (inputs × kernel taps entries) had taken 1.5 GB and 39 s for a 388-byte
// file whose 3-D kernel was as large as its input.
func ConvTransposeReference(g *ConvTransposeGeometry, x, w, b, y []float32) {
	inSize, outSize := 1, 1
	for _, a := range g.Axes {
		inSize *= a.In
		outSize *= a.Out
	}
	cg, mg := g.C/g.Group, g.M/g.Group
	k := len(g.Axes)
	last := g.Axes[k-1]
	outer := g.KernelSize / last.Kernel // taps of the kernel's other axes
	i := make([]int, k)                 // input position
	kk := make([]int, k-1)              // tap on the other axes
	inDim := func(d int) int { return g.Axes[d].In }
	kDim := func(d int) int { return g.Axes[d].Kernel }
	acc := make([]float64, outSize)
	for n := 0; n < g.N; n++ {
		for gr := 0; gr < g.Group; gr++ {
			for mi := 0; mi < mg; mi++ {
				m := gr*mg + mi
				bias := 0.0
				if b != nil {
					bias = float64(b[m])
				}
				for j := range acc {
					acc[j] = bias
				}
				for ci := 0; ci < cg; ci++ {
					c := gr*cg + ci
					xb := (n*g.C + c) * inSize
					wb := (c*mg + mi) * g.KernelSize
					clear(i)
					for p := 0; p < inSize; p++ {
						xv := float64(x[xb+p])
						// Along the last axis, taps j0 ≤ j < j1 land inside
						// the output, at o0 + j·dilation (a window's taps in
						// reverse: input i reaches i·stride − pad + j·dilation).
						o0 := i[k-1]*last.Stride - last.PadBegin
						j0, j1 := last.Taps(i[k-1], 0, last.Out)
						clear(kk)
						for t := 0; t < outer; t++ {
							off, ok := 0, true
							for d, a := range g.Axes[:k-1] {
								o := i[d]*a.Stride + kk[d]*a.Dilation - a.PadBegin
								if o < 0 || o >= a.Out {
									ok = false
									break
								}
								off = off*a.Out + o
							}
							if ok {
								base, ws := off*last.Out+o0, w[wb+t*last.Kernel:]
								for j := j0; j < j1; j++ {
									acc[base+j*last.Dilation] += xv * float64(ws[j])
								}
							}
							odometerNext(kk, kDim)
						}
						odometerNext(i, inDim)
					}
				}
				yb := (n*g.M + m) * outSize
				for j, v := range acc {
					y[yb+j] = float32(v)
				}
			}
		}
	}
}
