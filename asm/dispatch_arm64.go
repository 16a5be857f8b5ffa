//go:build arm64 && !purego && !noasm

package asm

import "github.com/gocnn/gocnn/internal/cpu"

// archTables lists the arm64 tables. Go's arm64 port requires ASIMD, so
// NEON is always there.
//
// neon uses 8×12: 24 of the 32 vector registers hold accumulators, the
// rest hold A (two registers) and B (two sets of three, so the next row
// loads while the current one is used). Each k step is 24 FMLA by element
// and 3 loads; MR = 8 divides common channel counts. The generated
// sgemm12x8NEON and sgemm8x12NEONDup (A broadcast with VLD1R, native
// mnemonics only) are alternatives to measure on hardware; the kernels were
// written and tested under qemu-user, which says nothing about speed.
// sgemm8x4NEON and sgemm8x4RowANEON are generated for a 4-wide edge but not
// listed yet: TestSgemmTwins sizes bias as nr+1, too short for row bias
// when MR > NR+1.
func archTables() []*Kernels {
	return []*Kernels{
		{
			Name: "neon", Level: cpu.NEON, MR: 8, NR: 12, KUnroll: 4,
			Sgemm: sgemm8x12NEON, SgemmRowA: sgemm8x12RowANEON, Sgemv: sgemvNEON,
			Edge:     []EdgeKernel{{8, sgemm8x8NEON, sgemm8x8RowANEON, nil, nil}},
			FMAProbe: fmaProbeNEON, ProbeFlops: 24 * 4 * 2,
			RowKernels: rowKernelsNEON,
		},
	}
}

// rowKernelsNEON is the RowKernels of the neon table: NEON assembly for
// every kernel but CopyRows, Sum and Deinterleave (the Go twins; CopyRows
// is a memmove per row); no DWConv3x3s2P. The vec and exp kernels (activations, ScaleShift, Add)
// handle any n themselves; the pooling, depthwise and Winograd kernels are
// blocks of 4 behind the wrappers of rows_arm64.go.
var rowKernelsNEON = func() RowKernels {
	k := rowKernelsGeneric
	k.ReLU, k.Clip, k.LeakyReLU = reluNEON, clipNEON, leakyReLUNEON
	k.HardSigmoid, k.HardSwish = hardSigmoidNEON, hardSwishNEON
	k.Sigmoid, k.SiLU = sigmoidNEON, siluNEON
	k.ScaleShift, k.Add = scaleShiftNEON, addNEON
	k.MaxPool2x2s2, k.MaxPool3x3s2, k.MaxPool3x3s1 = maxPool2x2s2NEON, maxPool3x3s2NEON, maxPool3x3s1NEON
	k.AvgPool2x2s2, k.AvgPool3x3s2 = avgPool2x2s2NEON, avgPool3x3s2NEON
	k.MaxFold = maxFoldNEON
	k.DWConv3x3s1, k.DWConv3x3s2 = dwconv3x3s1NEON, dwconv3x3s2NEON
	k.DWConv3x3s2P = nil // the assembly DWConv3x3s2 beats the Go twin
	k.Winograd43InCols, k.Winograd43InRow = winograd43InColsNEON, winograd43InRowNEON
	k.Winograd43OutCols, k.Winograd43OutRow = winograd43OutColsNEON, winograd43OutRowNEON
	return k
}()
