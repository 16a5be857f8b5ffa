// Package conv is gocnn's fast convolution: a Conv is built once per Conv
// node whose weights are constants (New, or FromNode for an ONNX or fused
// gocnn.Conv node), chooses its algorithm then, packs or transforms the
// weights for it, and implements ops.Kernel. Convolutions over one or two
// spatial axes are supported; others return ErrUnsupported (use the
// reference kernel of package ops).
//
// # Algorithms
//
// Selection (Conv.Algorithm reports the choice; Options.Algorithm forces
// one where it applies):
//
//	group == C and one input channel per group (depthwise, any multiplier)
//	    → "depthwise": direct, one output plane at a time from a zero-padded
//	      copy: at stride 1 the whole plane is one row-kernel call (rows
//	      side by side, the window sliding on into the next row; 3×3 where
//	      the table has DWConv3x3s1R: every row straight into the output,
//	      no flat buffer to copy out); 3×3 at
//	      stride 2 copies each padded row as its even, then its odd columns
//	      (Deinterleave), so the taps are consecutive again and one call of
//	      the shuffle-free DWConv3x3s2P kernel covers the plane (tables
//	      without it: a shuffling call per output row), and 5×5 with output
//	      rows of 16 or more likewise DWConv5x5s2P (AVX-512; it takes
//	      precedence over the lanes route below); 3×3 on
//	      register-weight kernels, other sizes on the k×k taps kernels (one
//	      call per output row at stride 2); dilations and larger strides a
//	      per-tap streaming row loop. 3×3 at stride 1 with padding 1 and
//	      multiplier 1, on planes up to 40 wide and 2048 floats, takes
//	      DWConv3x3Planes where the table has it (AVX2): a row is one to
//	      five vectors, the padding masked lanes, all of a part's planes
//	      of an image in one call, no copy. Other small planes (outputs
//	      up to 14×14, or 28×28 for kernels above 3×3; multiplier 1, channels a multiple of
//	      8, strides 1 and 2) go eight channels at a time instead, with the
//	      channels in the vector lanes, where the table has those kernels
//	      (AVX2): eight planes transposed to [position][8] (Interleave8,
//	      row by row into the padded plane from 8 columns up), one
//	      DWC8S1/DWC8S2 call for all output rows, transposed back (Split8)
//	      — a 7×7 plane cost several calls for a few hundred multiply-adds.
//	      Kernels above 3×3 with channels a multiple of 16 take sixteen
//	      at a time where the table has DWC16S1/DWC16S2 (AVX-512), and so
//	      do 3×3 ones on output planes up to 7×7, ahead of
//	      DWConv3x3Planes.
//	      Before all of these, 3×3 and 5×5 "same" convolutions at stride 1
//	      with multiplier 1 on rows 9…112 wide (5×5: 9…32 but 17) take
//	      DWPlaneK3S1/DWPlaneK5S1 where the table has them (AVX-512): the
//	      planes read where they lie (no padded copy), a call per run of
//	      them, each plane's weights in registers and each row one to
//	      seven 16-lane vectors.
//	1×1 kernel, no padding
//	    → "gemm1x1": per image and group, Y = W·X straight on NCHW (X is
//	      already the C×HW B matrix), no copy. At a stride above 1 the
//	      pixels read are first copied into a C×OH·OW matrix (one CopyRows
//	      or Deinterleave per plane, planes shared by the conv's threads);
//	      the im2col route had copied them twice and streamed the weights
//	      once per column chunk.
//	3×3, stride 1, dilation 1, group 1, C ≥ 16 and M ≥ 16, 2-D
//	    → "winograd": F(4×4, 3×3). At run time, on several threads, a
//	      layer with fewer than 32 input channels (64 on maps of at most
//	      16 output tiles, 13×13 and less) runs im2col (each thread's
//	      transforms do not shrink with its share of the GEMMs);
//	      an input with fewer than 16 output tiles (e.g. 7×7 at batch 1),
//	      where the 36 GEMMs would be mostly edge, runs F(2×2, 3×3)
//	      instead ("winograd2x2": 16 GEMMs
//	      with the 2×2 tiles as rows and Uᵀ pre-packed as gemm's B, U 16/9
//	      the size of W) when it has at least 16 such tiles and
//	      128·256 ≤ C·M ≤ 2¹⁷ (larger transformed weights come from memory
//	      in a model and cost more than F(2×2) saves), and im2col otherwise; a map of at most 64 tiles per image
//	      (14×14, 28×28), or 256 (56×56) on one thread, from 32
//	      channels or split by output channels (below), runs
//	      "winograd4x4t": F(4×4) with the tiles as the
//	      GEMMs' rows and the transforms over channels (below).
//	      Conv.AlgorithmFor reports the choice.
//	anything else (k×k, strides, dilations, padding, groups, 1-D)
//	    → "im2col": per image and group, gemm with a gemm.BSource that packs
//	      B panels straight from a padded copy of the NCHW image (at column
//	      stride s, s column phases: copies, not gathers; with avx512, 16
//	      columns at a time permuted from one window of the image;
//	      implicit im2col, no column buffer). When output rows are long (OW ≥ 14: the
//	      stems, and the 28- and 14-wide layers) the column matrix is
//	      written instead (one CopyRows per kernel tap and output row, all
//	      input channels at once), in chunks of columns that stay in L2,
//	      each multiplied by a one-thread gemm as soon as it is written;
//	      each thread takes an even share of the NR-wide column strips
//	      and cuts it into chunks. From 16 channels a chunk is
//	      written in gemm's packed-B layout (runs also end at NR-wide strip
//	      edges) and multiplied as a gemm.PackedB, without a second copy.
//	      At column stride 2 the chunks are written from the image itself
//	      (CopyRowsS2, padding as zeros: no phases); otherwise the padded
//	      copy is written first, on the conv's threads too. When K (C/g·KH·KW) is small enough that
//	      a column strip's K×NR floats stay in L1 (the 3×3 and 7×7 stems,
//	      K = 27 and 147), the table's SgemmOffs multiplies straight from
//	      the padded copy or its phases instead: B row p of an output row's
//	      strip at a fixed offset per (channel, kernel row, column) from
//	      the window's origin, all output channels per call, output rows
//	      shared by the threads, each writing the band of padded rows (or
//	      phases) its windows read (no column matrix, no B packing, no
//	      hand-off); a row's last columns on the narrowest edge kernel
//	      that covers them. A deep product (K ≥ 2048 on an even channel
//	      count: ResNet's 3×3 layers on 256 and 512 channels) whose first
//	      input's B is implicit, and a 1×1 product with four input
//	      channels per output channel on at most 256 pixels, runs as two K
//	      slices, the halves of the input channels, summed by a last pass
//	      that applies the epilogue; on two threads or more (im2col: maps
//	      of at most 64 outputs) the slices run side by side, each thread
//	      packing only its own half of B (slices.go).
//
// Weights are packed once with gemm.PackA (one PackedA per group, or per
// Winograd position ξ) for the table in Options.Kernels (default
// asm.Default()).
//
// # Epilogue
//
// Bias, residual and activation (an asm.Activation) are fused (see
// Epilogue). On the GEMM paths the bias is gemm's row bias, the residual
// gemm's residual and ReLU and Clip gemm's clamp, applied while the C tile
// is in registers; the other activations run on finished strips while they
// is in L2 (256 columns at a time). Winograd applies the whole epilogue to
// each output row as it is written; depthwise adds the bias and clamp in
// its kernels and applies other activations over runs of planes.
//
// # Winograd F(4×4, 3×3)
//
// U = G g Gᵀ is computed at load (float64, rounded once) and packed as 36
// M×C matrices. At run time the output is cut into 4×4 tiles (6×6 input
// patches, zero padded); tiles are processed in blocks of TB (a multiple
// of the micro-kernel's NR, 2·NR … 256, V and M within about 4 MB, at least
// one block per thread): V = Bᵀ d B for the block (written in gemm's
// pre-packed B layout, which the GEMMs read in place), 36 GEMMs
// M_ξ = U_ξ·V_ξ (as wide as whole NR panels, or exactly as the block's
// tiles when more than a third of the last panel is tiles: gemm's edge
// kernel then costs less than the padding, e.g. the 16 tiles of a 14×14
// map), then Y = Aᵀ M A plus the epilogue. The input transform
// pads each channel's rows for up to eight tile rows once; the transforms
// run on whole tile rows at a time as streaming passes, the Winograd43InCols,
// Winograd43InRow, Winograd43OutCols and Winograd43OutRow kernels of the
// plan's asm table (AVX2 on amd64, the pure-Go twins elsewhere); the
// depthwise 3×3 rows, residual adds and activations also go through the
// table's row kernels. Blocks are spread over
// Options.Threads; when there are fewer blocks than threads, or blocks per
// thread would share the NR-tile strips unevenly (49 tiles at two threads),
// each block runs in two parallel phases: the input transform split by
// input channels, then the GEMMs and output transform by output channels
// (bit-identical to one thread).
//
// Small maps ("winograd4x4t", winograd4t.go): 16 tiles (14×14) as GEMM
// columns filled two thirds of the 4×24 micro-kernel and left the
// transforms four tiles per call. There the 36 GEMMs are
// Mᵀ_ξ = Vᵀ_ξ·Uᵀ_ξ, every tile of the Run as a row and Uᵀ pre-packed as
// gemm's B; the input goes to a padded channels-last copy (Interleave8),
// each tile's Bᵀ d B is twelve Winograd43InCols passes over the channels,
// Aᵀ M A ten Winograd43OutCols passes into a channels-last output, which
// Split8 returns to NCHW. Five parallel phases: the copies by channels
// (cut at 16, whole cache lines), the transforms by tiles, the GEMMs by ξ —
// bit-identical whatever the thread count. On several threads, when a
// thread's Vᵀ and Mᵀ stay within 8 MB (ResNet's 3×3 layers up to 28×28
// and 64→64 at 56×56, SqueezeNet's expand layers, GoogLeNet's branches;
// not VGG's 256→256 at 56×56), one phase instead: each thread copies and
// transforms the whole input and runs everything else for its own
// NR-aligned share of the output channels, so nothing crosses between
// cores (the phases' hand-offs had made two threads slower than one on
// SqueezeNet's fire layers); a column's sums are the same in a narrower
// GEMM, so the bits are too. A single image with at least as many tiles
// as output channels (ResNet's 64→64 at 56×56) whose tile rows divide
// evenly among the threads splits by tile rows instead: each thread copies,
// transforms, multiplies and writes back its own band of the output, all
// channels, so only the two input rows between bands are read twice (the
// output-channel split repeats the whole input transform), while each
// thread reads all the weights (hence the tile count bound). Maps up to 256 tiles (56×56) take this route
// too on one thread, from 32 input channels, or split by output channels
// (with fewer, in phases, the hand-offs cost more than the calls over
// channels save). The bias is gemm's column bias on Mᵀ_7: Aᵀ's column 1
// is all ones, so it reaches each of a tile's 16 outputs once.
//
// Error bound. The transforms multiply by up to 8 (Aᵀ) and 5 (Bᵀ) and then
// cancel, and they mix all 36 inputs of a tile's 6×6 patch into each of its
// 16 outputs, so the error of an output scales with the whole patch, not
// with its own taps. With
//
//	S   = Σ|w·x| over the output's own taps (+|b|, +|residual|)
//	S_W = Σ_c ‖w[m,c]‖₁ · max over the tile's 6×6 patch of |x[c]|  (+|b|, …)
//
// the tests require (factor 2 for the activation's slope, plus 5e-7·|y|
// for the rounding of the activation itself)
//
//	|y − y_exact| ≤ 2 · 2e-5 · S_W   (Winograd; measured ≤ 2.2e-6·S_W on
//	                                 normal data, C from 1 to 512)
//	|y − y_exact| ≤ 2 · 1e-5 · S     (gemm1x1, im2col, depthwise; measured
//	                                 ≤ 2e-7·S)
//
// Relative to S itself Winograd measured up to 4e-6 (about 20× the GEMM
// paths' error) on normal data with C ≥ 16, and more when a patch holds
// values far larger than an output's own taps. Models that need the GEMM
// paths' accuracy use Options{Algorithm: "im2col"}.
// Non-finite inputs also spread differently: an Inf or NaN in a 6×6 input
// patch makes every output of the tiles that read the patch NaN, not just
// the outputs whose receptive field holds it.
//
// # Memory and threads
//
// Run allocates nothing in steady state. A Run's scratch is one float32
// slice, cut into the pieces below. RunScratch (ops.ScratchKernel) takes it
// from the caller, ScratchSize floats for the input shape and thread count:
// the gocnn runtime plans it in each run's arena, sharing memory with dead
// intermediates. Run takes it from a buffer the Conv keeps per concurrent
// Run (a free list, never dropped at GC), leaving out gemm's packing
// buffers, which then come from gemm's pool. Sizes, in float32s: gemm1x1,
// gemm's workspace (gemm.WorkspaceSize), strided also the subsampled
// matrix and a plane per copying thread, (C/g + threads)·OH·OW; im2col, when the convolution
// pads, a padded copy of one image's group, C/g·(H+pads)·(W+pads), plus
// gemm's workspace (none through SgemmOffs), and for K slices slice 1's
// product, M/g·OH·OW; Winograd, per worker, 36·(C+M)·TB +
// max(12·(4·⌈OW/4⌉+2), 28·TB) (C = M = 64, TB = 216: 4 MB) plus its
// GEMMs' workspace; on small maps 36·(C+M)·T for all T tiles of the Run
// (at most 16 MB, else the route above), a channels-last image and per
// thread 36·max(C, M) plus a GEMM workspace; depthwise, per worker, one padded plane
// (H+pads)·(W+pads).
//
// Weights: the Conv references w and b (not copied) and keeps its packing:
// M·K rounded up to the micro-kernel's MR for the GEMM paths, 36·M·C (4× W)
// for Winograd, which also packs im2col weights the first time an input is
// too small for it (so does a product that may be sliced, for its first
// input's geometry). Options.Threads (≤ 0: GOMAXPROCS) is passed to gemm or
// splits planes / tile blocks over the pool of internal/parallel. A Conv is
// safe for concurrent use.
package conv
