package asm

// RowKernels are the memory-bound and transform kernels of a table: the
// element-wise activations, batch-norm scale+shift, add, strided row copy
// and sum (vec family), pooling rows (pool), depthwise rows and row
// deinterleave (dwconv) and the Winograd F(4×4, 3×3) transform passes
// (winograd). Every table fills every field but those documented as
// optional (nil where another route is faster without assembly); a table
// without assembly for a kernel uses the pure-Go twin.
//
// All kernels take raw pointers and element counts, like the SGEMM
// kernels: n ≥ 0, and every element the doc comment reads or writes must
// exist. Nothing is read or written outside that range. Unless a comment
// says otherwise, outputs must not overlap inputs.
//
// Max and clamp follow the x86 MAXPS/MINPS rule, written out in the twins:
// maxps(a, b) = a > b ? a : b, minps(a, b) = a < b ? a : b. So clamps keep
// a NaN input as NaN, and may keep −0 where Go's builtin max returns +0.
// Pooling maxima skip NaN (the ONNX reference rule): −Inf for a window with
// no number.
type RowKernels struct {
	// Activations: dst[i] = f(src[i]); dst == src is allowed.
	ReLU        ActFunc // maxps(0, x); a, b unused
	Clip        ActFunc // minps(b, maxps(a, x)): lo = a, hi = b
	LeakyReLU   ActFunc // x < 0 ? a·x : x
	HardSigmoid ActFunc // minps(1, maxps(0, a·x + b))
	HardSwish   ActFunc // x · minps(1, maxps(0, x·(1/6) + 1/2)); a, b unused
	Sigmoid     ActFunc // 1 / (1 + exp(−x)), exp by a polynomial (see expPoly)
	SiLU        ActFunc // x · Sigmoid(x)

	ScaleShift ScaleShiftFunc // minps(hi, maxps(lo, x·s + t)) (batch norm)
	Add        AddFunc        // dst[i] = x[i] + y[i]
	CopyRows   CopyRowsFunc   // rows of n floats, strided (padded planes)
	CopyRowsS2 CopyRowsS2Func // every other float of rows (stride-2 im2col)
	// PermuteRows: rows of 16 floats from 48-float windows through a lane
	// table (implicit im2col's packing); nil in a table without assembly
	// for it (conv then copies and gathers in Go).
	PermuteRows PermuteRowsFunc
	Sum         SumFunc // Σ x[i] in a fixed order (global average pooling)

	// Pooling over several output rows: 2×2 and 3×3 windows at stride 2,
	// 3×3 at stride 1.
	MaxPool2x2s2 PoolRowsFunc
	MaxPool3x3s2 PoolRowsFunc
	MaxPool3x3s1 PoolRowsFunc
	AvgPool2x2s2 PoolRowsFunc
	AvgPool3x3s2 PoolRowsFunc
	AvgPool3x3s1 PoolRowsFunc
	MaxFold      FoldFunc // dst[i] = NaN-skipping max(dst[i], src[i·s])
	// 3×3 stride-1 max and average pooling (padding 1, every window as
	// nine taps) over whole planes up to PlanesWidest wide; nil in a table
	// without assembly for them (pool then runs MaxPool3x3s1 and
	// AvgPool3x3s1 per padded plane).
	MaxPool3x3s1Planes PoolPlanesFunc
	AvgPool3x3s1Planes PoolPlanesFunc

	// Depthwise 3×3 rows with bias and clamp, stride 1 and 2.
	DWConv3x3s1 DWRowFunc
	DWConv3x3s2 DWRowFunc
	// Depthwise 3×3 stride 1 over several rows, straight into the output
	// plane; nil in a table without assembly for it (conv then computes
	// a flat run of the rows and copies them out).
	DWConv3x3s1R DWRowsFunc
	// Depthwise 3×3 stride 2 over rows stored as even then odd columns
	// (written by Deinterleave). nil in a table whose DWConv3x3s2 is the
	// faster route (neon: its assembly against this kernel's Go twin).
	DWConv3x3s2P DWRowsS2PFunc
	// The same for 5×5 windows; nil in a table without assembly for it
	// (conv then takes the taps kernels over the even and odd halves).
	DWConv5x5s2P DWRowsS2PFunc
	Deinterleave DeinterleaveFunc
	// Depthwise k×k taps, accumulated into the outputs, stride 1 and 2.
	DWTapsS1 DWTapsFunc
	DWTapsS2 DWTapsFunc
	// Depthwise 3×3 stride-1 "same" convolution over whole planes up to
	// PlanesWidest wide; nil in a table without assembly for it.
	DWConv3x3Planes DWPlanesFunc
	// Depthwise 3×3 and 5×5 stride 1 over one padded plane of rows up to
	// DWPlaneWidest; nil in a table without assembly for them.
	DWPlaneK3S1 DWPlaneS1Func
	DWPlaneK5S1 DWPlaneS1Func
	// Depthwise with eight channels in the lanes (small planes, see
	// dwc8_generic.go). nil in a table without assembly for them: the
	// per-plane kernels above are then the faster route.
	DWC8S1 DWCFunc
	DWC8S2 DWCFunc
	// The same with sixteen channels in the lanes; nil in a table whose
	// vectors are eight wide (conv then takes DWC8S1, DWC8S2).
	DWC16S1 DWCFunc
	DWC16S2 DWCFunc
	// Eight rows to groups of eight and back (every table: Winograd's
	// channels-last route uses them too).
	Interleave8 Interleave8Func
	Split8      Split8Func
	// Sixteen rows to groups of sixteen and back; nil in a table without
	// assembly for them (conv then makes two eight-row passes).
	Interleave16 Interleave16Func
	Split16      Split16Func
	// Four rows to groups of four (gemm's A panels when MR = 4); nil in a
	// table without assembly for it: gemm then interleaves in Go.
	Interleave4 Interleave4Func

	// Winograd F(4×4, 3×3) passes in conv's layout (see winograd_generic.go).
	Winograd43InCols  WinoInColsFunc
	Winograd43InRow   WinoInRowFunc
	Winograd43OutCols WinoOutColsFunc
	Winograd43OutRow  WinoOutRowFunc
}

// The planes the assembly MaxPool3x3s1Planes and DWConv3x3Planes take
// (and h ≥ 2): below PlanesMin floats a plane has no room for the
// kernels' reads and writes past it, above PlanesMax it does not fit the
// copies the wrappers make of a call's first and last planes, and rows are
// at most PlanesWidest (five vectors). Other shapes go to the twins.
const (
	PlanesMin    = 10
	PlanesMax    = 2048
	PlanesWidest = 40
)

// rowKernelsGeneric is the pure-Go RowKernels, used by the generic table
// and by tables whose ISA has no assembly for these kernels yet.
var rowKernelsGeneric = RowKernels{
	ReLU: reluGeneric, Clip: clipGeneric, LeakyReLU: leakyReLUGeneric,
	HardSigmoid: hardSigmoidGeneric, HardSwish: hardSwishGeneric,
	Sigmoid: sigmoidGeneric, SiLU: siluGeneric,
	ScaleShift: scaleShiftGeneric, Add: addGeneric, CopyRows: copyRowsGeneric, CopyRowsS2: copyRowsS2Generic, Sum: sumGeneric,
	MaxPool2x2s2: maxPool2x2s2Generic, MaxPool3x3s2: maxPool3x3s2Generic, MaxPool3x3s1: maxPool3x3s1Generic,
	AvgPool2x2s2: avgPool2x2s2Generic, AvgPool3x3s2: avgPool3x3s2Generic, AvgPool3x3s1: avgPool3x3s1Generic,
	MaxFold:     maxFoldGeneric,
	DWConv3x3s1: dwconv3x3s1Generic, DWConv3x3s2: dwconv3x3s2Generic,
	DWConv3x3s2P: dwconv3x3s2pGeneric, Deinterleave: deinterleaveGeneric,
	DWTapsS1: dwconvTapsS1Generic, DWTapsS2: dwconvTapsS2Generic,
	Interleave8: interleave8Generic, Split8: split8Generic,
	Winograd43InCols: winograd43InColsGeneric, Winograd43InRow: winograd43InRowGeneric,
	Winograd43OutCols: winograd43OutColsGeneric, Winograd43OutRow: winograd43OutRowGeneric,
}

// maxps and minps are the x86 MAXPS/MINPS rules: the second operand wins
// ties and unordered comparisons.
func maxps(a, b float32) float32 {
	if a > b {
		return a
	}
	return b
}

func minps(a, b float32) float32 {
	if a < b {
		return a
	}
	return b
}
