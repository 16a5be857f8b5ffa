package ops

import (
	"fmt"
	"math"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

func init() {
	register("Resize", 10, buildResize)
	register("Upsample", 7, buildUpsample)
}

// ResizeParams are the attributes of a Resize or Upsample node.
//
// Resize-10 and Upsample (opsets 7 and 9) have only mode (nearest or
// linear); they behave as CoordMode "asymmetric" with NearestMode "legacy"
// (floor when upsampling, ceil when downsampling, as onnxruntime does).
// From Resize-11: mode (nearest, linear, cubic), coordinate_transformation_mode
// (half_pixel (default), pytorch_half_pixel, align_corners, asymmetric,
// tf_crop_and_resize, tf_half_pixel_for_nn (opsets 11-13),
// half_pixel_symmetric (opset 19+)), nearest_mode (round_prefer_floor
// (default), round_prefer_ceil, floor, ceil), cubic_coeff_a (default
// -0.75), exclude_outside (0/1) and extrapolation_value (default 0; used by
// tf_crop_and_resize for samples outside the input). Resize-18 adds axes
// and keep_aspect_ratio_policy (stretch, not_larger, not_smaller);
// antialias=1 is rejected.
type ResizeParams struct {
	Mode               string
	CoordMode          string
	NearestMode        string
	CubicCoeffA        float64
	ExcludeOutside     bool
	ExtrapolationValue float64
	Axes               []int64 // nil: all axes
	KeepAspectRatio    string
	Upsample           bool      // Upsample rather than Resize
	Scales             []float32 // Upsample-7's scales attribute
	Opset              int64
}

// ParseResizeParams reads and checks the attributes of a Resize node
// (upsample false) or an Upsample node.
func ParseResizeParams(n *onnx.Node, opset int64, upsample bool) (*ResizeParams, error) {
	a := n.AttrReader()
	p := &ResizeParams{
		Mode:               a.String("mode", "nearest"),
		CoordMode:          "asymmetric",
		NearestMode:        "legacy",
		CubicCoeffA:        -0.75,
		ExtrapolationValue: float64(a.Float("extrapolation_value", 0)),
		KeepAspectRatio:    a.String("keep_aspect_ratio_policy", "stretch"),
		Upsample:           upsample,
		Opset:              opset,
	}
	legacy := upsample || opset < 11
	if !legacy {
		p.CoordMode = a.String("coordinate_transformation_mode", "half_pixel")
		p.NearestMode = a.String("nearest_mode", "round_prefer_floor")
		p.CubicCoeffA = float64(a.Float("cubic_coeff_a", -0.75))
		p.ExcludeOutside = a.Int("exclude_outside", 0) != 0
	}
	if upsample && opset < 9 {
		if !a.Has("scales") {
			return nil, fmt.Errorf("%v: attribute scales is required at opset %d", n, opset)
		}
		p.Scales = a.Floats("scales", nil)
	}
	if a.Has("axes") {
		p.Axes = a.Ints("axes", nil)
	}
	antialias := a.Int("antialias", 0)
	if err := a.Err(); err != nil {
		return nil, err
	}
	switch {
	case p.Mode == "nearest", p.Mode == "linear":
	case p.Mode == "cubic" && !legacy:
	case p.Mode == "bilinear" && upsample:
		p.Mode = "linear"
	default:
		return nil, fmt.Errorf("%v: mode %q is not supported", n, p.Mode)
	}
	switch p.CoordMode {
	case "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize":
	case "tf_half_pixel_for_nn":
		if opset >= 18 {
			return nil, fmt.Errorf("%v: coordinate_transformation_mode tf_half_pixel_for_nn was removed in opset 18", n)
		}
	case "half_pixel_symmetric":
		if opset < 19 {
			return nil, fmt.Errorf("%v: coordinate_transformation_mode half_pixel_symmetric needs opset 19", n)
		}
	default:
		return nil, fmt.Errorf("%v: coordinate_transformation_mode %q is not supported", n, p.CoordMode)
	}
	switch p.NearestMode {
	case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	case "legacy":
		if !legacy {
			return nil, fmt.Errorf("%v: nearest_mode %q is not supported", n, p.NearestMode)
		}
	default:
		return nil, fmt.Errorf("%v: nearest_mode %q is not supported", n, p.NearestMode)
	}
	switch p.KeepAspectRatio {
	case "stretch", "not_larger", "not_smaller":
	default:
		return nil, fmt.Errorf("%v: keep_aspect_ratio_policy %q is not supported", n, p.KeepAspectRatio)
	}
	if antialias != 0 {
		return nil, fmt.Errorf("%v: antialias=%d is not supported", n, antialias)
	}
	if math.IsNaN(p.CubicCoeffA) || math.IsInf(p.CubicCoeffA, 0) {
		return nil, fmt.Errorf("%v: cubic_coeff_a %v is not finite", n, p.CubicCoeffA)
	}
	return p, nil
}

// ResizePlan is a Resize resolved against concrete inputs: per axis the
// input and output sizes, the scale used by the coordinate transform and
// the roi (tf_crop_and_resize).
type ResizePlan struct {
	In, Out []int
	// Scale is the scale the coordinate transform divides by: the given
	// scale, or out/in when sizes were given.
	Scale []float64
	// Length is the resized length align_corners and tf_crop_and_resize
	// use: in*scale when scales were given, the output size otherwise.
	Length           []float64
	RoiStart, RoiEnd []float64
}

// Plan computes the output shape from the inputs of a Resize/Upsample node
// (in as passed to Infer: X, then the op's optional inputs). It returns
// ErrDynamic when scales or sizes have no data yet.
func (p *ResizeParams) Plan(in []*tensor.Tensor) (*ResizePlan, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	if err := float32In(in[0], "X"); err != nil {
		return nil, err
	}
	x := in[0].Shape
	r := len(x)
	if r == 0 {
		return nil, fmt.Errorf("X is a scalar")
	}
	var roiT, scalesT, sizesT *tensor.Tensor
	switch {
	case p.Upsample && p.Opset < 9:
	case p.Upsample || p.Opset < 11:
		if err := need(in, 2); err != nil {
			return nil, err
		}
		scalesT = in[1]
	default:
		roiT, scalesT, sizesT = input(in, 1), input(in, 2), input(in, 3)
	}
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if p.Axes != nil {
		axes = axes[:0]
		seen := map[int]bool{}
		for _, v := range p.Axes {
			ax, err := normAxis(v, r)
			if err != nil {
				return nil, fmt.Errorf("axes: %w", err)
			}
			if seen[ax] {
				return nil, fmt.Errorf("axes %v has a repeated axis", p.Axes)
			}
			seen[ax] = true
			axes = append(axes, ax)
		}
	}
	pl := &ResizePlan{In: cloneInts(x), Out: cloneInts(x), Scale: make([]float64, r), Length: make([]float64, r),
		RoiStart: make([]float64, r), RoiEnd: make([]float64, r)}
	for i := range pl.Scale {
		pl.Scale[i], pl.Length[i], pl.RoiEnd[i] = 1, float64(x[i]), 1
		if x[i] < 1 {
			return nil, fmt.Errorf("X has shape %v with an empty axis", x)
		}
	}
	var scales []float64
	switch {
	case p.Scales != nil:
		for _, s := range p.Scales {
			scales = append(scales, float64(s))
		}
	case optPresent(scalesT):
		if err := wantType(scalesT, "scales", tensor.Float32); err != nil {
			return nil, err
		}
		if scalesT.Data == nil {
			return nil, ErrDynamic
		}
		v, err := scalesT.Float64Values()
		if err != nil {
			return nil, fmt.Errorf("scales: %w", err)
		}
		scales = v
	}
	var sizes []int64
	if optPresent(sizesT) {
		if scales != nil {
			return nil, fmt.Errorf("scales and sizes are both given")
		}
		if err := wantType(sizesT, "sizes", tensor.Int64); err != nil {
			return nil, err
		}
		v, err := values(sizesT, "sizes")
		if err != nil {
			return nil, err
		}
		sizes = v
	}
	switch {
	case scales != nil:
		if len(scales) != len(axes) {
			return nil, fmt.Errorf("scales has %d values for %d axes", len(scales), len(axes))
		}
		for j, ax := range axes {
			s := scales[j]
			if !(s > 0) || math.IsInf(s, 0) {
				return nil, fmt.Errorf("scales %v: value %v is not positive and finite", scales, s)
			}
			pl.Scale[ax] = s
			pl.Length[ax] = float64(x[ax]) * s
			if pl.Length[ax] >= tensor.MaxElements {
				return nil, fmt.Errorf("scales %v: output too large", scales)
			}
			pl.Out[ax] = int(math.Floor(pl.Length[ax]))
		}
	case sizes != nil:
		if len(sizes) != len(axes) {
			return nil, fmt.Errorf("sizes has %d values for %d axes", len(sizes), len(axes))
		}
		for _, v := range sizes {
			if v < 1 || v > tensor.MaxElements {
				return nil, fmt.Errorf("sizes %v has a value out of range", sizes)
			}
		}
		if p.KeepAspectRatio != "stretch" {
			// One scale for all the listed axes: the smallest (not_larger)
			// or largest (not_smaller) of the per-axis ratios.
			s := float64(sizes[0]) / float64(x[axes[0]])
			for j, ax := range axes {
				q := float64(sizes[j]) / float64(x[ax])
				if (p.KeepAspectRatio == "not_larger") == (q < s) {
					s = q
				}
			}
			for _, ax := range axes {
				pl.Out[ax] = int(math.RoundToEven(float64(x[ax]) * s))
				pl.Scale[ax] = s
				pl.Length[ax] = float64(pl.Out[ax])
			}
			break
		}
		for j, ax := range axes {
			pl.Out[ax] = int(sizes[j])
			pl.Scale[ax] = float64(sizes[j]) / float64(x[ax])
			pl.Length[ax] = float64(sizes[j])
		}
	default:
		return nil, fmt.Errorf("neither scales nor sizes is given")
	}
	if err := checkOutputShape(pl.Out, false); err != nil {
		return nil, err
	}
	if p.CoordMode == "tf_crop_and_resize" {
		if !optPresent(roiT) {
			return nil, fmt.Errorf("tf_crop_and_resize needs the roi input")
		}
		if err := wantType(roiT, "roi", tensor.Float32, tensor.Float64); err != nil {
			return nil, err
		}
		if roiT.Len() != 2*len(axes) {
			return nil, fmt.Errorf("roi has %d values, want %d", roiT.Len(), 2*len(axes))
		}
		if roiT.Data != nil {
			roi, err := roiT.Float64Values()
			if err != nil {
				return nil, fmt.Errorf("roi: %w", err)
			}
			for j, ax := range axes {
				pl.RoiStart[ax], pl.RoiEnd[ax] = roi[j], roi[len(axes)+j]
			}
		}
	}
	return pl, nil
}

type resizeKernel struct{ p *ResizeParams }

func buildResize(n *onnx.Node, opset int64) (Kernel, error) {
	p, err := ParseResizeParams(n, opset, false)
	if err != nil {
		return nil, err
	}
	return resizeKernel{p}, nil
}

func buildUpsample(n *onnx.Node, opset int64) (Kernel, error) {
	p, err := ParseResizeParams(n, opset, true)
	if err != nil {
		return nil, err
	}
	return resizeKernel{p}, nil
}

func (k resizeKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	pl, err := k.p.Plan(in)
	if err != nil {
		return nil, err
	}
	return one(tensor.Float32, pl.Out)
}

func (k resizeKernel) Run(in, out []*tensor.Tensor) error {
	pl, err := k.p.Plan(in)
	if err != nil {
		return err
	}
	x, err := inFloat32(in[0], "X")
	if err != nil {
		return err
	}
	y, err := outFloat32(out, 0, sizeOf(pl.Out))
	if err != nil {
		return err
	}
	ResizeReference(k.p, pl, x, y)
	return nil
}

// resizeTap is one input index and its weight along an axis.
type resizeTap struct {
	idx int
	w   float64
}

// ResizeSourceCoord maps output coordinate o along axis d to the input
// coordinate it samples, per the coordinate transformation mode, and
// reports whether the sample lies outside the input (tf_crop_and_resize:
// then the output is the extrapolation value).
func (p *ResizeParams) ResizeSourceCoord(pl *ResizePlan, d, o int) (float64, bool) {
	x, in, s, l := float64(o), float64(pl.In[d]), pl.Scale[d], pl.Length[d]
	switch p.CoordMode {
	case "asymmetric":
		return x / s, false
	case "align_corners":
		if l == 1 {
			return 0, false
		}
		return x * (in - 1) / (l - 1), false
	case "pytorch_half_pixel":
		if pl.Out[d] <= 1 {
			return 0, false
		}
		return (x+0.5)/s - 0.5, false
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / s, false
	case "tf_crop_and_resize":
		a, b := pl.RoiStart[d], pl.RoiEnd[d]
		var xo float64
		if l == 1 {
			xo = (b - a) * (in - 1) / 2
		} else {
			xo = x * (b - a) * (in - 1) / (l - 1)
		}
		xo += a * (in - 1)
		return xo, xo < 0 || xo > in-1
	case "half_pixel_symmetric":
		adj := float64(pl.Out[d]) / l
		off := in / 2 * (1 - adj)
		return off + (x+0.5)/s - 0.5, false
	}
	return (x+0.5)/s - 0.5, false // half_pixel
}

// resizeTaps returns the input taps of output coordinate o along axis d, or
// nil when the sample is outside the input (extrapolation).
func (p *ResizeParams) resizeTaps(pl *ResizePlan, d, o int) []resizeTap {
	xo, outside := p.ResizeSourceCoord(pl, d, o)
	if outside {
		return nil
	}
	n := pl.In[d]
	clamp := func(i int) int { return min(max(i, 0), n-1) }
	base := math.Floor(xo)
	r := xo - base
	b := int(base)
	switch p.Mode {
	case "nearest":
		i := b
		switch {
		case r == 0:
		case p.NearestMode == "legacy":
			if pl.Scale[d] < 1 {
				i = b + 1 // ceil
			}
		case p.NearestMode == "round_prefer_floor":
			if r > 0.5 {
				i = b + 1
			}
		case p.NearestMode == "round_prefer_ceil":
			if r >= 0.5 {
				i = b + 1
			}
		case p.NearestMode == "ceil":
			i = b + 1
		}
		return []resizeTap{{clamp(i), 1}}
	case "linear":
		if r == 0 {
			return []resizeTap{{clamp(b), 1}}
		}
		return []resizeTap{{clamp(b), 1 - r}, {clamp(b + 1), r}}
	}
	// cubic: taps b-1 .. b+2 at distances 1+r, r, 1-r, 2-r.
	taps := make([]resizeTap, 0, 4)
	sum := 0.0
	for j := -1; j <= 2; j++ {
		w := cubicWeight(math.Abs(float64(j)-r), p.CubicCoeffA)
		i := b + j
		if p.ExcludeOutside && (i < 0 || i >= n) {
			continue
		}
		sum += w
		taps = append(taps, resizeTap{clamp(i), w})
	}
	if p.ExcludeOutside && sum != 0 {
		for j := range taps {
			taps[j].w /= sum
		}
	}
	return taps
}

// cubicWeight is the cubic convolution kernel with coefficient a at
// distance d >= 0.
func cubicWeight(d, a float64) float64 {
	switch {
	case d <= 1:
		return ((a+2)*d-(a+3))*d*d + 1
	case d < 2:
		return ((a*d-5*a)*d+8*a)*d - 4*a
	}
	return 0
}

// ResizeReference computes Resize/Upsample of x into y for the plan pl: the
// n-linear/n-cubic interpolation is the tensor product of the per-axis
// weights, summed in float64.
func ResizeReference(p *ResizeParams, pl *ResizePlan, x, y []float32) {
	r := len(pl.In)
	taps := make([][][]resizeTap, r)
	for d := 0; d < r; d++ {
		taps[d] = make([][]resizeTap, pl.Out[d])
		for o := range taps[d] {
			taps[d][o] = p.resizeTaps(pl, d, o)
		}
	}
	istr := tensor.Strides(pl.In)
	o := make([]int, r)
	var sum func(d, off int, w float64) float64
	sum = func(d, off int, w float64) float64 {
		if d == r {
			return w * float64(x[off])
		}
		s := 0.0
		for _, t := range taps[d][o[d]] {
			s += sum(d+1, off+t.idx*istr[d], w*t.w)
		}
		return s
	}
	for j := range y {
		outside := false
		for d := range o {
			if taps[d][o[d]] == nil {
				outside = true
			}
		}
		if outside {
			y[j] = float32(p.ExtrapolationValue)
		} else {
			y[j] = float32(sum(0, 0, 1))
		}
		odometerNextIn(o, pl.Out)
	}
}
