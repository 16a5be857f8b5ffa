// Package pool holds gocnn's fast pooling and element-wise kernels, each an
// ops.Kernel built once at model load:
//
//	NewMax, NewAverage   MaxPool (single output; nodes that want Indices
//	                     keep the reference kernel) and AveragePool over one
//	                     or two spatial axes: pads, strides, dilations,
//	                     auto_pad, ceil_mode, count_include_pad. Attributes
//	                     come from ops.ParsePoolParams, shapes from
//	                     ops.PoolParams.Geometry, so they accept exactly what
//	                     the reference kernels accept.
//	NewGlobal            GlobalMaxPool / GlobalAveragePool, any rank ≥ 3.
//	NewBatchNorm         BatchNormalization (inference) as y = x·s[c] + t[c],
//	                     s and t folded in float64 at load, plus an optional
//	                     activation.
//	NewActivation        Relu, Clip, LeakyRelu, HardSigmoid, HardSwish,
//	                     Sigmoid, SiLU over any float32 tensor.
//
// Structure. Every kernel is a loop over planes (N·C) or chunks, split over
// Options.Threads parts on the pool of internal/parallel, calling a
// per-row function on float32 slices: max2x2s2, max3x3s2, avg2x2s2 and
// avg3x3s2 for the interior rows of the common windows; foldMax/foldAdd
// (one streaming pass per kernel tap over the output positions where that
// tap is inside the input) for every other row, window and edge; Act.Apply
// and scaleShift for the element-wise kernels. A SIMD kernel replaces one of these row
// functions without touching the rest.
//
// Semantics match package ops: MaxPool never selects NaN and gives −Inf
// for a window without a number (the fast paths use the NaN-propagating
// builtin max and recompute any NaN output the careful way); AveragePool
// divides by the taps inside the input, or with count_include_pad by those
// inside the padded input (never the ceil_mode overhang), 0 for an empty
// window; sums are float32 (the reference sums in float64; tested to
// 1e-6 relative). Sigmoid and SiLU use a float32 exp (relative error
// ≤ 4e-7).
//
// Run allocates nothing in steady state; no scratch memory is needed.
package pool
