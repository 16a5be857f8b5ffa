package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/gemm"
	"github.com/gocnn/gocnn/ops"
)

// TestIm2colPackB checks the implicit im2col panels against an explicit
// column matrix packed by gemm.Matrix, for odd blocks and every NR.
func TestIm2colPackB(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for ci, cc := range append(append([]convCase{}, gemmCases...), dwCases[1]) {
		x, w, b := cc.operands(rng)
		p, _ := ops.ParseConvParams(cc.node())
		k, err := New(p, w, b, Epilogue{}, Options{Algorithm: AlgoIm2col})
		if err != nil {
			t.Fatal(err)
		}
		g, err := k.geometry(x.Shape)
		if err != nil {
			t.Fatal(err)
		}
		kk := k.kDim
		n := g.outPlane
		// Explicit im2col of image 0, group 0.
		col := make([]float32, kk*n)
		xd := x.Float32s()
		for q := 0; q < kk; q++ {
			ci, r := q/(k.kh*k.kw), q%(k.kh*k.kw)
			i, j := r/k.kw, r%k.kw
			for oh := 0; oh < g.oh; oh++ {
				for ow := 0; ow < g.ow; ow++ {
					ih, iw := oh*g.sh-g.ph+i*g.dh, ow*g.sw-g.pw+j*g.dw
					if ih >= 0 && ih < g.h && iw >= 0 && iw < g.w {
						col[q*n+oh*g.ow+ow] = xd[ci*g.inPlane+ih*g.w+iw]
					}
				}
			}
		}
		// NaN scratch: rows or phases fill skips must be ones PackB never reads.
		size := im2colSize(k.cg, g, k.kh, k.kw)
		buf := make([]float32, size)
		for i := range buf {
			buf[i] = float32(math.NaN())
		}
		src := newIm2col(asm.Default(), &buf, xd, k.cg, g, k.kh, k.kw, false)
		if len(buf) > size || (src.owned && &buf[0] != &src.x[0]) {
			t.Fatalf("%v: newIm2col grew the buffer to %d floats, im2colSize %d", cc, len(buf), size)
		}
		// Filled in parts, as threads do.
		parts := 1 + ci%3
		pt := im2colTask{src: &src, x: xd, parts: parts}
		for i := range parts {
			pt.Run(i)
		}
		// The explicit column matrix from the filled source, and at column
		// stride 2 also from the image directly (whatever OW).
		if g.dw == 1 {
			explicitCols(t, cc, src, col, n, ci)
		}
		if g.dw == 1 && g.sw == 2 {
			explicitCols(t, cc, newIm2col(asm.Default(), nil, xd, k.cg, g, k.kh, k.kw, true), col, n, ci)
		}
		ref := &gemm.Matrix{Data: col, LD: n}
		for _, nr := range []int{8, 16, 24, 32} {
			for _, blk := range [][4]int{{0, kk, 0, n}, {1, kk - 1, 1, n - 1}, {kk / 2, (kk + 1) / 2, n / 3, n - n/3}} {
				k0, kc, n0, nc := blk[0], blk[1], blk[2], blk[3]
				if kc <= 0 || nc <= 0 {
					continue
				}
				size := (nc + nr - 1) / nr * kc * nr
				guard := make([]float32, size+16) // sentinel band after the panel
				got, want := guard[:size], make([]float32, size)
				for i := range guard {
					guard[i] = -7
				}
				src.PackB(got, k0, kc, n0, nc, nr)
				ref.PackB(want, k0, kc, n0, nc, nr)
				for i, v := range guard[size:] {
					if v != -7 {
						t.Fatalf("%v nr=%d block %v: wrote past the panel at +%d", cc, nr, blk, i)
					}
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%v nr=%d block %v: panel[%d] = %g, want %g", cc, nr, blk, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// explicitCols checks src's column matrix (colsInto, colsIntoPacked),
// written in chunks, against col (K×n); ci varies the row slack.
func explicitCols(t *testing.T, cc convCase, src im2colSource, col []float32, n, ci int) {
	t.Helper()
	kk := src.c * src.kh * src.kw
	// Row-major, rows with slack; sentinels: padding must be written too.
	ld := n + ci%3
	got := make([]float32, kk*ld)
	for _, chunk := range []int{n, 7, 1 + n/3} {
		for i := range got {
			got[i] = -7
		}
		for t0 := 0; t0 < n; t0 += chunk {
			t1 := min(n, t0+chunk)
			src.colsInto(got[t0:], ld, t0, t1)
		}
		for q := 0; q < kk; q++ {
			for j := 0; j < n; j++ {
				if got[q*ld+j] != col[q*n+j] {
					t.Fatalf("%v: column matrix in chunks of %d: [%d][%d] = %g, want %g", cc, chunk, q, j, got[q*ld+j], col[q*n+j])
				}
			}
		}
	}
	// Packed.
	for _, nr := range []int{8, 24} {
		for _, chunk := range []int{n, 7, 1 + n/3} {
			for t0 := 0; t0 < n; t0 += chunk {
				t1 := min(n, t0+chunk)
				size := (t1 - t0 + nr - 1) / nr * nr * kk
				guard := make([]float32, size+16) // sentinels: the partial strip's spare columns too
				for i := range guard {
					guard[i] = -7
				}
				src.colsIntoPacked(guard[:size], nr, t0, t1)
				for i, v := range guard {
					s, q, c := i/(kk*nr), i%(kk*nr)/nr, i%nr
					want := float32(-7)
					if j := t0 + s*nr + c; i < size && j < t1 {
						want = col[q*n+j]
					}
					if v != want {
						t.Fatalf("%v nr=%d chunk %d…%d: [%d] (strip %d row %d column %d) = %g, want %g", cc, nr, t0, t1, i, s, q, c, v, want)
					}
				}
			}
		}
	}
}

func BenchmarkPackB(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, l := range benchLayers {
		if l.cc.kh == 1 || l.cc.group > 1 {
			continue
		}
		x, w, _ := l.cc.operands(rng)
		p, _ := ops.ParseConvParams(l.cc.node())
		k, _ := New(p, w, nil, Epilogue{}, Options{Algorithm: AlgoIm2col})
		g, _ := k.geometry(x.Shape)
		var buf []float32
		src := im2colPad(asm.Default(), &buf, x.Float32s(), k.cg, g, k.kh, k.kw)
		nr := asm.Default().NR
		kc := min(256, k.kDim)
		nc := min(g.outPlane, 1024)
		dst := make([]float32, (nc+nr-1)/nr*kc*nr)
		b.Run(fmt.Sprintf("layer=%s", l.name), func(b *testing.B) {
			b.SetBytes(int64(4 * kc * nc))
			for b.Loop() {
				src.PackB(dst, 0, kc, 0, nc, nr)
			}
		})
	}
}
