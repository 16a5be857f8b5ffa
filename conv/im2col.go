package conv

// im2colSource is the implicit im2col matrix of one image and group, a
// gemm.BSource. Row q = (ci·kH + i)·kW + j (W's layout) and column
// t = oh·OW + ow hold
//
//	B[q][t] = X[ci][oh·sH − pH + i·dH][ow·sW − pW + j·dW]   (0 outside X)
//
// so W_g·B is the convolution. x is the group's channels with the padding
// already materialised (xp below), so PackB has no edge checks: for each
// panel strip a table of the columns' offsets is built once, then every row
// of the strip is row[j] = x[δ(q) + off[j]], copied run by run where the
// offsets are consecutive (stride 1) and gathered otherwise. No column
// buffer exists.
type im2colSource struct {
	x      []float32 // C/g padded planes of hp·wp
	hp, wp int
	g      *geometry
	kh, kw int
}

const maxNR = 64

// PackB implements gemm.BSource.
func (s *im2colSource) PackB(dst []float32, k0, kc, n0, nc, nr int) {
	if nr > maxNR {
		panic("conv: micro-kernel NR above 64")
	}
	g := s.g
	OW := g.ow
	plane := s.hp * s.wp
	kk := s.kh * s.kw
	var offs [maxNR]int
	var segs [maxNR][2]int // first column, length
	for st := 0; st*nr < nc; st++ {
		w := min(nr, nc-st*nr)
		d := dst[st*kc*nr : (st+1)*kc*nr]
		col := n0 + st*nr
		oh, ow := col/OW, col%OW
		// Runs of consecutive offsets (stride 1 within an output row) are
		// copied; short runs are gathered.
		nseg := 0
		for j := 0; j < w; j++ {
			offs[j] = oh*g.sh*s.wp + ow*g.sw
			if j == 0 || offs[j] != offs[j-1]+1 {
				segs[nseg] = [2]int{j, 0}
				nseg++
			}
			segs[nseg-1][1]++
			if ow++; ow == OW {
				ow = 0
				oh++
			}
		}
		off := offs[:w]
		copies := nseg*8 <= w
		ci := k0 / kk
		r := k0 % kk
		ki, kj := r/s.kw, r%s.kw
		for p := 0; p < kc; p++ {
			row := d[p*nr : p*nr+nr]
			src := s.x[ci*plane+ki*g.dh*s.wp+kj*g.dw:]
			if copies {
				for _, sg := range segs[:nseg] {
					o := off[sg[0]]
					copy(row[sg[0]:sg[0]+sg[1]], src[o:o+sg[1]])
				}
			} else {
				out := row[:w]
				for j, o := range off {
					out[j] = src[o]
				}
			}
			for i := w; i < nr; i++ {
				row[i] = 0
			}
			if kj++; kj == s.kw {
				kj = 0
				if ki++; ki == s.kh {
					ki = 0
					ci++
				}
			}
		}
	}
}

// padded returns x's c planes (h×w) with the padding of g materialised:
// planes of hp×wp with the image at (pH, pW) and zeros around, written into
// buf (grown if needed). Without padding x itself is returned.
func padded(buf *[]float32, x []float32, c int, g *geometry, kh, kw int) (xp []float32, hp, wp int) {
	hp, wp, pads := padDims(g, kh, kw)
	if !pads {
		return x[:c*g.inPlane], g.h, g.w
	}
	n := c * hp * wp
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	xp = (*buf)[:n]
	for ci := 0; ci < c; ci++ {
		dp := xp[ci*hp*wp : (ci+1)*hp*wp]
		clear(dp[:g.ph*wp])
		for ih := 0; ih < g.h; ih++ {
			r := dp[(g.ph+ih)*wp : (g.ph+ih+1)*wp]
			clear(r[:g.pw])
			copy(r[g.pw:g.pw+g.w], x[ci*g.inPlane+ih*g.w:ci*g.inPlane+(ih+1)*g.w])
			clear(r[g.pw+g.w:])
		}
		clear(dp[(g.ph+g.h)*wp:])
	}
	return xp, hp, wp
}

// padDims returns the size of the planes padded builds for g and a kh×kw
// kernel, and whether it builds any (false: g has no padding).
func padDims(g *geometry, kh, kw int) (hp, wp int, pads bool) {
	// Rows/columns the windows reach past the end.
	endH := max(0, (g.oh-1)*g.sh+(kh-1)*g.dh+1-g.ph-g.h)
	endW := max(0, (g.ow-1)*g.sw+(kw-1)*g.dw+1-g.pw-g.w)
	if g.ph == 0 && g.pw == 0 && endH == 0 && endW == 0 {
		return g.h, g.w, false
	}
	return g.h + g.ph + endH, g.w + g.pw + endW, true
}

// padSize is the float32s padded writes into buf for c planes (0 without
// padding).
func padSize(c int, g *geometry, kh, kw int) int {
	hp, wp, pads := padDims(g, kh, kw)
	if !pads {
		return 0
	}
	return c * hp * wp
}
