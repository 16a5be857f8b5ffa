// Package ops holds the reference implementation of every ONNX operator the
// runtime supports: shape and type inference plus a plain Go kernel. The
// kernels favour clarity over speed; they are the oracle that the SIMD paths
// in conv, gemm and pool are tested against, and the fallback for operators
// that have no fast path.
package ops

import (
	"errors"
	"fmt"
	"sort"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// Kernel computes one node. It is built once per node and may be shared by
// many goroutines: Infer and Run must not modify it.
type Kernel interface {
	// Infer returns the type and shape of every node output (a tensor with
	// nil Data). in has one tensor per node input, nil for an omitted
	// optional input. An input with nil Data has a known type and shape but
	// unknown values; an operator whose output shape depends on such values
	// returns ErrDynamic.
	Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error)
	// Run computes the outputs. Every input has Data; out holds tensors with
	// the types and shapes Infer returned, with allocated Data whose prior
	// contents are arbitrary, so Run must write every element.
	Run(in, out []*tensor.Tensor) error
}

// ScratchKernel is a Kernel that can run on scratch memory its caller
// provides (im2col copies, Winograd tiles, GEMM packing buffers), so the
// runtime can plan that memory with the intermediates instead of the kernel
// keeping its own. Run keeps working without it.
type ScratchKernel interface {
	Kernel
	// ScratchSize returns how many float32s of scratch RunScratch needs for
	// inputs of these types and shapes (Data may be nil), or 0.
	ScratchSize(in []*tensor.Tensor) int
	// RunScratch is Run using scratch, which holds at least
	// ScratchSize(in) float32s with arbitrary contents that it may
	// overwrite. It must not keep scratch after it returns. With less
	// scratch than it needs (the thread count changed since ScratchSize,
	// say) it must still compute the result.
	RunScratch(in, out []*tensor.Tensor, scratch []float32) error
}

// Builder makes the kernel for node n of a model importing the given opset
// version of the node's domain.
type Builder func(n *onnx.Node, opset int64) (Kernel, error)

// ErrDynamic is returned by Infer when an output shape depends on input
// values that are not known yet.
var ErrDynamic = errors.New("ops: output shape depends on input values")

// ErrUnsupported wraps the error for an operator the runtime lacks.
var ErrUnsupported = errors.New("unsupported operator")

type opKey struct{ domain, op string }

// registration records, per operator, the first opset version each builder
// handles; a model gets the builder for the newest version not above its
// opset.
type registration struct {
	since   int64
	builder Builder
}

var registry = map[opKey][]registration{}

// register adds a builder for op in the default domain, valid from opset
// version since. Operators whose semantics changed between versions
// register once per behaviour, or read the version in their builder.
func register(op string, since int64, b Builder) {
	k := opKey{"", op}
	registry[k] = append(registry[k], registration{since, b})
	sort.Slice(registry[k], func(i, j int) bool { return registry[k][i].since < registry[k][j].since })
}

// New builds the kernel for n under opset (the version the model imports
// for n's domain).
func New(n *onnx.Node, opset int64) (Kernel, error) {
	dom := n.Domain
	if dom == "ai.onnx" {
		dom = ""
	}
	regs := registry[opKey{dom, n.OpType}]
	var b Builder
	for _, r := range regs {
		if r.since <= opset {
			b = r.builder
		}
	}
	if b == nil {
		where := n.OpType
		if dom != "" {
			where = dom + "." + n.OpType
		}
		name := n.Name
		if name == "" && len(n.Outputs) > 0 {
			name = "producing " + n.Outputs[0]
		}
		if len(regs) > 0 {
			return nil, fmt.Errorf("%w %s (node %q) at opset %d: supported from opset %d", ErrUnsupported, where, name, opset, regs[0].since)
		}
		return nil, fmt.Errorf("%w %s (node %q, opset %d)", ErrUnsupported, where, name, opset)
	}
	k, err := b(n, opset)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Supported lists the default-domain operators with a kernel, each with the lowest opset
// version it is available from.
func Supported() map[string]int64 {
	m := map[string]int64{}
	for k, regs := range registry {
		if k.domain == "" {
			m[k.op] = regs[0].since
		}
	}
	return m
}
