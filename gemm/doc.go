// Package gemm is gocnn's single-precision matrix multiply: a BLIS-style
// framework in Go around the micro-kernels of package asm.
//
// All matrices are row-major. Gemm computes
//
//	C = clamp(alpha·op(A)·op(B) + beta·C + bias + residual, Min, Max)
//
// then an optional activation, with op(X) = X or Xᵀ, A m×k, B k×n, C m×n.
// The epilogue runs while each C tile is in registers or L1.
//
// Blocking: the k dimension is cut into equal KC blocks (a KC×NR B panel
// of about 9/8 of L1, which measured faster than half of L1), m into MC
// blocks (an MC×KC packed A block fits in half of L2) and n into NC blocks
// (a KC×NC packed B block fits in half of this core's L3 share); sizes
// come from internal/cpu. Packed panels are zero-padded to full MR×NR
// tiles, so micro-kernels have no edge code; partial C tiles go through a
// temporary tile (computed by a narrower edge kernel when the table has one).
//
// Packing is skipped when it cannot pay for itself: with few columns
// (N ≤ 256) row-major A is read in place by the table's SgemmRowA kernel,
// and with few rows, a wide B and a short k (M ≤ 64, N ≥ 512, K ≤ 128)
// full-width B strips are read in place (the kernel prefetches the next
// strip). Only partial edge strips are then packed. Otherwise a row-major
// B is packed by the first tile of each strip (the table's SgemmPackB
// reads the strip in place and stores it packed while it computes, so the
// packed strip is in L1 for the other tiles), or, without that kernel, by
// PackB a block at a time, reading B row by row (a block that fits in half
// of L2 strip by strip, a CopyRows call per strip). In-place strips whose
// rows would share a few L1 sets (row strides at or near a multiple of
// 4 KiB) are packed instead, by PackB beforehand when the stride is within
// 256 bytes of such a multiple. The full tiles of a column strip run in one
// SgemmStrips call when the table has it. A last strip of one or two
// columns (or one or two wider than an edge kernel, after that kernel)
// runs as matrix-vector passes over the A block: Sgemv next to A read in
// place, SgemvPacked next to packed A.
// Weights are packed once: PackA for the A operand (convolutions), PackB
// for the B operand (Winograd F(2×2) with the tiles as rows); Gemm reads
// either in place. PackA lays A out k block by k block, so that the
// micro-panels of consecutive tiles follow each other in memory; when K
// is a single k block, PackedA.Panels exposes them to callers that run a
// table's kernels themselves (conv's SgemmOffs route).
//
// Threads: C is cut into a grid of rectangles aligned to MR×NR tiles, one
// per thread, run on the reusable pool of internal/parallel; the grid
// minimises the busiest thread's modelled cost (its tiles, the A and B
// strips it packs or streams, and a fixed cost per column strip, which at
// small K favours splitting N). K is never
// split and blocking does not depend on the thread count, so results are
// bit-identical for any number of threads.
//
// Steady-state calls allocate nothing: per-thread pack buffers come from
// Params.Workspace (WorkspaceSize floats; the gocnn runtime plans them in
// each run's arena) or, without one, from the call's State, which Gemm
// takes from a free list.
package gemm
