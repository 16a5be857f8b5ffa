package gocnn

import (
	"context"
	"testing"

	"github.com/gocnn/gocnn/cmd/gocnn/digits"
	"github.com/gocnn/gocnn/tensor"
)

func TestRunIntoAllocs(t *testing.T) {
	m, err := Decode(digits.Model, nil)
	if err != nil {
		t.Fatal(err)
	}
	images, _, want, err := digits.TestSet()
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]*tensor.Tensor{"image": images}
	out := map[string]*tensor.Tensor{"logits": tensor.New(tensor.Float32, want.Shape...)}
	ctx := context.Background()
	if err := m.RunInto(ctx, in, out); err != nil { // makes the plan
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(5, func() {
		if err := m.RunInto(ctx, in, out); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%v allocations per run; kernels: %v", allocs, kernelNames(m))
	if allocs != 0 {
		t.Errorf("steady-state RunInto allocates %v times per run", allocs)
	}
}

func kernelNames(m *Model) []string {
	var names []string
	for _, n := range m.nodes {
		names = append(names, n.src.OpType+":"+kernelName(n.kernel))
	}
	return names
}
