//go:build amd64 && !purego && !noasm

package asm

import "github.com/gocnn/gocnn/internal/cpu"

// extraKernels are generated tile shapes not used by a table, kept for
// measurement; only those the CPU supports are returned.
func extraKernels() []kernelCase {
	var ks []kernelCase
	if cpu.HasAVX2 {
		ks = append(ks,
			kernelCase{"avx2", 6, 16, sgemm6x16AVX2, nil, nil})
	}
	return ks
}
