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
// [y][x][M] image, then Split8 to NCHW). The bias rides on Mᵀ_7: Aᵀ's
// column 1 is all ones, so b added at ξ = (1, 1) adds b to each of the 16
// outputs (gemm's column-bias epilogue on that one GEMM).

// AlgoWinogradT is what AlgorithmFor reports for a Winograd convolution
// that runs this way. It cannot be chosen in Options.
const AlgoWinogradT = "winograd4x4t"

// winoTMaxTiles: a map with more tiles per image runs the tiles as
// columns (winograd.go): at 56×56 (196 tiles) this route measured 10 %
// faster on one thread but 20 % slower on two (each thread's transforms
// then run over half the channels, in twelve calls per tile). And so does
// a Run whose Vᵀ and Mᵀ (every tile of the Run: 36·T·(C + M) floats)
// would exceed winoTMaxFloats. Variables so tests can move them.
var (
	winoTMaxTiles  = 64
	winoTMaxFloats = 1 << 22
)

// useWinoT reports whether a Winograd Run on g takes this route.
func (k *Conv) useWinoT(g *geometry) bool {
	return g.tilesPerImg <= winoTMaxTiles && winoTiles*g.n*g.tilesPerImg*(k.cg+k.m) <= winoTMaxFloats
}

// winoTBiasPos is ξ = (1, 1), whose GEMM adds the bias (see above).
const winoTBiasPos = 7

type winoTPlan struct {
	packed [winoTiles]*gemm.PackedB // Uᵀ_ξ, C×M
}

// winoTPlan returns the weights as B panels, transforming them on first use.
func (k *Conv) winoTPlan() *winoTPlan {
	k.winoTOnce.Do(func() {
		u := winoWeights(k.wRaw, k.m, k.cg)
		p := &winoTPlan{}
		for xi := range winoTiles {
			p.packed[xi] = gemm.PackB(k.kern, true, k.cg, k.m, u[xi*k.m*k.cg:], k.cg, nil)
		}
		k.winoT.Store(p)
	})
	return k.winoT.Load()
}

// winoTPad returns the padded channels-last input's rows and columns:
// every tile's 6×6 patch inside, and the image (4·tilesH + 2 ≥ OH + 2 =
// H + both pads).
func winoTPad(g *geometry) (hp, wp int) { return 4*g.tilesH + 2, 4*g.tilesW + 2 }

// winoTScratch takes the route's scratch from c: the channels-last image
// (the input's, then the output's), Vᵀ (36·T·C), Mᵀ (36·T·M), and each
// part's pass buffer and (withGemm) gemm workspace.
func (k *Conv) winoTScratch(c *carver, g *geometry, withGemm bool) (img, v, mo, own, ws []float32, parts int) {
	hp, wp := winoTPad(g)
	t := g.n * g.tilesPerImg
	parts = k.threads()
	img = c.take(g.n * max(hp*wp*k.cg, 16*g.tilesPerImg*k.m))
	v, mo = c.take(winoTiles*t*k.cg), c.take(winoTiles*t*k.m)
	own = c.take(parts * roundUp(winoTiles*max(k.cg, k.m), scratchAlign))
	if withGemm {
		ws = c.take(parts * roundUp(gemm.WorkspaceSize(k.kern, t, k.m, k.cg, 1), scratchAlign))
	}
	return img, v, mo, own, ws, parts
}

// winoTTask runs one phase of the route on the pool: the input transform
// (part i a range of input channels), the 36 GEMMs (a range of ξ, one
// thread each, so the thread count does not change the results) or the
// output transform and epilogue (a range of output channels).
type winoTTask struct {
	k                   *Conv
	g                   *geometry
	x, y, res           []float32
	img, v, mo, own, ws []float32
	plan                *winoTPlan
	parts               int
	phase               winoPhase
}

func (t *winoTTask) Run(part int) {
	own := share(t.own, part, t.parts)
	switch t.phase {
	case winoInput:
		c0, c1 := span16(t.k.cg, part, t.parts)
		t.input(c0, c1, own)
	case wino2GEMM:
		t.gemms(part)
	default:
		m0, m1 := span16(t.k.m, part, t.parts)
		t.output(m0, m1, own)
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

// input writes Vᵀ_ξ[t][c] for channels [c0, c1) of every tile: the
// channels' padded channels-last image (zero outside the input), then per
// tile Bᵀ down the patch's six columns into own (6×6 rows of the
// channels) and Bᵀ along its six rows into V.
func (t *winoTTask) input(c0, c1 int, own []float32) {
	k, g := t.k, t.g
	kt, C := k.kern, k.cg
	cn := c1 - c0
	if cn <= 0 {
		return
	}
	hp, wp := winoTPad(g)
	T := g.n * g.tilesPerImg
	for n := 0; n < g.n; n++ {
		xp := t.img[n*hp*wp*C : (n+1)*hp*wp*C]
		// The padding: the pixels outside the image.
		for yy := 0; yy < hp; yy++ {
			for xx := 0; xx < wp; xx++ {
				if y, x := yy-g.ph, xx-g.pw; y < 0 || y >= g.h || x < 0 || x >= g.w {
					clear(xp[(yy*wp+xx)*C+c0 : (yy*wp+xx)*C+c1])
				}
			}
		}
		x := t.x[n*g.c*g.inPlane:]
		toChannelsLast(kt, xp[(g.ph*wp+g.pw)*C:], wp*C, C, x, g.inPlane, g.h, g.w, c0, c1)
		for tile := 0; tile < g.tilesPerImg; tile++ {
			ty, tx := tile/g.tilesW, tile%g.tilesW
			tg := n*g.tilesPerImg + tile
			p := xp[(4*ty*wp+4*tx)*C+c0:]
			_, _ = p[5*wp*C+5*C+cn-1], own[35*cn]
			for j := range 6 { // Bᵀ down column j: own[(q·6+j)·cn …]
				kt.Winograd43InCols(cn, &own[j*cn], 6*cn, &p[j*C], wp*C)
			}
			o := t.v[tg*C+c0:]
			_ = o[35*T*C+cn-1]
			for q := range 6 { // Bᵀ along row q: V_{6q+s}
				kt.Winograd43InCols(cn, &o[6*q*T*C], T*C, &own[6*q*cn], cn)
			}
		}
	}
}

// toChannelsLast copies channels [c0, c1) of an NCHW image x (planes ld
// apart, h×w) to dst[y·ldr + x·ldp + c] (channels-last rows ldr apart).
func toChannelsLast(kt *asm.Kernels, dst []float32, ldr, ldp int, x []float32, ld, h, w, c0, c1 int) {
	c := c0
	for ; c+8 <= c1; c += 8 {
		_, _ = dst[(h-1)*ldr+(w-1)*ldp+c+7], x[(c+7)*ld+h*w-1]
		for y := range h {
			kt.Interleave8(w, &dst[y*ldr+c], ldp, &x[c*ld+y*w], ld)
		}
	}
	for ; c < c1; c++ {
		for y := range h {
			for i, v := range x[c*ld+y*w : c*ld+y*w+w] {
				dst[y*ldr+i*ldp+c] = v
			}
		}
	}
}

// fromChannelsLast is toChannelsLast's inverse: y[c·ld + r·w + i] =
// src[r·ldr + i·ldp + c] for channels [c0, c1).
func fromChannelsLast(kt *asm.Kernels, y []float32, ld, h, w int, src []float32, ldr, ldp, c0, c1 int) {
	c := c0
	for ; c+8 <= c1; c += 8 {
		_, _ = y[(c+7)*ld+h*w-1], src[(h-1)*ldr+(w-1)*ldp+c+7]
		for r := range h {
			kt.Split8(w, &y[c*ld+r*w], ld, &src[r*ldr+c], ldp)
		}
	}
	for ; c < c1; c++ {
		for r := range h {
			row := y[c*ld+r*w : c*ld+r*w+w]
			for i := range row {
				row[i] = src[r*ldr+i*ldp+c]
			}
		}
	}
}

// gemms runs part's share of the 36 GEMMs Mᵀ_ξ = Vᵀ_ξ·Uᵀ_ξ.
func (t *winoTTask) gemms(part int) {
	k := t.k
	T := t.g.n * t.g.tilesPerImg
	ws := share(t.ws, part, t.parts)
	for xi := part * winoTiles / t.parts; xi < (part+1)*winoTiles/t.parts; xi++ {
		p := gemm.Params{
			M: T, N: k.m, K: k.cg, Alpha: 1,
			A: t.v[xi*T*k.cg : (xi+1)*T*k.cg], LDA: k.cg,
			PackedB: t.plan.packed[xi],
			C:       t.mo[xi*T*k.m : (xi+1)*T*k.m], LDC: k.m,
			Threads: 1, Kernels: k.kern, Workspace: ws,
		}
		if xi == winoTBiasPos && k.bias != nil {
			p.Epilogue = gemm.Epilogue{Bias: k.bias, BiasMode: gemm.BiasCol}
		}
		gemm.Gemm(&p)
	}
}

// output writes output channels [m0, m1) of every image: per tile Aᵀ over
// the six ξ rows of each column into own (4×6 rows of the channels), Aᵀ
// along each of those rows into the channels-last output image, which
// then goes back to NCHW; then the residual and activation.
func (t *winoTTask) output(m0, m1 int, own []float32) {
	k, g := t.k, t.g
	kt, M := k.kern, k.m
	mn := m1 - m0
	if mn <= 0 {
		return
	}
	T := g.n * g.tilesPerImg
	ow4 := 4 * g.tilesW
	for n := 0; n < g.n; n++ {
		yc := t.img[n*16*g.tilesPerImg*M : (n+1)*16*g.tilesPerImg*M]
		for tile := 0; tile < g.tilesPerImg; tile++ {
			ty, tx := tile/g.tilesW, tile%g.tilesW
			tg := n*g.tilesPerImg + tile
			mm := t.mo[tg*M+m0:]
			_, _ = mm[35*T*M+mn-1], own[23*mn]
			for c := range 6 { // Aᵀ down column c: own[(r·6+c)·mn …]
				kt.Winograd43OutCols(mn, &own[c*mn], 6*mn, &mm[c*T*M], 6*T*M)
			}
			o := yc[(4*ty*ow4+4*tx)*M+m0:]
			_ = o[(3*ow4+3)*M+mn-1]
			for r := range 4 { // Aᵀ along row r: output row 4·ty + r
				kt.Winograd43OutCols(mn, &o[r*ow4*M], M, &own[6*r*mn], mn)
			}
		}
		lo := (n*M + m0) * g.outPlane
		y := t.y[lo : lo+mn*g.outPlane]
		fromChannelsLast(kt, y, g.outPlane, g.oh, g.ow, yc[m0:], ow4*M, M, 0, mn)
		if t.res != nil {
			r := t.res[lo : lo+mn*g.outPlane]
			kt.Add(len(y), &y[0], &y[0], &r[0])
		}
		k.ep.activate(kt, y)
	}
}

// runWinogradT runs the route in three phases on the pool.
func (k *Conv) runWinogradT(st *runState, g *geometry, x, y, res []float32) {
	sc := carver{buf: st.scratch}
	img, v, mo, own, ws, parts := k.winoTScratch(&sc, g, st.withGemm)
	st.wT = winoTTask{k: k, g: g, x: x, y: y, res: res, img: img, v: v, mo: mo, own: own, ws: ws,
		plan: k.winoTPlan(), parts: parts}
	for _, ph := range [...]winoPhase{winoInput, wino2GEMM, winoOutput} {
		st.wT.phase = ph
		parallel.Default().Run(&st.wT, parts)
	}
	st.wT = winoTTask{}
}
