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
// Options.Threads parts on the pool of internal/parallel, calling row
// kernels of the asm table in Options.Kernels (asm.Default() if nil; AVX2
// on amd64, pure-Go twins elsewhere): MaxPool2x2s2, MaxPool3x3s2,
// AvgPool2x2s2 and AvgPool3x3s2 for the interior of the common windows,
// all its rows in one call (a call per row cost as much as the pooling on
// 14-wide rows); at stride 1, 3×3 pooling padded by one on planes up to
// 40 wide in one MaxPool3x3s1Planes or AvgPool3x3s1Planes call over the
// part's planes (a row is one to five vectors, no padded copy; average
// pooling's border windows scaled by their counts after); other max
// pooling over a padded copy of a stack of planes (MaxPool3x3s1, a call
// per plane, for 3×3 windows, else two separable passes of MaxFold over
// the stack at once), other average pooling over a padded copy of each
// plane (AvgPool3x3s1 for 3×3 windows, then the border windows' counts;
// else two separable passes of Add, then ScaleShift by the inverse count
// where whole windows fit); max at stride 2 with windows
// reaching into padding, the rows kernels over a padded copy, and on rows
// shorter than 8 without padding, over the plane in place (8 wide, the
// extra outputs overwritten by the next row's); MaxFold and foldAdd (one
// streaming pass per kernel tap over the output positions where that tap
// is inside the input) for every other row, window and edge; the
// activation kernels and ScaleShift for the element-wise kernels.
//
// Semantics match package ops: MaxPool never selects NaN and gives −Inf
// for a window without a number (every max row kernel and MaxFold skips
// NaN and starts from −Inf or −Inf padding); AveragePool
// divides by the taps inside the input, or with count_include_pad by those
// inside the padded input (never the ceil_mode overhang), 0 for an empty
// window; sums are float32 (the reference sums in float64; tested to
// 1e-6 relative), and at stride 1 the interior averages are sums times
// the inverse count (within an ulp of the quotient; 3×3 border windows
// that times 9/count, a few ulps). Sigmoid and SiLU use the table's float32 exp
// polynomial (asm.expPoly: relative error ≤ 3e-7; Sigmoid and SiLU within
// 1e-6 relative of float64, tested in package asm).
//
// Run allocates nothing in steady state; the padded planes live in
// per-worker buffers reused between runs.
package pool
