package asm

import "unsafe"

// The Winograd F(4×4, 3×3) transforms of package conv run as two 1-D
// passes each, over a run of n tiles in one tile row (conv/winograd.go):
//
//	input:  R (6 rows of 4n+2 columns) ─InCols→ T = Bᵀ R ─InRow (×6)→ V
//	output: M (36 rows, one per ξ) ─OutCols (×6)→ S = Aᵀ M ─OutRow (×4)→ Y
//
// with
//
//	Bᵀ = ⎡ 4  0 −5  0  1  0 ⎤     Aᵀ = ⎡ 1  1  1  1  1  0 ⎤
//	     ⎢ 0 −4 −4  1  1  0 ⎥          ⎢ 0  1 −1  2 −2  0 ⎥
//	     ⎢ 0  4 −4 −1  1  0 ⎥          ⎢ 0  1  1  4  4  0 ⎥
//	     ⎢ 0 −2 −1  2  1  0 ⎥          ⎣ 0  1 −1  8 −8  1 ⎦
//	     ⎢ 0  2 −1 −2  1  0 ⎥
//	     ⎣ 0  4  0 −5  0  1 ⎦
//
// Each twin spells out the operation order; the assembly follows it, so
// implementations agree bitwise (products by 2, 4 and 8 are exact, and the
// two products by 5 are rounded before they are added).

// WinoInColsFunc applies Bᵀ down the columns of six rows, rows ldr apart in
// r and ldt apart in t:
//
//	for x := range n {
//		d0, …, d5 := r[x], r[ldr+x], …, r[5*ldr+x]
//		t[q*ldt+x] = Σ_p Bᵀ[q][p]·d_p   // q < 6, order as in the twin
//	}
type WinoInColsFunc func(n int, t *float32, ldt int, r *float32, ldr int)

// WinoInRowFunc applies B along the six rows of T, ldt apart, for n tiles:
// in row q, tile j reads t[q*ldt+4j … q*ldt+4j+5] and writes
// o[(6q+s)*ldo+j] = Σ_p t[q*ldt+4j+p]·B[p][s] for s < 6. (One call for
// the six rows: conv makes one per run of tiles and input channel.)
type WinoInRowFunc func(n int, t *float32, ldt int, o *float32, ldo int)

// WinoOutColsFunc applies Aᵀ over six rows m[p*ldm …] for n tiles:
// s[r*lds+j] = Σ_p Aᵀ[r][p]·m[p*ldm+j] for r < 4.
type WinoOutColsFunc func(n int, s *float32, lds int, m *float32, ldm int)

// WinoOutRowFunc applies A along one row for n tiles and adds the bias:
// dst[4j+r] = Σ_c q[c*ldq+j]·A[c][r] + bias for r < 4.
type WinoOutRowFunc func(n int, dst *float32, q *float32, ldq int, bias float32)

// rowsAt returns rows k < cnt of length w, ld elements apart, from p.
func rowsAt(p *float32, ld, cnt, w int) [6][]float32 {
	var rs [6][]float32
	for k := 0; k < cnt; k++ {
		rs[k] = unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(p), 4*k*ld)), w)
	}
	return rs
}

// winoB applies Bᵀ to one column d0…d5 in the operation order shared by
// every implementation.
func winoB(d0, d1, d2, d3, d4, d5 float32) (o0, o1, o2, o3, o4, o5 float32) {
	a, b := d4-d2, 2*(d3-d1)
	o0 = float32(4*d0-float32(5*d2)) + d4
	o1 = (d3 + d4) - 4*(d1+d2)
	o2 = (d4 - d3) + 4*(d1-d2)
	o3 = a + b
	o4 = a - b
	o5 = float32(4*d1-float32(5*d3)) + d5
	return
}

// winoA applies Aᵀ to one column m0…m5.
func winoA(m0, m1, m2, m3, m4, m5 float32) (s0, s1, s2, s3 float32) {
	a, b := m1+m2, m1-m2
	c, d := m3+m4, m3-m4
	s0 = (m0 + a) + c
	s1 = b + 2*d
	s2 = a + 4*c
	s3 = (b + 8*d) + m5
	return
}

// winograd43InColsGeneric is Winograd43InCols (see WinoInColsFunc).
func winograd43InColsGeneric(n int, t *float32, ldt int, r *float32, ldr int) {
	if n <= 0 {
		return
	}
	rs, ts := rowsAt(r, ldr, 6, n), rowsAt(t, ldt, 6, n)
	for x := range n {
		ts[0][x], ts[1][x], ts[2][x], ts[3][x], ts[4][x], ts[5][x] =
			winoB(rs[0][x], rs[1][x], rs[2][x], rs[3][x], rs[4][x], rs[5][x])
	}
}

// winograd43InRowGeneric is Winograd43InRow (see WinoInRowFunc).
func winograd43InRowGeneric(n int, t *float32, ldt int, o *float32, ldo int) {
	for q := range 6 {
		winograd43InRow1Generic(n, (*float32)(unsafe.Add(unsafe.Pointer(t), 4*q*ldt)),
			(*float32)(unsafe.Add(unsafe.Pointer(o), 4*6*q*ldo)), ldo)
	}
}

// winograd43InRow1Generic is one row of Winograd43InRow: tile j reads
// t[4j … 4j+5] and writes o[s*ldo+j], s < 6.
func winograd43InRow1Generic(n int, t *float32, o *float32, ldo int) {
	if n <= 0 {
		return
	}
	ts := unsafe.Slice(t, 4*n+2)
	os := rowsAt(o, ldo, 6, n)
	for j := range n {
		q := ts[4*j : 4*j+6 : 4*j+6]
		os[0][j], os[1][j], os[2][j], os[3][j], os[4][j], os[5][j] = winoB(q[0], q[1], q[2], q[3], q[4], q[5])
	}
}

// winograd43OutColsGeneric is Winograd43OutCols (see WinoOutColsFunc).
func winograd43OutColsGeneric(n int, s *float32, lds int, m *float32, ldm int) {
	if n <= 0 {
		return
	}
	ms, ss := rowsAt(m, ldm, 6, n), rowsAt(s, lds, 4, n)
	for j := range n {
		ss[0][j], ss[1][j], ss[2][j], ss[3][j] = winoA(ms[0][j], ms[1][j], ms[2][j], ms[3][j], ms[4][j], ms[5][j])
	}
}

// winograd43OutRowGeneric is Winograd43OutRow (see WinoOutRowFunc).
func winograd43OutRowGeneric(n int, dst *float32, q *float32, ldq int, bias float32) {
	if n <= 0 {
		return
	}
	d := unsafe.Slice(dst, 4*n)
	qs := rowsAt(q, ldq, 6, n)
	for j := range n {
		s0, s1, s2, s3 := winoA(qs[0][j], qs[1][j], qs[2][j], qs[3][j], qs[4][j], qs[5][j])
		o := d[4*j : 4*j+4 : 4*j+4]
		o[0], o[1], o[2], o[3] = s0+bias, s1+bias, s2+bias, s3+bias
	}
}
