package gemm

import (
	"fmt"
	"github.com/gocnn/gocnn/internal/cpu"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/asm"
)

const sentinel = float32(-12345.5)

// problem is one test case; build fills the operands.
type problem struct {
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int
	alpha, beta    float32
	ep             Epilogue
	a, b, c0       []float32
	packB          bool // run with op(B) pre-packed (PackB)
}

func newProblem(rng *rand.Rand, transA, transB bool, m, n, k, pad int, alpha, beta float32) *problem {
	p := &problem{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	p.lda, p.ldb, p.ldc = ac+pad, bc+pad, n+pad
	p.a = randVec(rng, ar*p.lda)
	p.b = randVec(rng, br*p.ldb)
	p.c0 = randVec(rng, m*p.ldc)
	if beta == 0 {
		for i := range p.c0 {
			p.c0[i] = float32(math.NaN())
		}
	}
	return p
}

func randVec(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func (p *problem) opA(i, q int) float32 {
	if p.transA {
		return p.a[q*p.lda+i]
	}
	return p.a[i*p.lda+q]
}

func (p *problem) opB(q, j int) float32 {
	if p.transB {
		return p.b[j*p.ldb+q]
	}
	return p.b[q*p.ldb+j]
}

// check compares c (inside a guard band, c[g:]) against a float64 reference
// with a bound scaled by Σ|a·b|, and checks the guards and row gaps.
func (p *problem) check(t *testing.T, what string, buf []float32, g int) {
	t.Helper()
	e := &p.ep
	for i := range buf {
		in := i >= g && i-g < p.m*p.ldc && (i-g)%p.ldc < p.n
		if !in && buf[i] != sentinel {
			t.Fatalf("%s: element %d outside C overwritten: %v", what, i-g, buf[i])
		}
	}
	c := buf[g:]
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.n; j++ {
			var s, mag float64
			for q := 0; q < p.k; q++ {
				x := float64(p.opA(i, q)) * float64(p.opB(q, j))
				s += x
				mag += math.Abs(x)
			}
			s *= float64(p.alpha)
			mag *= math.Abs(float64(p.alpha))
			if p.beta != 0 {
				x := float64(p.beta) * float64(p.c0[i*p.ldc+j])
				s += x
				mag += math.Abs(x)
			}
			switch e.BiasMode {
			case BiasRow:
				s += float64(e.Bias[i])
				mag += math.Abs(float64(e.Bias[i]))
			case BiasCol:
				s += float64(e.Bias[j])
				mag += math.Abs(float64(e.Bias[j]))
			}
			if e.Residual != nil {
				s += float64(e.Residual[i*e.LDR+j])
				mag += math.Abs(float64(e.Residual[i*e.LDR+j]))
			}
			// Each activation's slope is at most max(1, |Alpha|) + 0.1
			// (SiLU's peaks at 1.0998), so the bound scales by that.
			sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
			a := e.Act
			switch a.Kind {
			case asm.ActReLU:
				s = math.Max(s, 0)
			case asm.ActClip:
				s = math.Min(math.Max(s, float64(a.Min)), float64(a.Max))
			case asm.ActLeakyReLU:
				if s < 0 {
					s *= float64(a.Alpha)
					mag *= math.Abs(float64(a.Alpha))
				}
			case asm.ActHardSigmoid:
				s = math.Min(1, math.Max(0, float64(a.Alpha)*s+float64(a.Beta)))
				mag *= math.Abs(float64(a.Alpha))
			case asm.ActHardSwish:
				s *= math.Min(1, math.Max(0, s/6+0.5))
				mag *= 1.5
			case asm.ActSigmoid:
				s = sig(s)
			case asm.ActSiLU:
				s *= sig(s)
				mag *= 1.1
			}
			got := float64(c[i*p.ldc+j])
			if d := math.Abs(got - s); !(d <= 2e-5*mag+1e-6) {
				t.Fatalf("%s: C[%d][%d] = %v, want %v (|Σ|ab|| = %g)", what, i, j, got, s, mag)
			}
		}
	}
}

// run executes the problem with table kern and returns the guarded C buffer.
func (p *problem) run(kern *asm.Kernels, threads int, packed bool, src BSource) ([]float32, int) {
	const g = 5
	buf := make([]float32, 2*g+p.m*p.ldc)
	for i := range buf {
		buf[i] = sentinel
	}
	c := buf[g : g+p.m*p.ldc]
	for i := 0; i < p.m; i++ {
		copy(c[i*p.ldc:i*p.ldc+p.n], p.c0[i*p.ldc:])
	}
	prm := Params{TransA: p.transA, TransB: p.transB, M: p.m, N: p.n, K: p.k, Alpha: p.alpha, Beta: p.beta,
		A: p.a, LDA: p.lda, B: p.b, LDB: p.ldb, C: c, LDC: p.ldc, Epilogue: p.ep, Threads: threads, Kernels: kern}
	if packed {
		prm.PackedA = PackA(kern, p.transA, p.m, p.k, p.a, p.lda, nil)
	}
	prm.BSource = src
	if p.packB {
		prm.PackedB = PackB(kern, p.transB, p.k, p.n, p.b, p.ldb, nil)
	}
	Gemm(&prm)
	return buf, g
}

func TestSubtiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, kern := range asm.Tables() {
		t.Run(kern.Name, func(t *testing.T) {
			ks := []int{0, 1, 3, 4, 5, 2*kern.KUnroll + 1, 17}
			for m := 1; m <= kern.MR+1; m++ {
				for n := 1; n <= kern.NR+1; n++ {
					k := ks[(m+n)%len(ks)]
					tA, tB := (m+n)%2 == 0, (m/2+n)%2 == 0
					beta := []float32{0, 1, -0.5}[(m*n)%3]
					p := newProblem(rng, tA, tB, m, n, k, (m+n)%3, 0.75, beta)
					buf, g := p.run(kern, 1, false, nil)
					p.check(t, fmt.Sprintf("m=%d n=%d k=%d tA=%v tB=%v beta=%v", m, n, k, tA, tB, beta), buf, g)
				}
			}
		})
	}
}

func TestShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	shapes := [][3]int{{1, 1, 1}, {0, 5, 5}, {5, 0, 5}, {7, 5, 0}, {13, 17, 19}, {31, 37, 41}, {1, 300, 70},
		{300, 1, 70}, {257, 1, 1000}, {1, 600, 300}, {1, 1, 70}, {65, 97, 300}, {129, 65, 520}, {40, 600, 1030}}
	if testing.Short() {
		shapes = shapes[:9]
	}
	for _, kern := range asm.Tables() {
		t.Run(kern.Name, func(t *testing.T) {
			for _, s := range shapes {
				for tr := 0; tr < 4; tr++ {
					tA, tB := tr&1 != 0, tr&2 != 0
					for _, ab := range [][2]float32{{1, 0}, {-0.5, 1}, {2, 0.25}} {
						p := newProblem(rng, tA, tB, s[0], s[1], s[2], 3, ab[0], ab[1])
						buf, g := p.run(kern, 1, false, nil)
						what := fmt.Sprintf("%v tA=%v tB=%v alpha=%v beta=%v", s, tA, tB, ab[0], ab[1])
						p.check(t, what, buf, g)
					}
				}
			}
		})
	}
}

func TestEpilogue(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, kern := range asm.Tables() {
		t.Run(kern.Name, func(t *testing.T) {
			shapes := [][3]int{{kern.MR * 2, kern.NR * 3, 33}, {kern.MR*3 + 1, kern.NR*2 + 3, 600}, {70, 1, 45}, {1, 70, 45}, {1, 1, 9},
				{kern.MR*2 + 1, 600, 40}, {67, 2*kern.NR + 1, 300}, // several actCols groups; a gemvEdge strip
				{kern.MR * 3, kern.NR + 16, 100}, {kern.MR*2 + 2, kern.NR + 8, 80}} // last strips as wide as an edge kernel
			for _, s := range edgeGemvShapes(kern) {
				shapes = append(shapes, [3]int{s[0], s[1], s[2]})
			}
			for _, s := range shapes {
				m, n, k := s[0], s[1], s[2]
				res := randVec(rng, m*(n+2))
				eps := []Epilogue{
					{BiasMode: BiasRow, Bias: randVec(rng, m)},
					{BiasMode: BiasCol, Bias: randVec(rng, n)},
					{Residual: res, LDR: n + 2},
					{Act: asm.Activation{Kind: asm.ActReLU}},
					{Act: asm.Activation{Kind: asm.ActClip, Min: 0, Max: 6}, BiasMode: BiasRow, Bias: randVec(rng, m), Residual: res, LDR: n + 2},
					{Act: asm.Activation{Kind: asm.ActLeakyReLU, Alpha: 0.1}},
					{BiasMode: BiasRow, Bias: randVec(rng, m), Act: asm.Activation{Kind: asm.ActHardSigmoid, Alpha: 0.2, Beta: 0.5}},
					{Residual: res, LDR: n + 2, Act: asm.Activation{Kind: asm.ActHardSwish}},
					{BiasMode: BiasCol, Bias: randVec(rng, n), Act: asm.Activation{Kind: asm.ActSigmoid}},
					{Act: asm.Activation{Kind: asm.ActSiLU}},
				}
				for ei, ep := range eps {
					for _, beta := range []float32{0, 0.5} {
						// A packed or not: row-major A unpacked is read in place
						// (SgemmRowA) when N is small.
						for _, packed := range []bool{false, true} {
							p := newProblem(rng, ei%3 == 1, ei%2 == 1, m, n, k, 1, 1.5, beta)
							p.ep = ep
							buf, g := p.run(kern, 2, packed, nil)
							p.check(t, fmt.Sprintf("%v ep=%d beta=%v packed=%v", s, ei, beta, packed), buf, g)
							if !packed {
								continue
							}
							// B through a BSource (with pre-packed A and at most two
							// strips: macroRows): the same kernels, the same bits.
							src := customB{func(q, j int) float32 { return p.opB(q, j) }}
							if got, _ := p.run(kern, 2, true, src); !slices.EqualFunc(got, buf, sameBits) {
								t.Fatalf("%v ep=%d beta=%v: B from a BSource gives other bits", s, ei, beta)
							}
						}
					}
				}
			}
		})
	}
}

// TestGemv covers the matrix-vector paths (N == 1, and M == 1 with B
// stored N×K): unit and wider output strides, several row chunks, every
// epilogue stage, k around the Sgemv unroll and tails.
// TestRowBlocks runs products taller than a row block (M > mc) on one
// thread, B packed by the first block's tiles (fused) and read again by
// the later blocks, with A packed per call and pre-packed.
func TestRowBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, kern := range asm.Tables() {
		const k = 300
		m, n := 2*blocks(kern, k).mc+kern.MR+3, 2*kern.NR+5
		for _, packed := range []bool{false, true} {
			p := newProblem(rng, false, false, m, n, k, 3, 1, 0.5)
			buf, g := p.run(kern, 1, packed, nil)
			p.check(t, fmt.Sprintf("%s %d×%d×%d packed A %v", kern.Name, m, n, k, packed), buf, g)
		}
	}
}

func TestGemv(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, kern := range asm.Tables() {
		t.Run(kern.Name, func(t *testing.T) {
			for _, rows := range []int{3, 2*gemvChunk + 5} {
				for _, k := range []int{0, 1, 15, 17, 64, 100, 513} {
					for si, s := range [][3]int{{rows, 1, k}, {1, rows, k}} {
						m, n := s[0], s[1]
						res := randVec(rng, m*(n+2))
						eps := []Epilogue{
							{},
							{BiasMode: BiasRow, Bias: randVec(rng, m)},
							{BiasMode: BiasCol, Bias: randVec(rng, n)},
							{Residual: res, LDR: n},
							{Residual: res, LDR: n + 2, Act: asm.Activation{Kind: asm.ActClip, Min: -0.5, Max: 0.5}},
							{BiasMode: BiasRow, Bias: randVec(rng, m), Act: asm.Activation{Kind: asm.ActSiLU}},
							{BiasMode: BiasCol, Bias: randVec(rng, n), Act: asm.Activation{Kind: asm.ActLeakyReLU, Alpha: 0.1}},
						}
						for ei, ep := range eps {
							for pad := range 2 {
								ab := [][2]float32{{1, 0}, {1.5, 0.5}, {1, 1}}[(ei+pad)%3]
								tr := (ei + pad + si) % 4
								if m == 1 {
									tr |= 2 // the gemv path needs B stored N×K
								}
								p := newProblem(rng, tr&1 != 0, tr&2 != 0, m, n, k, pad, ab[0], ab[1])
								if ep.Residual != nil && m > 1 && ep.LDR == n {
									ep.LDR = n + pad // N == 1: residual stride of C
								}
								p.ep = ep
								buf, g := p.run(kern, 1+ei%2, false, nil)
								p.check(t, fmt.Sprintf("%v ep=%d pad=%d tr=%d", s, ei, pad, tr), buf, g)
							}
						}
					}
				}
			}
		})
	}
}

// TestGemvEdge covers thin last column strips next to A read in place,
// which run as Sgemv passes (gemvEdge): widths 1 and 2 (and 5, which does
// not; 3 and 4 pack A where SgemmThin takes them), row tails, several k
// blocks and k too short for the y scratch.
func TestGemvEdge(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, kern := range asm.Tables() {
		t.Run(kern.Name, func(t *testing.T) {
			// m, n, k, lda-k
			shapes := [][4]int{{37, kern.NR + 1, 1100, 1}, {70, 2*kern.NR + 2, 700, 1}, {9, 5, 300, 1},
				{41, kern.NR + 5, 300, 1}, {203, 1 + 2*kern.NR, 6, 70}}
			for _, s := range edgeGemvShapes(kern) {
				shapes = append(shapes, [4]int{s[0], s[1], s[2], 1})
			}
			for si, s := range shapes {
				m, n, k := s[0], s[1], s[2]
				if !useRowA(kern, m, n, k, k+s[3]) {
					t.Fatalf("%v: not read in place", s)
				}
				res := randVec(rng, m*(n+2))
				eps := []Epilogue{
					{},
					{BiasMode: BiasRow, Bias: randVec(rng, m), Act: asm.Activation{Kind: asm.ActClip, Min: -1, Max: 1}},
					{BiasMode: BiasCol, Bias: randVec(rng, n), Residual: res, LDR: n + 2},
					{Residual: res, LDR: n + 1, Act: asm.Activation{Kind: asm.ActHardSwish}},
				}
				for ei, ep := range eps {
					ab := [][2]float32{{1, 0}, {1.5, 0.5}}[(si+ei)%2]
					p := newProblem(rng, false, false, m, n, k, s[3], ab[0], ab[1])
					p.ep = ep
					buf, g := p.run(kern, 1+ei%2, false, nil)
					p.check(t, fmt.Sprintf("%v ep=%d", s, ei), buf, g)
				}
			}
		})
	}
}

// edgeGemvShapes returns M×N×K shapes whose last column strip runs on an
// edge kernel and then as one or two gemvEdge passes (N = 49 = 32 + 16 + 1
// for avx512), with a row tail and with whole tiles, one k block and two.
func edgeGemvShapes(kern *asm.Kernels) [][3]int {
	var ss [][3]int
	for _, e := range kern.Edge {
		ss = append(ss, [3]int{kern.MR*3 + 1, kern.NR + e.NR + 1, 300}, [3]int{kern.MR * 4, 2*kern.NR + e.NR + 2, 1100},
			// M a multiple of MR: the last column on SgemmRowACol where the edge has one.
			[3]int{kern.MR * 5, kern.NR + e.NR + 1, 1100}, [3]int{kern.MR * 2, e.NR + 1, 100})
	}
	return ss
}

// customB is a BSource that builds B from a function, like an implicit
// im2col would.
type customB struct{ f func(p, j int) float32 }

func (s customB) PackB(dst []float32, k0, kc, n0, nc, nr int) {
	for st := 0; st*nr < nc; st++ {
		for p := 0; p < kc; p++ {
			for j := 0; j < nr; j++ {
				v := float32(0)
				if st*nr+j < nc {
					v = s.f(k0+p, n0+st*nr+j)
				}
				dst[st*kc*nr+p*nr+j] = v
			}
		}
	}
}

func TestPackedAndBSource(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, kern := range asm.Tables() {
		// N = NR·q + 1 or 2: the thin last strip (gemvEdge), next to B
		// packed, fused or read through a BSource.
		for _, s := range append([][3]int{{kern.MR*5 + 2, kern.NR*4 + 1, 700}, {3, 40, 9}, {kern.MR*3 + 1, kern.NR*3 + 2, 300}, {kern.MR*7 + 3, kern.NR*2 + 1, 45}},
			edgeGemvShapes(kern)...) {
			for _, tA := range []bool{false, true} {
				p := newProblem(rng, tA, false, s[0], s[1], s[2], 2, 1, 0)
				for _, src := range []BSource{customB{func(q, j int) float32 { return p.opB(q, j) }}, nil} {
					for _, packed := range []bool{false, true} {
						buf, g := p.run(kern, 3, packed, src)
						p.check(t, fmt.Sprintf("%s %v tA=%v packed=%v bsource=%v", kern.Name, s, tA, packed, src != nil), buf, g)
					}
				}
			}
		}
	}
}

// TestPackedB runs op(B) pre-packed: partial strips, several k blocks,
// both layouts of B, A packed or not, the epilogue, and threads (same
// bits as one).
func TestPackedB(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, kern := range asm.Tables() {
		for si, s := range [][3]int{{kern.MR*4 + 3, kern.NR*3 + 5, 700}, {16, 512, 64}, {3, 1, 9}, {kern.MR + 1, kern.NR - 1, 2}, {37, kern.NR*2 + 1, 33}} {
			for _, tB := range []bool{false, true} {
				p := newProblem(rng, si%2 == 1, tB, s[0], s[1], s[2], 3, 1.5, 0.5)
				p.ep = Epilogue{BiasMode: BiasRow, Bias: randVec(rng, s[0]), Residual: randVec(rng, s[0]*s[1]), LDR: s[1],
					Act: asm.Activation{Kind: asm.ActSiLU}}
				p.packB = true
				for _, packed := range []bool{false, true} {
					ref, g := p.run(kern, 1, packed, nil)
					p.check(t, fmt.Sprintf("%s %v tB=%v packedA=%v packedB", kern.Name, s, tB, packed), ref, g)
					if got, _ := p.run(kern, 3, packed, nil); !slices.Equal(ref, got) {
						t.Fatalf("%s %v tB=%v packedA=%v packedB: threads=3 differs from threads=1", kern.Name, s, tB, packed)
					}
				}
			}
		}
	}
}

// TestThreadsBitIdentical: any thread count gives the same bits.
func TestThreadsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, kern := range asm.Tables() {
		for si, s := range [][3]int{{97, 203, 600}, {300, 1, 100}, {8, 500, 1100}, {200, 9, 64}, {40, 700, 300}, {1, 900, 50},
			{70, 600, 130}, {203, 49, 700}} {
			for _, tB := range []bool{false, true} {
				testThreads(t, kern, rng, s, tB, si%2 == 0)
			}
		}
	}
}

func testThreads(t *testing.T, kern *asm.Kernels, rng *rand.Rand, s [3]int, tB, packed bool) {
	t.Helper()
	p := newProblem(rng, false, tB, s[0], s[1], s[2], 1, 0.5, 0.5)
	p.ep = Epilogue{BiasMode: BiasRow, Bias: randVec(rng, s[0]), Act: asm.Activation{Kind: asm.ActClip, Min: -1, Max: 1}}
	ref, _ := p.run(kern, 1, packed, nil)
	for _, th := range []int{2, 3, 4} {
		got, _ := p.run(kern, th, packed, nil)
		if !slices.Equal(ref, got) {
			t.Fatalf("%s %v tB=%v packed=%v: threads=%d differs from threads=1", kern.Name, s, tB, packed, th)
		}
	}
}

func TestAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	m, n, k := 64, 200, 300
	a, b, c := randVec(rng, m*k), randVec(rng, k*n), make([]float32, m*n)
	for _, th := range []int{1, 2} {
		f := func() {
			Gemm(&Params{M: m, N: n, K: k, Alpha: 1, A: a, LDA: k, B: b, LDB: n, C: c, LDC: n, Threads: th})
		}
		f()
		if got := testing.AllocsPerRun(20, f); got != 0 {
			t.Errorf("threads=%d: %v allocs per call", th, got)
		}
	}
}

// TestWorkspace: a call on a workspace of WorkspaceSize floats gives the
// pooled call's bits; on a longer one too, each thread keeping to the
// first WorkspacePart floats of its equal share (the rest stays NaN).
func TestWorkspace(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, kern := range asm.Tables() {
		for _, sh := range [][3]int{{50, 70, 90}, {300, 200, 40}, {1, 500, 300}} {
			m, n, k := sh[0], sh[1], sh[2]
			p := newProblem(rng, false, sh[0] == 1, m, n, k, 0, 1, 0)
			buf, g := p.run(kern, 2, false, nil)
			part := WorkspacePart(kern, m, n, k)
			if part%16 != 0 || WorkspaceSize(kern, m, n, k, 2) != 2*part {
				t.Fatalf("%s %v: WorkspacePart %d, WorkspaceSize %d", kern.Name, sh, part, WorkspaceSize(kern, m, n, k, 2))
			}
			const gap = 48
			for _, size := range []int{2 * part, 2 * (part + gap)} {
				ws := make([]float32, size)
				for i := range ws {
					ws[i] = float32(math.NaN())
				}
				c := make([]float32, m*n)
				Gemm(&Params{M: m, N: n, K: k, Alpha: 1, A: p.a, LDA: p.lda, B: p.b, LDB: p.ldb, TransB: p.transB, C: c, LDC: n,
					Threads: 2, Kernels: kern, Workspace: ws})
				if !slices.Equal(c, buf[g:g+m*n]) {
					t.Fatalf("%s %v: run on a workspace of %d floats differs", kern.Name, sh, size)
				}
				if size == 2*part {
					continue
				}
				for i := range 2 {
					for j, v := range ws[i*(part+gap)+part : (i+1)*(part+gap)] {
						if v == v {
							t.Fatalf("%s %v: thread %d wrote float %d of its share, past its %d", kern.Name, sh, i, part+j, part)
						}
					}
				}
			}
		}
	}
}

// FuzzSgemm compares every table with the generic one on random shapes.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(5), uint8(9), uint16(13), uint8(0), uint64(1))
	f.Add(uint8(33), uint8(70), uint16(300), uint8(3), uint64(2))
	f.Fuzz(func(t *testing.T, m8, n8 uint8, k16 uint16, tr uint8, seed uint64) {
		m, n, k := int(m8)%80, int(n8)%80, int(k16)%700
		rng := rand.New(rand.NewPCG(seed, 9))
		p := newProblem(rng, tr&1 != 0, tr&2 != 0, m, n, k, int(tr>>2)%4, 1, float32(tr>>4%2))
		for _, kern := range asm.Tables() {
			buf, g := p.run(kern, 1+int(tr>>5)%3, tr&64 != 0, nil)
			p.check(t, kern.Name, buf, g)
		}
	})
}

// TestRequireISA fails when GOCNN_REQUIRE_ISA (e.g. "avx512,avx2") lists
// a kernel table this machine does not provide, so a CI job that expects
// a SIMD path notices a silent fallback.
func TestRequireISA(t *testing.T) {
	for _, name := range strings.Split(os.Getenv("GOCNN_REQUIRE_ISA"), ",") {
		if name = strings.TrimSpace(name); name != "" && asm.Lookup(name) == nil {
			t.Errorf("GOCNN_REQUIRE_ISA: kernel table %q not available", name)
		}
	}
	t.Logf("default table %s (MR×NR %d×%d)", asm.Default().Name, asm.Default().MR, asm.Default().NR)
}

// TestStripSpreads pins where B is read in place: rows spread over the L1
// sets (any stride for a short strip, 55×55 and 112×112 maps) but not
// rows on a multiple of 4 KiB.
func TestStripSpreads(t *testing.T) {
	if cpu.L1D != 32<<10 {
		t.Skipf("cases assume a 32 KiB L1 (this CPU: %d)", cpu.L1D)
	}
	for _, c := range []struct {
		ld, k int
		want  bool
	}{
		{3025, 128, true}, {3025, 64, true}, {3136, 64, true}, {12544, 27, true}, {12544, 64, true},
		{12544, 128, false}, {3072, 27, false}, {3072, 64, false}, {1024, 16, true}, {1024, 17, false},
		{1<<28 + 3025, 128, true}, {1<<28 + 3072, 27, false}, // only the stride modulo 4 KiB counts
	} {
		if got := stripSpreads(c.ld, c.k, 24); got != c.want {
			t.Errorf("stripSpreads(%d, %d, 24) = %v, want %v", c.ld, c.k, got, c.want)
		}
	}
}

// TestPackedARows multiplies row ranges of a PackedA whose K spans several
// k blocks (views of views, as Winograd's threads take them) and wants the
// rows of the whole product, bit for bit.
func TestPackedARows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, kern := range asm.Tables() {
		mr := kern.MR
		m, n, k := 5*mr+3, kern.NR+5, 2*blocks(kern, 1<<20).kc+37
		a, b := randVec(rng, m*k), randVec(rng, k*n)
		pa := PackA(kern, false, m, k, a, k, nil)
		want := make([]float32, m*n)
		Gemm(&Params{M: m, N: n, K: k, Alpha: 1, PackedA: pa, B: b, LDB: n, C: want, LDC: n, Threads: 1})
		outer := pa.Rows(mr, m)
		for _, r := range [][2]int{{0, mr}, {mr, 3*mr + 1}, {2 * mr, m - mr}} {
			v := outer.Rows(r[0], r[1])
			got := make([]float32, v.M*n)
			Gemm(&Params{M: v.M, N: n, K: k, Alpha: 1, PackedA: &v, B: b, LDB: n, C: got, LDC: n, Threads: 2})
			if lo := (mr + r[0]) * n; !slices.Equal(got, want[lo:lo+v.M*n]) {
				t.Fatalf("%s: rows %d…%d of a view from row %d differ from the whole product", kern.Name, r[0], r[1], mr)
			}
		}
	}
}

// TestBadArgs wants a "gemm: …" panic, not a fault in a kernel, for
// calls whose operands do not fit their shapes.
func TestBadArgs(t *testing.T) {
	kern := asm.Default()
	m, n, k := 9, 30, 700 // K over two k blocks
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	ok := func() Params {
		return Params{M: m, N: n, K: k, Alpha: 1, A: a, LDA: k, B: b, LDB: n, C: c, LDC: n, Kernels: kern}
	}
	pa, pb := PackA(kern, false, m, k, a, k, nil), PackB(kern, false, k, n, b, n, nil)
	short := func(p *PackedA) *PackedA { q := *p; q.Data = q.Data[:len(q.Data)-1]; return &q }
	view := pa.Rows(0, m-1)
	for name, mod := range map[string]func(p *Params){
		"negative M":     func(p *Params) { p.M = -1 },
		"short A":        func(p *Params) { p.A = a[:len(a)-1] },
		"short B":        func(p *Params) { p.B = b[:len(b)-1] },
		"short C":        func(p *Params) { p.LDC = n + 1 },
		"A stride":       func(p *Params) { p.LDA = k - 1 },
		"PackedA shape":  func(p *Params) { p.PackedA, p.K = pa, k-1; p.LDA = k },
		"PackedA data":   func(p *Params) { p.PackedA = short(pa) },
		"PackedA rows":   func(p *Params) { p.PackedA = &view },
		"PackedB shape":  func(p *Params) { p.PackedB, p.N = pb, n-1; p.LDC = n },
		"PackedB data":   func(p *Params) { q := *pb; q.Data = q.Data[:len(q.Data)-1]; p.PackedB = &q },
		"row bias short": func(p *Params) { p.Epilogue.Bias, p.Epilogue.BiasMode = make([]float32, m-1), BiasRow },
	} {
		p := ok()
		mod(&p)
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "gemm: ") {
					t.Errorf("%s: recovered %v, want a gemm: panic", name, r)
				}
			}()
			Gemm(&p)
		}()
	}
	p := ok() // and the unmodified call runs
	Gemm(&p)
}

func sameBits(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

// TestGridSplit checks the two-thread grid on 1×1-convolution shapes
// (packed A, B in place) whose split was measured (see stripCost and
// splitCosts): small k splits N, which gives each thread fewer strips;
// large k, many rows or weights beyond L2 split M.
func TestGridSplit(t *testing.T) {
	// The L2 of the machine measured (emulators report others).
	l2 := cpu.L2
	cpu.L2 = 1 << 20
	defer func() { cpu.L2 = l2 }()
	kern := &asm.Kernels{MR: 8, NR: 32}
	for _, tc := range []struct {
		m, n, k int
		splitN  bool
	}{
		{96, 784, 24, true}, {192, 784, 32, true}, {240, 196, 40, true}, {128, 729, 32, true},
		{128, 784, 512, false}, {64, 196, 384, false}, {1000, 169, 512, false}, {512, 49, 4608, false},
	} {
		c := call{p: Params{M: tc.m, N: tc.n, K: tc.k, PackedA: &PackedA{}}, kern: kern}
		mt, nt := (tc.m+kern.MR-1)/kern.MR, (tc.n+kern.NR-1)/kern.NR
		tm, tn := grid(2, mt, nt, tc.k, c.splitCosts(false))
		if want := map[bool][2]int{true: {1, 2}, false: {2, 1}}[tc.splitN]; tm != want[0] || tn != want[1] {
			t.Errorf("%d×%d×%d: grid %d×%d, want %d×%d", tc.m, tc.n, tc.k, tm, tn, want[0], want[1])
		}
	}
}

// TestSmallBlock packs B blocks strip by strip (smallBlock above every
// block) and row by row (smallBlock 0): both against the reference, and
// the same bits. Rows 1024 floats apart (4 KiB) keep gemm from packing
// B in its first tiles, so Matrix.PackB packs every block.
func TestSmallBlock(t *testing.T) {
	defer func(v int) { smallBlock = v }(smallBlock)
	rng := rand.New(rand.NewPCG(8, 8))
	for _, kern := range asm.Tables() {
		for _, s := range [][4]int{{37, 1000, 70, 24}, {kern.MR*3 + 1, 2*kern.NR + 3, 600, 1024 - 2*kern.NR - 3}, {9, 1024, 9, 0}} {
			p := newProblem(rng, false, false, s[0], s[1], s[2], s[3], 1, 0)
			var got [2][]float32
			for i, small := range []int{0, 1 << 30} {
				smallBlock = small
				buf, g := p.run(kern, 1, false, nil)
				p.check(t, fmt.Sprintf("%s %v smallBlock=%d", kern.Name, s[:3], small), buf, g)
				got[i] = buf
			}
			if !slices.Equal(got[0], got[1]) {
				t.Errorf("%s %v: strip by strip and row by row differ", kern.Name, s[:3])
			}
		}
	}
}
