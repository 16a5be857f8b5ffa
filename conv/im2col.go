package conv

// im2colSource is the implicit im2col matrix of one image and group, a
// gemm.BSource. Row q = (ci·kH + i)·kW + j (W's layout) and column
// t = oh·OW + ow hold
//
//	B[q][t] = X[ci][oh·sH − pH + i·dH][ow·sW − pW + j·dW]   (0 outside X)
//
// so W_g·B is the convolution. x is the group's channels with the padding
// already materialised (im2colPad), so PackB has no edge checks: for each
// panel strip a table of the columns' offsets is built once, then every row
// of the strip is row[j] = x[δ(q) + off[j]], copied run by run where the
// offsets are consecutive and gathered otherwise. No column buffer exists.
//
// At a column stride sW > 1 (without dilation) the padded planes are
// stored as sW column phases, x[φ][ci][r][u] = padded[ci][r][u·sW + φ],
// so that the windows' columns ow·sW + j are consecutive within phase
// j mod sW: copies again, not gathers.
type im2colSource struct {
	x      []float32 // phases × C/g padded planes of hp·wp
	hp, wp int       // wp: the width of one phase's rows
	phases int       // 1, or sW
	c      int       // planes per phase
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
	// Column step of the window origin in x (1 inside a phase).
	step := g.sw
	if s.phases > 1 {
		step = 1
	}
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
			offs[j] = oh*g.sh*s.wp + ow*step
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
			jo := kj * g.dw // kernel column kj's offset: its phase's planes, then its column there
			if s.phases > 1 {
				jo = (kj%s.phases)*s.c*plane + kj/s.phases
			}
			src := s.x[ci*plane+ki*g.dh*s.wp+jo:]
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

// phased reports whether im2col stores g's padded planes as column
// phases (see im2colSource).
func phased(g *geometry) bool { return g.sw > 1 && g.dw == 1 }

// im2colPad returns the B source of c planes of x (one image's group):
// padded (or x itself), or at stride sW > 1 its sW column phases, written
// into buf (im2colSize floats).
func im2colPad(buf *[]float32, x []float32, c int, g *geometry, kh, kw int) im2colSource {
	if !phased(g) {
		xp, hp, wp := padded(buf, x, c, g, kh, kw)
		return im2colSource{x: xp, hp: hp, wp: wp, phases: 1, c: c, g: g, kh: kh, kw: kw}
	}
	hp, wp, _ := padDims(g, kh, kw)
	s := g.sw
	wq := (wp + s - 1) / s
	n := s * c * hp * wq
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	xq := (*buf)[:n]
	for φ := 0; φ < s; φ++ {
		for ci := 0; ci < c; ci++ {
			dp := xq[(φ*c+ci)*hp*wq : (φ*c+ci+1)*hp*wq]
			clear(dp[:g.ph*wq])
			// Phase columns u with input column u·s + φ − pW inside X.
			u0 := max(0, (g.pw-φ+s-1)/s)
			u1 := min(wq, (g.w+g.pw-φ+s-1)/s)
			for ih := 0; ih < g.h; ih++ {
				r := dp[(g.ph+ih)*wq : (g.ph+ih+1)*wq]
				line := x[ci*g.inPlane+ih*g.w : ci*g.inPlane+(ih+1)*g.w]
				clear(r[:u0])
				if u1 > u0 {
					col := u0*s + φ - g.pw
					for u := range r[u0:u1] {
						r[u0+u] = line[col+u*s]
					}
				}
				clear(r[max(u0, u1):])
			}
			clear(dp[(g.ph+g.h)*wq:])
		}
	}
	return im2colSource{x: xq, hp: hp, wp: wq, phases: s, c: c, g: g, kh: kh, kw: kw}
}

// im2colSize is the float32s im2colPad writes into buf.
func im2colSize(c int, g *geometry, kh, kw int) int {
	if !phased(g) {
		return padSize(c, g, kh, kw)
	}
	hp, wp, _ := padDims(g, kh, kw)
	return c * hp * ((wp + g.sw - 1) / g.sw) * g.sw
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
