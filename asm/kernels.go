package asm

import (
	"time"

	"github.com/gocnn/gocnn/internal/cpu"
)

// Kernels is one dispatch table: every kernel for one ISA level. It is
// architecture-neutral; each GOARCH contributes its tables in
// dispatch_<goarch>.go. A gemm or conv plan keeps the table it was built with.
type Kernels struct {
	Name    string    // "avx512", "avx2", "neon", "generic"
	Level   cpu.Level // ISA level the table needs
	MR, NR  int       // micro-kernel register tile
	KUnroll int       // k unroll of the micro-kernel's main loop

	Sgemm     SgemmFunc     // MR×NR micro-kernel on packed panels
	SgemmRowA SgemmRowAFunc // same, A read in place; nil if the table has none
	// SgemmPackB is Sgemm that also packs the B panel it reads in place;
	// SgemmStrips runs Sgemm down a column of tiles in one call. Either is
	// nil if the table has none.
	SgemmPackB  SgemmPackBFunc
	SgemmStrips SgemmStripsFunc
	// SgemmOffs is SgemmStrips with B rows at offsets (implicit im2col);
	// nil if the table has none.
	SgemmOffs SgemmOffsFunc

	// Edge lists narrower kernels (ascending NR < table NR, same MR and
	// panel layout) for the last, partial column strip, so that it does
	// not pay for a full NR-wide tile. May be empty.
	Edge  []EdgeKernel
	Sgemv SgemvFunc // row-major matrix times vector (N=1 shapes)
	// SgemvPacked is the matrix-vector product over packed A tiles (the
	// last one or two columns of a GEMM); nil if the table has none.
	SgemvPacked SgemvPackedFunc
	// SgemmThin computes a last column strip of at most 4 columns over
	// packed A tiles; nil if the table has none.
	SgemmThin SgemmThinFunc

	// FMAProbe runs n iterations of ProbeFlops floating-point operations in
	// independent FMA chains, so benchmarks can measure the peak.
	FMAProbe   func(n int)
	ProbeFlops int

	// ---- Row kernels: vec, pool, dwconv, winograd families ----
	// Activations, batch norm, pooling rows, depthwise rows and Winograd
	// transform passes; see rowkernels.go. Every table fills them.
	RowKernels
}

// EdgeKernel is an MR×NR micro-kernel pair for partial column strips; it
// reads the first NR columns of a wider strip (ldb as given). SgemmOffs
// is the table's SgemmOffs at this width, for the end of an output row.
type EdgeKernel struct {
	NR        int
	Sgemm     SgemmFunc
	SgemmRowA SgemmRowAFunc // may be nil
	SgemmOffs SgemmOffsFunc // may be nil
	// SgemmRowACol is SgemmRowA with one more column, for strips of NR+1
	// columns; may be nil.
	SgemmRowACol SgemmRowAColFunc
}

// EdgeFor returns the narrowest edge kernel at least w columns wide, or
// nil if the full-width kernel should be used.
func (t *Kernels) EdgeFor(w int) *EdgeKernel {
	for i := range t.Edge {
		if t.Edge[i].NR >= w {
			return &t.Edge[i]
		}
	}
	return nil
}

var genericTable = &Kernels{
	Name: "generic", Level: cpu.Generic, MR: 4, NR: 8, KUnroll: 1,
	Sgemm: sgemm4x8Generic, SgemmRowA: sgemm4x8RowAGeneric, SgemmPackB: sgemm4x8PackBGeneric,
	SgemmStrips: sgemm4x8StripsGeneric, SgemmOffs: sgemm4x8OffsGeneric, Sgemv: sgemvGeneric, SgemvPacked: sgemvPacked4Generic,
	FMAProbe: fmaProbeGeneric, ProbeFlops: probeChainsGeneric * 2,
	RowKernels: rowKernelsGeneric,
}

// all lists the tables compiled for this GOARCH and tag set, best first;
// archTables (dispatch_*.go) supplies the non-generic ones.
var all = append(archTables(), genericTable)

var defaultTable = Select(cpu.Max())

// Select returns the best table whose level is at most l and that the
// running CPU supports. It never returns nil: generic is always there.
func Select(l cpu.Level) *Kernels {
	for _, t := range all {
		if t.Level <= l && cpu.Supports(t.Level) && sameArch(t.Level, l) {
			return t
		}
	}
	return genericTable
}

// sameArch keeps an amd64 cap from selecting an arm64 table and vice versa.
func sameArch(t, l cpu.Level) bool {
	return t == cpu.Generic || (t == cpu.NEON) == (l == cpu.NEON)
}

// Default returns the table for cpu.Max() (the hardware capped by GOCNN_ISA).
func Default() *Kernels { return defaultTable }

// Tables returns every table the running CPU supports, best first, ignoring
// GOCNN_ISA; tests run each of them.
func Tables() []*Kernels {
	var ts []*Kernels
	for _, t := range all {
		if cpu.Supports(t.Level) {
			ts = append(ts, t)
		}
	}
	return ts
}

// Lookup returns the supported table called name, or nil.
func Lookup(name string) *Kernels {
	for _, t := range Tables() {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// MeasurePeak runs t.FMAProbe for about d on the calling goroutine and
// returns the rate in GFLOP/s: the single-thread peak for t's vector width.
func MeasurePeak(t *Kernels, d time.Duration) float64 {
	n := 1 << 12
	best := 0.0
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		start := time.Now()
		t.FMAProbe(n)
		el := time.Since(start)
		if el < 200*time.Microsecond {
			n *= 2
			continue
		}
		if g := float64(n) * float64(t.ProbeFlops) / el.Seconds() / 1e9; g > best {
			best = g
		}
	}
	return best
}
