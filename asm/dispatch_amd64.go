//go:build amd64 && !purego && !noasm

package asm

import "github.com/gocnn/gocnn/internal/cpu"

// archTables lists the amd64 tables, best first.
//
// avx2 uses 4×24 (12 ymm accumulators, 3 B vectors, 1 broadcast): on the
// Zen 3 development machine it measured at or above 6×16 on most shapes
// (BenchmarkSgemm, BenchmarkKernel), and MR = 4 leaves no row edges for
// channel counts that are multiples of 4.
//
// avx512 uses 8×32 (16 zmm accumulators): MR = 8 divides common channel
// counts, 16 independent FMA chains cover two 512-bit pipes at latency 4,
// and 10 loads per 16 FMAs stay within two load ports. On the AMD EPYC
// with AVX-512 it first ran on (FMA peak 237 GFLOP/s per core at 512 bits,
// 118 at 256) it measured 1.6–1.9× the avx2 table on BenchmarkSgemm's
// shapes and 1.4× on whole models, so it is the default where the CPU
// has it; GOCNN_ISA=avx2 caps it. Its row kernels are avx2's but for
// Sigmoid and SiLU (see rowKernelsAVX512).
func archTables() []*Kernels {
	return []*Kernels{
		{
			Name: "avx512", Level: cpu.AVX512, MR: 8, NR: 32, KUnroll: 4,
			Sgemm: sgemm8x32AVX512, SgemmRowA: sgemm8x32RowAAVX512, SgemmPackB: sgemm8x32PackBAVX512,
			SgemmStrips: sgemm8x32StripsAVX512, SgemmOffs: sgemm8x32OffsAVX512, Sgemv: sgemvAVX512, SgemvPacked: sgemvPacked8AVX512, SgemmThin: sgemmThin8x4AVX512,
			Edge:     []EdgeKernel{{16, sgemm8x16AVX512, sgemm8x16RowAAVX512, sgemm8x16OffsAVX512, sgemm8x16RowAColAVX512}},
			FMAProbe: fmaProbeAVX512, ProbeFlops: 12 * 16 * 2,
			RowKernels: rowKernelsAVX512,
		},
		{
			Name: "avx2", Level: cpu.AVX2, MR: 4, NR: 24, KUnroll: 4,
			Sgemm: sgemm4x24AVX2, SgemmRowA: sgemm4x24RowAAVX2, SgemmPackB: sgemm4x24PackBAVX2,
			SgemmStrips: sgemm4x24StripsAVX2, SgemmOffs: sgemm4x24OffsAVX2, Sgemv: sgemvAVX2, SgemvPacked: sgemvPacked4AVX2,
			Edge:     []EdgeKernel{{8, sgemm4x8AVX2, sgemm4x8RowAAVX2, nil, nil}, {16, sgemm4x16AVX2, sgemm4x16RowAAVX2, sgemm4x16OffsAVX2, nil}},
			FMAProbe: fmaProbeAVX2, ProbeFlops: 12 * 8 * 2,
			RowKernels: rowKernelsAVX2,
		},
	}
}
