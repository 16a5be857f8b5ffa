package main

import "fmt"

func init() { families["sgemm"] = sgemm }

// Epilogue flag bits; asm/sgemm_generic.go defines them as exported
// constants (FlagAlpha …).
const (
	flagAlpha    = 1 << iota // multiply by alpha
	flagBeta                 // add beta*C (C is not read without it)
	flagRowBias              // add bias[i]
	flagColBias              // add bias[j]
	flagResidual             // add r[i*ldr+j]
	flagClamp                // clamp to [lo, hi]
)

// bit returns the bit number of a single-bit flag, for TBZ.
func bit(flag int) int {
	for b := 0; b < 32; b++ {
		if flag == 1<<b {
			return b
		}
	}
	panic("neon: not a single-bit flag")
}

const (
	sgemmSig     = "k int, a *float32, b *float32, ldb int, c *float32, ldc int, flags int, alpha float32, beta float32, lo float32, hi float32, bias *float32, r *float32, ldr int"
	sgemmRowASig = "k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, flags int, alpha float32, beta float32, lo float32, hi float32, bias *float32, r *float32, ldr int"
	sgemvSig     = "m int, k int, a *float32, lda int, x *float32, y *float32"
	requires     = "NEON (ASIMD)"
	sgemmKUnr    = 4 // k unroll of the micro-kernel main loop (Kernels.KUnroll)
)

func sgemm(e *emitter) {
	sgemmKernel(e, 8, 12, false)
	sgemmRowAKernel(e, 8, 12)
	// Edge kernels for the last, partial column strip (Kernels.Edge).
	for _, nr := range []int{4, 8} {
		sgemmKernel(e, 8, nr, false)
		sgemmRowAKernel(e, 8, nr)
	}
	// Not in a table; kept for measurement on hardware.
	sgemmKernel(e, 12, 8, false)
	sgemmKernel(e, 8, 12, true)
	sgemv(e)
	fmaProbe(e)
}

// tile is the register plan of an mr×nr micro-kernel: accumulators at
// the top of the vector file (row i, vector v at V(accBase+i·nv+v)).
type tile struct {
	name            string
	mr, nr, na, nv  int // na = mr/4, nv = nr/4
	accBase, t0, t1 int // t0, t1: epilogue temporaries below the accumulators
}

func newTile(name string, mr, nr int) tile {
	t := tile{name: name, mr: mr, nr: nr, na: mr / 4, nv: nr / 4}
	t.accBase = 32 - mr*t.nv
	t.t0, t.t1 = t.accBase-2, t.accBase-1
	if mr%4 != 0 || nr%4 != 0 || t.na > 4 || t.nv > 4 || t.na > t.t0 || t.nv > t.t0 {
		panic(name + ": unsupported shape")
	}
	return t
}

func (t tile) acc(i, j int) int  { return t.accBase + i*t.nv + j }
func (t tile) l(s string) string { return t.name + "_" + s }
func (t tile) each(fn func(i, j int)) {
	for i := 0; i < t.mr; i++ {
		for j := 0; j < t.nv; j++ {
			fn(i, j)
		}
	}
}

// General registers of the SGEMM kernels. Row pointers of A (RowA
// kernels) are rowPtr[i]; rowPtr[0] is the a register itself.
const (
	gK, gA, gB, gC, gLDC, gFlags, gRow, gBias, gRes, gLDR, gLDB, gLDA, gBRow = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
)

var rowPtr = []int{gA, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 24}

// prologue loads the common arguments, prefetches C and zeroes the
// accumulators.
func (t tile) prologue(e *emitter) {
	e.op("MOVD", e.arg("k"), r(gK))
	e.op("MOVD", e.arg("a"), r(gA))
	e.op("MOVD", e.arg("b"), r(gB))
	e.op("MOVD", e.arg("ldb"), r(gLDB))
	e.op("LSL", imm(2), r(gLDB))
	e.op("MOVD", e.arg("c"), r(gC))
	e.op("MOVD", e.arg("ldc"), r(gLDC))
	e.op("LSL", imm(2), r(gLDC))
	e.comment("prefetch C for writing: first and last 8 bytes of each row")
	e.op("MOVD", r(gC), r(gRow))
	for i := 0; i < t.mr; i++ {
		e.op("PRFM", mem(0, gRow), "PSTL1KEEP")
		e.op("PRFM", mem((t.nr*4-8)/8*8, gRow), "PSTL1KEEP")
		if i < t.mr-1 {
			e.op("ADD", r(gLDC), r(gRow), r(gRow))
		}
	}
	t.each(func(i, j int) { e.op("VEOR", b16(t.acc(i, j)), b16(t.acc(i, j)), b16(t.acc(i, j))) })
}

// epilogue emits the label epi, the flag-selected epilogue stages (in
// SgemmFunc order) and the stores of C. All registers below the
// accumulators are free.
func (t tile) epilogue(e *emitter) {
	mr, nv, acc, t0, t1 := t.mr, t.nv, t.acc, t.t0, t.t1
	e.label(t.l("epi"))
	e.op("MOVD", e.arg("flags"), r(gFlags))
	stage := func(flag int, lbl string, body func()) {
		e.op("TBZ", imm(bit(flag)), r(gFlags), t.l("no"+lbl))
		body()
		e.label(t.l("no" + lbl))
	}
	// rows loads row i of a strided operand into V0…V(nv-1), then calls fn.
	rows := func(base, ld int, fn func(i, j int)) {
		e.op("MOVD", r(base), r(gRow))
		for i := 0; i < mr; i++ {
			e.op("VLD1.P", fmt.Sprintf("(%s)(%s)", r(gRow), r(ld)), list(0, nv))
			for j := 0; j < nv; j++ {
				fn(i, j)
			}
		}
	}
	stage(flagAlpha, "alpha", func() {
		e.op("FMOVS", e.arg("alpha"), f(t0))
		t.each(func(i, j int) { e.inst(fmulElem4s(acc(i, j), acc(i, j), t0, 0)) })
	})
	stage(flagBeta, "beta", func() {
		e.op("FMOVS", e.arg("beta"), f(t0))
		rows(gC, gLDC, func(i, j int) { e.inst(fmlaElem4s(acc(i, j), j, t0, 0)) })
	})
	e.op("MOVD", e.arg("bias"), r(gBias))
	stage(flagRowBias, "rowbias", func() {
		e.op("VLD1", mem(0, gBias), list(0, t.na))
		for i := 0; i < mr; i++ {
			tmp := t0 + i%2 // alternate temporaries so the DUPs overlap the adds
			e.op("VDUP", lane(i/4, i%4), s4(tmp))
			for j := 0; j < nv; j++ {
				e.inst(fadd4s(acc(i, j), acc(i, j), tmp))
			}
		}
	})
	stage(flagColBias, "colbias", func() {
		e.op("VLD1", mem(0, gBias), list(0, nv))
		t.each(func(i, j int) { e.inst(fadd4s(acc(i, j), acc(i, j), j)) })
	})
	stage(flagResidual, "residual", func() {
		e.op("MOVD", e.arg("r"), r(gRes))
		e.op("MOVD", e.arg("ldr"), r(gLDR))
		e.op("LSL", imm(2), r(gLDR))
		rows(gRes, gLDR, func(i, j int) { e.inst(fadd4s(acc(i, j), acc(i, j), j)) })
	})
	stage(flagClamp, "clamp", func() {
		e.op("FMOVS", e.arg("lo"), f(t0))
		e.op("FMOVS", e.arg("hi"), f(t1))
		e.op("VDUP", lane(t0, 0), s4(t0))
		e.op("VDUP", lane(t1, 0), s4(t1))
		t.each(func(i, j int) {
			e.inst(fmax4s(acc(i, j), acc(i, j), t0))
			e.inst(fmin4s(acc(i, j), acc(i, j), t1))
		})
	})
	for i := 0; i < mr; i++ {
		e.op("VST1.P", list(acc(i, 0), nv), fmt.Sprintf("(%s)(%s)", r(gC), r(gLDC)))
	}
	e.op("RET")
}

// sgemmKernel emits the mr×nr micro-kernel on packed panels (mr, nr
// multiples of 4).
//
// Register plan: accumulators at the top; B row p (nr floats, rows ldb
// floats apart) in B set p%2, two sets below the accumulators, so the
// next row loads while the current one is used.
//
// By-lane kernel (dup false): A column p (mr floats) in V0…V(na-1); each
// k step is mr·nv FMLA-by-element (acc(i,v) += B[v]·A.S[i], so A is
// never broadcast) plus 1+na post-incremented VLD1 loads for the next
// step. Dup kernel (dup true, native mnemonics only in the k loop): each
// A element is broadcast with VLD1R into V0/V1 alternately, then nv
// vector VFMLA; that is mr more loads per step.
func sgemmKernel(e *emitter, mr, nr int, dup bool) {
	name := fmt.Sprintf("sgemm%dx%dNEON", mr, nr)
	if dup {
		name += "Dup"
	}
	t := newTile(name, mr, nr)
	na, nv, acc, l := t.na, t.nv, t.acc, t.l
	aRegs := na // registers holding A
	if dup {
		aRegs = 2
	}
	if aRegs+2*nv > t.accBase || sgemmKUnr%2 != 0 {
		panic(name + ": too many registers")
	}
	doc := []string{
		fmt.Sprintf("%s computes one full %d×%d tile, acc[i][j] = Σ_p A[i][p]·b[p*ldb+j]", name, mr, nr),
		fmt.Sprintf("with A[i][p] = a[p*%d+i] (a packed panel), then C[i][j] = epilogue(acc); see SgemmFunc.", mr),
	}
	if dup {
		doc = append(doc, "It broadcasts A with VLD1R instead of using FMLA by element.")
	}
	e.function(name, sgemmSig, true, requires, doc...)
	t.prologue(e)

	// Software pipeline: B rows alternate between two register sets, and
	// the loads for step p+1 are issued while step p runs (B at its start,
	// each by-lane A register right after its last use), so an in-order
	// core does not wait for them. The last step loads nothing for the
	// next, so the panels are never read past their end.
	bSet := func(par, j int) int { return aRegs + par*nv + j }
	step := func(par int, lookahead bool) {
		if lookahead {
			e.op("VLD1.P", fmt.Sprintf("(%s)(%s)", r(gB), r(gLDB)), list(bSet(1-par, 0), nv))
		}
		if dup {
			e.op("VLD1R.P", mem(4, gA), list(0, 1))
			for i := 0; i < mr; i++ {
				if i+1 < mr {
					e.op("VLD1R.P", mem(4, gA), list((i+1)%2, 1))
				}
				for j := 0; j < nv; j++ {
					e.op("VFMLA", s4(bSet(par, j)), s4(i%2), s4(acc(i, j)))
				}
			}
			return
		}
		for q := 0; q < na; q++ {
			for i := 4 * q; i < 4*q+4; i++ {
				for j := 0; j < nv; j++ {
					e.inst(fmlaElem4s(acc(i, j), bSet(par, j), q, i%4))
				}
			}
			if lookahead {
				e.op("VLD1.P", mem(16, gA), list(q, 1))
			}
		}
	}
	e.op("CMP", imm(0), r(gK)) // k ≤ 0: no steps
	e.op("BLE", l("epi"))
	e.comment("load step 0; the loop runs while at least %d steps remain", sgemmKUnr+1)
	if !dup {
		e.op("VLD1.P", mem(mr*4, gA), list(0, na))
	}
	e.op("VLD1.P", fmt.Sprintf("(%s)(%s)", r(gB), r(gLDB)), list(bSet(0, 0), nv))
	e.op("SUBS", imm(sgemmKUnr), r(gK), r(gK))
	e.op("BLE", l("tail"))
	e.label(l("loop"))
	for u := 0; u < sgemmKUnr; u++ {
		e.comment("step %d", u)
		step(u%2, true)
	}
	e.op("SUBS", imm(sgemmKUnr), r(gK), r(gK))
	e.op("BGT", l("loop"))
	e.label(l("tail"))
	e.comment("1 to %d steps remain; step 0's operands are in set 0", sgemmKUnr)
	e.op("ADD", imm(sgemmKUnr), r(gK), r(gK))
	for u := 0; u < sgemmKUnr-1; u++ {
		e.op("SUBS", imm(1), r(gK), r(gK))
		e.op("BEQ", l(fmt.Sprintf("last%d", u%2)))
		step(u%2, true)
	}
	e.op("B", l(fmt.Sprintf("last%d", (sgemmKUnr-1)%2)))
	for par := 0; par < 2; par++ {
		e.label(l(fmt.Sprintf("last%d", par)))
		step(par, false)
		if par == 0 {
			e.op("B", l("epi"))
		}
	}
	t.epilogue(e)
}

// sgemmRowAKernel emits the mr×nr kernel that reads A in place from mr
// row pointers (A[i][p] = a[i*lda+p]).
//
// Main loop, four k steps at a time, in mr/4 passes of four rows: load
// A[i][p…p+3] of the pass's rows into V0…V3 (one VLD1 each), then for
// each of the four B rows, one VLD1 and 4·nv FMLA-by-element with lane u
// of the row registers: acc(i,v) += B_{p+u}[v]·A[i][p+u]. Passes after
// the first reload the same B rows (from L1). Tail steps broadcast each
// A element with VLD1R and use vector VFMLA.
func sgemmRowAKernel(e *emitter, mr, nr int) {
	name := fmt.Sprintf("sgemm%dx%dRowANEON", mr, nr)
	t := newTile(name, mr, nr)
	nv, acc, l := t.nv, t.acc, t.l
	const aRow = 0 // V0…V3: four rows of A, four k steps each
	bReg := func(j int) int { return 4 + j }
	if 4+nv > t.accBase || mr > len(rowPtr) || sgemmKUnr != 4 {
		panic(name + ": too many registers")
	}
	e.function(name, sgemmRowASig, true, requires,
		fmt.Sprintf("%s computes one full %d×%d tile, acc[i][j] = Σ_p A[i][p]·b[p*ldb+j]", name, mr, nr),
		"with A[i][p] = a[i*lda+p], then C[i][j] = epilogue(acc); see SgemmFunc.")
	t.prologue(e)
	e.op("MOVD", e.arg("lda"), r(gLDA))
	e.op("LSL", imm(2), r(gLDA))
	for i := 1; i < mr; i++ {
		e.op("ADD", r(gLDA), r(rowPtr[i-1]), r(rowPtr[i]))
	}
	e.op("SUBS", imm(4), r(gK), r(gK))
	e.op("BLT", l("tail"))
	e.label(l("loop"))
	for pass := 0; pass < mr/4; pass++ {
		e.comment("rows %d to %d", 4*pass, 4*pass+3)
		for q := 0; q < 4; q++ {
			e.op("VLD1.P", mem(16, rowPtr[4*pass+q]), list(aRow+q, 1))
		}
		bp := gBRow
		if pass == mr/4-1 {
			bp = gB // the last pass advances b itself
		} else {
			e.op("MOVD", r(gB), r(gBRow))
		}
		for u := 0; u < 4; u++ {
			e.op("VLD1.P", fmt.Sprintf("(%s)(%s)", r(bp), r(gLDB)), list(bReg(0), nv))
			for q := 0; q < 4; q++ {
				for j := 0; j < nv; j++ {
					e.inst(fmlaElem4s(acc(4*pass+q, j), bReg(j), aRow+q, u))
				}
			}
		}
	}
	e.op("SUBS", imm(4), r(gK), r(gK))
	e.op("BGE", l("loop"))
	e.label(l("tail"))
	e.op("ADDS", imm(4), r(gK), r(gK))
	e.op("BLE", l("epi"))
	e.label(l("tailloop"))
	e.op("VLD1.P", fmt.Sprintf("(%s)(%s)", r(gB), r(gLDB)), list(bReg(0), nv))
	for i := 0; i < mr; i++ {
		e.op("VLD1R.P", mem(4, rowPtr[i]), list(aRow+i%4, 1))
		if i >= 1 {
			for j := 0; j < nv; j++ {
				e.op("VFMLA", s4(bReg(j)), s4(aRow+(i-1)%4), s4(acc(i-1, j)))
			}
		}
	}
	for j := 0; j < nv; j++ {
		e.op("VFMLA", s4(bReg(j)), s4(aRow+(mr-1)%4), s4(acc(mr-1, j)))
	}
	e.op("SUBS", imm(1), r(gK), r(gK))
	e.op("BNE", l("tailloop"))
	t.epilogue(e)
}

// sgemv emits y[i] = Σ_k a[i*lda+k]·x[k] for i < m: blocks of four rows
// (then single rows), eight columns per iteration in two accumulators per
// row (native vector FMLA), one four-column step, a scalar FMADD tail, and
// a pairwise-add reduction that leaves four rows' sums in one vector.
func sgemv(e *emitter) {
	const name = "sgemvNEON"
	l := func(s string) string { return name + "_" + s }
	e.function(name, sgemvSig, true, requires,
		name+" computes y[i] = Σ_k a[i*lda+k]·x[k] for i < m (see sgemvGeneric).",
		"Requires k ≥ 0, m ≥ 0.")
	const (
		m, k, a, lda, x, y = 0, 1, 2, 3, 4, 5
		xp, kk             = 10, 11
	)
	rowp := []int{6, 7, 8, 9}
	const rows = 4
	xv := func(u int) int { return u }                // V0, V1: x
	av := func(rw, u int) int { return 2 + rw*2 + u } // V2…V9: rows of a
	acc := func(rw, u int) int { return 16 + rw*2 + u }
	tail := func(rw int) int { return 24 + rw } // scalar-tail sums (lane 0)

	e.op("MOVD", e.arg("m"), r(m))
	e.op("MOVD", e.arg("k"), r(k))
	e.op("MOVD", e.arg("a"), r(a))
	e.op("MOVD", e.arg("lda"), r(lda))
	e.op("LSL", imm(2), r(lda))
	e.op("MOVD", e.arg("x"), r(x))
	e.op("MOVD", e.arg("y"), r(y))

	block := func(n int, p string) {
		lp := func(s string) string { return l(p + "_" + s) }
		e.op("MOVD", r(a), r(rowp[0]))
		for rw := 1; rw < n; rw++ {
			e.op("ADD", r(lda), r(rowp[rw-1]), r(rowp[rw]))
		}
		e.op("MOVD", r(x), r(xp))
		e.op("MOVD", r(k), r(kk))
		for rw := 0; rw < n; rw++ {
			for u := 0; u < 2; u++ {
				e.op("VEOR", b16(acc(rw, u)), b16(acc(rw, u)), b16(acc(rw, u)))
			}
			e.op("VEOR", b16(tail(rw)), b16(tail(rw)), b16(tail(rw)))
		}
		e.op("SUBS", imm(8), r(kk), r(kk))
		e.op("BLT", lp("v4"))
		e.label(lp("v8"))
		e.op("VLD1.P", mem(32, xp), list(xv(0), 2))
		for rw := 0; rw < n; rw++ {
			e.op("VLD1.P", mem(32, rowp[rw]), list(av(rw, 0), 2))
		}
		for rw := 0; rw < n; rw++ {
			for u := 0; u < 2; u++ {
				e.op("VFMLA", s4(xv(u)), s4(av(rw, u)), s4(acc(rw, u)))
			}
		}
		e.op("SUBS", imm(8), r(kk), r(kk))
		e.op("BGE", lp("v8"))
		e.label(lp("v4"))
		e.op("ADD", imm(8), r(kk), r(kk))
		e.op("CMP", imm(4), r(kk))
		e.op("BLT", lp("s"))
		e.op("VLD1.P", mem(16, xp), list(xv(0), 1))
		for rw := 0; rw < n; rw++ {
			e.op("VLD1.P", mem(16, rowp[rw]), list(av(rw, 0), 1))
		}
		for rw := 0; rw < n; rw++ {
			e.op("VFMLA", s4(xv(0)), s4(av(rw, 0)), s4(acc(rw, 1)))
		}
		e.op("SUB", imm(4), r(kk), r(kk))
		e.label(lp("s"))
		e.op("CMP", imm(0), r(kk))
		e.op("BLE", lp("sum"))
		e.label(lp("s1"))
		e.op("FMOVS.P", mem(4, xp), f(xv(0)))
		for rw := 0; rw < n; rw++ {
			e.op("FMOVS.P", mem(4, rowp[rw]), f(av(rw, 0)))
			e.op("FMADDS", f(xv(0)), f(tail(rw)), f(av(rw, 0)), f(tail(rw)))
		}
		e.op("SUBS", imm(1), r(kk), r(kk))
		e.op("BNE", lp("s1"))
		e.label(lp("sum"))
		for rw := 0; rw < n; rw++ {
			e.inst(fadd4s(acc(rw, 0), acc(rw, 0), acc(rw, 1)))
			e.inst(fadd4s(acc(rw, 0), acc(rw, 0), tail(rw))) // tail sum is in lane 0, other lanes 0
		}
		if n == 4 {
			e.inst(faddp4s(0, acc(0, 0), acc(1, 0)))
			e.inst(faddp4s(1, acc(2, 0), acc(3, 0)))
			e.inst(faddp4s(0, 0, 1))
			e.op("VST1.P", list(0, 1), mem(16, y))
			e.op("ADD", fmt.Sprintf("%s<<2", r(lda)), r(a), r(a))
		} else {
			e.inst(faddp4s(0, acc(0, 0), acc(0, 0)))
			e.inst(faddp4s(0, 0, 0))
			e.op("FMOVS.P", f(0), mem(4, y))
			e.op("ADD", r(lda), r(a), r(a))
		}
	}
	e.label(l("rows4"))
	e.op("CMP", imm(rows), r(m))
	e.op("BLT", l("rows1"))
	block(rows, "r4")
	e.op("SUB", imm(rows), r(m), r(m))
	e.op("B", l("rows4"))
	e.label(l("rows1"))
	e.op("CMP", imm(0), r(m))
	e.op("BLE", l("done"))
	block(1, "r1")
	e.op("SUB", imm(1), r(m), r(m))
	e.op("B", l("rows1"))
	e.label(l("done"))
	e.op("RET")
}

// probeChains independent vector FMLA chains: enough to cover a 4-cycle
// latency on four FMA pipes.
const probeChains = 24

// fmaProbe emits a loop of n iterations of probeChains independent FMLAs.
func fmaProbe(e *emitter) {
	const name = "fmaProbeNEON"
	l := func(s string) string { return name + "_" + s }
	e.function(name, "n int", false, requires,
		fmt.Sprintf("%s runs n iterations of %d independent 4-lane FMAs (%d flops per iteration).",
			name, probeChains, probeChains*4*2))
	e.op("MOVD", e.arg("n"), r(0))
	for i := 0; i < probeChains+2; i++ {
		e.op("VEOR", b16(i), b16(i), b16(i))
	}
	e.op("CMP", imm(0), r(0))
	e.op("BLE", l("done"))
	e.label(l("loop"))
	for i := 0; i < probeChains; i++ {
		e.op("VFMLA", s4(probeChains), s4(probeChains+1), s4(i))
	}
	e.op("SUBS", imm(1), r(0), r(0))
	e.op("BNE", l("loop"))
	e.label(l("done"))
	e.op("RET")
}
