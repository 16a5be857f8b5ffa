package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// Tests of the RowKernels of every table in Tables() against the generic
// twins.
//
// Shapes: n = 0…67 plus a few long rows, output start offsets 0…3
// (misalignment), strided rows with slack between them. Inputs end exactly
// at a PROT_NONE page (guard_unix_test.go), so any read past the last
// element the twin reads faults; slack between input rows holds 1e30, so a
// read of it shows in the results. Outputs sit between sentinel bands (and
// slack between output rows holds sentinels too), checked after each call.
//
// Bounds: bitwise equality (NaN matching any NaN) for every kernel except
// Sigmoid and SiLU (relative 2e-6 plus 1e-37 absolute; the assembly
// evaluates expPoly with FMA) and DWConv (4e-7·(Σ|w·x| + |b|); FMA and
// summation order). The twins themselves are checked against float64
// references with the bounds stated in each test, written !(|d| ≤ bound)
// so that an output left unwritten (the sentinel NaN) fails them.

const sentinelBits = 0x7fa5a5a5 // a signalling NaN no kernel produces

var rowLens = func() []int {
	var ns []int
	for n := 0; n <= 67; n++ {
		ns = append(ns, n)
	}
	return append(ns, 100, 255, 1001)
}()

func ptr(s []float32) *float32 { return unsafe.SliceData(s) }

func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// specials are mixed into test inputs.
var specials = []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)),
	float32(math.Inf(-1)), 1e-40, -1e-40, 3e38, -3e38, 88.7, -88.7, 100, -100, 0.5, -0.5}

// fillInput fills s with normals scaled by 4, every 9th value special.
func fillInput(rng *rand.Rand, s []float32, withSpecials bool) {
	for i := range s {
		s[i] = float32(4 * rng.NormFloat64())
		if withSpecials && rng.IntN(9) == 0 {
			s[i] = specials[rng.IntN(len(specials))]
		}
	}
}

// outBuf is an output area of rows rows of w elements, ld apart, starting
// at element off of a sentinel-filled buffer.
type outBuf struct {
	buf              []float32
	off, rows, w, ld int
}

const guardLen = 19

func newOut(rows, w, ld, off int) *outBuf {
	n := guardLen + off + max(0, (rows-1)*ld+w) + guardLen
	o := &outBuf{buf: make([]float32, n), off: guardLen + off, rows: rows, w: w, ld: ld}
	for i := range o.buf {
		o.buf[i] = math.Float32frombits(sentinelBits)
	}
	return o
}

func (o *outBuf) p() *float32 { return &o.buf[o.off] }

func (o *outBuf) row(k int) []float32 { return o.buf[o.off+k*o.ld : o.off+k*o.ld+o.w] }

func (o *outBuf) inRow(i int) bool {
	j := i - o.off
	if j < 0 || o.w == 0 {
		return false
	}
	k := j / o.ld
	return k < o.rows && j-k*o.ld < o.w
}

// checkGuards reports writes outside the rows.
func (o *outBuf) checkGuards(t *testing.T, what string) {
	t.Helper()
	for i, v := range o.buf {
		if !o.inRow(i) && math.Float32bits(v) != sentinelBits {
			t.Fatalf("%s: wrote outside the output at buffer index %d (output at %d, %d rows of %d, ld %d)",
				what, i, o.off, o.rows, o.w, o.ld)
		}
	}
}

// withRows calls f with an input of rows rows of w elements, ld apart,
// ending at a guard page, slack filled with 1e30 and rows with fill.
func withRows(t *testing.T, rows, w, ld int, fill func([]float32), f func(in []float32)) {
	t.Helper()
	size := max(0, (rows-1)*ld+w)
	withTailGuard(t, size, func(in []float32) {
		for i := range in {
			in[i] = 1e30
		}
		for k := 0; k < rows && w > 0; k++ {
			fill(in[k*ld : k*ld+w])
		}
		f(in)
	})
}

func compareRows(t *testing.T, what string, got, want *outBuf, ok func(i int, g, w float32) bool) {
	t.Helper()
	got.checkGuards(t, what)
	for k := 0; k < got.rows; k++ {
		g, w := got.row(k), want.row(k)
		for i := range g {
			if !ok(i, g[i], w[i]) {
				t.Fatalf("%s: row %d [%d] = %g (%#x), twin %g (%#x)", what, k, i, g[i], math.Float32bits(g[i]), w[i], math.Float32bits(w[i]))
			}
		}
	}
}

func exact(_ int, g, w float32) bool { return sameFloat(g, w) }

func TestActivations(t *testing.T) {
	inf := float32(math.Inf(1))
	type actCase struct {
		name  string
		f     func(*Kernels) ActFunc
		a, b  float32
		exact bool
	}
	cases := []actCase{
		{"relu", func(k *Kernels) ActFunc { return k.ReLU }, 0, 0, true},
		{"clip", func(k *Kernels) ActFunc { return k.Clip }, 0, 6, true},
		{"clip", func(k *Kernels) ActFunc { return k.Clip }, -1.5, 2, true},
		{"clip", func(k *Kernels) ActFunc { return k.Clip }, -inf, inf, true},
		{"leakyrelu", func(k *Kernels) ActFunc { return k.LeakyReLU }, 0.1, 0, true},
		{"leakyrelu", func(k *Kernels) ActFunc { return k.LeakyReLU }, -0.5, 0, true},
		{"hardsigmoid", func(k *Kernels) ActFunc { return k.HardSigmoid }, 0.2, 0.5, true},
		{"hardswish", func(k *Kernels) ActFunc { return k.HardSwish }, 0, 0, true},
		{"sigmoid", func(k *Kernels) ActFunc { return k.Sigmoid }, 0, 0, false},
		{"silu", func(k *Kernels) ActFunc { return k.SiLU }, 0, 0, false},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tab := range Tables() {
		for _, c := range cases {
			f, twin := c.f(tab), c.f(genericTable)
			cmp := exact
			if !c.exact {
				cmp = func(_ int, g, w float32) bool {
					return sameFloat(g, w) || math.Abs(float64(g)-float64(w)) <= 2e-6*math.Abs(float64(w))+1e-37
				}
			}
			for _, n := range rowLens {
				for off := 0; off < 4; off++ {
					what := fmt.Sprintf("%s/%s(a=%g, b=%g) n=%d off=%d", tab.Name, c.name, c.a, c.b, n, off)
					withTailGuard(t, n, func(in []float32) {
						fillInput(rng, in, true)
						got, want := newOut(1, n, n, off), newOut(1, n, n, off)
						f(n, got.p(), ptr(in), c.a, c.b)
						twin(n, want.p(), ptr(in), c.a, c.b)
						compareRows(t, what, got, want, cmp)
						// In place.
						inPlace := newOut(1, n, n, off)
						copy(inPlace.row(0), in)
						f(n, inPlace.p(), inPlace.p(), c.a, c.b)
						compareRows(t, what+" in place", inPlace, want, cmp)
					})
				}
			}
		}
	}
}

func TestScaleShiftAdd(t *testing.T) {
	inf := float32(math.Inf(1))
	rng := rand.New(rand.NewPCG(5, 6))
	params := [][4]float32{{1.5, -0.25, -inf, inf}, {0.5, 1, 0, inf}, {-2, 0.125, 0, 6}}
	for _, tab := range Tables() {
		for _, n := range rowLens {
			for off := 0; off < 4; off++ {
				for _, p := range params {
					what := fmt.Sprintf("%s/scaleshift%v n=%d off=%d", tab.Name, p, n, off)
					withTailGuard(t, n, func(in []float32) {
						fillInput(rng, in, true)
						got, want := newOut(1, n, n, off), newOut(1, n, n, off)
						tab.ScaleShift(n, got.p(), ptr(in), p[0], p[1], p[2], p[3])
						scaleShiftGeneric(n, want.p(), ptr(in), p[0], p[1], p[2], p[3])
						compareRows(t, what, got, want, exact)
						inPlace := newOut(1, n, n, off)
						copy(inPlace.row(0), in)
						tab.ScaleShift(n, inPlace.p(), inPlace.p(), p[0], p[1], p[2], p[3])
						compareRows(t, what+" in place", inPlace, want, exact)
					})
				}
				what := fmt.Sprintf("%s/add n=%d off=%d", tab.Name, n, off)
				withTailGuard(t, n, func(x []float32) {
					withTailGuard(t, n, func(y []float32) {
						fillInput(rng, x, true)
						fillInput(rng, y, true)
						got, want := newOut(1, n, n, off), newOut(1, n, n, off)
						tab.Add(n, got.p(), ptr(x), ptr(y))
						addGeneric(n, want.p(), ptr(x), ptr(y))
						compareRows(t, what, got, want, exact)
						inPlace := newOut(1, n, n, off)
						copy(inPlace.row(0), x)
						tab.Add(n, inPlace.p(), inPlace.p(), ptr(y))
						compareRows(t, what+" in place", inPlace, want, exact)
					})
				})
			}
		}
	}
}

// TestExpPolyAccuracy checks the twins' exp against math.Exp: relative
// error ≤ 3e-7 where the result is a normal float32 (z ≤ 88), e^88 above
// (the clamp), the smallest normal below −87.34.
func TestExpPolyAccuracy(t *testing.T) {
	worst := 0.0
	for x := float32(-87.3); x <= 88; x += 0.00731 {
		want := math.Exp(float64(x))
		got := float64(expPoly(x))
		if e := math.Abs(got-want) / want; e > worst {
			worst = e
		}
	}
	if worst > 3e-7 {
		t.Errorf("expPoly: worst relative error %.3g > 3e-7", worst)
	}
	t.Logf("expPoly: worst relative error %.3g", worst)
	for _, z := range []float32{88.73, 1e30, float32(math.Inf(1))} {
		if v, e88 := expPoly(z), expPoly(88); v != e88 || math.IsInf(float64(v), 0) {
			t.Errorf("expPoly(%g) = %g, want expPoly(88) = %g", z, v, e88)
		}
	}
	if v := expPoly(float32(math.NaN())); v == v {
		t.Errorf("expPoly(NaN) = %g", v)
	}
	// Sigmoid and SiLU of every table against float64 (1e-6 relative or 1e-37 absolute).
	n := 4001
	in := make([]float32, n)
	for i := range in {
		in[i] = -100 + 200*float32(i)/float32(n-1)
	}
	out := make([]float32, n)
	for _, tab := range Tables() {
		tab.Sigmoid(n, &out[0], &in[0], 0, 0)
		for i, x := range in {
			want := 1 / (1 + math.Exp(-float64(x)))
			if math.Abs(float64(out[i])-want) > 1e-6*want+1e-37 {
				t.Fatalf("%s: sigmoid(%g) = %g, want %g", tab.Name, x, out[i], want)
			}
		}
		tab.SiLU(n, &out[0], &in[0], 0, 0)
		for i, x := range in {
			want := float64(x) / (1 + math.Exp(-float64(x)))
			if math.Abs(float64(out[i])-want) > 1e-6*math.Abs(want)+1e-35 {
				t.Fatalf("%s: silu(%g) = %g, want %g", tab.Name, x, out[i], want)
			}
		}
	}
}

func TestPoolRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []struct {
		name string
		f    func(*Kernels) PoolRowsFunc
		k, s int // window rows and columns, stride
	}{
		{"maxpool2x2s2", func(k *Kernels) PoolRowsFunc { return k.MaxPool2x2s2 }, 2, 2},
		{"maxpool3x3s2", func(k *Kernels) PoolRowsFunc { return k.MaxPool3x3s2 }, 3, 2},
		{"maxpool3x3s1", func(k *Kernels) PoolRowsFunc { return k.MaxPool3x3s1 }, 3, 1},
		{"avgpool2x2s2", func(k *Kernels) PoolRowsFunc { return k.AvgPool2x2s2 }, 2, 2},
		{"avgpool3x3s2", func(k *Kernels) PoolRowsFunc { return k.AvgPool3x3s2 }, 3, 2},
		{"avgpool3x3s1", func(k *Kernels) PoolRowsFunc { return k.AvgPool3x3s1 }, 3, 1},
	}
	for _, tab := range Tables() {
		for _, c := range cases {
			f, twin := c.f(tab), c.f(genericTable)
			for _, rows := range []int{1, 3} {
				for _, n := range rowLens {
					w := 0 // the columns the kernel may read
					if n > 0 {
						w = c.s*(n-1) + c.k
					}
					for off := 0; off < 4; off++ {
						ld := w + off*3 // rows touching, or slack between them
						ldo := n + off
						if off == 3 && n%8 == 0 && n > 0 {
							ldo = n - 1 // overlapping rows: in order, row q+1 rewrites row q's last output
						}
						what := fmt.Sprintf("%s/%s rows=%d n=%d off=%d ldr=%d ldo=%d", tab.Name, c.name, rows, n, off, ld, ldo)
						withRows(t, c.s*(rows-1)+c.k, w, ld, func(s []float32) { fillInput(rng, s, true) }, func(in []float32) {
							out := func() *outBuf { return newOut(rows, n, ldo, off) }
							if ldo < n { // the overlapping rows as one
								out = func() *outBuf { a := (rows-1)*ldo + n; return newOut(1, a, a, off) }
							}
							got, want := out(), out()
							f(rows, n, got.p(), ldo, ptr(in), ld)
							twin(rows, n, want.p(), ldo, ptr(in), ld)
							compareRows(t, what, got, want, exact)
						})
					}
				}
			}
		}
	}
}

// TestPoolTwins checks the pooling twins against the window definitions:
// max = largest non-NaN tap (−Inf if none), avg = mean within 1e-6.
// TestPoolPlanes runs MaxPool3x3s1Planes and AvgPool3x3s1Planes of every
// table that has them against the twins (bit for bit), on inputs ending at
// a guard page and outputs between sentinels, and the twins against
// MaxPool3x3s1's and AvgPool3x3s1's twins over planes padded with −Inf or
// zeros: one to five planes (the first and last run through copies, the
// rest in place), rows of one to five vectors and one past, planes too
// small for the assembly.
func TestPoolPlanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	kinds := []struct {
		name string
		f    func(*Kernels) PoolPlanesFunc
		twin PoolPlanesFunc
		rows PoolRowsFunc
		fill float32
		nans bool
	}{
		{"max", func(k *Kernels) PoolPlanesFunc { return k.MaxPool3x3s1Planes }, maxPool3x3s1PlanesGeneric,
			maxPool3x3s1Generic, float32(math.Inf(-1)), true},
		{"avg", func(k *Kernels) PoolPlanesFunc { return k.AvgPool3x3s1Planes }, avgPool3x3s1PlanesGeneric,
			avgPool3x3s1Generic, 0, false},
	}
	for _, kind := range kinds {
		for _, n := range []int{1, 2, 3, 5} {
			for _, h := range []int{1, 2, 3, 7} {
				for w := 1; w <= PlanesWidest+1; w++ {
					size := n * h * w
					in := make([]float32, size)
					fillInput(rng, in, true)
					for i := range in { // whole windows of NaN now and then
						if kind.nans && rng.IntN(23) == 0 {
							in[i] = float32(math.NaN())
						}
					}
					want := newOut(1, size, size, 0)
					kind.twin(n, h, w, want.p(), ptr(in))
					want.checkGuards(t, "twin")
					// The twin against the padded route.
					hp, wp := h+2, w+2
					pad := make([]float32, hp*wp)
					out := make([]float32, h*w)
					for p := 0; p < n; p++ {
						for i := range pad {
							pad[i] = kind.fill
						}
						for i := 0; i < h; i++ {
							copy(pad[(i+1)*wp+1:], in[(p*h+i)*w:(p*h+i+1)*w])
						}
						kind.rows(h, w, &out[0], w, &pad[0], wp)
						for i, v := range out {
							if g := want.row(0)[p*h*w+i]; !sameFloat(g, v) {
								t.Fatalf("%s n=%d h=%d w=%d: twin plane %d [%d] = %g, padded route %g", kind.name, n, h, w, p, i, g, v)
							}
						}
					}
					for _, tab := range Tables() {
						f := kind.f(tab)
						if f == nil {
							continue
						}
						what := fmt.Sprintf("%s/%s n=%d h=%d w=%d", tab.Name, kind.name, n, h, w)
						for off := 0; off < 2; off++ {
							withTailGuard(t, size, func(x []float32) {
								copy(x, in)
								got := newOut(1, size, size, off)
								f(n, h, w, got.p(), ptr(x))
								want := newOut(1, size, size, off)
								kind.twin(n, h, w, want.p(), ptr(in))
								compareRows(t, what, got, want, exact)
							})
						}
					}
				}
			}
		}
	}
}

func TestPoolTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, c := range []struct {
		k, s int
		f    PoolRowFunc
	}{{2, 2, maxPool2x2s2Row}, {3, 2, maxPool3x3s2Row}, {3, 1, maxPool3x3s1Row}} {
		k, s, n := c.k, c.s, 37
		w := s*(n-1) + k
		in := make([]float32, k*w)
		fillInput(rng, in, true)
		for i := range in[:w] { // more NaNs, some whole windows
			if i%5 == 0 || i < 2*k {
				in[i] = float32(math.NaN())
			}
		}
		mx := make([]float32, n)
		c.f(n, &mx[0], &in[0], w)
		for i := range mx {
			best := float32(math.Inf(-1))
			for r := 0; r < k; r++ {
				for j := 0; j < k; j++ {
					if v := in[r*w+s*i+j]; v > best {
						best = v
					}
				}
			}
			if mx[i] != best { // ±0 ties may pick either sign
				t.Fatalf("max%dx%d s%d twin [%d] = %g, want %g", k, k, s, i, mx[i], best)
			}
		}
	}
	n := 29
	in := make([]float32, 3*(2*n+1))
	fillInput(rng, in, false)
	for _, c := range []struct {
		k, s int
		f    PoolRowFunc
	}{{2, 2, avgPool2x2s2Row}, {3, 2, avgPool3x3s2Row}, {3, 1, avgPool3x3s1Row}} {
		k, st, w := c.k, c.s, 2*n+1
		av := make([]float32, n)
		c.f(n, &av[0], &in[0], w)
		for i := range av {
			var s, mag float64
			for r := 0; r < k; r++ {
				for j := 0; j < k; j++ {
					v := float64(in[r*w+st*i+j])
					s += v
					mag += math.Abs(v)
				}
			}
			s /= float64(k * k)
			if !(math.Abs(float64(av[i])-s) <= 1e-6*mag) {
				t.Fatalf("avg%dx%d s%d twin [%d] = %g, want %g", k, k, st, i, av[i], s)
			}
		}
	}
}

func TestCopyRows(t *testing.T) {
	testCopyRows(t, rand.New(rand.NewPCG(31, 32)), "copyrows", 1, func(k *Kernels) CopyRowsFunc { return k.CopyRows })
}

// TestCopyRowsS2 checks CopyRowsS2 bitwise against the definition, with
// the input's last row ending at a guard page (its last even float is the
// last float there is).
func TestCopyRowsS2(t *testing.T) {
	testCopyRows(t, rand.New(rand.NewPCG(35, 36)), "copyrowss2", 2, func(k *Kernels) CopyRowsFunc { return CopyRowsFunc(k.CopyRowsS2) })
}

// testCopyRows checks a kernel that sets dst[r·ldd+i] = src[r·lds+step·i]
// on every table, the input's last row ending at a guard page.
func testCopyRows(t *testing.T, rng *rand.Rand, name string, step int, f func(*Kernels) CopyRowsFunc) {
	for _, tab := range Tables() {
		for _, rows := range []int{0, 1, 3} {
			for _, n := range rowLens {
				for off := 0; off < 4; off++ {
					what := fmt.Sprintf("%s/%s rows=%d n=%d off=%d", tab.Name, name, rows, n, off)
					w := max(0, step*(n-1)+1) // floats a row reads
					lds, ldd := w+off, n+3-off
					withRows(t, rows, w, lds, func(s []float32) { fillInput(rng, s, true) }, func(in []float32) {
						got := newOut(rows, n, ldd, off)
						f(tab)(rows, n, got.p(), ldd, ptr(in), lds)
						got.checkGuards(t, what)
						for k := 0; k < rows; k++ {
							for i, v := range got.row(k) {
								if want := in[k*lds+step*i]; math.Float32bits(v) != math.Float32bits(want) {
									t.Fatalf("%s: row %d [%d] = %#x, want %#x", what, k, i, math.Float32bits(v), math.Float32bits(want))
								}
							}
						}
					})
				}
			}
		}
	}
}

// TestPermuteRows checks PermuteRows bitwise against the definition on
// every table that has it: windows at random bases ending at a guard page
// (the last at the very end), lane tables drawing from all three thirds, masks
// from none to all, rows 16 or more floats apart; nothing else written.
func TestPermuteRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	for _, tab := range append(Tables(), &Kernels{Name: "twin", RowKernels: RowKernels{PermuteRows: permuteRowsGeneric}}) {
		if tab.PermuteRows == nil {
			t.Logf("%s: no PermuteRows (conv gathers in Go)", tab.Name)
			continue
		}
		for _, rows := range []int{0, 1, 2, 7} {
			for _, mask := range []int{0, 1, 0x7f, 0x8001, 0xffff, int(rng.Uint32() & 0xffff)} {
				const size = 200
				what := fmt.Sprintf("%s/permuterows rows=%d mask=%#x", tab.Name, rows, mask)
				withTailGuard(t, size, func(src []float32) {
					fillInput(rng, src, true)
					bases := make([]int, max(rows, 1))
					for r := range bases {
						bases[r] = rng.IntN(size - 48 + 1)
					}
					bases[len(bases)-1] = size - 48
					var idx [16]int32
					for l := range idx {
						idx[l] = int32(rng.IntN(48))
					}
					ldd := 16 + rng.IntN(5)
					got := newOut(rows, 16, ldd, rng.IntN(4))
					tab.PermuteRows(rows, got.p(), ldd, ptr(src), &bases[0], &idx[0], mask)
					got.checkGuards(t, what)
					for r := range rows {
						for l, v := range got.row(r) {
							want := float32(0)
							if mask>>l&1 != 0 {
								want = src[bases[r]+int(idx[l])]
							}
							if math.Float32bits(v) != math.Float32bits(want) {
								t.Fatalf("%s: row %d [%d] = %#x, want %#x", what, r, l, math.Float32bits(v), math.Float32bits(want))
							}
						}
					}
				})
			}
		}
	}
}

// TestSum checks Sum bitwise against its twin, and the twin against a
// float64 sum within 2e-7·(n/32 + 8)·Σ|x| (each lane adds n/32 values).
func TestSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, tab := range Tables() {
		for _, n := range append(rowLens, 4096, 12544) {
			for _, sp := range []bool{false, true} {
				what := fmt.Sprintf("%s/sum n=%d specials=%v", tab.Name, n, sp)
				withTailGuard(t, n, func(x []float32) {
					fillInput(rng, x, sp)
					got, want := tab.Sum(n, ptr(x)), sumGeneric(n, ptr(x))
					if !sameFloat(got, want) {
						t.Fatalf("%s: %g (%#x), twin %g (%#x)", what, got, math.Float32bits(got), want, math.Float32bits(want))
					}
					if sp {
						return
					}
					var ref, abs float64
					for _, v := range x {
						ref += float64(v)
						abs += math.Abs(float64(v))
					}
					if d := math.Abs(float64(want) - ref); d > 2e-7*float64(n/32+8)*abs {
						t.Fatalf("%s: twin %g, float64 sum %g", what, want, ref)
					}
				})
			}
		}
	}
}

func TestMaxFold(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tab := range Tables() {
		for _, s := range []int{1, 2, 3} {
			for _, n := range rowLens {
				for off := 0; off < 4; off++ {
					what := fmt.Sprintf("%s/maxfold s=%d n=%d off=%d", tab.Name, s, n, off)
					withTailGuard(t, max(0, (n-1)*s+1), func(src []float32) {
						fillInput(rng, src, true)
						got, want := newOut(1, n, n, off), newOut(1, n, n, off)
						fillInput(rng, got.row(0), true)
						copy(want.row(0), got.row(0))
						tab.MaxFold(n, got.p(), ptr(src), s)
						maxFoldGeneric(n, want.p(), ptr(src), s)
						compareRows(t, what, got, want, exact)
					})
				}
			}
		}
	}
}

func TestDWConvRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	inf := float32(math.Inf(1))
	w := make([]float32, 9)
	for _, tab := range Tables() {
		for _, s := range []int{1, 2} {
			f := tab.DWConv3x3s1
			if s == 2 {
				f = tab.DWConv3x3s2
			}
			for _, n := range rowLens {
				cols := s*(max(n, 1)-1) + 3
				for off := 0; off < 4; off++ {
					ld := cols + 2*off
					for _, clamp := range [][2]float32{{-inf, inf}, {0, 6}} {
						fillInput(rng, w, false)
						b := float32(rng.NormFloat64())
						what := fmt.Sprintf("%s/dwconv3x3s%d n=%d off=%d ldr=%d clamp=%v", tab.Name, s, n, off, ld, clamp)
						withRows(t, 3, cols, ld, func(r []float32) { fillInput(rng, r, false) }, func(in []float32) {
							got, want := newOut(1, n, n, off), newOut(1, n, n, off)
							f(n, got.p(), ptr(in), ld, &w[0], b, clamp[0], clamp[1])
							dwconv3x3Generic(s, n, want.p(), ptr(in), ld, &w[0], b, clamp[0], clamp[1])
							compareRows(t, what, got, want, func(i int, g, wv float32) bool {
								mag := math.Abs(float64(b))
								for k := 0; k < 3; k++ {
									for j := 0; j < 3; j++ {
										mag += math.Abs(float64(w[3*k+j]) * float64(in[k*ld+s*i+j]))
									}
								}
								return math.Abs(float64(g)-float64(wv)) <= 4e-7*mag
							})
						})
					}
				}
			}
		}
	}
}

// TestDWConvS1R checks DWConv3x3s1R of every table that has one, and the
// Go twin, bitwise against DWConv3x3s1 of the same table row by row (the
// same instructions per block), on 1 and 3 rows with guard bands.
func TestDWConvS1R(t *testing.T) {
	rng := rand.New(rand.NewPCG(39, 40))
	inf := float32(math.Inf(1))
	w := make([]float32, 9)
	type rowsKernel struct {
		name   string
		f      DWRowsFunc
		single DWRowFunc
	}
	ks := []rowsKernel{{"generic twin", dwconv3x3s1rGeneric, dwconv3x3s1Generic}}
	for _, tab := range Tables() {
		if tab.DWConv3x3s1R == nil {
			t.Logf("%s: no DWConv3x3s1R (a flat run and a copy serve)", tab.Name)
			continue
		}
		ks = append(ks, rowsKernel{tab.Name, tab.DWConv3x3s1R, tab.DWConv3x3s1})
	}
	for _, k := range ks {
		for _, rows := range []int{1, 3} {
			for _, n := range rowLens {
				for off := 0; off < 3; off++ {
					ld, ldo := n+2+off, n+2*off
					for _, clamp := range [][2]float32{{-inf, inf}, {0, 6}} {
						fillInput(rng, w, false)
						b := float32(rng.NormFloat64())
						what := fmt.Sprintf("%s/dwconv3x3s1r rows=%d n=%d off=%d clamp=%v", k.name, rows, n, off, clamp)
						withRows(t, rows+2, n+2, ld, func(r []float32) { fillInput(rng, r, false) }, func(in []float32) {
							got, want := newOut(rows, n, ldo, off), newOut(rows, n, ldo, off)
							k.f(rows, n, got.p(), ldo, ptr(in), ld, &w[0], b, clamp[0], clamp[1])
							for q := 0; q < rows && n > 0; q++ {
								k.single(n, &want.row(q)[0], &in[q*ld], ld, &w[0], b, clamp[0], clamp[1])
							}
							got.checkGuards(t, what)
							compareRows(t, what, got, want, exact)
						})
					}
				}
			}
		}
	}
}

// TestDWConvS2P checks DWConv3x3s2P and DWConv5x5s2P of every table (and
// the 5×5 Go twin, which no table uses) against a float64 evaluation of
// their definition, within 1e-6·(Σ|w·x| + |b|), on 1 and 3 output rows of
// every length in rowLens and on row counts and lengths around the AVX-512
// kernels' blocks (up to eight rows of one or two vectors, column chunks
// of two).
func TestDWConvS2P(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	inf := float32(math.Inf(1))
	type kernel struct {
		name string
		k    int
		f    DWRowsS2PFunc
	}
	kernels := []kernel{{"generic-twin", 5, dwconv5x5s2pGeneric}}
	for _, tab := range Tables() {
		for _, kf := range []kernel{{tab.Name, 3, tab.DWConv3x3s2P}, {tab.Name, 5, tab.DWConv5x5s2P}} {
			if kf.f == nil {
				t.Logf("%s: no DWConv%dx%ds2P (the stride-2 row or taps kernels serve)", tab.Name, kf.k, kf.k)
				continue
			}
			kernels = append(kernels, kf)
		}
	}
	for _, kf := range kernels {
		f, k := kf.f, kf.k
		w := make([]float32, k*k)
		type shape struct{ rows, n int }
		var shapes []shape
		for _, rows := range []int{1, 3} {
			for _, n := range rowLens {
				shapes = append(shapes, shape{rows, n})
			}
		}
		for _, rows := range []int{5, 8, 9, 12, 17} {
			for _, n := range []int{16, 17, 28, 31, 32, 33, 47, 48, 49, 56, 112} {
				shapes = append(shapes, shape{rows, n})
			}
		}
		for _, sh := range shapes {
			rows, n := sh.rows, sh.n
			half := n + k/2 + 1 - (n+k/2)%2 // a row's even columns, then its odd ones
			// The even taps read E[0 … n+k/2−1], the odd ones O[0 … n+k/2−2].
			cols := max(half+n+k/2-1, n+k/2)
			for off := 0; off < 3; off++ {
				ld, ldo := cols+off, n+2*off
				for _, clamp := range [][2]float32{{-inf, inf}, {0, 6}} {
					fillInput(rng, w, false)
					b := float32(rng.NormFloat64())
					what := fmt.Sprintf("%s/dwconv%dx%ds2p rows=%d n=%d off=%d clamp=%v", kf.name, k, k, rows, n, off, clamp)
					withRows(t, 2*rows+k-2, cols, ld, func(r []float32) { fillInput(rng, r, false) }, func(in []float32) {
						got := newOut(rows, n, ldo, off)
						f(rows, n, got.p(), ldo, ptr(in), ld, half, &w[0], b, clamp[0], clamp[1])
						got.checkGuards(t, what)
						for q := 0; q < rows; q++ {
							for i, g := range got.row(q) {
								acc, mag := float64(b), math.Abs(float64(b))
								for kr := 0; kr < k; kr++ {
									e := in[(2*q+kr)*ld:]
									for j := 0; j < k; j++ {
										x := e[i+j/2]
										if j%2 == 1 {
											x = e[half+i+j/2]
										}
										v := float64(w[k*kr+j]) * float64(x)
										acc += v
										mag += math.Abs(v)
									}
								}
								want := math.Min(float64(clamp[1]), math.Max(float64(clamp[0]), acc))
								if !(math.Abs(float64(g)-want) <= 1e-6*mag) {
									t.Fatalf("%s: row %d [%d] = %g, want %g", what, q, i, g, want)
								}
							}
						}
					})
				}
			}
		}
	}
}

// TestDeinterleave checks Deinterleave of every table bitwise against its
// definition, with writes outside the even and odd rows caught.
func TestDeinterleave(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	for _, tab := range Tables() {
		for _, rows := range []int{1, 3} {
			for _, n := range rowLens {
				ne, no := (n+1)/2, n/2
				for off := 0; off < 3; off++ {
					lds, ldd := n+off, ne+2-off
					what := fmt.Sprintf("%s/deinterleave rows=%d n=%d off=%d", tab.Name, rows, n, off)
					withRows(t, rows, n, lds, func(r []float32) { fillInput(rng, r, true) }, func(in []float32) {
						even, odd := newOut(rows, ne, ldd, off), newOut(rows, no, ldd, 2-off)
						tab.Deinterleave(rows, n, even.p(), odd.p(), ldd, ptr(in), lds)
						even.checkGuards(t, what+" even")
						odd.checkGuards(t, what+" odd")
						for q := 0; q < rows; q++ {
							for i, v := range even.row(q) {
								if math.Float32bits(v) != math.Float32bits(in[q*lds+2*i]) {
									t.Fatalf("%s: even row %d [%d] = %#x, want %#x", what, q, i, math.Float32bits(v), math.Float32bits(in[q*lds+2*i]))
								}
							}
							for i, v := range odd.row(q) {
								if math.Float32bits(v) != math.Float32bits(in[q*lds+2*i+1]) {
									t.Fatalf("%s: odd row %d [%d] = %#x, want %#x", what, q, i, math.Float32bits(v), math.Float32bits(in[q*lds+2*i+1]))
								}
							}
						}
					})
				}
			}
		}
	}
}

// TestDWConvTwin checks the twin against a float64 direct convolution
// (bound 1e-6·(Σ|w·x| + |b|)).
// TestDWConvPlanes runs DWConv3x3Planes of every table that has it, and
// the twin, against a float64 sum over the window, bound 4e-7·(Σ|w·x| +
// |b|) as the other depthwise kernels; inputs end at a guard page, outputs
// sit between sentinels. Sizes cover one to seven planes (the first and
// last run through copies, the rest in place), rows of one to five
// vectors and one past, planes too small for the assembly.
func TestDWConvPlanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	inf := float32(math.Inf(1))
	fs := map[string]DWPlanesFunc{"twin": dwconv3x3PlanesGeneric}
	for _, tab := range Tables() {
		if tab.DWConv3x3Planes != nil {
			fs[tab.Name] = tab.DWConv3x3Planes
		}
	}
	for _, n := range []int{1, 2, 3, 4, 7} {
		for _, h := range []int{1, 2, 3, 4, 7, 9} {
			for w := 1; w <= PlanesWidest+1; w++ {
				size := n * h * w
				wt := make([]float32, 9*n)
				fillInput(rng, wt, false)
				var b []float32
				if w%2 == 0 {
					b = make([]float32, n)
					fillInput(rng, b, false)
				}
				in := make([]float32, size)
				fillInput(rng, in, false)
				for name, f := range fs {
					for _, clamp := range [][2]float32{{-inf, inf}, {0, 6}} {
						what := fmt.Sprintf("%s n=%d h=%d w=%d bias=%v clamp=%v", name, n, h, w, b != nil, clamp)
						withTailGuard(t, size, func(x []float32) {
							copy(x, in)
							got := newOut(1, size, size, n%2)
							var bp *float32
							if b != nil {
								bp = &b[0]
							}
							f(n, h, w, got.p(), ptr(x), &wt[0], bp, clamp[0], clamp[1])
							got.checkGuards(t, what)
							for i, g := range got.row(0) {
								want, mag := dwPlanesRef(in, wt, b, h, w, i)
								want = min(max(want, float64(clamp[0])), float64(clamp[1]))
								if !(math.Abs(float64(g)-want) <= 4e-7*mag) {
									t.Fatalf("%s: [%d] = %g, want %g", what, i, g, want)
								}
							}
						})
					}
				}
			}
		}
	}
}

// dwPlanesRef is output i of DWPlanesFunc in float64, with Σ|w·x| + |b|.
func dwPlanesRef(x, wt, b []float32, h, w, i int) (sum, mag float64) {
	p, r, c := i/(h*w), i%(h*w)/w, i%w
	if b != nil {
		sum, mag = float64(b[p]), math.Abs(float64(b[p]))
	}
	for u := 0; u < 3; u++ {
		for v := 0; v < 3; v++ {
			rr, cc := r+u-1, c+v-1
			if rr < 0 || rr >= h || cc < 0 || cc >= w {
				continue
			}
			t := float64(wt[9*p+3*u+v]) * float64(x[(p*h+rr)*w+cc])
			sum += t
			mag += math.Abs(t)
		}
	}
	return sum, mag
}

func TestDWConvTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, s := range []int{1, 2} {
		n, ld := 23, 60
		in := make([]float32, 3*ld)
		w := make([]float32, 9)
		fillInput(rng, in, false)
		fillInput(rng, w, false)
		out := make([]float32, n)
		dwconv3x3Generic(s, n, &out[0], &in[0], ld, &w[0], 0.25, float32(math.Inf(-1)), float32(math.Inf(1)))
		for i := range out {
			want, mag := 0.25, 0.25
			for k := 0; k < 3; k++ {
				for j := 0; j < 3; j++ {
					p := float64(w[3*k+j]) * float64(in[k*ld+s*i+j])
					want += p
					mag += math.Abs(p)
				}
			}
			if !(math.Abs(float64(out[i])-want) <= 1e-6*mag) {
				t.Fatalf("s=%d: twin [%d] = %g, want %g", s, i, out[i], want)
			}
		}
	}
}

// TestDWTapsRows checks the taps kernels against the twin over kernel
// shapes, lengths around the 8- and 32-wide blocks, and row strides, with
// nothing readable past the documented columns (tail guard).
func TestDWTapsRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, tab := range Tables() {
		for _, s := range []int{1, 2} {
			f := tab.DWTapsS1
			if s == 2 {
				f = tab.DWTapsS2
			}
			for _, kk := range [][2]int{{1, 1}, {3, 3}, {5, 5}, {2, 7}, {7, 1}} {
				kh, kw := kk[0], kk[1]
				w := make([]float32, kh*kw)
				for _, n := range rowLens {
					cols := s*(max(n, 1)-1) + kw + s - 1
					for _, off := range []int{0, 3} {
						ld := cols + off
						fillInput(rng, w, false)
						what := fmt.Sprintf("%s/dwtaps s=%d %dx%d n=%d ldr=%d", tab.Name, s, kh, kw, n, ld)
						withRows(t, kh, cols, ld, func(r []float32) { fillInput(rng, r, false) }, func(in []float32) {
							got, want := newOut(1, n, n, off), newOut(1, n, n, off)
							init := make([]float32, n)
							fillInput(rng, init, false)
							copy(got.row(0), init)
							copy(want.row(0), init)
							f(n, got.p(), ptr(in), ld, &w[0], kh, kw)
							dwconvTapsGeneric(s, n, want.p(), ptr(in), ld, &w[0], kh, kw)
							compareRows(t, what, got, want, func(i int, g, wv float32) bool {
								mag := math.Abs(float64(init[i]))
								for k := 0; k < kh; k++ {
									for j := 0; j < kw; j++ {
										mag += math.Abs(float64(w[k*kw+j]) * float64(in[k*ld+s*i+j]))
									}
								}
								return math.Abs(float64(g)-float64(wv)) <= 1e-6*mag
							})
						})
					}
				}
			}
		}
	}
}

// TestDWTapsTwin checks the twin against a float64 direct convolution
// (bound 1e-6·(Σ|w·x| + |out|)).
func TestDWTapsTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, s := range []int{1, 2} {
		n, ld, kh, kw := 23, 60, 5, 4
		in := make([]float32, kh*ld)
		w := make([]float32, kh*kw)
		fillInput(rng, in, false)
		fillInput(rng, w, false)
		out := make([]float32, n)
		fillInput(rng, out, false)
		init := append([]float32(nil), out...)
		dwconvTapsGeneric(s, n, &out[0], &in[0], ld, &w[0], kh, kw)
		for i := range out {
			want, mag := float64(init[i]), math.Abs(float64(init[i]))
			for k := 0; k < kh; k++ {
				for j := 0; j < kw; j++ {
					p := float64(w[k*kw+j]) * float64(in[k*ld+s*i+j])
					want += p
					mag += math.Abs(p)
				}
			}
			if !(math.Abs(float64(out[i])-want) <= 1e-6*mag) {
				t.Fatalf("s=%d: twin [%d] = %g, want %g", s, i, out[i], want)
			}
		}
	}
}

func TestWinogradPasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	fill := func(s []float32) { fillInput(rng, s, false) }
	for _, tab := range Tables() {
		for _, n := range rowLens {
			for off := 0; off < 4; off++ {
				ldIn, ldOut := n+3*off, n+off+1
				what := fmt.Sprintf("%s/winograd43 n=%d off=%d", tab.Name, n, off)
				withRows(t, 6, n, ldIn, fill, func(r []float32) {
					got, want := newOut(6, n, ldOut, off), newOut(6, n, ldOut, off)
					tab.Winograd43InCols(n, got.p(), ldOut, ptr(r), ldIn)
					winograd43InColsGeneric(n, want.p(), ldOut, ptr(r), ldIn)
					compareRows(t, what+" InCols", got, want, exact)
				})
				withRows(t, 6, 4*n+2, 4*n+2+off, fill, func(tr []float32) {
					got, want := newOut(36, n, ldOut, off), newOut(36, n, ldOut, off)
					tab.Winograd43InRow(n, ptr(tr), 4*n+2+off, got.p(), ldOut)
					for q := range 6 { // the twin of one row, row by row
						winograd43InRow1Generic(n, ptr(tr[q*(4*n+2+off):]), ptr(want.buf[want.off+6*q*ldOut:]), ldOut)
					}
					compareRows(t, what+" InRow", got, want, exact)
				})
				withRows(t, 6, n, ldIn, fill, func(m []float32) {
					got, want := newOut(4, n, ldOut, off), newOut(4, n, ldOut, off)
					tab.Winograd43OutCols(n, got.p(), ldOut, ptr(m), ldIn)
					winograd43OutColsGeneric(n, want.p(), ldOut, ptr(m), ldIn)
					compareRows(t, what+" OutCols", got, want, exact)
				})
				withRows(t, 6, n, ldIn, fill, func(q []float32) {
					got, want := newOut(1, 4*n, 4*n, off), newOut(1, 4*n, 4*n, off)
					tab.Winograd43OutRow(n, got.p(), ptr(q), ldIn, 0.75)
					winograd43OutRowGeneric(n, want.p(), ptr(q), ldIn, 0.75)
					compareRows(t, what+" OutRow", got, want, exact)
				})
			}
		}
	}
}

// TestWinogradTwins composes the twins' passes on one tile and compares
// with Bᵀ d B and Aᵀ m A + bias computed in float64 from the matrices
// (bound 1e-6 of the sum of absolute terms).
func TestWinogradTwins(t *testing.T) {
	BT := [6][6]float64{
		{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
	}
	AT := [4][6]float64{{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}
	rng := rand.New(rand.NewPCG(19, 20))
	d := make([]float32, 36)
	fillInput(rng, d, false)
	// Input: T = Bᵀ d (columns), then V[s][q] = Σ_p T[q][p]·B[p][s].
	tr := make([]float32, 36)
	winograd43InColsGeneric(6, &tr[0], 6, &d[0], 6)
	v := make([]float32, 36)
	winograd43InRowGeneric(1, &tr[0], 6, &v[0], 1)
	for q := 0; q < 6; q++ {
		for s := 0; s < 6; s++ {
			var want, mag float64
			for a := 0; a < 6; a++ {
				for b := 0; b < 6; b++ {
					x := BT[q][a] * float64(d[a*6+b]) * BT[s][b]
					want += x
					mag += math.Abs(x)
				}
			}
			if got := float64(v[q*6+s]); !(math.Abs(got-want) <= 1e-6*mag) {
				t.Fatalf("input transform [%d][%d] = %g, want %g", q, s, got, want)
			}
		}
	}
	// Output: S = Aᵀ M (rows ξ = 6p+c), then dst[4j+r] along each row.
	m := make([]float32, 36)
	fillInput(rng, m, false)
	sbuf := make([]float32, 24) // S[r][c] at r*6+c
	for c := 0; c < 6; c++ {
		winograd43OutColsGeneric(1, &sbuf[c], 6, &m[c], 6)
	}
	y := make([]float32, 16)
	for r := 0; r < 4; r++ {
		winograd43OutRowGeneric(1, &y[r*4], &sbuf[r*6], 1, 0.5)
	}
	for r := 0; r < 4; r++ {
		for c := 0; c < 4; c++ {
			want, mag := 0.5, 0.5
			for a := 0; a < 6; a++ {
				for b := 0; b < 6; b++ {
					x := AT[r][a] * float64(m[a*6+b]) * AT[c][b]
					want += x
					mag += math.Abs(x)
				}
			}
			if got := float64(y[r*4+c]); !(math.Abs(got-want) <= 1e-6*mag) {
				t.Fatalf("output transform [%d][%d] = %g, want %g", r, c, got, want)
			}
		}
	}
}

// TestDWC8 checks the eight- and sixteen-lane depthwise kernels of every
// table that has them against a float64 evaluation of DWCFunc (the Go twins
// included, see checkDWC) at strides 1 and 2; and Interleave8, Split8,
// Interleave16 and Split16 bit for bit against their twins.
func TestDWC8(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	twins := &Kernels{Name: "twins", RowKernels: RowKernels{DWC8S1: dwc8S1Generic, DWC8S2: dwc8S2Generic,
		DWC16S1: dwc16S1Generic, DWC16S2: dwc16S2Generic, Interleave8: interleave8Generic, Split8: split8Generic,
		Interleave16: interleave16Generic, Split16: split16Generic}}
	for _, tab := range append(Tables(), twins) {
		type transposes struct {
			rows        int
			in, out     func(n int, dst *float32, ldd int, src *float32, lds int)
			inTw, outTw func(n int, dst *float32, ldd int, src *float32, lds int)
		}
		for _, tr := range []transposes{
			{8, tab.Interleave8, tab.Split8, interleave8Generic, split8Generic},
			{16, tab.Interleave16, tab.Split16, interleave16Generic, split16Generic},
		} {
			if tr.in == nil || tr.out == nil {
				t.Logf("%s: no Interleave%d/Split%d (conv makes two eight-row passes)", tab.Name, tr.rows, tr.rows)
				continue
			}
			h := tr.rows
			for _, n := range rowLens {
				for off := 0; off < 3; off++ {
					ld := n + 2*off
					for _, gs := range []int{h, h + 3} { // packed groups; groups with gaps (channels-last)
						what := fmt.Sprintf("%s/interleave%d n=%d off=%d gs=%d", tab.Name, h, n, off, gs)
						withRows(t, h, n, ld, func(r []float32) { fillInput(rng, r, false) }, func(in []float32) {
							got, want := newOut(n, h, gs, off), newOut(n, h, gs, off)
							tr.in(n, got.p(), gs, ptr(in), ld)
							tr.inTw(n, want.p(), gs, ptr(in), ld)
							compareRows(t, what, got, want, exact)
							for i := range n {
								for l := range h {
									if !sameFloat(want.row(i)[l], in[l*ld+i]) {
										t.Fatalf("%s: twin group %d [%d] = %g, want %g", what, i, l, want.row(i)[l], in[l*ld+i])
									}
								}
							}
						})
						what = fmt.Sprintf("%s/split%d n=%d off=%d gs=%d", tab.Name, h, n, off, gs)
						withRows(t, n, h, gs, func(r []float32) { fillInput(rng, r, false) }, func(in []float32) {
							got, want := newOut(h, n, ld, off), newOut(h, n, ld, off)
							tr.out(n, got.p(), ld, ptr(in), gs)
							tr.outTw(n, want.p(), ld, ptr(in), gs)
							compareRows(t, what, got, want, exact)
							for l := range h {
								for i := range n {
									if !sameFloat(want.row(l)[i], in[i*gs+l]) {
										t.Fatalf("%s: twin row %d [%d] = %g, want %g", what, l, i, want.row(l)[i], in[i*gs+l])
									}
								}
							}
						})
					}
				}
			}
		}
		kernels := []struct {
			L, s int
			f    DWCFunc
		}{{8, 1, tab.DWC8S1}, {8, 2, tab.DWC8S2}, {16, 1, tab.DWC16S1}, {16, 2, tab.DWC16S2}}
		for _, kc := range kernels {
			if kc.f == nil {
				t.Logf("%s: no %d-lane depthwise kernel at stride %d (conv takes another route)", tab.Name, kc.L, kc.s)
				continue
			}
			checkDWC(t, rng, fmt.Sprintf("%s/dwc%ds%d", tab.Name, kc.L, kc.s), kc.L, kc.s, kc.f)
		}
	}
}

// checkDWC checks f, a DWCFunc of L lanes at stride s, against a float64
// evaluation within 1e-6·(Σ|w·x| + |b|), for 1×1 to 5×5 kernels, with and
// without a clamp, and overlapping rows against one call per row.
func checkDWC(t *testing.T, rng *rand.Rand, name string, L, s int, f DWCFunc) {
	t.Helper()
	inf := float32(math.Inf(1))
	for _, ks := range [][2]int{{3, 3}, {5, 5}, {1, 1}, {3, 5}} {
		kh, kw := ks[0], ks[1]
		w, b := make([]float32, L*kh*kw), make([]float32, L)
		for _, n := range []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 31} {
			cols := L * (s*(max(n, 1)-1) + kw)
			ld := cols + L
			for _, rows := range []int{1, 3} {
				for _, clamp := range [][2]float32{{-inf, inf}, {0, 6}} {
					fillInput(rng, w, false)
					fillInput(rng, b, false)
					what := fmt.Sprintf("%s %dx%d rows=%d n=%d clamp=%v", name, kh, kw, rows, n, clamp)
					withRows(t, s*(rows-1)+kh, cols, ld, func(r []float32) { fillInput(rng, r, false) }, func(in []float32) {
						ldo := L*n + L
						got := newOut(rows, L*n, ldo, 1)
						f(rows, n, got.p(), ldo, ptr(in), ld, &w[0], kh, kw, &b[0], clamp[0], clamp[1])
						got.checkGuards(t, what)
						for q := range rows {
							for i := range n {
								for l := range L {
									acc, mag := float64(b[l]), math.Abs(float64(b[l]))
									for k := range kh {
										for j := range kw {
											v := float64(w[(k*kw+j)*L+l]) * float64(in[(s*q+k)*ld+(s*i+j)*L+l])
											acc += v
											mag += math.Abs(v)
										}
									}
									want := math.Min(float64(clamp[1]), math.Max(float64(clamp[0]), acc))
									if g := got.row(q)[L*i+l]; !(math.Abs(float64(g)-want) <= 1e-6*mag) {
										t.Fatalf("%s: row %d output %d lane %d = %g, want %g", what, q, i, l, g, want)
									}
								}
							}
						}
						if rows > 1 && n > 1 {
							// Overlapping rows (conv's rounded-up rows): as one call
							// per row in order.
							ldo, area := L*(n-1), L*((rows-1)*(n-1)+n)
							got, want := newOut(1, area, area, 0), newOut(1, area, area, 0)
							f(rows, n, got.p(), ldo, ptr(in), ld, &w[0], kh, kw, &b[0], clamp[0], clamp[1])
							for q := range rows {
								f(1, n, &want.buf[want.off+q*ldo], ldo, &in[s*q*ld], ld, &w[0], kh, kw, &b[0], clamp[0], clamp[1])
							}
							compareRows(t, what+" overlapping", got, want, exact)
						}
					})
				}
			}
		}
	}
}

// TestInterleave4 checks each table's Interleave4 (and the Go twin gemm
// falls back to) against its definition, bit for bit, for every row
// length in rowLens and padded row strides, with guards around the output
// and the input ending at a page boundary.
func TestInterleave4(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	twin := &Kernels{Name: "twin", RowKernels: RowKernels{Interleave4: interleave4Generic}}
	for _, tab := range append(Tables(), twin) {
		if tab.Interleave4 == nil {
			t.Logf("%s: no Interleave4 (gemm interleaves in Go)", tab.Name)
			continue
		}
		for _, n := range rowLens {
			for off := 0; off < 3; off++ {
				ld := n + 5*off
				what := fmt.Sprintf("%s/interleave4 n=%d off=%d", tab.Name, n, off)
				withRows(t, 4, n, ld, func(r []float32) { fillInput(rng, r, false) }, func(in []float32) {
					got := newOut(1, 4*n, 4*n, off)
					tab.Interleave4(n, got.p(), ptr(in), ld)
					got.checkGuards(t, what)
					for i := range n {
						for l := range 4 {
							if g, w := got.row(0)[4*i+l], in[l*ld+i]; math.Float32bits(g) != math.Float32bits(w) {
								t.Fatalf("%s: dst[%d] = %g, want src[%d·%d+%d] = %g", what, 4*i+l, g, l, ld, i, w)
							}
						}
					}
				})
			}
		}
	}
}

// TestDWPlaneS1 checks each table's DWPlaneK3S1 and DWPlaneK5S1 (and the
// Go twin) against a float64 evaluation of DWPlaneS1Func within
// 1e-6·(Σ|w·x| + |b|), for every row width up to DWPlaneWidest, heights
// around k, one to three planes (one to five on the 7×7 planes of the
// flattened kernel), with and without biases, and both
// clamps, on planes starting right after a guard page or ending right at
// one (a read past a row's ends takes its neighbour's floats, or faults),
// with guards around the output.
func TestDWPlaneS1(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	inf := float32(math.Inf(1))
	type kernel struct {
		name string
		k    int
		f    DWPlaneS1Func
	}
	kernels := []kernel{
		{"twin3", 3, func(n, h, w int, y, x, wt, b *float32, lo, hi float32) {
			dwPlaneS1Generic(3, n, h, w, y, x, wt, b, lo, hi)
		}},
		{"twin5", 5, func(n, h, w int, y, x, wt, b *float32, lo, hi float32) {
			dwPlaneS1Generic(5, n, h, w, y, x, wt, b, lo, hi)
		}},
	}
	for _, tab := range Tables() {
		for _, kc := range []kernel{{tab.Name + "/k3", 3, tab.DWPlaneK3S1}, {tab.Name + "/k5", 5, tab.DWPlaneK5S1}} {
			if kc.f == nil {
				t.Logf("%s: no kernel (conv takes another route)", kc.name)
				continue
			}
			kernels = append(kernels, kc)
		}
	}
	for _, kc := range kernels {
		k, p := kc.k, (kc.k-1)/2
		for w := 1; w <= DWPlaneWidest(k); w++ {
			for _, h := range []int{1, 2, 3, 4, 5, 6, 7, 9, 17} {
				ns := []int{1 + (w+h)%3}
				if DWPlaneFlat(k, h, w) { // one to five planes: both buffers, either last
					ns = []int{1, 2, 3, 4, 5}
				}
				for _, n := range ns {
					wt := make([]float32, n*k*k)
					var bias []float32
					if (w+2*h)%3 != 0 {
						bias = make([]float32, n)
						fillInput(rng, bias, false)
					}
					for gi, guard := range []func(*testing.T, int, func([]float32)){withHeadGuard, withTailGuard} {
						clamp := [][2]float32{{-inf, inf}, {0, 6}}[(w+h+gi)%2]
						fillInput(rng, wt, false)
						what := fmt.Sprintf("%s n=%d w=%d h=%d bias=%t clamp=%v", kc.name, n, w, h, bias != nil, clamp)
						guard(t, n*h*w, func(x []float32) {
							fillInput(rng, x, false)
							got := newOut(n*h, w, w, 1)
							var b *float32
							if bias != nil {
								b = &bias[0]
							}
							kc.f(n, h, w, got.p(), &x[0], &wt[0], b, clamp[0], clamp[1])
							got.checkGuards(t, what)
							for c := range n {
								for i := range h {
									for j := range w {
										acc, mag := 0.0, 0.0
										if bias != nil {
											acc, mag = float64(bias[c]), math.Abs(float64(bias[c]))
										}
										for u := range k {
											for v := range k {
												r, col := i+u-p, j+v-p
												if r < 0 || r >= h || col < 0 || col >= w {
													continue
												}
												d := float64(wt[c*k*k+u*k+v]) * float64(x[(c*h+r)*w+col])
												acc += d
												mag += math.Abs(d)
											}
										}
										want := math.Min(float64(clamp[1]), math.Max(float64(clamp[0]), acc))
										if g := got.row(c*h + i)[j]; !(math.Abs(float64(g)-want) <= 1e-6*mag) {
											t.Fatalf("%s: plane %d output (%d, %d) = %g, want %g", what, c, i, j, g, want)
										}
									}
								}
							}
						})
					}
				}
			}
		}
	}
}
