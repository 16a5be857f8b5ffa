// Package tensor holds dense, row-major (C order) tensors: the values that
// flow between the nodes of a model, and the .npy files that carry them on
// disk. Images are NCHW.
package tensor

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// DType is an element type. The values are ONNX's TensorProto.DataType
// numbers, so converting from a model file is a cast.
type DType int32

// The element types the runtime computes with.
const (
	Undefined DType = 0
	Float32   DType = 1
	Uint8     DType = 2
	Int8      DType = 3
	Int32     DType = 6
	Int64     DType = 7
	Bool      DType = 9
	Float64   DType = 11
)

var dtypeNames = map[DType]string{
	Undefined: "undefined", Float32: "float32", Uint8: "uint8", Int8: "int8",
	Int32: "int32", Int64: "int64", Bool: "bool", Float64: "float64",
}

func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", int32(d))
}

// Size is the size of one element in bytes, or 0 for an unsupported type.
func (d DType) Size() int {
	switch d {
	case Float32, Int32:
		return 4
	case Int64, Float64:
		return 8
	case Uint8, Int8, Bool:
		return 1
	}
	return 0
}

// Valid reports whether the runtime supports d.
func (d DType) Valid() bool { return d != Undefined && d.Size() != 0 }

// MaxElements caps the element count of any one tensor: shapes read from
// files are checked against it before anything is allocated. On 32-bit
// platforms it also keeps byte sizes within int.
const MaxElements = min(1<<40, math.MaxInt/8)

// ErrShape reports an invalid shape.
var ErrShape = errors.New("tensor: invalid shape")

// Tensor is a dense tensor. Data holds a slice of the Go type matching
// DType ([]float32, []int64, []int32, []bool, []float64, []uint8, []int8)
// with exactly NumElements(Shape) elements. A Tensor with nil Data describes
// a value whose type and shape are known but whose contents are not; shape
// inference passes such tensors around.
type Tensor struct {
	DType DType
	Shape []int
	Data  any
}

// New returns a zeroed tensor. It panics on an invalid shape or type; use
// NumElements first for sizes that come from outside the program.
func New(dt DType, shape ...int) *Tensor {
	n, err := NumElements(shape)
	if err != nil {
		panic(err)
	}
	return &Tensor{DType: dt, Shape: append([]int(nil), shape...), Data: MakeData(dt, n)}
}

// MakeData returns a zeroed slice of n elements of type dt.
func MakeData(dt DType, n int) any {
	switch dt {
	case Float32:
		return make([]float32, n)
	case Int64:
		return make([]int64, n)
	case Int32:
		return make([]int32, n)
	case Bool:
		return make([]bool, n)
	case Float64:
		return make([]float64, n)
	case Uint8:
		return make([]uint8, n)
	case Int8:
		return make([]int8, n)
	}
	panic(fmt.Sprintf("tensor: unsupported dtype %v", dt))
}

// FromFloat32 wraps data (not copied) as a float32 tensor.
func FromFloat32(shape []int, data []float32) *Tensor {
	return &Tensor{DType: Float32, Shape: shape, Data: data}
}

// FromInt64 wraps data (not copied) as an int64 tensor.
func FromInt64(shape []int, data []int64) *Tensor {
	return &Tensor{DType: Int64, Shape: shape, Data: data}
}

// Scalar returns a float32 tensor of rank 0.
func Scalar(v float32) *Tensor { return FromFloat32([]int{}, []float32{v}) }

// NumElements returns the product of shape, or an error if a dimension is
// negative or the product exceeds MaxElements.
func NumElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dimension in %v", ErrShape, shape)
		}
		if d != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("%w: %v has more than %d elements", ErrShape, shape, int64(MaxElements))
		}
		n *= d
	}
	return n, nil
}

// Len is the number of elements.
func (t *Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Rank is the number of dimensions.
func (t *Tensor) Rank() int { return len(t.Shape) }

// Float32s returns the data of a float32 tensor, or nil.
func (t *Tensor) Float32s() []float32 { v, _ := t.Data.([]float32); return v }

// Int64s returns the data of an int64 tensor, or nil.
func (t *Tensor) Int64s() []int64 { v, _ := t.Data.([]int64); return v }

// Meta returns a tensor with t's type and shape and no data.
func (t *Tensor) Meta() *Tensor { return &Tensor{DType: t.DType, Shape: t.Shape} }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{DType: t.DType, Shape: append([]int{}, t.Shape...)}
	if t.Data != nil {
		c.Data = MakeData(t.DType, t.Len())
		Copy(c, t)
	}
	return c
}

// Copy copies src's elements into dst, which must have the same type and
// length.
func Copy(dst, src *Tensor) {
	switch s := src.Data.(type) {
	case []float32:
		copy(dst.Data.([]float32), s)
	case []int64:
		copy(dst.Data.([]int64), s)
	case []int32:
		copy(dst.Data.([]int32), s)
	case []bool:
		copy(dst.Data.([]bool), s)
	case []float64:
		copy(dst.Data.([]float64), s)
	case []uint8:
		copy(dst.Data.([]uint8), s)
	case []int8:
		copy(dst.Data.([]int8), s)
	}
}

// Check reports whether Data matches DType and Shape.
func (t *Tensor) Check() error {
	n, err := NumElements(t.Shape)
	if err != nil {
		return err
	}
	var got int
	ok := true
	switch d := t.Data.(type) {
	case []float32:
		got, ok = len(d), t.DType == Float32
	case []int64:
		got, ok = len(d), t.DType == Int64
	case []int32:
		got, ok = len(d), t.DType == Int32
	case []bool:
		got, ok = len(d), t.DType == Bool
	case []float64:
		got, ok = len(d), t.DType == Float64
	case []uint8:
		got, ok = len(d), t.DType == Uint8
	case []int8:
		got, ok = len(d), t.DType == Int8
	default:
		return fmt.Errorf("tensor: data of type %T", t.Data)
	}
	if !ok {
		return fmt.Errorf("tensor: %T data in a %v tensor", t.Data, t.DType)
	}
	if got != n {
		return fmt.Errorf("tensor: %d elements for shape %v", got, t.Shape)
	}
	return nil
}

// Int64Values returns the elements of an integer tensor as int64s (shape
// operands may be int32 or int64).
func (t *Tensor) Int64Values() ([]int64, error) {
	switch d := t.Data.(type) {
	case []int64:
		return d, nil
	case []int32:
		v := make([]int64, len(d))
		for i, x := range d {
			v[i] = int64(x)
		}
		return v, nil
	}
	return nil, fmt.Errorf("tensor: want an integer tensor, have %v", t.DType)
}

// Float64Values returns the elements of a numeric tensor converted to
// float64.
func (t *Tensor) Float64Values() ([]float64, error) {
	var v []float64
	switch d := t.Data.(type) {
	case []float32:
		v = make([]float64, len(d))
		for i, x := range d {
			v[i] = float64(x)
		}
	case []float64:
		v = d
	case []int64:
		v = make([]float64, len(d))
		for i, x := range d {
			v[i] = float64(x)
		}
	case []int32:
		v = make([]float64, len(d))
		for i, x := range d {
			v[i] = float64(x)
		}
	default:
		return nil, fmt.Errorf("tensor: want a numeric tensor, have %v", t.DType)
	}
	return v, nil
}

// SameShape reports whether a and b have the same dimensions.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Strides returns the row-major element strides of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// String describes the tensor's type and shape, e.g. "float32[1,3,224,224]".
func (t *Tensor) String() string { return t.DType.String() + ShapeString(t.Shape) }

// ShapeString formats a shape as "[1,3,224,224]".
func ShapeString(shape []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range shape {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, d)
	}
	b.WriteByte(']')
	return b.String()
}

// MaxAbsDiff returns the largest |a-b| over two float32 slices of equal
// length (NaN if either holds a NaN where the other doesn't).
func MaxAbsDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		if math.IsNaN(x) || math.IsNaN(y) {
			if math.IsNaN(x) != math.IsNaN(y) {
				return math.NaN()
			}
			continue
		}
		m = max(m, math.Abs(x-y))
	}
	return m
}
