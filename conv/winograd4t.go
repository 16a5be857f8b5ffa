package conv

import (
	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/internal/parallel"
)

// Winograd F(4×4, 3×3) on small maps, with the tiles as the GEMMs' rows
// (as F(2×2) does, winograd2.go):
//
//	Mᵀ_ξ [T × M] = Vᵀ_ξ [T × C] · Uᵀ_ξ [C × M]
//
// A 14×14 map has 16 tiles: as columns (winograd.go) they fill two thirds
// of the 4×24 micro-kernel's width, and the transforms there run over
// tiles, four at a time. Here the transforms run over channels instead, on
// channels-last copies: the input is transposed to a padded [y][x][C]
// image (Interleave8), each tile's 6×6×C patch goes through Bᵀ·B as twelve
// Winograd43InCols passes of C floats, writing Vᵀ_ξ's rows; the output
// comes back the same way (ten Winograd43OutCols passes per tile into a
// [y][x][M] image, then Split8 to NCHW). Five phases on the pool: the
// copies split by channels, the transforms by tiles, the GEMMs by ξ; or
// one split by output channels (winoTCols) or by tile rows (winoTRows). Each output
// element is computed the same way whatever the split, so the results do
// not depend on the thread count. The bias rides on Mᵀ_7: Aᵀ's
// column 1 is all ones, so b added at ξ = (1, 1) adds b to each of the 16
// outputs (gemm's column-bias epilogue on that one GEMM).

// AlgoWinogradT is what AlgorithmFor reports for a Winograd convolution
// that runs this way. It cannot be chosen in Options.
const AlgoWinogradT = "winograd4x4t"

// winoTMaxTiles: a map with more tiles per image runs the tiles as
// columns (winograd.go); so does one with more than winoTMaxTiles1 (56×56
// maps have 196), and one with more than winoTMaxTiles on two threads or
// more when it has fewer than winoTMinC input channels and runs in
// phases. Measured at 56×56 with the avx512 table: 64→64 483 against 242
// effective GFLOP/s on one thread, 444 against 374 on two; 256→256 893
// against 570 on two; 16→64 at 55×55 229 against 208 on one thread but
// 135 against 214 on two in phases (one part copies all 16 channels, and
// five hand-offs cost more than its 0.3 ms of work can hide), 279 against
// 195 split by output channels. The avx2 table agrees but for 64→64 on
// two threads (5 % slower). And a Run whose Vᵀ and Mᵀ (every tile of the Run:
// 36·T·(C + M) floats) would exceed winoTMaxFloats runs the columns.
// Variables so tests can move them.
var (
	winoTMaxTiles  = 64
	winoTMaxTiles1 = 256
	winoTMinC      = 32
	winoTMaxFloats = 1 << 22
)

// useWinoT reports whether a Winograd Run on g takes this route.
func (k *Conv) useWinoT(g *geometry) bool {
	most := winoTMaxTiles
	if k.threads() == 1 || k.cg >= winoTMinC || k.winoTCols(g) {
		most = max(most, winoTMaxTiles1)
	}
	return g.tilesPerImg <= most && winoTiles*g.n*g.tilesPerImg*(k.cg+k.m) <= winoTMaxFloats
}

// winoTBiasPos is ξ = (1, 1), whose GEMM adds the bias (see above).
const winoTBiasPos = 7

type winoTPlan struct {
	packed [winoTiles]gemm.PackedB // Uᵀ_ξ, C×M
}

// winoTPlan returns the weights as B panels, transforming them on first use.
func (k *Conv) winoTPlan() *winoTPlan {
	k.winoTOnce.Do(func() {
		u := winoWeights(k.wRaw, k.m, k.cg)
		p := &winoTPlan{}
		for xi := range winoTiles {
			p.packed[xi] = *gemm.PackB(k.kern, true, k.cg, k.m, u[xi*k.m*k.cg:], k.cg, nil)
		}
		k.winoT.Store(p)
	})
	return k.winoT.Load()
}

// winoTPad returns the padded channels-last input's rows and columns:
// every tile's 6×6 patch inside, and the image (4·tilesH + 2 ≥ OH + 2 =
// H + both pads).
func winoTPad(g *geometry) (hp, wp int) { return 4*g.tilesH + 2, 4*g.tilesW + 2 }

// winoTScratch takes the route's scratch: from sh the channels-last image
// (the input's, then the output's), Vᵀ (36·T·C) and Mᵀ (36·T·M), from priv
// a part's pass buffer and (withGemm) gemm workspace; split by output
// channels (winoTCols), all of it from priv, for the widest part.
func (k *Conv) winoTScratch(priv, sh *carver, g *geometry, withGemm bool) (img, v, mo, own, ws []float32) {
	if k.winoTRows(g) {
		return k.winoTRowsPart(priv, g, (g.tilesH+k.threads()-1)/k.threads(), withGemm)
	}
	if k.winoTCols(g) {
		return k.winoTColsPart(priv, g, k.winoTColsWidth(), withGemm)
	}
	hp, wp := winoTPad(g)
	t := g.n * g.tilesPerImg
	img = sh.take(g.n * max(hp*wp*k.cg, 16*g.tilesPerImg*k.m))
	v, mo = sh.take(winoTiles*t*k.cg), sh.take(winoTiles*t*k.m)
	own = priv.take(winoTiles * max(k.cg, k.m))
	if withGemm {
		ws = priv.take(gemm.WorkspacePart(k.kern, t, k.m, k.cg))
	}
	return img, v, mo, own, ws
}

// winoTCols reports whether a Run on g splits the route by output
// channels: every part copies and transforms the whole input, then runs
// the 36 GEMMs, output transform and planes of its own NR-aligned share of
// the output channels. Nothing one part writes is read by another (the
// phases hand V and Mᵀ between cores), at the cost of the input copy and
// transform done by each part, and of a Vᵀ each: it takes at least two
// strips of outputs, and a part's Vᵀ and Mᵀ within winoTColsMaxFloats.
func (k *Conv) winoTCols(g *geometry) bool {
	return k.threads() > 1 && k.m >= 2*k.kern.NR &&
		winoTiles*g.n*g.tilesPerImg*(k.cg+k.winoTColsWidth()) <= winoTColsMaxFloats
}

// winoTColsMaxFloats: BenchmarkConv, two threads, avx512, effective
// GFLOP/s in phases against split: resnet18.layer1 (64→64 at 56×56, 0.7M
// floats) 408 against 545, resnet18.layer3 (256→256 at 14×14) 583
// against 739, vgg16.conv4_2 (512→512 at 28×28, 1.4M) 669 against 700,
// but vgg16.conv3_2 (256→256 at 56×56, 2.7M) 842 against 757.
var winoTColsMaxFloats = 1 << 21

// winoTColsWidth is the widest part's share of the output channels.
func (k *Conv) winoTColsWidth() int {
	nr, parts := k.kern.NR, k.threads()
	strips := (k.m + nr - 1) / nr
	return min(k.m, (strips+parts-1)/parts*nr)
}

// winoTColsSpan returns part's output channels [m0, m1), whole NR strips.
func (k *Conv) winoTColsSpan(part, parts int) (m0, m1 int) {
	nr := k.kern.NR
	strips := (k.m + nr - 1) / nr
	return min(k.m, part*strips/parts*nr), min(k.m, (part+1)*strips/parts*nr)
}

// winoTColsPart takes one part's scratch for mn output channels from c.
func (k *Conv) winoTColsPart(c *carver, g *geometry, mn int, withGemm bool) (img, v, mo, own, ws []float32) {
	hp, wp := winoTPad(g)
	t := g.n * g.tilesPerImg
	img = c.take(g.n * max(hp*wp*k.cg, 16*g.tilesPerImg*mn))
	v, mo = c.take(winoTiles*t*k.cg), c.take(winoTiles*t*mn)
	own = c.take(winoTiles * max(k.cg, mn))
	if withGemm {
		ws = c.take(gemm.WorkspacePart(k.kern, t, mn, k.cg))
	}
	return img, v, mo, own, ws
}

// winoTRows reports whether a Run on g splits the route by tile rows: each
// part copies, transforms, multiplies and writes back its own band of the
// output (all channels), reading the input's rows under its band and the
// two below it. Nothing a part writes is read by another, and unlike the
// output-channel split no work is repeated but those two rows; but every
// part reads all of Uᵀ, so the map must have at least as many tiles as
// output channels. One image per Run, whole tile rows of at least
// winoTRowsMin per part, the same number each. Two threads, avx512:
// BenchmarkConv resnet18.layer1 (64→64 at 56×56) 550 against 696 effective
// GFLOP/s split by output channels; in ResNet-18 its four such layers 1.98
// against 1.62 ms. resnet18.layer3 (256→256 at 14×14, 16 tiles) ran 0.50
// against 0.63 ms in the model split this way (each part streaming all
// 9.4 MB of Uᵀ), and maps with an odd number of tile rows (28×28) lost to
// the imbalance.
func (k *Conv) winoTRows(g *geometry) bool {
	parts := k.threads()
	return parts > 1 && g.n == 1 && g.tilesH >= winoTRowsMin*parts && g.tilesH%parts == 0 && k.m <= g.tilesPerImg
}

const winoTRowsMin = 2

// winoTRowsSpan returns part's tile rows [ty0, ty1).
func winoTRowsSpan(g *geometry, part, parts int) (ty0, ty1 int) {
	return part * g.tilesH / parts, (part + 1) * g.tilesH / parts
}

// winoTRowsPart takes one part's scratch for a band of rows tile rows
// from c: the band's channels-last input (then output), its Vᵀ and Mᵀ.
func (k *Conv) winoTRowsPart(c *carver, g *geometry, rows int, withGemm bool) (img, v, mo, own, ws []float32) {
	_, wp := winoTPad(g)
	t := rows * g.tilesW
	img = c.take(max((4*rows+2)*wp*k.cg, 16*t*k.m))
	v, mo = c.take(winoTiles*t*k.cg), c.take(winoTiles*t*k.m)
	own = c.take(winoTiles * max(k.cg, k.m))
	if withGemm {
		ws = c.take(gemm.WorkspacePart(k.kern, t, k.m, k.cg))
	}
	return img, v, mo, own, ws
}

// runRows runs the whole route for part's band of tile rows (winoTRows).
func (t *winoTTask) runRows(part int) {
	k, g := t.k, t.g
	ty0, ty1 := winoTRowsSpan(g, part, t.parts)
	if ty0 >= ty1 {
		return
	}
	sc := t.sc.part(part)
	img, v, mo, own, ws := k.winoTRowsPart(&sc, g, ty1-ty0, t.withGemm)
	p := *t
	p.img, p.v, p.mo, p.ty0 = img, v, mo, ty0
	p.vT = (ty1 - ty0) * g.tilesW
	p.toLast(0, k.cg)
	p.input(0, p.vT, own)
	k.tileRowGemms(&t.gs[part], v, mo, t.plan.packed[:], p.vT, 0, winoTiles, 0, k.m, ws, winoTBiasPos)
	p.output(0, p.vT, own)
	p.planes(0, k.m)
}

// runCols runs the whole route for part's output channels (winoTCols).
func (t *winoTTask) runCols(part int) {
	k, g := t.k, t.g
	m0, m1 := k.winoTColsSpan(part, t.parts)
	if m0 >= m1 {
		return
	}
	sc := t.sc.part(part)
	img, v, mo, own, ws := k.winoTColsPart(&sc, g, m1-m0, t.withGemm)
	p := *t
	p.img, p.v, p.mo, p.m0, p.mw = img, v, mo, m0, m1-m0
	p.toLast(0, k.cg)
	T := p.vT
	p.input(0, T, own)
	cols := &t.cols[part]
	for xi := range cols {
		cols[xi] = t.plan.packed[xi].Cols(m0, m1)
	}
	k.tileRowGemms(&t.gs[part], v, mo, cols[:], T, 0, winoTiles, m0, m1, ws, winoTBiasPos)
	p.output(0, T, own)
	p.planes(m0, m1)
}

// winoTTask runs one phase of the route on the pool. The transforms run
// over tiles, each call over all channels; the copies to and from
// channels-last run over channels.
type winoTTask struct {
	k          *Conv
	g          *geometry
	x, y, res  []float32
	img, v, mo []float32 // shared (in runCols: the part's own)
	sc         scratchBuf
	plan       *winoTPlan
	parts      int
	phase      winoTPhase
	// m0 and mw: the output channels Mᵀ and the output image hold
	// (all of them, but in runCols a part's share); vT: the tiles Vᵀ and
	// Mᵀ hold, from tile row ty0 on, the rows the images hold (all of
	// them, but in runRows a part's band).
	m0, mw   int
	vT, ty0  int
	withGemm bool
	cols     [][winoTiles]gemm.PackedB // per part in runCols: its columns of Uᵀ_ξ
	gs       []gemm.State              // part i's gemm calls' state
}

type winoTPhase uint8

const (
	winoTLast   winoTPhase = iota // input channels to the channels-last image
	winoTIn                       // tiles: V
	winoTGEMM                     // ξ: the 36 GEMMs, one thread each
	winoTOut                      // tiles: the channels-last output
	winoTPlanes                   // output channels: back to NCHW, residual, activation
	winoTAll                      // output channels: everything (runCols)
	winoTBand                     // tile rows: everything (runRows)
)

func (t *winoTTask) Run(part int) {
	k, T := t.k, t.vT
	switch t.phase {
	case winoTLast:
		c0, c1 := span16(k.cg, part, t.parts)
		t.toLast(c0, c1)
	case winoTIn:
		own, _ := t.mine(part)
		t.input(part*T/t.parts, (part+1)*T/t.parts, own)
	case winoTGEMM:
		t.gemms(part)
	case winoTOut:
		own, _ := t.mine(part)
		t.output(part*T/t.parts, (part+1)*T/t.parts, own)
	case winoTAll:
		t.runCols(part)
	case winoTBand:
		t.runRows(part)
	default:
		m0, m1 := span16(k.m, part, t.parts)
		t.planes(m0, m1)
	}
}

// span16 returns part's share of n channels, cut at multiples of 16: the
// transposes move eight channels at a time, and parts writing the same
// 64-byte lines of a pixel's channels would share them (cut at 8, two
// threads ran a 16→64 layer at 55×55 at a third of one thread's rate).
func span16(n, part, parts int) (lo, hi int) {
	blocks := (n + 15) / 16
	return min(n, part*blocks/parts*16), min(n, (part+1)*blocks/parts*16)
}

// toLast writes channels [c0, c1) of every image to its padded
// channels-last image, zero outside the input: the padded rows the tiles
// from tile row ty0 read (all of them, or in runRows the band's).
func (t *winoTTask) toLast(c0, c1 int) {
	g, C := t.g, t.k.cg
	hp, wp := winoTPad(g)
	y0 := 4 * t.ty0 // first padded row held
	y1 := min(hp, y0+4*(t.vT/g.tilesW)+2)
	for n := 0; n < g.n; n++ {
		held := (y1 - y0) * wp * C
		xp := t.img[n*held : (n+1)*held]
		for yy := y0; yy < y1; yy++ {
			for xx := 0; xx < wp; xx++ {
				if y, x := yy-g.ph, xx-g.pw; y < 0 || y >= g.h || x < 0 || x >= g.w {
					o := ((yy-y0)*wp + xx) * C
					clear(xp[o+c0 : o+c1])
				}
			}
		}
		r0, r1 := max(0, y0-g.ph), min(g.h, y1-g.ph) // input rows inside
		if r0 < r1 {
			toChannelsLast(t.k.kern, xp[((r0+g.ph-y0)*wp+g.pw)*C:], wp*C, C, t.x[n*g.c*g.inPlane+r0*g.w:], g.inPlane, r1-r0, g.w, c0, c1)
		}
	}
}

// input writes Vᵀ_ξ[t][c] for the tiles [t0, t1) of the Run: per tile Bᵀ
// down the patch's six columns into own (6×6 rows of C floats), then Bᵀ
// along its six rows into V.
func (t *winoTTask) input(t0, t1 int, own []float32) {
	g, kt, C := t.g, t.k.kern, t.k.cg
	hp, wp := winoTPad(g)
	T := t.vT
	for tg := t0; tg < t1; tg++ {
		n, tile := tg/g.tilesPerImg, tg%g.tilesPerImg
		ty, tx := tile/g.tilesW, tile%g.tilesW
		p := t.img[n*hp*wp*C+(4*ty*wp+4*tx)*C:]
		_, _ = p[5*wp*C+6*C-1], own[36*C-1]
		// Bᵀ down the tile's six columns: own[(q·6+j)·C …], one pass
		// over their 6·C adjacent channels-last floats.
		kt.Winograd43InCols(6*C, &own[0], 6*C, &p[0], wp*C)
		o := t.v[tg*C:]
		_ = o[35*T*C+C-1]
		for q := range 6 { // Bᵀ along row q: V_{6q+s}
			kt.Winograd43InCols(C, &o[6*q*T*C], T*C, &own[6*q*C], C)
		}
	}
}

// toChannelsLast copies channels [c0, c1) of an NCHW image x (planes ld
// apart, h×w) to dst[y·ldr + x·ldp + c] (channels-last rows ldr apart).
//
// Eight channels at a time, row by row: every group of a row before the
// next row, so that the row's channels-last floats stay in L1 while the
// groups fill them. Group by group over the whole image, each of its
// lines was written eight times far apart, and the copies (and
// fromChannelsLast's) took 1.2 to 2.7 times as long on ResNet's maps, the
// most at 256 channels of 14×14.
func toChannelsLast(kt *asm.Kernels, dst []float32, ldr, ldp int, x []float32, ld, h, w, c0, c1 int) {
	c8 := eights(c0, c1)
	if c8 > c0 {
		_, _ = dst[(h-1)*ldr+(w-1)*ldp+c8-1], x[(c8-1)*ld+h*w-1]
	}
	for y := range h {
		for c := c0; c < c8; c += 8 {
			kt.Interleave8(w, &dst[y*ldr+c], ldp, &x[c*ld+y*w], ld)
		}
	}
	for c := c8; c < c1; c++ {
		for y := range h {
			for i, v := range x[c*ld+y*w : c*ld+y*w+w] {
				dst[y*ldr+i*ldp+c] = v
			}
		}
	}
}

// eights returns the end of the channels [c0, c1) that the channels-last
// copies move eight at a time; the rest go one by one.
func eights(c0, c1 int) int { return c0 + (c1-c0)/8*8 }

// fromChannelsLast is toChannelsLast's inverse: y[c·ld + r·w + i] =
// src[r·ldr + i·ldp + c] for channels [c0, c1), row by row likewise.
func fromChannelsLast(kt *asm.Kernels, y []float32, ld, h, w int, src []float32, ldr, ldp, c0, c1 int) {
	c8 := eights(c0, c1)
	if c8 > c0 {
		_, _ = y[(c8-1)*ld+h*w-1], src[(h-1)*ldr+(w-1)*ldp+c8-1]
	}
	for r := range h {
		for c := c0; c < c8; c += 8 {
			kt.Split8(w, &y[c*ld+r*w], ld, &src[r*ldr+c], ldp)
		}
	}
	for c := c8; c < c1; c++ {
		for r := range h {
			row := y[c*ld+r*w : c*ld+r*w+w]
			for i := range row {
				row[i] = src[r*ldr+i*ldp+c]
			}
		}
	}
}

// mine returns part's pass buffer and gemm workspace, in its region.
func (t *winoTTask) mine(part int) (own, ws []float32) {
	r, none := t.sc.part(part), carver{}
	_, _, _, own, ws = t.k.winoTScratch(&r, &none, t.g, t.withGemm)
	return own, ws
}

// gemms runs part's share of the 36 GEMMs Mᵀ_ξ = Vᵀ_ξ·Uᵀ_ξ.
func (t *winoTTask) gemms(part int) {
	lo, hi := part*winoTiles/t.parts, (part+1)*winoTiles/t.parts
	_, ws := t.mine(part)
	t.k.tileRowGemms(&t.gs[part], t.v, t.mo, t.plan.packed[:], t.vT, lo, hi, 0, t.k.m, ws, winoTBiasPos)
}

// output writes the tiles [t0, t1) of the channels-last output: per tile
// Aᵀ over the six ξ rows of each column into own (4×6 rows of M floats),
// then Aᵀ along each of those rows into the tile's 4×4 pixels.
func (t *winoTTask) output(t0, t1 int, own []float32) {
	g, kt, M := t.g, t.k.kern, t.mw
	T := t.vT
	ow4 := 4 * g.tilesW
	for tg := t0; tg < t1; tg++ {
		n, tile := tg/g.tilesPerImg, tg%g.tilesPerImg
		ty, tx := tile/g.tilesW, tile%g.tilesW
		mm := t.mo[tg*M:]
		_, _ = mm[35*T*M+M-1], own[24*M-1]
		for c := range 6 { // Aᵀ down column c: own[(r·6+c)·M …]
			kt.Winograd43OutCols(M, &own[c*M], 6*M, &mm[c*T*M], 6*T*M)
		}
		o := t.img[n*16*g.tilesPerImg*M+(4*ty*ow4+4*tx)*M:]
		_ = o[(3*ow4+3)*M+M-1]
		for r := range 4 { // Aᵀ along row r: output row 4·ty + r
			kt.Winograd43OutCols(M, &o[r*ow4*M], M, &own[6*r*M], M)
		}
	}
}

// planes writes output channels [m0, m1) of every image from the
// channels-last output, then adds the residual and applies the activation.
func (t *winoTTask) planes(m0, m1 int) {
	k, g := t.k, t.g
	kt, M, W := k.kern, k.m, t.mw
	mn := m1 - m0
	if mn <= 0 {
		return
	}
	ow4 := 4 * g.tilesW
	// Output rows [r0, r1) (all of them, or in runRows the band's).
	r0 := 4 * t.ty0
	r1 := min(g.oh, r0+4*(t.vT/g.tilesW))
	band := r0 > 0 || r1 < g.oh
	held := 16 * min(t.vT, g.tilesPerImg) * W // floats of one image held
	for n := 0; n < g.n; n++ {
		yc := t.img[n*held : (n+1)*held]
		lo := (n*M + m0) * g.outPlane
		if !band {
			y := t.y[lo : lo+mn*g.outPlane]
			fromChannelsLast(kt, y, g.outPlane, g.oh, g.ow, yc[m0-t.m0:], ow4*W, W, 0, mn)
			if t.res != nil {
				r := t.res[lo : lo+mn*g.outPlane]
				kt.Add(len(y), &y[0], &y[0], &r[0])
			}
			k.ep.activate(kt, y)
			continue
		}
		fromChannelsLast(kt, t.y[lo+r0*g.ow:], g.outPlane, r1-r0, g.ow, yc[m0-t.m0:], ow4*W, W, 0, mn)
		for c := range mn {
			y := t.y[lo+c*g.outPlane+r0*g.ow : lo+c*g.outPlane+r1*g.ow]
			if t.res != nil {
				r := t.res[lo+c*g.outPlane+r0*g.ow:]
				kt.Add(len(y), &y[0], &y[0], &r[0])
			}
			k.ep.activate(kt, y)
		}
	}
}

// runWinogradT runs the route's five phases on the pool.
func (k *Conv) runWinogradT(st *runState, g *geometry, x, y, res []float32) {
	sh, sizes := st.sc.shared(), carver{} // (each part carves its region)
	img, v, mo, _, _ := k.winoTScratch(&sizes, &sh, g, st.withGemm)
	parts := k.threads()
	st.wT = winoTTask{k: k, g: g, x: x, y: y, res: res, img: img, v: v, mo: mo,
		plan: k.winoTPlan(), parts: parts, mw: k.m, vT: g.n * g.tilesPerImg, sc: st.sc, withGemm: st.withGemm, gs: st.gemmStates(parts)}
	if k.winoTRows(g) {
		st.wT.phase = winoTBand
		parallel.Default().Run(&st.wT, parts)
		st.wT = winoTTask{}
		return
	}
	if k.winoTCols(g) {
		if len(st.wTCols) < parts {
			st.wTCols = make([][winoTiles]gemm.PackedB, parts)
		}
		st.wT.cols = st.wTCols
		st.wT.phase = winoTAll
		parallel.Default().Run(&st.wT, parts)
		for i := range st.wTCols {
			st.wTCols[i] = [winoTiles]gemm.PackedB{}
		}
		st.wT = winoTTask{}
		return
	}
	for ph := winoTLast; ph <= winoTPlanes; ph++ {
		st.wT.phase = ph
		parallel.Default().Run(&st.wT, parts)
	}
	st.wT = winoTTask{}
}
