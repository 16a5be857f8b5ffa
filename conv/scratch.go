package conv

import (
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// A Run's scratch is laid out as ops.Scratch says: a private region for
// each of the Conv's threads (thread i runs part i of every parallel
// section, whether or not a section uses all the threads), then the pieces
// the threads share. Each route cuts its pieces off a region or the shared
// tail with carvers, in a fixed order (see scratchLayout). RunScratch takes
// the scratch from the caller (the runtime lays every node's out at one
// address and stride); Run takes it from the runState's own buffer,
// without gemm's workspaces, which then come from gemm's pool.

// scratchAlign keeps every piece of scratch 64-byte aligned relative to
// the scratch's start.
const scratchAlign = ops.ScratchAlign

// scratchBuf is a Run's scratch and its layout.
type scratchBuf struct {
	buf []float32
	lay ops.Scratch
}

// part returns a carver over thread i's region.
func (s scratchBuf) part(i int) carver { return carver{buf: s.lay.Part(s.buf, i)} }

// shared returns a carver over the shared pieces.
func (s scratchBuf) shared() carver { return carver{buf: s.lay.SharedOf(s.buf)} }

// regions returns every thread's region: a multi-threaded gemm's
// workspace, whose thread i takes region i (gemm.WorkspacePart).
func (s scratchBuf) regions() []float32 { return s.lay.Regions(s.buf) }

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

// ScratchSize implements ops.ScratchKernel: the scratch RunScratch needs
// for inputs of these shapes with the current thread count, none if the
// inputs are invalid.
func (k *Conv) ScratchSize(in []*tensor.Tensor) ops.Scratch {
	g, err := k.check(in)
	if err != nil {
		return ops.Scratch{}
	}
	return k.scratchLayout(g, true)
}

// RunScratch implements ops.ScratchKernel: Run with the padded copies,
// Winograd tiles and gemm packing buffers in scratch. With less scratch
// than ScratchSize it runs as Run does.
func (k *Conv) RunScratch(in, out []*tensor.Tensor, scratch []float32) error {
	return k.run(in, out, scratch)
}

// scratchLayout is the scratch a Run on g takes: the pieces each route
// takes from a thread's region (priv) and from the shared tail (sh);
// withGemm includes gemm's workspaces.
func (k *Conv) scratchLayout(g *geometry, withGemm bool) ops.Scratch {
	var priv, sh carver
	switch k.algoFor(g) {
	case AlgoGEMM1x1, AlgoIm2col:
		k.gemmScratch(&priv, &sh, g, withGemm)
		k.sliceScratch(&sh, g)
	case AlgoWinograd:
		wb := k.winoBlocks(g)
		if wb.split {
			k.winoShared(&sh, wb)
			k.winoWorker(&priv, g, wb, withGemm)
		} else {
			k.winoScratch(&priv, g, wb, withGemm)
		}
	case AlgoWinograd2:
		k.wino2Scratch(&priv, &sh, g, withGemm)
	case AlgoWinogradT:
		k.winoTScratch(&priv, &sh, g, withGemm)
	case AlgoDepthwise:
		k.dwScratch(&priv, g)
	}
	if priv.off == 0 && sh.off == 0 {
		return ops.Scratch{}
	}
	return ops.Scratch{Parts: k.threads(), Per: roundUp(priv.off, scratchAlign), Shared: roundUp(sh.off, scratchAlign)}
}

// gemmScratch takes the GEMM paths' scratch: for im2col the padded or
// phased copy of one image's group from sh (none for a direct source, and
// for a strided 1×1 the subsampled input), then from priv either, with
// SgemmOffs, a thread's band of the padded planes (returned as pad), or,
// for an explicit column matrix, a chunk thread's band (as pad, if the
// source is a copy), columns and (withGemm) gemm workspace, or (withGemm)
// a thread's share of gemm's workspace (the regions, shared by the
// per-image and per-group calls).
func (k *Conv) gemmScratch(priv, sh *carver, g *geometry, withGemm bool) (pad, cols, ws []float32) {
	mg := k.m / k.group
	if k.algo == AlgoGEMM1x1 && strided(g) {
		pad = sh.take(k.subScratch(g))
	}
	if k.algo != AlgoGEMM1x1 {
		if k.useOffs(g) {
			_, rows := k.offsBands(g)
			return priv.take(k.band(g, rows)), nil, nil // (no gemm call)
		}
		if explicit(g) {
			_, chunk, rows := k.chunking(g)
			if !direct(g) && k.ownsSource(g) {
				pad = priv.take(k.band(g, rows))
			}
			size := k.kDim * gemm.LD(chunk)
			if packedCols(k.cg) {
				size = gemm.PackedBSize(k.kern, k.kDim, chunk)
			}
			cols = priv.take(size)
			if withGemm {
				ws = priv.take(gemm.WorkspacePart(k.kern, mg, chunk, k.kDim))
			}
			return pad, cols, ws
		}
		pad = sh.take(im2colSize(k.cg, g, k.kh, k.kw))
	}
	if withGemm {
		ws = priv.take(gemm.WorkspacePart(k.kern, mg, g.outPlane, k.kDim))
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

// dwScratch takes a depthwise worker's scratch from its region, priv
// (none for the plane kernels).
func (k *Conv) dwScratch(priv *carver, g *geometry) {
	switch k.dwRoute(g) {
	case routePlane16, routePlanes:
	case routeLanes:
		k.dwcScratch(priv, g)
	default:
		k.dwScratchPart(priv, g)
	}
}
