package ops

import (
	"fmt"
	"slices"

	"github.com/gocnn/gocnn/tensor"
)

// Helpers shared by the sliding-window (Conv, ConvTranspose, pooling),
// normalization, matrix and resampling kernels.

// The values of the auto_pad attribute of Conv, ConvTranspose and the
// pooling operators.
const (
	AutoPadNotSet    = "NOTSET"
	AutoPadSameUpper = "SAME_UPPER"
	AutoPadSameLower = "SAME_LOWER"
	AutoPadValid     = "VALID"
)

// checkAutoPad validates an auto_pad value.
func checkAutoPad(s string) error {
	switch s {
	case AutoPadNotSet, AutoPadSameUpper, AutoPadSameLower, AutoPadValid:
		return nil
	}
	return fmt.Errorf("auto_pad %q is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", s)
}

// WindowAxis is the geometry of one spatial axis of a sliding-window
// operator (Conv, MaxPool, AveragePool): output position o reads the input
// positions o*Stride - PadBegin + k*Dilation for k in [0, Kernel).
type WindowAxis struct {
	In, Kernel, Stride, Dilation int
	PadBegin, PadEnd             int // resolved explicit padding
	Out                          int
}

// WindowOutput computes the output size and the resolved begin/end padding
// of one spatial axis of Conv or a pooling operator, as ONNX defines them:
//
//	dk = (kernel-1)*dilation + 1                  (dilated kernel extent)
//	NOTSET: out = floor((in + padBegin + padEnd - dk) / stride) + 1
//	        (ceil instead of floor when ceilMode; a last window that would
//	        start in the end padding is then dropped)
//	VALID:  pads are 0, then as NOTSET
//	SAME_UPPER, SAME_LOWER: out = ceil(in / stride); the total padding
//	        max(0, (out-1)*stride + dk - in) is split evenly, the odd unit
//	        going to the end (SAME_UPPER) or the beginning (SAME_LOWER);
//	        padBegin/padEnd and ceilMode are ignored.
//
// It returns an error for a non-positive kernel, stride or dilation, a
// negative pad, or an output size below 1.
func WindowOutput(in, kernel, stride, dilation, padBegin, padEnd int, autoPad string, ceilMode bool) (WindowAxis, error) {
	a := WindowAxis{In: in, Kernel: kernel, Stride: stride, Dilation: dilation}
	switch {
	case in < 1:
		return a, fmt.Errorf("input size %d is not positive", in)
	case kernel < 1:
		return a, fmt.Errorf("kernel size %d is not positive", kernel)
	case stride < 1:
		return a, fmt.Errorf("stride %d is not positive", stride)
	case dilation < 1:
		return a, fmt.Errorf("dilation %d is not positive", dilation)
	case padBegin < 0 || padEnd < 0:
		return a, fmt.Errorf("negative pads %d, %d", padBegin, padEnd)
	case !windowFits(in, kernel, stride, dilation, padBegin, padEnd):
		return a, fmt.Errorf("input %d, kernel %d, stride %d, dilation %d, pads %d, %d: too large", in, kernel, stride, dilation, padBegin, padEnd)
	}
	dk := (kernel-1)*dilation + 1
	switch autoPad {
	case AutoPadSameUpper, AutoPadSameLower:
		a.Out = (in + stride - 1) / stride
		total := max(0, (a.Out-1)*stride+dk-in)
		if autoPad == AutoPadSameUpper {
			a.PadBegin, a.PadEnd = total/2, total-total/2
		} else {
			a.PadBegin, a.PadEnd = total-total/2, total/2
		}
		return a, nil
	case AutoPadValid:
		padBegin, padEnd = 0, 0
	case AutoPadNotSet, "":
	default:
		return a, checkAutoPad(autoPad)
	}
	a.PadBegin, a.PadEnd = padBegin, padEnd
	span := in + padBegin + padEnd - dk
	if span < 0 {
		return a, fmt.Errorf("dilated kernel %d is larger than the padded input %d", dk, in+padBegin+padEnd)
	}
	if ceilMode {
		a.Out = (span+stride-1)/stride + 1
		if (a.Out-1)*stride >= in+padBegin {
			a.Out--
		}
	} else {
		a.Out = span/stride + 1
	}
	if a.Out < 1 {
		return a, fmt.Errorf("output size %d is not positive", a.Out)
	}
	return a, nil
}

// windowFits reports whether the sizes of a window along one axis (read
// from a file) keep its arithmetic within int: each at most
// tensor.MaxElements, and so the dilated kernel's span.
func windowFits(in, kernel, stride, dilation int, more ...int) bool {
	const m = tensor.MaxElements
	ok := in <= m && kernel <= m && stride <= m && dilation <= m && kernel-1 <= m/dilation
	for _, v := range more {
		ok = ok && v <= m
	}
	return ok
}

// Taps returns the kernel taps t of output o whose input position
// o·Stride − PadBegin + t·Dilation lies in [lo, hi): t0 ≤ t < t1, or 0, 0
// when there are none. (Computed, not counted: kernel_shape comes from the
// file, and a 2⁴⁰-tap window over a small padded input is legal.)
func (a WindowAxis) Taps(o, lo, hi int) (t0, t1 int) {
	st, d := o*a.Stride-a.PadBegin, a.Dilation
	if st < lo {
		t0 = (lo - st + d - 1) / d
	}
	if st < hi {
		t1 = min(a.Kernel, (hi-st+d-1)/d)
	}
	if t0 >= t1 {
		return 0, 0
	}
	return t0, t1
}

// windowTaps enumerates, for one output position of a sliding window over
// the spatial axes ax, the kernel taps that fall inside the input (not in
// the padding), in row-major order. For each such tap it appends the flat
// spatial offset in the input and the flat offset in the kernel to inOffs
// and kOffs.
func windowTaps(ax []WindowAxis, o []int, inOffs, kOffs []int) ([]int, []int) {
	lo, hi := make([]int, len(ax)), make([]int, len(ax))
	for d, a := range ax {
		if lo[d], hi[d] = a.Taps(o[d], 0, a.In); lo[d] == hi[d] {
			return inOffs, kOffs
		}
	}
	k := slices.Clone(lo)
	for {
		inOff, kOff := 0, 0
		for d, a := range ax {
			inOff = inOff*a.In + o[d]*a.Stride - a.PadBegin + k[d]*a.Dilation
			kOff = kOff*a.Kernel + k[d]
		}
		inOffs = append(inOffs, inOff)
		kOffs = append(kOffs, kOff)
		d := len(ax) - 1
		for ; d >= 0; d-- {
			if k[d]++; k[d] < hi[d] {
				break
			}
			k[d] = lo[d]
		}
		if d < 0 {
			return inOffs, kOffs
		}
	}
}

// odometerNext advances the row-major multi-index idx within the extents
// dim(0..len-1) and reports false after the last index (idx is then all
// zeros again).
func odometerNext(idx []int, dim func(int) int) bool {
	for d := len(idx) - 1; d >= 0; d-- {
		idx[d]++
		if idx[d] < dim(d) {
			return true
		}
		idx[d] = 0
	}
	return false
}

// odometerNextIn advances idx within shape; see odometerNext.
func odometerNextIn(idx, shape []int) bool {
	return odometerNext(idx, func(d int) int { return shape[d] })
}

// sizeOf returns the product of dims (1 for none).
func sizeOf(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// float32In checks that t is present and float32.
func float32In(t *tensor.Tensor, what string) error {
	if t == nil {
		return fmt.Errorf("%s is missing", what)
	}
	return wantType(t, what, tensor.Float32)
}

// optPresent reports whether an optional input was given and is not empty
// (ONNX allows an empty tensor to stand for an omitted optional input).
func optPresent(t *tensor.Tensor) bool {
	if t == nil {
		return false
	}
	n, err := tensor.NumElements(t.Shape)
	return err == nil && n > 0
}

// checkOutputShape validates an inferred output shape: every dimension
// positive (or zero when allowZero) and the element count in range.
func checkOutputShape(shape []int, allowZero bool) error {
	for _, d := range shape {
		if d < 0 || (d == 0 && !allowZero) {
			return fmt.Errorf("output shape %v has a non-positive dimension", shape)
		}
	}
	if _, err := tensor.NumElements(shape); err != nil {
		return err
	}
	return nil
}

// outFloat32 returns the float32 data of out[i], checking its length.
func outFloat32(out []*tensor.Tensor, i, n int) ([]float32, error) {
	if i >= len(out) || out[i] == nil {
		return nil, fmt.Errorf("output %d is missing", i)
	}
	d, ok := out[i].Data.([]float32)
	if !ok || len(d) != n {
		return nil, fmt.Errorf("output %d is %v with %T data, want float32 with %d elements", i, out[i], out[i].Data, n)
	}
	return d, nil
}

// inFloat32 returns the float32 data of t, checking it matches t's shape.
func inFloat32(t *tensor.Tensor, what string) ([]float32, error) {
	if t == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	d, ok := t.Data.([]float32)
	if !ok || len(d) != t.Len() {
		return nil, fmt.Errorf("%s: %v tensor with %T data", what, t, t.Data)
	}
	return d, nil
}

// cloneInts copies s.
func cloneInts(s []int) []int { return append([]int(nil), s...) }
