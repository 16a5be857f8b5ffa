package ops

import (
	"fmt"

	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

func init() {
	register("Gemm", 1, buildGemm)
	register("MatMul", 1, buildMatMul)
}

// GemmParams are the attributes of a Gemm node: Y = alpha * A' * B' +
// beta * C, with A' = transpose(A) if TransA, B' likewise.
type GemmParams struct {
	Alpha, Beta    float32 // default 1, 1
	TransA, TransB bool    // default false
}

// ParseGemmParams reads and checks the attributes of a Gemm node. The
// broadcast attribute of opsets 1-6 is accepted and ignored: C is always
// broadcast unidirectionally.
func ParseGemmParams(n *onnx.Node) (*GemmParams, error) {
	a := n.AttrReader()
	p := &GemmParams{Alpha: a.Float("alpha", 1), Beta: a.Float("beta", 1)}
	ta, tb := a.Int("transA", 0), a.Int("transB", 0)
	a.Int("broadcast", 0)
	if err := a.Err(); err != nil {
		return nil, err
	}
	if (ta != 0 && ta != 1) || (tb != 0 && tb != 1) {
		return nil, fmt.Errorf("%v: transA %d / transB %d must be 0 or 1", n, ta, tb)
	}
	p.TransA, p.TransB = ta == 1, tb == 1
	return p, nil
}

// GemmShape checks the shapes of A, B and the optional C (nil when absent)
// and returns M, N and K: A' is [M, K], B' is [K, N], and C must broadcast
// unidirectionally to [M, N] (rank <= 2, each dim equal or 1).
func (p *GemmParams) GemmShape(a, b, c []int) (m, n, k int, err error) {
	if len(a) != 2 || len(b) != 2 {
		return 0, 0, 0, fmt.Errorf("A %v and B %v must have rank 2", a, b)
	}
	m, k = a[0], a[1]
	if p.TransA {
		m, k = k, m
	}
	kb, n := b[0], b[1]
	if p.TransB {
		kb, n = n, kb
	}
	if k != kb {
		return 0, 0, 0, fmt.Errorf("inner dimensions differ: A %v (transA=%v), B %v (transB=%v)", a, p.TransA, b, p.TransB)
	}
	if c != nil {
		if len(c) > 2 {
			return 0, 0, 0, fmt.Errorf("C has rank %d, want at most 2", len(c))
		}
		want := []int{m, n}[2-len(c):]
		for i, d := range c {
			if d != 1 && d != want[i] {
				return 0, 0, 0, fmt.Errorf("C shape %v does not broadcast to [%d %d]", c, m, n)
			}
		}
	}
	return m, n, k, nil
}

type gemmKernel struct{ p *GemmParams }

func buildGemm(n *onnx.Node, opset int64) (Kernel, error) {
	p, err := ParseGemmParams(n)
	if err != nil {
		return nil, err
	}
	return gemmKernel{p}, nil
}

func (g gemmKernel) shape(in []*tensor.Tensor) (m, n, k int, err error) {
	if err := need(in, 2); err != nil {
		return 0, 0, 0, err
	}
	if err := float32In(in[0], "A"); err != nil {
		return 0, 0, 0, err
	}
	if err := float32In(in[1], "B"); err != nil {
		return 0, 0, 0, err
	}
	var cs []int
	if c := input(in, 2); c != nil {
		if err := float32In(c, "C"); err != nil {
			return 0, 0, 0, err
		}
		cs = c.Shape
	}
	return g.p.GemmShape(in[0].Shape, in[1].Shape, cs)
}

func (g gemmKernel) Infer(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	m, n, _, err := g.shape(in)
	if err != nil {
		return nil, err
	}
	return one(tensor.Float32, []int{m, n})
}

func (g gemmKernel) Run(in, out []*tensor.Tensor) error {
	m, n, k, err := g.shape(in)
	if err != nil {
		return err
	}
	a, err := inFloat32(in[0], "A")
	if err != nil {
		return err
	}
	b, err := inFloat32(in[1], "B")
	if err != nil {
		return err
	}
	var c []float32
	var cs []int
	if ct := input(in, 2); ct != nil {
		if c, err = inFloat32(ct, "C"); err != nil {
			return err
		}
		cs = ct.Shape
	}
	y, err := outFloat32(out, 0, m*n)
	if err != nil {
		return err
	}
	GemmReference(g.p, m, n, k, a, b, c, cs, y)
	return nil
}

// GemmReference computes y[M, N] = alpha * A' * B' + beta * C with float64
// accumulation. a and b are row-major as stored (before transposition); c
// (nil when absent) has shape cShape, broadcast to [M, N].
func GemmReference(p *GemmParams, m, n, k int, a, b, c []float32, cShape []int, y []float32) {
	// Element (i, j) of C broadcast to [M, N]: a dim of size 1 has stride 0.
	var csi, csj int
	if c != nil {
		full := append(make([]int, 2-len(cShape)), cShape...)
		for i := range full[:2-len(cShape)] {
			full[i] = 1
		}
		if full[0] != 1 {
			csi = full[1]
		}
		if full[1] != 1 {
			csj = 1
		}
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var acc float64
			for l := 0; l < k; l++ {
				ai := i*k + l // A is [M, K]
				if p.TransA {
					ai = l*m + i // A is [K, M]
				}
				bi := l*n + j // B is [K, N]
				if p.TransB {
					bi = j*k + l // B is [N, K]
				}
				acc += float64(a[ai]) * float64(b[bi])
			}
			v := float64(p.Alpha) * acc
			if c != nil {
				v += float64(p.Beta) * float64(c[i*csi+j*csj])
			}
			y[i*n+j] = float32(v)
		}
	}
}

// MatMulShape returns the output shape of MatMul with numpy semantics: a
// 1-D A is treated as [1, K] and a 1-D B as [K, 1] (the added dimension is
// removed from the result), and the batch dimensions (all but the last two)
// broadcast multidirectionally.
func MatMulShape(a, b []int) ([]int, error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, fmt.Errorf("MatMul operands must have rank >= 1, have %v and %v", a, b)
	}
	aa, bb := a, b
	if len(a) == 1 {
		aa = []int{1, a[0]}
	}
	if len(b) == 1 {
		bb = []int{b[0], 1}
	}
	if aa[len(aa)-1] != bb[len(bb)-2] {
		return nil, fmt.Errorf("MatMul inner dimensions differ: %v and %v", a, b)
	}
	batch, err := broadcast(aa[:len(aa)-2], bb[:len(bb)-2])
	if err != nil {
		return nil, fmt.Errorf("MatMul batch dimensions: %w", err)
	}
	out := append(batch, aa[len(aa)-2], bb[len(bb)-1])
	if len(a) == 1 {
		out = append(out[:len(out)-2], out[len(out)-1])
	}
	if len(b) == 1 {
		out = out[:len(out)-1]
	}
	return out, nil
}

func buildMatMul(n *onnx.Node, opset int64) (Kernel, error) {
	infer := func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 2); err != nil {
			return nil, err
		}
		if err := float32In(in[0], "A"); err != nil {
			return nil, err
		}
		if err := float32In(in[1], "B"); err != nil {
			return nil, err
		}
		s, err := MatMulShape(in[0].Shape, in[1].Shape)
		if err != nil {
			return nil, err
		}
		if err := checkOutputShape(s, true); err != nil {
			return nil, err
		}
		return one(tensor.Float32, s)
	}
	run := func(in, out []*tensor.Tensor) error {
		if _, err := infer(in); err != nil {
			return err
		}
		a, err := inFloat32(in[0], "A")
		if err != nil {
			return err
		}
		b, err := inFloat32(in[1], "B")
		if err != nil {
			return err
		}
		s, _ := MatMulShape(in[0].Shape, in[1].Shape)
		y, err := outFloat32(out, 0, sizeOf(s))
		if err != nil {
			return err
		}
		MatMulReference(a, in[0].Shape, b, in[1].Shape, y)
		return nil
	}
	return kernel{infer, run}, nil
}

// MatMulReference computes y = MatMul(a, b) for operands of the given
// shapes (checked by MatMulShape), accumulating in float64.
func MatMulReference(a []float32, aShape []int, b []float32, bShape []int, y []float32) {
	as, bs := aShape, bShape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	ab, bb := as[:len(as)-2], bs[:len(bs)-2]
	batch, _ := broadcast(ab, bb)
	// Matrix strides of A and B in the broadcast batch; 0 where a batch
	// dimension is broadcast.
	aStr := broadcastStrides(ab, batch)
	bStr := broadcastStrides(bb, batch)
	idx := make([]int, len(batch))
	for bi := 0; bi < sizeOf(batch); bi++ {
		ao, bo := 0, 0
		for d, i := range idx {
			ao += i * aStr[d]
			bo += i * bStr[d]
		}
		ao *= m * k
		bo *= k * n
		yo := bi * m * n
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var acc float64
				for l := 0; l < k; l++ {
					acc += float64(a[ao+i*k+l]) * float64(b[bo+l*n+j])
				}
				y[yo+i*n+j] = float32(acc)
			}
		}
		odometerNextIn(idx, batch)
	}
}
