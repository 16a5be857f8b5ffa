//go:build amd64 && !purego && !noasm

package asm

import "github.com/gocnn/gocnn/internal/cpu"

func archTables() []*Kernels {
	return []*Kernels{
		{
			Name: "avx512", Level: cpu.AVX512, MR: 8, NR: 32, KUnroll: 4,
			Sgemm: sgemm8x32AVX512, SgemmRowA: sgemm8x32RowAAVX512, Sgemv: sgemvAVX512,
			FMAProbe: fmaProbeAVX512, ProbeFlops: 12 * 16 * 2,
		},
		{
			Name: "avx2", Level: cpu.AVX2, MR: 4, NR: 24, KUnroll: 4,
			Sgemm: sgemm4x24AVX2, SgemmRowA: sgemm4x24RowAAVX2, Sgemv: sgemvAVX2,
			FMAProbe: fmaProbeAVX2, ProbeFlops: 12 * 8 * 2,
		},
	}
}
