package pool

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/ops"
	"github.com/gocnn/gocnn/tensor"
)

// TestTables runs pooling, activations and batch norm with every kernel
// table the CPU supports (Options.Kernels) against the reference kernels:
// max pooling exactly (NaN inputs are skipped), the rest within the
// tolerances of the default-table tests.
func TestTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tab := range asm.Tables() {
		opts := Options{Threads: 1, Kernels: tab}
		for i, pc := range poolCases {
			x := randT(rng, pc.shape...)
			if i%2 == 0 {
				d := x.Float32s()
				d[0], d[len(d)/3], d[len(d)-1] = float32(math.NaN()), float32(math.NaN()), float32(math.NaN())
			}
			in := []*tensor.Tensor{x}
			for _, op := range []string{"MaxPool", "AveragePool"} {
				if op == "MaxPool" && pc.countPad {
					continue
				}
				node := pc.node(op)
				p, err := ops.ParsePoolParams(node)
				if err != nil {
					t.Fatal(err)
				}
				k, tol := (*Pool)(nil), 1e-6
				if op == "MaxPool" {
					k, tol = must(NewMax(p, opts)), 0
				} else {
					k = must(NewAverage(p, opts))
				}
				compare(t, tab.Name+" "+op+" "+pc.String(), runFast(t, k, in), runRef(t, node, in), tol)
			}
		}
		x := randT(rng, 2, 3, 17, 9)
		for _, a := range acts {
			k := must(NewActivation(a.act, opts))
			got := runFast(t, k, []*tensor.Tensor{x})
			want := tensor.New(tensor.Float32, x.Shape...)
			for i, v := range x.Float32s() {
				want.Float32s()[i] = float32(refAct(a.act, float64(v)))
			}
			compare(t, tab.Name+" activation", got, want, 1e-6)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
