package onnx

import (
	"fmt"

	"github.com/gocnn/gocnn/tensor"
)

// Attrs reads a node's attributes with defaults. It remembers the first
// error (an attribute of the wrong type), so an operator can read all it
// needs and check Err once.
type Attrs struct {
	n   *Node
	err error
}

// Attrs returns a reader for n's attributes.
func (n *Node) AttrReader() *Attrs { return &Attrs{n: n} }

// Err returns the first error met, naming the node and attribute.
func (a *Attrs) Err() error { return a.err }

// Has reports whether the attribute is present.
func (a *Attrs) Has(name string) bool { _, ok := a.n.Attrs[name]; return ok }

func (a *Attrs) get(name string, want AttrType) *Attr {
	at, ok := a.n.Attrs[name]
	if !ok {
		return nil
	}
	if at.Type != want {
		if a.err == nil {
			a.err = fmt.Errorf("%v: attribute %q is %v, want %v", a.n, name, at.Type, want)
		}
		return nil
	}
	return at
}

// Int returns an int attribute, or def if absent.
func (a *Attrs) Int(name string, def int64) int64 {
	if at := a.get(name, AttrInt); at != nil {
		return at.I
	}
	return def
}

// Float returns a float attribute, or def if absent.
func (a *Attrs) Float(name string, def float32) float32 {
	if at := a.get(name, AttrFloat); at != nil {
		return at.F
	}
	return def
}

// String returns a string attribute, or def if absent.
func (a *Attrs) String(name, def string) string {
	if at := a.get(name, AttrString); at != nil {
		return at.S
	}
	return def
}

// Ints returns an ints attribute, or def if absent.
func (a *Attrs) Ints(name string, def []int64) []int64 {
	if at := a.get(name, AttrInts); at != nil {
		return at.Ints
	}
	return def
}

// Floats returns a floats attribute, or def if absent.
func (a *Attrs) Floats(name string, def []float32) []float32 {
	if at := a.get(name, AttrFloats); at != nil {
		return at.Floats
	}
	return def
}

// Strings returns a strings attribute, or def if absent.
func (a *Attrs) Strings(name string, def []string) []string {
	if at := a.get(name, AttrStrings); at != nil {
		return at.Strings
	}
	return def
}

// Tensor returns a tensor attribute, or nil if absent.
func (a *Attrs) Tensor(name string) *tensor.Tensor {
	if at := a.get(name, AttrTensor); at != nil {
		return at.T
	}
	return nil
}

// Fail records err (if none is recorded yet) and returns the first error.
// Operators use it for attribute values that are present but invalid.
func (a *Attrs) Fail(format string, args ...any) error {
	if a.err == nil {
		a.err = fmt.Errorf("%v: %s", a.n, fmt.Sprintf(format, args...))
	}
	return a.err
}
