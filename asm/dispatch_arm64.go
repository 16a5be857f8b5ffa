//go:build arm64 && !purego && !noasm

package asm

import "github.com/gocnn/gocnn/internal/cpu"

func archTables() []*Kernels {
	return []*Kernels{
		{
			Name: "neon", Level: cpu.NEON, MR: 8, NR: 12, KUnroll: 4,
			Sgemm: sgemm8x12NEON, SgemmRowA: sgemm8x12RowANEON, Sgemv: sgemvNEON,
			FMAProbe: fmaProbeNEON, ProbeFlops: 24 * 4 * 2,
		},
	}
}
