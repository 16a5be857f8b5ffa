package conv

import (
	"github.com/gocnn/gocnn/asm"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// poison is the NaN the scratch is filled with before RunScratch: results
// that read scratch before writing it turn NaN, and writes past
// ScratchSize show in the guard band.
var poison = math.Float32frombits(0x7fc0dead)

// TestRunScratch: for every algorithm (and Winograd's im2col fallback),
// with one to three threads, RunScratch on poisoned scratch of exactly
// ScratchSize floats gives the same bits as Run, writes its scratch and
// nothing past it, and keeps the Conv's own buffer unused; with one float
// too few it still gives the same bits. On scratch whose regions lie
// further apart than Per (as the runtime lays them out), it gives the same
// bits and writes nothing between a region's first Per floats and the
// next region: every thread keeps to its region.
func TestRunScratch(t *testing.T) {
	defer func(v, s int) { winoMinChannelsThreaded, sliceMinK = v, s }(winoMinChannelsThreaded, sliceMinK)
	winoMinChannelsThreaded = 0 // Winograd's own routes on small cases
	rng := rand.New(rand.NewPCG(21, 22))
	minK := sliceMinK
	for _, tc := range []struct {
		cc     convCase
		algo   string
		sliced bool // with sliceMinK lowered: K slices
	}{
		{cc: gemmCases[1], algo: AlgoGEMM1x1},
		{cc: gemmCases[3], algo: AlgoGEMM1x1},               // grouped
		{cc: gemmCases[5], algo: AlgoIm2col},                // padded
		{cc: gemmCases[6], algo: AlgoIm2col},                // strided, asymmetric pads, batch 2
		{cc: gemmCases[13], algo: AlgoIm2col},               // grouped, padded, batch 2
		{cc: gemmCases[15], algo: AlgoIm2col},               // 1-D
		{cc: gemmCases[17], algo: AlgoIm2col},               // several k blocks
		{cc: gemmCases[len(gemmCases)-2], algo: AlgoIm2col}, // explicit column matrix, batch 2
		{cc: gemmCases[len(gemmCases)-1], algo: AlgoIm2col}, // explicit, chunks splitting rows
		{cc: offsCases[len(offsCases)-3], algo: AlgoIm2col}, // SgemmOffs: the threads' bands of phases
		{cc: offsCases[len(offsCases)-2], algo: AlgoIm2col}, // ... 7×7/2, batch 2
		{cc: offsCases[len(offsCases)-1], algo: AlgoIm2col}, // ... of padded planes
		{cc: winoCases[1], algo: AlgoWinograd},
		{cc: winoCases[5], algo: AlgoWinograd},
		{cc: winoCases[6], algo: AlgoWinograd}, // 1 tile: runs im2col
		{cc: convCase{n: 1, c: 16, h: 16, w: 15, m: 72, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}, algo: AlgoWinograd}, // tiles as rows; split by output channels
		{cc: convCase{n: 1, c: 40, h: 14, w: 14, m: 36, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}, bias: true}, algo: AlgoWinograd}, // tiles as rows, in phases
		{cc: convCase{n: 2, c: 128, h: 6, w: 9, m: 260, kh: 3, kw: 3, pads: []int{0, 2, 1, 0}, bias: true}, algo: AlgoWinograd}, // F(2×2)
		{cc: dwCases[0], algo: AlgoDepthwise},
		{cc: dwCases[6], algo: AlgoDepthwise}, // dilated
		{cc: dwCases[11], algo: AlgoDepthwise},
		{cc: dwPlane16Cases[2], algo: AlgoDepthwise},             // DWPlaneK3S1
		{cc: dwPlane16Cases[6], algo: AlgoDepthwise},             // DWPlaneK3S1, four vectors a row
		{cc: dwPlane16Cases[11], algo: AlgoDepthwise},            // DWPlaneK5S1
		{cc: dwcCases[4], algo: AlgoDepthwise},                   // sixteen lanes (5×5 on AVX-512)
		{cc: sliceCases[0].cc, algo: AlgoIm2col, sliced: true},   // K slices side by side
		{cc: sliceCases[3].cc, algo: AlgoIm2col, sliced: true},   // ... one after the other, explicit (generic: SgemmOffs)
		{cc: sliceCases[4].cc, algo: AlgoIm2col, sliced: true},   // ... implicit
		{cc: sliceCases[9].cc, algo: AlgoGEMM1x1, sliced: true},  // ... 1×1 side by side
		{cc: sliceCases[10].cc, algo: AlgoGEMM1x1, sliced: true}, // ... batch 2
	} {
		sliceMinK = minK
		if tc.sliced {
			sliceMinK = 1
		}
		for threads := 1; threads <= 3; threads++ {
			x, w, b := tc.cc.operands(rng)
			p, err := ops.ParseConvParams(tc.cc.node())
			if err != nil {
				t.Fatal(err)
			}
			k, err := New(p, w, b, Epilogue{Act: asm.Activation{Kind: asm.ActHardSwish}, Residual: true}, Options{Algorithm: tc.algo, Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			if tc.cc.first != nil {
				k.Prepare(tc.cc.first)
			}
			g, err := k.geometry(x.Shape)
			if err != nil {
				t.Fatal(err)
			}
			in := []*tensor.Tensor{x, randT(rng, g.out...)}
			want := tensor.New(tensor.Float32, g.out...)
			if err := k.Run(in, []*tensor.Tensor{want}); err != nil {
				t.Fatal(err)
			}
			lay := k.ScratchSize(in)
			n := lay.Size()
			if lay != k.ScratchSize([]*tensor.Tensor{x.Meta(), in[1].Meta()}) {
				t.Errorf("%v %s: ScratchSize depends on Data", tc.cc, tc.algo)
			}
			if n > 0 && (lay.Parts != threads || lay.Per%ops.ScratchAlign != 0) {
				t.Errorf("%v %s threads=%d: layout %+v", tc.cc, tc.algo, threads, lay)
			}
			// A fresh Conv: its own buffer must stay unused.
			k, _ = New(p, w, b, Epilogue{Act: asm.Activation{Kind: asm.ActHardSwish}, Residual: true}, Options{Algorithm: tc.algo, Threads: threads})
			if tc.cc.first != nil {
				k.Prepare(tc.cc.first)
			}
			const guard = 64
			scratch := make([]float32, n+guard)
			for i := range scratch {
				scratch[i] = poison
			}
			for _, size := range []int{n, n - 1} {
				if size < 0 {
					continue
				}
				got := tensor.New(tensor.Float32, g.out...)
				if err := k.RunScratch(in, []*tensor.Tensor{got}, scratch[:size]); err != nil {
					t.Fatal(err)
				}
				name := k.AlgorithmFor(x.Shape)
				if string(tensor.EncodeLittleEndian(got.Data)) != string(tensor.EncodeLittleEndian(want.Data)) {
					t.Errorf("%v %s threads=%d scratch %d of %d: RunScratch differs from Run (max |diff| %g)",
						tc.cc, name, threads, size, n, tensor.MaxAbsDiff(got.Float32s(), want.Float32s()))
				}
				for i, v := range scratch[n:] {
					if math.Float32bits(v) != math.Float32bits(poison) {
						t.Fatalf("%v %s threads=%d: RunScratch wrote scratch[%d], past its %d floats", tc.cc, name, threads, n+i, n)
					}
				}
				if size < n {
					continue
				}
				st := k.states.Get()
				if cap(st.buf) != 0 {
					t.Errorf("%v %s threads=%d: RunScratch used the Conv's own buffer", tc.cc, name, threads)
				}
				k.states.Put(st)
				written := 0
				for _, v := range scratch[:n] {
					if math.Float32bits(v) != math.Float32bits(poison) {
						written++
					}
				}
				if n > 0 && written == 0 {
					t.Errorf("%v %s threads=%d: RunScratch did not use its %d floats of scratch", tc.cc, name, threads, n)
				}
			}
			if n == 0 {
				continue
			}
			// Regions 3·16 floats further apart than Per.
			const gap = 3 * ops.ScratchAlign
			wide := make([]float32, n+lay.Parts*gap)
			for i := range wide {
				wide[i] = poison
			}
			got := tensor.New(tensor.Float32, g.out...)
			if err := k.RunScratch(in, []*tensor.Tensor{got}, wide); err != nil {
				t.Fatal(err)
			}
			name := k.AlgorithmFor(x.Shape)
			if string(tensor.EncodeLittleEndian(got.Data)) != string(tensor.EncodeLittleEndian(want.Data)) {
				t.Errorf("%v %s threads=%d: RunScratch on spread regions differs from Run", tc.cc, name, threads)
			}
			if s := lay.Stride(wide); s != lay.Per+gap {
				t.Fatalf("%v %s: stride %d, want %d", tc.cc, name, s, lay.Per+gap)
			}
			for i := range lay.Parts {
				r := lay.Part(wide, i)
				for j, v := range r[lay.Per:] {
					if math.Float32bits(v) != math.Float32bits(poison) {
						t.Fatalf("%v %s threads=%d: RunScratch wrote float %d of region %d, past its %d", tc.cc, name, threads, lay.Per+j, i, lay.Per)
					}
				}
			}
		}
	}
}

// TestScratchSizes: ScratchSize is what the documented pieces add up to on
// a padded im2col and a Winograd convolution, per thread and shared.
func TestScratchSizes(t *testing.T) {
	defer func(a, b, c, d int) {
		winoTMaxTiles, winoTMaxTiles1, winoTColsMaxFloats, winoMinChannelsThreaded = a, b, c, d
	}(winoTMaxTiles, winoTMaxTiles1, winoTColsMaxFloats, winoMinChannelsThreaded)
	winoMinChannelsThreaded = 0 // Winograd's own layouts on small cases
	rng := rand.New(rand.NewPCG(23, 24))
	for _, tc := range []struct {
		cc   convCase
		algo string
		cols bool // winoTCols
		rows bool // winoTRows
	}{
		{gemmCases[5], AlgoIm2col, false, false},
		{winoCases[5], AlgoWinograd, false, false},
		{winoCases[1], AlgoWinograd, false, false}, // split blocks
		{winoCases[1], AlgoWinogradT, false, false},
		{convCase{n: 1, c: 16, h: 16, w: 15, m: 72, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}}, AlgoWinogradT, true, false},
		{convCase{n: 1, c: 16, h: 16, w: 15, m: 12, kh: 3, kw: 3, pads: []int{1, 1, 1, 1}}, AlgoWinogradT, false, true},
	} {
		winoTMaxTiles, winoTMaxTiles1, winoTColsMaxFloats = 0, 0, 0 // tiles as columns, unless the case is for rows
		if tc.algo == AlgoWinogradT {
			winoTMaxTiles = 64
		}
		if tc.cols {
			winoTColsMaxFloats = 1 << 21
		}
		x, w, b := tc.cc.operands(rng)
		p, _ := ops.ParseConvParams(tc.cc.node())
		algo := tc.algo
		if algo == AlgoWinogradT {
			algo = AlgoWinograd
		}
		k, err := New(p, w, b, Epilogue{}, Options{Algorithm: algo, Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		g, err := k.geometry(x.Shape)
		if err != nil {
			t.Fatal(err)
		}
		a := k.algoFor(g)
		if rows := a == AlgoWinogradT && k.winoTRows(g); a != tc.algo || k.winoTCols(g) != tc.cols || rows != tc.rows {
			t.Fatalf("%v: runs %s (split by output channels: %t, by tile rows: %t), want %s (%t, %t)",
				tc.cc, a, k.winoTCols(g), rows, tc.algo, tc.cols, tc.rows)
		}
		got := k.ScratchSize([]*tensor.Tensor{x})
		var per, shared int
		switch tc.algo {
		case AlgoWinogradT: // the channels-last image, Vᵀ and Mᵀ shared, per part its pass buffer and GEMM workspace
			hp, wp := winoTPad(g)
			T := g.n * g.tilesPerImg
			shared = g.n*max(hp*wp*k.cg, 16*g.tilesPerImg*k.m) + winoTiles*T*(k.cg+k.m)
			per = winoTiles*max(k.cg, k.m) + gemm.WorkspacePart(k.kern, T, k.m, k.cg)
			if tc.cols { // all of it per part, for the widest part's channels
				nr := k.kern.NR
				mw := min(k.m, ((k.m+nr-1)/nr+1)/2*nr) // half the strips, rounded up
				shared = 0
				per = g.n*max(hp*wp*k.cg, 16*g.tilesPerImg*mw) + winoTiles*T*(k.cg+mw) +
					winoTiles*max(k.cg, mw) + gemm.WorkspacePart(k.kern, T, mw, k.cg)
			}
			if tc.rows { // all of it per part, for half the tile rows
				rows := (g.tilesH + 1) / 2
				tb := rows * g.tilesW
				shared = 0
				per = max((4*rows+2)*wp*k.cg, 16*tb*k.m) + winoTiles*tb*(k.cg+k.m) +
					winoTiles*max(k.cg, k.m) + gemm.WorkspacePart(k.kern, tb, k.m, k.cg)
			}
		case AlgoIm2col:
			hp, wp, pads := padDims(g, k.kh, k.kw)
			if !pads {
				t.Fatalf("%v: no padding", tc.cc)
			}
			shared, per = k.cg*hp*wp, gemm.WorkspacePart(k.kern, k.m, g.outPlane, k.kDim)
		case AlgoWinograd:
			wb := k.winoBlocks(g)
			rows := max((4*winoPadRows+8)*(4*g.tilesW+2), 28*wb.tb)
			if wb.split { // V and M shared, rows and a GEMM workspace for a part's strips each
				mp := ((k.m+wb.parts-1)/wb.parts + k.kern.MR - 1) / k.kern.MR * k.kern.MR
				shared, per = winoTiles*(k.cg+k.m)*wb.tb, rows+gemm.WorkspacePart(k.kern, mp, wb.tb, k.cg)
			} else {
				per = winoTiles*(k.cg+k.m)*wb.tb + rows + gemm.WorkspacePart(k.kern, k.m, wb.tb, k.cg)
			}
		}
		if got.Parts != 2 || got.Per < per || got.Per > per+8*scratchAlign || got.Shared < shared || got.Shared > shared+8*scratchAlign {
			t.Errorf("%v %s: ScratchSize %+v, want %d per thread and %d shared plus alignment", tc.cc, tc.algo, got, per, shared)
		}
		if k.scratchLayout(g, false).Size() >= got.Size() {
			t.Errorf("%v %s: gemm's workspace adds nothing", tc.cc, tc.algo)
		}
	}
}
