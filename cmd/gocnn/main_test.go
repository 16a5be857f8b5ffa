package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/gocnn"
	"github.com/gocnn/gocnn/cmd/gocnn/digits"
	"github.com/gocnn/gocnn/internal/testutil"
	"github.com/gocnn/gocnn/tensor"
)

func TestDemo(t *testing.T) {
	var out bytes.Buffer
	acc, err := demo(&out, 4)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.95 {
		t.Errorf("accuracy %.4f < 0.95", acc)
	}
	if !strings.Contains(out.String(), "accuracy") || strings.Count(out.String(), "\n") < 9 {
		t.Errorf("demo output:\n%s", out.String())
	}
}

// TestDigitsMatchTorch compares the embedded model's logits with torch's.
func TestDigitsMatchTorch(t *testing.T) {
	m, err := gocnn.Decode(digits.Model, nil)
	if err != nil {
		t.Fatal(err)
	}
	images, _, want, err := digits.TestSet()
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"image": images})
	if err != nil {
		t.Fatal(err)
	}
	if e := testutil.MaxRelErr(out["logits"].Float32s(), want.Float32s()); e > 1e-4 {
		t.Errorf("max error %.3g × max|logit|", e)
	}
}

// TestRunCommand runs "gocnn run" on every committed PyTorch export and
// compares the written .npy with torch's output.
func TestRunCommand(t *testing.T) {
	models, _ := filepath.Glob("../../testdata/torch/*.onnx")
	if len(models) == 0 {
		t.Fatal("no models in testdata/torch")
	}
	for _, model := range models {
		t.Run(filepath.Base(model), func(t *testing.T) {
			base := filepath.Base(model)
			stem := filepath.Join(filepath.Dir(model), base[:strings.LastIndex(base, "_op")])
			dir := t.TempDir()
			var stdout bytes.Buffer
			if err := dispatch([]string{"run", model, "-in", stem + "_input.npy", "-out", dir}, &stdout); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stdout.String(), "run time:") {
				t.Errorf("stdout: %q", stdout.String())
			}
			got, err := tensor.LoadNpy(filepath.Join(dir, "output.npy"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := tensor.LoadNpy(stem + "_output.npy")
			if err != nil {
				t.Fatal(err)
			}
			if e := testutil.MaxRelErr(got.Float32s(), want.Float32s()); e > 1e-4 || !tensor.SameShape(got.Shape, want.Shape) {
				t.Errorf("%v: max error %.3g × max|output|", got, e)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "digits.onnx")
	os.WriteFile(model, digits.Model, 0o644)
	bad := filepath.Join(dir, "bad.npy")
	tensor.SaveNpy(bad, tensor.FromFloat32([]int{1, 1, 9, 9}, make([]float32, 81)))
	good := filepath.Join(dir, "good.npy")
	tensor.SaveNpy(good, tensor.FromFloat32([]int{1, 1, 8, 8}, make([]float32, 64)))
	garbage := filepath.Join(dir, "garbage.onnx")
	os.WriteFile(garbage, []byte("garbage"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "usage"},
		{[]string{"run", filepath.Join(dir, "none.onnx"), "-in", bad}, "none.onnx"},
		{[]string{"run", garbage, "-in", bad}, "invalid model"},
		{[]string{"run", model}, "no -in given for image"},
		{[]string{"run", model, "-in", bad}, "shape [1,1,9,9], the model wants image float32[N,1,8,8]"},
		{[]string{"run", model, "-in", filepath.Join(dir, "none.npy")}, "none.npy"},
		{[]string{"run", model, "-in", good, "-max-node-work", "100"}, "past the limit of 100"},
		{[]string{"bench", model, "-n", "1", "-max-node-work", "100"}, "past the limit of 100"},
		{[]string{"frobnicate"}, "unknown command"},
	} {
		err := dispatch(c.args, &bytes.Buffer{})
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one line containing %q", c.args, err, c.want)
		}
	}
}
