package pool

import (
	"errors"
	"fmt"
	"github.com/gocnn/gocnn/internal/freelist"
	"math"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/parallel"
	"github.com/gocnn/gocnn/tensor"
)

// checkAct reports an invalid activation as pool's error.
func checkAct(a asm.Activation) error {
	if err := a.Check(); err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	return nil
}

// apply computes dst[i] = a(src[i]) for i < len(dst) with the row kernels
// of kt; dst and src may be the same slice.
func apply(kt *asm.Kernels, a asm.Activation, dst, src []float32) {
	if len(dst) > 0 {
		_ = src[len(dst)-1]
		kt.Activate(a, len(dst), &dst[0], &src[0])
	}
}

// Elementwise is an activation node (Relu, Clip with constant bounds,
// LeakyRelu, HardSigmoid, HardSwish, Sigmoid, or SiLU) over a float32
// tensor of any shape. It implements ops.Kernel.
type Elementwise struct {
	act  asm.Activation
	opts Options
}

// NewActivation returns the kernel for act.
func NewActivation(act asm.Activation, opts Options) (*Elementwise, error) {
	if err := checkAct(act); err != nil {
		return nil, err
	}
	return &Elementwise{act: act, opts: opts}, nil
}

// Infer implements ops.Kernel.
func (k *Elementwise) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := k.check(in); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{{DType: tensor.Float32, Shape: append([]int(nil), in[0].Shape...)}}, nil
}

var errActInput = errors.New("pool: activation wants one float32 input")

func (k *Elementwise) check(in []*tensor.Tensor) error {
	if len(in) < 1 || in[0] == nil || in[0].DType != tensor.Float32 {
		return errActInput
	}
	return nil
}

// Run implements ops.Kernel.
func (k *Elementwise) Run(in, out []*tensor.Tensor) error {
	if err := k.check(in); err != nil {
		return err
	}
	n := in[0].Len()
	x, y, err := io(in, out, n, n)
	if err != nil {
		return err
	}
	t := tasks.Get()
	*t = task{kind: taskAct, x: x, y: y, act: k.act, units: n, kern: k.opts.kern()}
	t.parts = parts(k.opts.Threads, (n+1023)/1024, n)
	parallel.Default().Run(t, t.parts)
	*t = task{}
	tasks.Put(t)
	return nil
}

// BatchNorm is BatchNormalization in inference mode, y = x·s[c] + t[c]
// with s = scale/√(var+ε) and t = B − mean·s precomputed at load (in
// float64), followed by an optional activation. It implements ops.Kernel
// with in[0] = X [N, C, ...].
type BatchNorm struct {
	s, t []float32
	act  asm.Activation
	opts Options
}

// NewBatchNorm prepares BatchNormalization from its constant scale, bias
// (B), mean and variance tensors (each [C]) and epsilon.
func NewBatchNorm(scale, bias, mean, variance *tensor.Tensor, epsilon float32, act asm.Activation, opts Options) (*BatchNorm, error) {
	if err := checkAct(act); err != nil {
		return nil, err
	}
	var c int
	vals := make([][]float64, 4)
	for i, t := range []*tensor.Tensor{scale, bias, mean, variance} {
		if t == nil || len(t.Shape) != 1 {
			return nil, errors.New("pool: batch norm parameters must be 1-D tensors")
		}
		v, err := t.Float64Values()
		if err != nil {
			return nil, err
		}
		if i == 0 {
			c = len(v)
		} else if len(v) != c {
			return nil, fmt.Errorf("pool: batch norm parameter %d has %d values, want %d", i, len(v), c)
		}
		vals[i] = v
	}
	k := &BatchNorm{s: make([]float32, c), t: make([]float32, c), act: act, opts: opts}
	for i := 0; i < c; i++ {
		s := vals[0][i] / math.Sqrt(vals[3][i]+float64(epsilon))
		k.s[i] = float32(s)
		k.t[i] = float32(vals[1][i] - vals[2][i]*s)
	}
	return k, nil
}

// Scale and Shift return the folded per-channel factors (for folding into
// a preceding convolution).
func (k *BatchNorm) Scale() []float32 { return k.s }
func (k *BatchNorm) Shift() []float32 { return k.t }

// Infer implements ops.Kernel.
func (k *BatchNorm) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := k.check(in); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{{DType: tensor.Float32, Shape: append([]int(nil), in[0].Shape...)}}, nil
}

func (k *BatchNorm) check(in []*tensor.Tensor) error {
	if len(in) < 1 || in[0] == nil || in[0].DType != tensor.Float32 {
		return errors.New("pool: batch norm wants a float32 X")
	}
	if len(in[0].Shape) < 2 || in[0].Shape[1] != len(k.s) {
		return fmt.Errorf("pool: batch norm X %v, want [N, %d, ...]", in[0], len(k.s))
	}
	return nil
}

// Run implements ops.Kernel.
func (k *BatchNorm) Run(in, out []*tensor.Tensor) error {
	if err := k.check(in); err != nil {
		return err
	}
	n := in[0].Len()
	x, y, err := io(in, out, n, n)
	if err != nil {
		return err
	}
	planes := in[0].Shape[0] * in[0].Shape[1]
	t := tasks.Get()
	*t = task{kind: taskBN, x: x, y: y, act: k.act, bn: k, units: planes, plane: n / max(planes, 1), kern: k.opts.kern()}
	t.parts = parts(k.opts.Threads, planes, n)
	parallel.Default().Run(t, t.parts)
	*t = task{}
	tasks.Put(t)
	return nil
}

// scaleShift computes dst[i] = act(src[i]·s + t); ReLU and Clip run as
// the kernel's clamp.
func scaleShift(kt *asm.Kernels, dst, src []float32, s, t float32, act asm.Activation) {
	if len(dst) == 0 {
		return
	}
	_ = src[len(dst)-1]
	lo, hi, clamp := act.Clamp()
	kt.ScaleShift(len(dst), &dst[0], &src[0], s, t, lo, hi)
	if !clamp {
		apply(kt, act, dst, dst)
	}
}

// Global is GlobalAveragePool or GlobalMaxPool: X [N, C, D1..Dk] → [N, C,
// 1, …, 1]. It implements ops.Kernel.
type Global struct {
	max  bool
	opts Options
}

// NewGlobal returns GlobalMaxPool (isMax) or GlobalAveragePool.
func NewGlobal(isMax bool, opts Options) *Global { return &Global{max: isMax, opts: opts} }

// Infer implements ops.Kernel.
func (k *Global) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := k.check(in); err != nil {
		return nil, err
	}
	x := in[0].Shape
	shape := []int{x[0], x[1]}
	for range x[2:] {
		shape = append(shape, 1)
	}
	return []*tensor.Tensor{{DType: tensor.Float32, Shape: shape}}, nil
}

func (k *Global) check(in []*tensor.Tensor) error {
	if len(in) < 1 || in[0] == nil || in[0].DType != tensor.Float32 {
		return errors.New("pool: global pooling wants a float32 X")
	}
	if len(in[0].Shape) < 3 {
		return fmt.Errorf("pool: X has rank %d, want at least 3", len(in[0].Shape))
	}
	return nil
}

// Run implements ops.Kernel.
func (k *Global) Run(in, out []*tensor.Tensor) error {
	if err := k.check(in); err != nil {
		return err
	}
	planes := in[0].Shape[0] * in[0].Shape[1]
	n := in[0].Len()
	x, y, err := io(in, out, n, planes)
	if err != nil {
		return err
	}
	t := tasks.Get()
	*t = task{kind: taskGlobalAvg, x: x, y: y, units: planes, plane: n / max(planes, 1), kern: k.opts.kern()}
	if k.max {
		t.kind = taskGlobalMax
	}
	t.parts = parts(k.opts.Threads, planes, n)
	parallel.Default().Run(t, t.parts)
	*t = task{}
	tasks.Put(t)
	return nil
}

// globalMax returns the largest non-NaN element of x (−Inf if none).
func globalMax(x []float32) float32 {
	m0, m1, m2, m3 := negInf, negInf, negInf, negInf
	i := 0
	for ; i+4 <= len(x); i += 4 {
		q := x[i : i+4 : i+4]
		if q[0] > m0 {
			m0 = q[0]
		}
		if q[1] > m1 {
			m1 = q[1]
		}
		if q[2] > m2 {
			m2 = q[2]
		}
		if q[3] > m3 {
			m3 = q[3]
		}
	}
	for ; i < len(x); i++ {
		if x[i] > m0 {
			m0 = x[i]
		}
	}
	// NaN-free by construction, so the builtin max is exact here.
	return max(m0, m1, m2, m3)
}

// onesLen is the largest plane whose global average is a matrix-vector
// product (the table's Sgemv against ones): a Sum call per plane cost
// about 35 cycles on ResNet's 7×7 planes, 1.9× the time to stream them
// through memory. Up to 4096 floats a plane's sum is a float32 sum either
// way; larger planes keep globalSum's float64 blocks.
const onesLen = 4096

// ones is onesLen ones.
var ones = func() []float32 {
	o := make([]float32, onesLen)
	for i := range o {
		o[i] = 1
	}
	return o
}()

// globalSum returns Σx: the row kernel's float32 sum (32 lanes) per
// block of 4096, the blocks added in float64, which bounds the error on
// large planes (128 values per lane).
func globalSum(kt *asm.Kernels, x []float32) float64 {
	var total float64
	for len(x) > 0 {
		blk := x[:min(4096, len(x))]
		x = x[len(blk):]
		total += float64(kt.Sum(len(blk), &blk[0]))
	}
	return total
}

type taskKind uint8

const (
	taskAct taskKind = iota
	taskBN
	taskGlobalAvg
	taskGlobalMax
)

// task is the parallel body of the element-wise kernels, pooled so Run does
// not allocate. units are planes (or 1024-element chunks for taskAct).
type task struct {
	kind         taskKind
	x, y         []float32
	act          asm.Activation
	bn           *BatchNorm
	units, plane int
	parts        int
	kern         *asm.Kernels
}

var tasks freelist.List[task]

func (t *task) Run(part int) {
	lo, hi := part*t.units/t.parts, (part+1)*t.units/t.parts
	switch t.kind {
	case taskAct:
		a, b := lo*len(t.x)/t.units, hi*len(t.x)/t.units
		apply(t.kern, t.act, t.y[a:b], t.x[a:b])
	case taskBN:
		c := len(t.bn.s)
		for pl := lo; pl < hi; pl++ {
			ch := pl % c
			scaleShift(t.kern, t.y[pl*t.plane:(pl+1)*t.plane], t.x[pl*t.plane:(pl+1)*t.plane], t.bn.s[ch], t.bn.t[ch], t.act)
		}
	case taskGlobalAvg:
		if t.plane <= onesLen && hi > lo && t.plane > 0 {
			// Small planes: the rows of a matrix-vector product with
			// ones, then the divide (see onesLen).
			t.kern.Sgemv(hi-lo, t.plane, &t.x[lo*t.plane], t.plane, &ones[0], &t.y[lo])
			for pl := lo; pl < hi; pl++ {
				t.y[pl] = float32(float64(t.y[pl]) / float64(t.plane))
			}
			return
		}
		for pl := lo; pl < hi; pl++ {
			t.y[pl] = float32(globalSum(t.kern, t.x[pl*t.plane:(pl+1)*t.plane]) / float64(max(t.plane, 1)))
		}
	case taskGlobalMax:
		for pl := lo; pl < hi; pl++ {
			t.y[pl] = globalMax(t.x[pl*t.plane : (pl+1)*t.plane])
		}
	}
}

// Describe names the kernel and the table whose row kernels it runs on.
func (k *Elementwise) Describe() string { return "pool/activation/" + k.opts.kern().Name }

// Describe names the kernel and the table whose row kernels it runs on.
func (k *BatchNorm) Describe() string { return "pool/batchnorm/" + k.opts.kern().Name }

// Describe names the kernel and the table whose row kernels it runs on
// (global max pooling is a plain Go loop).
func (k *Global) Describe() string {
	if k.max {
		return "pool/globalmax/go"
	}
	return "pool/globalavg/" + k.opts.kern().Name
}
