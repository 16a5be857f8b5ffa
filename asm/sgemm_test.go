package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRequireISA fails when GOCNN_REQUIRE_ISA lists a table this machine
// did not provide, so CI notices a silent fallback to a slower path.
func TestRequireISA(t *testing.T) {
	req := os.Getenv("GOCNN_REQUIRE_ISA")
	for _, name := range strings.Split(req, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if Lookup(name) == nil {
			t.Errorf("GOCNN_REQUIRE_ISA: table %q not available (have %v)", name, tableNames())
		}
	}
	t.Logf("tables: %v, default %s", tableNames(), Default().Name)
}

func tableNames() []string {
	var s []string
	for _, k := range Tables() {
		s = append(s, k.Name)
	}
	return s
}

// kernelCase is a micro-kernel under test with its tile shape.
type kernelCase struct {
	name   string
	mr, nr int
	f      SgemmFunc
	rowA   SgemmRowAFunc  // may be nil
	packB  SgemmPackBFunc // may be nil
}

func tableKernels() []kernelCase {
	var ks []kernelCase
	for _, t := range Tables() {
		ks = append(ks, kernelCase{t.Name, t.MR, t.NR, t.Sgemm, t.SgemmRowA, t.SgemmPackB})
		for _, e := range t.Edge {
			ks = append(ks, kernelCase{t.Name + "-edge", t.MR, e.NR, e.Sgemm, e.SgemmRowA, nil})
		}
	}
	return append(ks, extraKernels()...)
}

// refTile is the float64 reference of SgemmFunc plus an error bound.
func refTile(mr, nr, k int, a, b []float32, ldb int, c []float32, ldc, flags int, alpha, beta, lo, hi float32, bias, r []float32, ldr int) (want, bound []float64) {
	want = make([]float64, mr*nr)
	bound = make([]float64, mr*nr)
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				x := float64(a[p*mr+i]) * float64(b[p*ldb+j])
				s += x
				sa += math.Abs(x)
			}
			mag := sa
			if flags&FlagAlpha != 0 {
				s *= float64(alpha)
				mag *= math.Abs(float64(alpha))
			}
			if flags&FlagBeta != 0 {
				s += float64(beta) * float64(c[i*ldc+j])
				mag += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			if flags&FlagRowBias != 0 {
				s += float64(bias[i])
				mag += math.Abs(float64(bias[i]))
			}
			if flags&FlagColBias != 0 {
				s += float64(bias[j])
				mag += math.Abs(float64(bias[j]))
			}
			if flags&FlagResidual != 0 {
				s += float64(r[i*ldr+j])
				mag += math.Abs(float64(r[i*ldr+j]))
			}
			if flags&FlagClamp != 0 {
				s = math.Min(math.Max(s, float64(lo)), float64(hi))
			}
			want[i*nr+j] = s
			bound[i*nr+j] = 1e-5*mag + 1e-30
		}
	}
	return
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func TestSgemmKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ks := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 64, 257}
	flagSets := []int{0, FlagAlpha, FlagBeta, FlagAlpha | FlagBeta | FlagRowBias | FlagClamp,
		FlagColBias | FlagResidual, FlagAlpha | FlagBeta | FlagColBias | FlagResidual | FlagClamp, FlagRowBias}
	for _, kc := range tableKernels() {
		t.Run(fmt.Sprintf("%s-%dx%d", kc.name, kc.mr, kc.nr), func(t *testing.T) {
			mr, nr := kc.mr, kc.nr
			for _, k := range ks {
				for _, flags := range flagSets {
					const guard = 3
					ldc, ldr := nr+5, nr+2
					ldb := nr + (k%2)*3 // packed panel or strided rows
					a := randSlice(rng, k*mr)
					b := randSlice(rng, k*ldb)
					cbuf := make([]float32, 2*guard+(mr-1)*ldc+nr)
					for i := range cbuf {
						cbuf[i] = -7777
					}
					c := cbuf[guard : len(cbuf)-guard]
					for i := 0; i < mr; i++ {
						for j := 0; j < nr; j++ {
							if flags&FlagBeta != 0 {
								c[i*ldc+j] = float32(rng.NormFloat64())
							} else {
								c[i*ldc+j] = float32(math.NaN())
							}
						}
					}
					bias := randSlice(rng, max(mr, nr))
					r := randSlice(rng, (mr-1)*ldr+nr)
					alpha, beta, lo, hi := float32(0.75), float32(-1.25), float32(-0.5), float32(0.6)
					want, bound := refTile(mr, nr, k, a, b, ldb, c, ldc, flags, alpha, beta, lo, hi, bias, r, ldr)
					var ap, bp *float32
					if k > 0 {
						ap, bp = &a[0], &b[0]
					}
					c0 := slices.Clone(cbuf)
					kc.f(k, ap, bp, ldb, &c[0], ldc, flags, alpha, beta, lo, hi, &bias[0], &r[0], ldr)
					checkTile(t, "packed", k, flags, cbuf, guard, ldc, mr, nr, want, bound)
					if kc.packB != nil {
						// Same tile, packing the B rows to a guarded panel.
						bpbuf := make([]float32, 2*guard+k*nr)
						for i := range bpbuf {
							bpbuf[i] = -7777
						}
						copy(cbuf, c0)
						kc.packB(k, ap, bp, ldb, &bpbuf[guard], &c[0], ldc, flags, alpha, beta, lo, hi, &bias[0], &r[0], ldr)
						checkTile(t, "packB", k, flags, cbuf, guard, ldc, mr, nr, want, bound)
						for i, v := range bpbuf {
							want := float32(-7777)
							if q := i - guard; q >= 0 && q < k*nr {
								want = b[q/nr*ldb+q%nr]
							}
							if v != want {
								t.Fatalf("packB k=%d: panel element %d = %v, want %v", k, i-guard, v, want)
							}
						}
					}
					if kc.rowA == nil {
						continue
					}
					// Same tile with A row-major in place (lda = k+3).
					lda := k + 3
					arow := make([]float32, mr*lda)
					for i := 0; i < mr; i++ {
						for p := 0; p < k; p++ {
							arow[i*lda+p] = a[p*mr+i]
						}
					}
					copy(cbuf, c0)
					kc.rowA(k, &arow[0], lda, bp, ldb, &c[0], ldc, flags, alpha, beta, lo, hi, &bias[0], &r[0], ldr)
					checkTile(t, "rowA", k, flags, cbuf, guard, ldc, mr, nr, want, bound)
				}
			}
		})
	}
}

// guardedC returns a C buffer of rows×nr random values, row stride ldc,
// between guard bands; gaps and guards hold -7777.
func guardedC(rng *rand.Rand, rows, nr, ldc, guard int) []float32 {
	c := make([]float32, 2*guard+(max(1, rows)-1)*ldc+nr)
	for i := range c {
		c[i] = -7777
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < nr; j++ {
			c[guard+i*ldc+j] = float32(rng.NormFloat64())
		}
	}
	return c
}

// TestSgemmStrips runs each table's SgemmStrips against its Sgemm called
// once per tile: the same FMAs in the same order, so C must match exactly
// (NaN outside the tiles and the guard bands untouched).
func TestSgemmStrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	flagSets := []int{0, FlagAlpha | FlagBeta | FlagRowBias | FlagClamp, FlagColBias | FlagResidual,
		FlagAlpha | FlagBeta | FlagRowBias | FlagResidual | FlagClamp}
	for _, tab := range Tables() {
		if tab.SgemmStrips == nil {
			continue
		}
		t.Run(tab.Name, func(t *testing.T) {
			mr, nr := tab.MR, tab.NR
			for _, n := range []int{0, 1, 2, 3, 5} {
				for _, k := range []int{0, 1, 3, 4, 5, 9, 17, 64} {
					for _, flags := range flagSets {
						const guard = 3
						as := k*mr + 3*(k%2) // packed panels, or with gaps
						ldb, ldc, ldr := nr+(k%2)*3, nr+5, nr+2
						a := randSlice(rng, max(1, n*as))
						b := randSlice(rng, max(1, k*ldb))
						bias := randSlice(rng, max(n*mr, nr))
						r := randSlice(rng, max(1, n*mr*ldr))
						want := guardedC(rng, n*mr, nr, ldc, guard)
						got := slices.Clone(want)
						for tt := 0; tt < n; tt++ {
							bt := &bias[0]
							if flags&FlagRowBias != 0 {
								bt = &bias[tt*mr]
							}
							tab.Sgemm(k, &a[tt*as], &b[0], ldb, &want[guard+tt*mr*ldc], ldc, flags, 0.75, -1.25, -0.5, 0.6, bt, &r[tt*mr*ldr], ldr)
						}
						tab.SgemmStrips(n, k, &a[0], as, &b[0], ldb, &got[guard], ldc, flags, 0.75, -1.25, -0.5, 0.6, &bias[0], &r[0], ldr)
						if !slices.Equal(got, want) {
							t.Fatalf("n=%d k=%d flags=%#x: differs from Sgemm per tile", n, k, flags)
						}
					}
				}
			}
		})
	}
}

// TestSgemmOffs runs each table's SgemmOffs against its SgemmStrips on
// the B rows gathered at the offsets (offsets out of order, repeated, odd):
// the same FMAs in the same order, so C must match exactly, guard bands
// included. The edge kernels' SgemmOffs must match the first columns of
// the same product and leave the rest of each C row alone.
func TestSgemmOffs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	flagSets := []int{0, FlagRowBias | FlagClamp, FlagColBias | FlagResidual,
		FlagAlpha | FlagBeta | FlagRowBias | FlagResidual | FlagClamp}
	for _, tab := range Tables() {
		if tab.SgemmOffs == nil {
			t.Logf("%s: no SgemmOffs", tab.Name)
			continue
		}
		t.Run(tab.Name, func(t *testing.T) {
			mr, nr := tab.MR, tab.NR
			for _, n := range []int{0, 1, 2, 5} {
				for _, k := range []int{0, 1, 3, 4, 5, 9, 27, 64} {
					for _, flags := range flagSets {
						const guard = 3
						as, ldc, ldr := k*mr+3*(k%2), nr+5, nr+2
						a := randSlice(rng, max(1, n*as))
						src := randSlice(rng, 500+nr)
						offs := make([]int32, max(1, k))
						bp := make([]float32, max(1, k*nr))
						for p := range k {
							offs[p] = int32(rng.IntN(500))
							copy(bp[p*nr:(p+1)*nr], src[offs[p]:])
						}
						bias := randSlice(rng, max(n*mr, nr))
						r := randSlice(rng, max(1, n*mr*ldr))
						want := guardedC(rng, n*mr, nr, ldc, guard)
						got := slices.Clone(want)
						before := slices.Clone(want)
						tab.SgemmStrips(n, k, &a[0], as, &bp[0], nr, &want[guard], ldc, flags, 0.75, -1.25, -0.5, 0.6, &bias[0], &r[0], ldr)
						tab.SgemmOffs(n, k, &a[0], as, &src[0], &offs[0], &got[guard], ldc, flags, 0.75, -1.25, -0.5, 0.6, &bias[0], &r[0], ldr)
						if !slices.Equal(got, want) {
							t.Fatalf("n=%d k=%d flags=%#x: differs from SgemmStrips on the gathered rows", n, k, flags)
						}
						for _, e := range tab.Edge {
							if e.SgemmOffs == nil {
								continue
							}
							got := slices.Clone(before)
							e.SgemmOffs(n, k, &a[0], as, &src[0], &offs[0], &got[guard], ldc, flags, 0.75, -1.25, -0.5, 0.6, &bias[0], &r[0], ldr)
							for i := range got {
								j := (i - guard) % ldc
								w := before[i]
								if i >= guard && i < guard+n*mr*ldc && j < e.NR {
									w = want[i]
								}
								if got[i] != w && !(got[i] != got[i] && w != w) {
									t.Fatalf("edge %d×%d n=%d k=%d flags=%#x: C[%d] = %v, want %v", mr, e.NR, n, k, flags, i, got[i], w)
								}
							}
						}
					}
				}
			}
		})
	}
}

// checkTile checks an MR×NR tile inside cbuf (guard bands of -7777 and
// row gaps untouched).
func checkTile(t *testing.T, what string, k, flags int, cbuf []float32, guard, ldc, mr, nr int, want, bound []float64) {
	t.Helper()
	c := cbuf[guard:]
	for i := range cbuf {
		inC := i >= guard && i < len(cbuf)-guard && (i-guard)%ldc < nr
		if !inC && cbuf[i] != -7777 {
			t.Fatalf("%s k=%d flags=%#x: guard/gap element %d overwritten: %v", what, k, flags, i, cbuf[i])
		}
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			got := float64(c[i*ldc+j])
			if d := math.Abs(got - want[i*nr+j]); !(d <= bound[i*nr+j]) {
				t.Fatalf("%s k=%d flags=%#x: C[%d][%d]=%v want %v (bound %g)", what, k, flags, i, j, got, want[i*nr+j], bound[i*nr+j])
			}
		}
	}
}

// TestSgemmTwins runs every kernel against its pure-Go twin (sgemmGeneric
// at the same shape) with integer-valued data, so both must agree exactly.
func TestSgemmTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, kc := range tableKernels() {
		mr, nr := kc.mr, kc.nr
		for _, k := range []int{0, 1, 5, 8, 33} {
			for _, flags := range []int{0, FlagAlpha | FlagBeta | FlagRowBias | FlagResidual | FlagClamp, FlagColBias} {
				ints := func(n int) []float32 {
					s := make([]float32, n+1)
					for i := range s {
						s[i] = float32(rng.IntN(9) - 4)
					}
					return s
				}
				a, b, bias, r := ints(k*mr), ints(k*nr), ints(max(mr, nr)), ints(mr*nr)
				c0 := ints(mr * nr)
				got, want := slices.Clone(c0), slices.Clone(c0)
				kc.f(k, &a[0], &b[0], nr, &got[0], nr, flags, 2, -1, -20, 20, &bias[0], &r[0], nr)
				as := a[:k*mr]
				sgemmGeneric(mr, nr, k, as, 1, mr, &b[0], nr, make([]float32, mr*nr), &want[0], nr, flags, 2, -1, -20, 20, &bias[0], &r[0], nr)
				if !slices.Equal(got, want) {
					t.Fatalf("%s %d×%d k=%d flags=%#x: differs from sgemmGeneric", kc.name, mr, nr, k, flags)
				}
			}
		}
	}
}

func TestSgemv(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tab := range Tables() {
		t.Run(tab.Name, func(t *testing.T) {
			type mk struct{ m, k, pad int }
			var cases []mk
			for _, m := range []int{0, 1, 2, 3, 4, 5, 7, 9} {
				for _, k := range []int{0, 1, 3, 8, 15, 16, 31, 32, 33, 64, 100, 513} {
					cases = append(cases, mk{m, k, 3})
				}
			}
			// Large enough for the prefetching passes (contiguous rows and
			// strided rows), and just past them.
			for _, m := range []int{63, 66, 67} {
				for _, k := range []int{257, 300, 512, 513} {
					cases = append(cases, mk{m, k, 0}, mk{m, k, 5})
				}
			}
			for _, c := range cases {
				m, k, lda := c.m, c.k, c.k+c.pad
				a := randSlice(rng, max(1, m*lda))
				x := randSlice(rng, max(1, k))
				y := make([]float32, m+2)
				y[m], y[m+1] = 42, 43
				tab.Sgemv(m, k, &a[0], lda, &x[0], &y[0])
				if y[m] != 42 || y[m+1] != 43 {
					t.Fatalf("m=%d k=%d: wrote past y", m, k)
				}
				for i := 0; i < m; i++ {
					s, sa := refDot(a[i*lda:i*lda+k], x)
					if d := math.Abs(float64(y[i]) - s); !(d <= 1e-5*sa+1e-30) {
						t.Fatalf("m=%d k=%d: y[%d]=%v want %v", m, k, i, y[i], s)
					}
				}
			}
		})
	}
}

func TestSgemvPacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tab := range Tables() {
		if tab.SgemvPacked == nil {
			t.Logf("%s: no SgemvPacked", tab.Name)
			continue
		}
		mr := tab.MR
		t.Run(tab.Name, func(t *testing.T) {
			for _, tiles := range []int{0, 1, 2, 5} {
				for _, k := range []int{0, 1, 2, 3, 7, 8, 9, 16, 33, 100, 257} {
					as := mr*k + 3*mr // tiles apart, with slack
					a := randSlice(rng, max(1, tiles*as))
					x := randSlice(rng, max(1, k))
					n := tiles * mr
					y := make([]float32, n+2)
					y[n], y[n+1] = 42, 43
					tab.SgemvPacked(tiles, k, &a[0], as, &x[0], &y[0])
					if y[n] != 42 || y[n+1] != 43 {
						t.Fatalf("tiles=%d k=%d: wrote past y", tiles, k)
					}
					for i := 0; i < n; i++ {
						tl, r := i/mr, i%mr
						var s, sa float64
						for p := 0; p < k; p++ {
							v := float64(a[tl*as+p*mr+r]) * float64(x[p])
							s += v
							sa += math.Abs(v)
						}
						if d := math.Abs(float64(y[i]) - s); d > 1e-5*sa+1e-30 {
							t.Fatalf("tiles=%d k=%d: y[%d]=%v want %v", tiles, k, i, y[i], s)
						}
					}
				}
			}
		})
	}
}

func TestFMAProbe(t *testing.T) {
	for _, tab := range Tables() {
		tab.FMAProbe(0)
		tab.FMAProbe(10)
		if testing.Short() {
			continue
		}
		t.Logf("%s: peak %.1f GFLOP/s", tab.Name, MeasurePeak(tab, 50*time.Millisecond))
	}
}

// BenchmarkKernel runs each micro-kernel on L1-resident panels and reports
// its rate against the FMA probe of the same width.
func BenchmarkKernel(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kc := range tableKernels() {
		for _, k := range []int{64, 256, 512} {
			b.Run(fmt.Sprintf("kernel=%s-%dx%d/k=%d", kc.name, kc.mr, kc.nr, k), func(b *testing.B) {
				a := randSlice(rng, k*kc.mr)
				bb := randSlice(rng, k*kc.nr)
				c := make([]float32, kc.mr*kc.nr)
				for b.Loop() {
					kc.f(k, &a[0], &bb[0], kc.nr, &c[0], kc.nr, FlagBeta, 1, 1, 0, 0, nil, nil, 0)
				}
				flops := 2 * float64(k*kc.mr*kc.nr) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSgemv times each table's Sgemv with the matrix resident in L1
// (32×128), L2 (256×256) and beyond (1000×512, the last layer of a
// classifier) and reports GFLOP/s and the matrix read rate.
func BenchmarkSgemv(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tab := range Tables() {
		for _, s := range [][2]int{{32, 128}, {256, 256}, {1000, 512}, {4096, 1024}} {
			m, k := s[0], s[1]
			b.Run(fmt.Sprintf("isa=%s/M=%d,K=%d", tab.Name, m, k), func(b *testing.B) {
				a, x, y := randSlice(rng, m*k), randSlice(rng, k), make([]float32, m)
				b.SetBytes(int64(4 * m * k))
				for b.Loop() {
					tab.Sgemv(m, k, &a[0], k, &x[0], &y[0])
				}
				b.ReportMetric(2*float64(m*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestSgemmThin checks each table's SgemmThin against the Go twin (within
// a bound) and, bit for bit, against the table's narrowest edge kernel (or
// its micro-kernel) on the same panels: gemm computes a last strip of up to 4 columns with one
// or the other, and its results must not depend on which.
func TestSgemmThin(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tab := range Tables() {
		if tab.SgemmThin == nil {
			t.Logf("%s: no SgemmThin", tab.Name)
			continue
		}
		mr := tab.MR
		t.Run(tab.Name, func(t *testing.T) {
			for _, tiles := range []int{0, 1, 3, 4, 5, 9} {
				for _, k := range []int{0, 1, 2, 7, 16, 33, 256} {
					as, ldb := mr*k+3*mr, tab.NR // tiles apart with slack; B rows as packed
					a := randSlice(rng, max(1, tiles*as))
					b := make([]float32, max(1, k*ldb))
					for p := range k {
						for j := range 4 {
							b[p*ldb+j] = rng.Float32()*2 - 1
						}
					}
					n := tiles * mr * 4
					y, want := make([]float32, n+2), make([]float32, n)
					y[n], y[n+1] = 42, 43
					tab.SgemmThin(tiles, k, &a[0], as, &b[0], ldb, &y[0])
					if y[n] != 42 || y[n+1] != 43 {
						t.Fatalf("tiles=%d k=%d: wrote past y", tiles, k)
					}
					if n > 0 {
						sgemmThinGeneric(mr, tiles, k, &a[0], as, &b[0], ldb, &want[0])
					}
					ek := EdgeKernel{NR: tab.NR, Sgemm: tab.Sgemm}
					if len(tab.Edge) > 0 {
						ek = tab.Edge[0]
					}
					tile := make([]float32, mr*ek.NR)
					for tl := range tiles {
						ek.Sgemm(k, &a[tl*as], &b[0], ldb, &tile[0], ek.NR, 0, 1, 0, 0, 0, nil, nil, 0)
						for i := range mr {
							for j := range 4 {
								got, edge := y[(tl*mr+i)*4+j], tile[i*ek.NR+j]
								if math.Float32bits(got) != math.Float32bits(edge) {
									t.Fatalf("tiles=%d k=%d: y[%d][%d] = %v, the %d-wide edge kernel %v", tiles, k, tl*mr+i, j, got, ek.NR, edge)
								}
								var sa float64
								for p := range k {
									sa += math.Abs(float64(a[tl*as+p*mr+i]) * float64(b[p*ldb+j]))
								}
								if d := math.Abs(float64(got) - float64(want[(tl*mr+i)*4+j])); d > 1e-6*sa {
									t.Fatalf("tiles=%d k=%d: y[%d][%d] = %v, twin %v", tiles, k, tl*mr+i, j, got, want[(tl*mr+i)*4+j])
								}
							}
						}
					}
				}
			}
		})
	}
}

// refDot is Σ a[p]·x[p] in float64 and Σ |a[p]·x[p]| (the error bound's
// scale) over a's length.
func refDot(a, x []float32) (s, sa float64) {
	for p := range a {
		v := float64(a[p]) * float64(x[p])
		s += v
		sa += math.Abs(v)
	}
	return s, sa
}

// TestSgemmRowACol runs each edge kernel's SgemmRowACol against its
// SgemmRowA (the tile: same FMAs in the same order, so C must match bit
// for bit) and the extra column against float64, with A's last row and x
// ending at a guard page (the masked last step must not read past them)
// and k around the 16-step loop.
func TestSgemmRowACol(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 5))
	flagSets := []int{0, FlagAlpha | FlagBeta | FlagRowBias | FlagClamp, FlagColBias | FlagResidual}
	tested := false
	for _, tab := range Tables() {
		for _, e := range tab.Edge {
			if e.SgemmRowACol == nil {
				continue
			}
			tested = true
			mr, nr := tab.MR, e.NR
			for _, k := range []int{0, 1, 3, 4, 5, 15, 16, 17, 20, 31, 32, 33, 47, 48, 64, 100, 257} {
				for fi, flags := range flagSets {
					lda := k + 3*(fi%2) // rows back to back, or with gaps
					ldb, ldc, ldr := nr, nr+5, nr+2
					b := randSlice(rng, max(1, k*ldb))
					bias := randSlice(rng, nr)
					r := randSlice(rng, mr*ldr)
					want := guardedC(rng, mr, nr, ldc, 3)
					got := slices.Clone(want)
					withTailGuard(t, max(1, (mr-1)*lda+k), func(a []float32) {
						withTailGuard(t, max(1, k), func(x []float32) {
							for i := range a {
								a[i] = float32(rng.NormFloat64())
							}
							for i := range x {
								x[i] = float32(rng.NormFloat64())
							}
							y := make([]float32, mr+1)
							y[mr] = -7777
							e.SgemmRowA(k, &a[0], lda, &b[0], ldb, &want[3], ldc, flags, 0.75, -1.25, -0.5, 0.6, &bias[0], &r[0], ldr)
							e.SgemmRowACol(k, &a[0], lda, &b[0], ldb, &got[3], ldc, flags, 0.75, -1.25, -0.5, 0.6, &bias[0], &r[0], ldr, &x[0], &y[0])
							for i := range want {
								if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
									t.Fatalf("%s %d×%d k=%d flags=%#x: C[%d] = %v, SgemmRowA %v", tab.Name, mr, nr, k, flags, i-3, got[i], want[i])
								}
							}
							for i := 0; i < mr; i++ {
								s, sa := refDot(a[i*lda:i*lda+k], x[:k])
								if d := math.Abs(float64(y[i]) - s); !(d <= 1e-5*sa+1e-30) {
									t.Fatalf("%s %d×%d k=%d: y[%d] = %v, want %v (bound %.3g)", tab.Name, mr, nr, k, i, y[i], s, 1e-5*sa)
								}
							}
							if y[mr] != -7777 {
								t.Fatalf("%s k=%d: wrote y[%d]", tab.Name, k, mr)
							}
						})
					})
				}
			}
		}
	}
	if !tested {
		t.Skip("no table on this machine has an SgemmRowACol kernel")
	}
}
