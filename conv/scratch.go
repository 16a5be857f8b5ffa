package conv

import (
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/tensor"
)

// A Run's scratch is one float32 slice, cut into pieces in a fixed order
// (see scratchSize). RunScratch takes it from the caller (the runtime plans
// it in its arena); Run takes it from the runState's own buffer, without
// gemm's workspaces, which then come from gemm's pool.

// scratchAlign keeps every piece of scratch 64-byte aligned relative to
// the scratch's start.
const scratchAlign = 16

// carver cuts aligned pieces off the front of buf. With a nil buf it only
// counts: off is then the size the pieces taken so far need.
type carver struct {
	buf []float32
	off int
}

// take returns the next n float32s (nil when counting).
func (c *carver) take(n int) []float32 {
	c.off = roundUp(c.off, scratchAlign)
	lo := c.off
	c.off += n
	if c.buf == nil {
		return nil
	}
	return c.buf[lo:c.off:c.off]
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// share returns part i of s cut into parts equal pieces (nil for nil s):
// a thread's own scratch.
func share(s []float32, part, parts int) []float32 {
	if s == nil {
		return nil
	}
	per := len(s) / parts
	return s[part*per : (part+1)*per]
}

// ScratchSize implements ops.ScratchKernel: the float32s of scratch
// RunScratch needs for inputs of these shapes with the current thread
// count, 0 if the inputs are invalid.
func (k *Conv) ScratchSize(in []*tensor.Tensor) int {
	g, err := k.check(in)
	if err != nil {
		return 0
	}
	return k.scratchSize(g, true)
}

// RunScratch implements ops.ScratchKernel: Run with the padded copies,
// Winograd tiles and gemm packing buffers in scratch. With less scratch
// than ScratchSize it runs as Run does.
func (k *Conv) RunScratch(in, out []*tensor.Tensor, scratch []float32) error {
	return k.run(in, out, scratch)
}

// scratchSize is the float32s of scratch a Run on g takes; withGemm
// includes gemm's workspaces.
func (k *Conv) scratchSize(g *geometry, withGemm bool) int {
	var c carver
	switch k.algoFor(g) {
	case AlgoGEMM1x1, AlgoIm2col:
		k.gemmScratch(&c, g, withGemm)
	case AlgoWinograd:
		wb := k.winoBlocks(g)
		if wb.split {
			return k.winoSharedSize(wb) + wb.parts*k.winoWorkerSize(g, wb, withGemm)
		}
		return wb.parts * k.winoPartSize(g, wb, withGemm)
	case AlgoWinograd2:
		k.wino2Scratch(&c, g, withGemm)
	case AlgoWinogradT:
		k.winoTScratch(&c, g, withGemm)
	case AlgoDepthwise:
		return k.dwScratch(g)
	}
	return c.off
}

// gemmScratch takes the GEMM paths' scratch from c: for im2col the padded
// or phased copy of one image's group (none for a direct source), then
// either, for an explicit column matrix, each chunk thread's columns and
// (withGemm) gemm workspace, or (withGemm) gemm's workspace, shared by the
// per-image and per-group calls.
func (k *Conv) gemmScratch(c *carver, g *geometry, withGemm bool) (pad, cols, ws []float32) {
	mg := k.m / k.group
	if k.algo == AlgoGEMM1x1 && strided(g) {
		pad = c.take(k.subScratch(g))
	}
	if k.algo != AlgoGEMM1x1 {
		if k.useOffs(g) {
			return c.take(k.offsScratch(g)), nil, nil // (no gemm call)
		}
		if !direct(g) {
			pad = c.take(im2colSize(k.cg, g, k.kh, k.kw))
		}
		if explicit(g) {
			parts, chunk := k.chunking(g)
			size := k.kDim * gemm.LD(chunk)
			if packedCols(k.cg) {
				size = gemm.PackedBSize(k.kern, k.kDim, chunk)
			}
			cols = c.take(parts * roundUp(size, scratchAlign))
			if withGemm {
				ws = c.take(parts * roundUp(gemm.WorkspaceSize(k.kern, mg, chunk, k.kDim, 1), scratchAlign))
			}
			return pad, cols, ws
		}
	}
	if withGemm {
		ws = c.take(gemm.WorkspaceSize(k.kern, mg, g.outPlane, k.kDim, k.opts.Threads))
	}
	return pad, cols, ws
}

// winoScratch takes one Winograd worker's scratch from c: V and M
// (winoShared), then its rows and GEMM workspace (winoWorker).
func (k *Conv) winoScratch(c *carver, g *geometry, wb winoBlocks, withGemm bool) (v, mo, rows, ws []float32) {
	v, mo = k.winoShared(c, wb)
	rows, ws = k.winoWorker(c, g, wb, withGemm)
	return v, mo, rows, ws
}

// winoShared takes the transformed blocks from c: V (36·C·TB) and
// M (36·M·TB), a worker's own or, split, shared by all.
func (k *Conv) winoShared(c *carver, wb winoBlocks) (v, mo []float32) {
	return c.take(winoTiles * k.cg * wb.tb), c.take(winoTiles * k.m * wb.tb)
}

// winoWorker takes a worker's own scratch from c: the transforms' row
// buffers (max((4·winoPadRows+8)·(4·tilesW+2), 28·TB)) and (withGemm) the workspace of
// its GEMMs.
func (k *Conv) winoWorker(c *carver, g *geometry, wb winoBlocks, withGemm bool) (rows, ws []float32) {
	rows = c.take(max((4*winoPadRows+8)*(4*g.tilesW+2), 28*wb.tb))
	if withGemm {
		m := k.m
		if wb.split {
			m = (k.m + wb.parts - 1) / wb.parts // at most a part's rows
			m = (m + k.kern.MR - 1) / k.kern.MR * k.kern.MR
		}
		ws = c.take(gemm.WorkspaceSize(k.kern, m, wb.tb, k.cg, wb.gemmThr))
	}
	return rows, ws
}

// winoPartSize is the scratch of one Winograd worker, rounded up so every
// worker's part is aligned.
func (k *Conv) winoPartSize(g *geometry, wb winoBlocks, withGemm bool) int {
	var c carver
	k.winoScratch(&c, g, wb, withGemm)
	return roundUp(c.off, scratchAlign)
}

// winoSharedSize and winoWorkerSize are, split, the shared part of the
// scratch and each worker's, rounded up to stay aligned.
func (k *Conv) winoSharedSize(wb winoBlocks) int {
	var c carver
	k.winoShared(&c, wb)
	return roundUp(c.off, scratchAlign)
}

func (k *Conv) winoWorkerSize(g *geometry, wb winoBlocks, withGemm bool) int {
	var c carver
	k.winoWorker(&c, g, wb, withGemm)
	return roundUp(c.off, scratchAlign)
}

// dwScratchPart takes one depthwise worker's scratch from c: on the taps
// kernels' geometries (dwFlat) the padded plane and the flat output rows
// of dwLayout, else the padded plane of padded.
func (k *Conv) dwScratchPart(c *carver, g *geometry) (pad, out []float32) {
	if g.oh == 0 || g.ow == 0 {
		return nil, nil
	}
	if dwFlat(g) {
		l := dwLayout(k.kern, g, k.kh, k.kw)
		return c.take(l.size), c.take(l.n)
	}
	return c.take(padSize(1, g, k.kh, k.kw)), nil
}

// dwPartSize is the scratch of one depthwise worker, rounded up so every
// worker's part is aligned: worker part uses
// scratch[part·dwPartSize : (part+1)·dwPartSize].
func (k *Conv) dwPartSize(g *geometry) int {
	var c carver
	if k.usePlanes(g) {
		return 0
	}
	if k.useDWC8(g) {
		k.dwc8Scratch(&c, g)
	} else {
		k.dwScratchPart(&c, g)
	}
	return roundUp(c.off, scratchAlign)
}

// dwScratch is the scratch a depthwise Run takes: one part per worker (at
// most threads workers).
func (k *Conv) dwScratch(g *geometry) int { return k.threads() * k.dwPartSize(g) }
