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
	// ScratchSize returns the scratch RunScratch needs for inputs of these
	// types and shapes (Data may be nil); the zero Scratch for none.
	ScratchSize(in []*tensor.Tensor) Scratch
	// RunScratch is Run using scratch, laid out as ScratchSize(in) says,
	// with at least its Size float32s, of arbitrary contents that it may
	// overwrite. It must not keep scratch after it returns. With less
	// scratch than it needs (the thread count changed since ScratchSize,
	// say) it must still compute the result.
	RunScratch(in, out []*tensor.Tensor, scratch []float32) error
}

// Scratch is the layout of a ScratchKernel's scratch: a private region for
// each of Parts threads (thread i runs part i of the kernel's parallel
// sections), Per float32s or more each, then Shared float32s the threads
// share:
//
//	[thread 0 | thread 1 | … | thread Parts−1 | shared]
//
// In a longer slice the regions lie Stride apart. A caller that hands
// every kernel its scratch at one address and with one stride keeps each
// thread's private buffers on the same cache lines from kernel to kernel,
// lines the thread's own core last wrote: writing a line another core
// holds modified costs a transfer between the cores, which on some hosts
// here ran at 6 GB/s.
type Scratch struct{ Parts, Per, Shared int }

// ScratchAlign is the alignment, in float32s, of Per and the regions: 64
// bytes, so no two regions share a cache line.
const ScratchAlign = 16

// Size is the float32s of the layout at its tightest.
func (s Scratch) Size() int { return s.Parts*s.Per + s.Shared }

// Stride is how far apart the regions lie in buf: the room before the
// shared float32s, cut into Parts, rounded down to ScratchAlign.
func (s Scratch) Stride(buf []float32) int {
	if s.Parts == 0 {
		return 0
	}
	return max(0, len(buf)-s.Shared) / s.Parts / ScratchAlign * ScratchAlign
}

// Part returns thread i's region of buf.
func (s Scratch) Part(buf []float32, i int) []float32 {
	st := s.Stride(buf)
	return buf[i*st : (i+1)*st : (i+1)*st]
}

// Regions returns all the threads' regions of buf, Stride apart.
func (s Scratch) Regions(buf []float32) []float32 {
	n := s.Parts * s.Stride(buf)
	return buf[:n:n]
}

// SharedOf returns the shared float32s of buf: everything after the regions.
func (s Scratch) SharedOf(buf []float32) []float32 { return buf[s.Parts*s.Stride(buf):] }

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
