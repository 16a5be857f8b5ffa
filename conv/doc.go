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
//	    → "depthwise": direct, one output plane at a time; interior rows of
//	      3×3 stride 1 and 2 use unrolled 9-tap row kernels, the rest a
//	      per-tap streaming row loop (5×5, dilations, edges).
//	1×1 kernel, stride 1, no padding
//	    → "gemm1x1": per image and group, Y = W·X straight on NCHW (X is
//	      already the C×HW B matrix), no copy.
//	3×3, stride 1, dilation 1, group 1, C ≥ 16 and M ≥ 16, 2-D
//	    → "winograd": F(4×4, 3×3).
//	anything else (k×k, strides, dilations, padding, groups, 1-D)
//	    → "im2col": per image and group, gemm with a gemm.BSource that packs
//	      B panels straight from the NCHW image (implicit im2col, zero
//	      padding written while packing); no column buffer exists.
//
// Weights are packed once with gemm.PackA (one PackedA per group, or per
// Winograd position ξ) for the table in Options.Kernels (default
// asm.Default()).
//
// # Epilogue
//
// Bias, residual and activation are fused (see Epilogue). On the GEMM
// paths the bias is gemm's row bias, the residual gemm's residual, ReLU and
// Clip gemm's clamp and LeakyReLU gemm's activation, all applied while the
// C tile is in registers; HardSigmoid, HardSwish, Sigmoid and SiLU run as a
// pass over each image's output right after its GEMM. Winograd and
// depthwise apply the whole epilogue to each output row as it is written.
//
// # Winograd F(4×4, 3×3)
//
// U = G g Gᵀ is computed at load (float64, rounded once) and packed as 36
// M×C matrices. At run time the output is cut into 4×4 tiles (6×6 input
// patches, zero padded); tiles are processed in blocks of TB (16…128,
// sized so V and M stay in L2): V = Bᵀ d B for the block, 36 GEMMs
// M_ξ = U_ξ·V_ξ, then Y = Aᵀ M A plus the epilogue. Blocks are spread over
// Options.Threads; when there are fewer blocks than threads the blocks run
// in sequence with threaded GEMMs.
//
// Error bound. The transforms multiply values by up to 8 (Aᵀ) and 5 (Bᵀ)
// and cancel, so the float32 result is less accurate than direct
// convolution. With S = Σ|w·x| over an output's taps (the natural scale of
// its rounding error), the tests require
//
//	|y − y_exact| ≤ 5e-5 · S      (Winograd; measured ≤ 4e-6 on normal data,
//	                                 C up to 256)
//	|y − y_exact| ≤ 1e-5 · S      (gemm1x1, im2col, depthwise; measured ≤ 2e-7)
//
// so Winograd trades about 20× the rounding error of the GEMM paths for
// its speed; models that need more use Options{Algorithm: "im2col"}.
//
// # Memory and threads
//
// Run allocates nothing in steady state. Scratch: the GEMM paths use gemm's
// pooled pack buffers (gemm.WorkspaceSize); Winograd uses, per worker, a
// pooled buffer of 36·(C+M)·TB + max(12·(4·⌈OW/4⌉+2), 28·TB) floats (for
// C = M = 64, TB = 32: about 0.6 MB); depthwise needs none. Options.Threads
// (≤ 0: GOMAXPROCS) is passed to gemm or splits planes / tile blocks over
// the pool of internal/parallel. A Conv is safe for concurrent use.
package conv
