package conv

import (
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/internal/parallel"
)

// Winograd F(2×2, 3×3) for inputs too small for F(4×4) (fewer than 16
// tiles of 4×4, e.g. the 7×7 layers of the ResNets, whose 2×2 tiles of
// 4×4 would make the 36 GEMMs 4 columns wide): each 2×2 output tile is
// Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for the 4×4 input patch d, and over the input
// channels 16 GEMMs, one per position ξ of the 4×4 transformed tile. The
// T tiles of all images are the GEMMs' rows and the output channels their
// columns (the other way round, T = 16 columns would leave the 4×24
// micro-kernel a third idle):
//
//	Mᵀ_ξ [T × M] = Vᵀ_ξ [T × C] · Uᵀ_ξ [C × M]
//
// with Uᵀ_ξ packed once as gemm's B panels. It does 16/36 of the
// multiplications of im2col for a 3×3 kernel, less the tiles' overhang
// (7×7: 16 tiles of 2×2 cover 8×8, 0.58 of im2col's). U is 16/9 of the
// weights, built on the first such input. The transforms are a few
// additions per element; the error is below F(4×4)'s (winogradBound
// covers both).
const (
	wino2Pos      = 16
	wino2MinTiles = 16 // fewer 2×2 tiles: im2col
)

// wino2MinWork is the least C·M for F(2×2): it has a fixed cost (three
// parallel phases, 16 gemm calls) that im2col does not. GoogLeNet's 7×7
// layers measured 32→128 0.07 → 0.14 ms and 48→128 0.13 → 0.17 ms with
// it, 160→320 0.76 → 0.73 and 192→384 1.07 → 1.05. A variable so tests
// can exercise small cases.
var wino2MinWork = 128 * 256

// wino2MaxWork is the most C·M for F(2×2). Its transformed weights are
// 16·C·M floats against im2col's 9·C·M, and in a model the large ones
// come from memory: ResNet's 512→512 layers (16 MB transformed) ran
// faster through im2col once gemm split their N = 49 by rows and
// prefetched A further (4b0eaed, b2dfbe3; ResNet-18 15.9 → 15.1 ms on one
// thread, 10.9 → 10.5 on two; ResNet-50 46.3 → 43.9, 25.5 → 25.3, best of
// three), though a lone layer with its weights in cache still favours
// F(2×2) (BenchmarkConv resnet18.layer4: 209 against 157 GFLOP/s;
// BenchmarkConvCold layer4.1.conv2: 123 against 142 one thread).
// GoogLeNet's 160→320 and 192→384 measured the same either way.
var wino2MaxWork = 1 << 17

// AlgoWinograd2 is what AlgorithmFor reports for a Winograd convolution
// that runs F(2×2, 3×3) on a small input. It cannot be chosen in Options.
const AlgoWinograd2 = "winograd2x2"

type wino2Plan struct {
	packed [wino2Pos]gemm.PackedB
}

// wino2Plan returns the F(2×2) weights, transforming them on first use.
func (k *Conv) wino2Plan() *wino2Plan {
	k.wino2Once.Do(func() { k.wino2.Store(newWino2Plan(k, k.wRaw, k.m, k.cg)) })
	return k.wino2.Load()
}

// newWino2Plan transforms w [m][c][3][3]: U = G g Gᵀ with
//
//	G = ⎡  1    0    0  ⎤
//	    ⎢ 1/2  1/2  1/2 ⎥
//	    ⎢ 1/2 −1/2  1/2 ⎥
//	    ⎣  0    0    1  ⎦
//
// computed in float64, then packs Uᵀ_ξ (c×m) as B panels.
func newWino2Plan(k *Conv, w []float32, m, c int) *wino2Plan {
	u := make([]float32, wino2Pos*m*c) // U_ξ[o][i]
	for o := 0; o < m; o++ {
		for i := 0; i < c; i++ {
			g := w[(o*c+i)*9 : (o*c+i)*9+9]
			var t [4][3]float64 // G g
			for j := 0; j < 3; j++ {
				g0, g1, g2 := float64(g[j]), float64(g[3+j]), float64(g[6+j])
				t[0][j], t[1][j], t[2][j], t[3][j] = g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2
			}
			for r := 0; r < 4; r++ { // (G g) Gᵀ
				a, b, d := t[r][0], t[r][1], t[r][2]
				for s, v := range [4]float64{a, (a + b + d) / 2, (a - b + d) / 2, d} {
					u[(r*4+s)*m*c+o*c+i] = float32(v)
				}
			}
		}
	}
	p := &wino2Plan{}
	for xi := range wino2Pos {
		p.packed[xi] = *gemm.PackB(k.kern, true, c, m, u[xi*m*c:], c, nil)
	}
	return p
}

// wino2Tiles returns the 2×2 tiles per column and row of g's output.
func wino2Tiles(g *geometry) (th, tw int) { return (g.oh + 1) / 2, (g.ow + 1) / 2 }

// wino2Pad is the size of the zero-padded planes the input transform
// reads: every tile's 4×4 patch inside (and the image: 2·⌈OH/2⌉ + 2 ≥
// OH + 2 = H + both pads).
func wino2Pad(g *geometry) (hp, wp int) {
	th, tw := wino2Tiles(g)
	return 2*th + 2, 2*tw + 2
}

// wino2Scratch takes F(2×2)'s scratch: from sh one image's padded planes,
// Vᵀ (16·T·C) and Mᵀ (16·T·M), from priv, withGemm, a thread's gemm
// workspace.
func (k *Conv) wino2Scratch(priv, sh *carver, g *geometry, withGemm bool) (pad, v, mo, ws []float32, parts int) {
	th, tw := wino2Tiles(g)
	hp, wp := wino2Pad(g)
	t := g.n * th * tw
	parts = max(1, min(k.threads(), wino2Pos, k.cg, k.m))
	pad = sh.take(k.cg * hp * wp)
	v, mo = sh.take(wino2Pos*t*k.cg), sh.take(wino2Pos*t*k.m)
	if withGemm {
		ws = priv.take(gemm.WorkspacePart(k.kern, t, k.m, k.cg))
	}
	return pad, v, mo, ws, parts
}

// wino2Task runs one phase of an F(2×2) Run on the pool: the input
// transform (part i a range of the input channels), the 16 GEMMs (a range
// of ξ, one thread each, so the thread count does not change the
// results) or the output transform and epilogue (a range of the output
// channels).
type wino2Task struct {
	k          *Conv
	g          *geometry
	x, y, res  []float32
	pad, v, mo []float32
	sc         scratchBuf // part i's gemm workspace in region i
	withGemm   bool
	plan       *wino2Plan
	parts      int
	phase      winoPhase
	gs         []gemm.State // part i's gemm calls' state
}

func (t *wino2Task) Run(part int) {
	k := t.k
	switch t.phase {
	case winoInput:
		t.input(part*k.cg/t.parts, (part+1)*k.cg/t.parts)
	case wino2GEMM:
		t.gemms(part)
	default:
		t.output(part*k.m/t.parts, (part+1)*k.m/t.parts)
	}
}

// bt returns Bᵀ·(a, b, c, d) for
//
//	Bᵀ = ⎡ 1  0 −1  0 ⎤
//	     ⎢ 0  1  1  0 ⎥
//	     ⎢ 0 −1  1  0 ⎥
//	     ⎣ 0  1  0 −1 ⎦
func bt(a, b, c, d float32) (float32, float32, float32, float32) { return a - c, b + c, c - b, b - d }

// at returns Aᵀ·(a, b, c, d) for
//
//	Aᵀ = ⎡ 1  1  1  0 ⎤
//	     ⎣ 0  1 −1 −1 ⎦
func at(a, b, c, d float32) (float32, float32) { return a + b + c, b - c - d }

// input writes Vᵀ_ξ[t][c] = (Bᵀ d B)_ξ for channels c0..c1, d the 4×4
// patch of tile t = (ty, tx) at (2·ty − pH, 2·tx − pW), zero outside the
// image (read from the channels' padded planes).
func (t *wino2Task) input(c0, c1 int) {
	g, k := t.g, t.k
	th, tw := wino2Tiles(g)
	hp, wp := wino2Pad(g)
	nt, cg := g.n*th*tw, k.cg
	for img := 0; img < g.n; img++ {
		for ci := c0; ci < c1; ci++ {
			x := t.x[(img*g.c+ci)*g.inPlane : (img*g.c+ci+1)*g.inPlane]
			padPlane(k.kern, t.pad[ci*hp*wp:(ci+1)*hp*wp], x, g, wp)
		}
		var blk [wino2Pos][wino2Block]float32
		for ty := 0; ty < th; ty++ {
			for tx := 0; tx < tw; tx++ {
				tile := (img*th+ty)*tw + tx
				o := 2*ty*wp + 2*tx
				for cb := c0; cb < c1; cb += wino2Block {
					nb := min(wino2Block, c1-cb)
					for j := range nb {
						p := t.pad[(cb+j)*hp*wp+o : (cb+j)*hp*wp+o+3*wp+4]
						r0, r1, r2, r3 := p[0:4], p[wp:wp+4], p[2*wp:2*wp+4], p[3*wp:3*wp+4]
						// Bᵀ d, column by column.
						a0, b0, c0, d0 := bt(r0[0], r1[0], r2[0], r3[0])
						a1, b1, c1, d1 := bt(r0[1], r1[1], r2[1], r3[1])
						a2, b2, c2, d2 := bt(r0[2], r1[2], r2[2], r3[2])
						a3, b3, c3, d3 := bt(r0[3], r1[3], r2[3], r3[3])
						// (Bᵀ d) B, row by row, to positions ξ = 4r + s.
						blk[0][j], blk[1][j], blk[2][j], blk[3][j] = bt(a0, a1, a2, a3)
						blk[4][j], blk[5][j], blk[6][j], blk[7][j] = bt(b0, b1, b2, b3)
						blk[8][j], blk[9][j], blk[10][j], blk[11][j] = bt(c0, c1, c2, c3)
						blk[12][j], blk[13][j], blk[14][j], blk[15][j] = bt(d0, d1, d2, d3)
					}
					wino2Scatter(t.v[tile*cg+cb:], nt*cg, &blk, nb)
				}
			}
		}
	}
}

// wino2Block is how many channels the transforms stage together, so that
// the 16 positions ξ, nt·C or nt·M floats apart, are written or read a
// row of channels at a time (per element, the addressing cost more than
// the arithmetic).
const wino2Block = 8

// wino2Scatter stores the first nb channels of each position of blk to
// v[ξ·step:].
func wino2Scatter(v []float32, step int, blk *[wino2Pos][wino2Block]float32, nb int) {
	for xi := range blk {
		if nb == wino2Block {
			*(*[wino2Block]float32)(v[xi*step:]) = blk[xi]
		} else {
			copy(v[xi*step:xi*step+nb], blk[xi][:nb])
		}
	}
}

// wino2Gather loads the first nb channels of each position of blk from
// v[ξ·step:].
func wino2Gather(blk *[wino2Pos][wino2Block]float32, v []float32, step, nb int) {
	for xi := range blk {
		if nb == wino2Block {
			blk[xi] = *(*[wino2Block]float32)(v[xi*step:])
		} else {
			copy(blk[xi][:nb], v[xi*step:xi*step+nb])
		}
	}
}

// gemms runs part's share of the 16 GEMMs Mᵀ_ξ = Vᵀ_ξ·Uᵀ_ξ.
func (t *wino2Task) gemms(part int) {
	th, tw := wino2Tiles(t.g)
	lo, hi := part*wino2Pos/t.parts, (part+1)*wino2Pos/t.parts
	mine, none := t.sc.part(part), carver{}
	_, _, _, ws, _ := t.k.wino2Scratch(&mine, &none, t.g, t.withGemm)
	t.k.tileRowGemms(&t.gs[part], t.v, t.mo, t.plan.packed[:], t.g.n*th*tw, lo, hi, 0, t.k.m, ws, -1)
}

// tileRowGemms runs the GEMMs Mᵀ_ξ [T × M] = Vᵀ_ξ [T × C] · Uᵀ_ξ [C × M]
// of positions ξ in [lo, hi), one thread each, for the routes with the
// tiles as rows, on output channels [m0, m1) (packed[ξ] holds just those
// columns of Uᵀ_ξ): Vᵀ_ξ at v[ξ·T·C:], Mᵀ_ξ (T × (m1 − m0)) at
// mo[ξ·T·(m1 − m0):]. Position biasPos (none if negative) adds the bias as
// gemm's column bias.
func (k *Conv) tileRowGemms(gs *gemm.State, v, mo []float32, packed []gemm.PackedB, T, lo, hi, m0, m1 int, ws []float32, biasPos int) {
	mn := m1 - m0
	for xi := lo; xi < hi; xi++ {
		p := gemm.Params{
			M: T, N: mn, K: k.cg, Alpha: 1,
			A: v[xi*T*k.cg : (xi+1)*T*k.cg], LDA: k.cg,
			PackedB: &packed[xi],
			C:       mo[xi*T*mn : (xi+1)*T*mn], LDC: mn,
			Threads: 1, Kernels: k.kern, Workspace: ws,
		}
		if xi == biasPos && k.bias != nil {
			p.Epilogue = gemm.Epilogue{Bias: k.bias[m0:m1], BiasMode: gemm.BiasCol}
		}
		gs.Gemm(&p)
	}
}

// output writes output channels m0..m1 of every image: Y = Aᵀ M A per
// tile, then the bias, residual and activation.
func (t *wino2Task) output(m0, m1 int) {
	g, k := t.g, t.k
	th, tw := wino2Tiles(g)
	nt, m := g.n*th*tw, k.m
	step := nt * m // between positions ξ
	var blk [wino2Pos][wino2Block]float32
	for img := 0; img < g.n; img++ {
		for ty := 0; ty < th; ty++ {
			for tx := 0; tx < tw; tx++ {
				tile := (img*th+ty)*tw + tx
				oh, ow := 2*ty, 2*tx
				full := oh+1 < g.oh && ow+1 < g.ow
				for ob := m0; ob < m1; ob += wino2Block {
					nb := min(wino2Block, m1-ob)
					wino2Gather(&blk, t.mo[tile*m+ob:], step, nb)
					for j := range nb {
						// Aᵀ M, column by column, then (Aᵀ M) A.
						a0, b0 := at(blk[0][j], blk[4][j], blk[8][j], blk[12][j])
						a1, b1 := at(blk[1][j], blk[5][j], blk[9][j], blk[13][j])
						a2, b2 := at(blk[2][j], blk[6][j], blk[10][j], blk[14][j])
						a3, b3 := at(blk[3][j], blk[7][j], blk[11][j], blk[15][j])
						y00, y01 := at(a0, a1, a2, a3)
						y10, y11 := at(b0, b1, b2, b3)
						o := ob + j
						var bias float32
						if k.bias != nil {
							bias = k.bias[o]
						}
						yp := t.y[(img*m+o)*g.outPlane:]
						if full {
							yp[oh*g.ow+ow], yp[oh*g.ow+ow+1] = y00+bias, y01+bias
							yp[(oh+1)*g.ow+ow], yp[(oh+1)*g.ow+ow+1] = y10+bias, y11+bias
							continue
						}
						yp[oh*g.ow+ow] = y00 + bias
						if ow+1 < g.ow {
							yp[oh*g.ow+ow+1] = y01 + bias
						}
						if oh+1 < g.oh {
							yp[(oh+1)*g.ow+ow] = y10 + bias
							if ow+1 < g.ow {
								yp[(oh+1)*g.ow+ow+1] = y11 + bias
							}
						}
					}
				}
			}
		}
		lo, hi := (img*m+m0)*g.outPlane, (img*m+m1)*g.outPlane
		if t.res != nil {
			ys := t.y[lo:hi]
			for i, r := range t.res[lo:hi] {
				ys[i] += r
			}
		}
		k.ep.activate(k.kern, t.y[lo:hi])
	}
}

// runWinograd2 runs F(2×2, 3×3) in three phases on the pool.
func (k *Conv) runWinograd2(st *runState, g *geometry, x, y, res []float32) {
	sh, sizes := st.sc.shared(), carver{} // (each part carves its region)
	pad, v, mo, _, parts := k.wino2Scratch(&sizes, &sh, g, st.withGemm)
	st.w2 = wino2Task{k: k, g: g, x: x, y: y, res: res, pad: pad, v: v, mo: mo, sc: st.sc, withGemm: st.withGemm, plan: k.wino2Plan(), parts: parts, gs: st.gemmStates(parts)}
	for _, ph := range [...]winoPhase{winoInput, wino2GEMM, winoOutput} {
		st.w2.phase = ph
		parallel.Default().Run(&st.w2, parts)
	}
	st.w2 = wino2Task{}
}
