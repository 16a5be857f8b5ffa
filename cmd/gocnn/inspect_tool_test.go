package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/cmd/gocnn/digits"
)

const tinyResNet = "../../testdata/torch/tiny_resnet_op13.onnx"

// tinyResNetMACs is counted by hand from testdata/torch/export.py: stem
// 3→16, two 16→16 convs at 32², 16→32 stride 2 and 32→32 at 16² (3×3), a
// 1×1 16→32 shortcut at 16², FC 32→10.
const tinyResNetMACs = 16*32*32*3*9 + 2*16*32*32*16*9 + 32*16*16*16*9 + 32*16*16*32*9 + 32*16*16*16 + 32*10

func TestInspectTable(t *testing.T) {
	var out bytes.Buffer
	if err := dispatch([]string{"inspect", tinyResNet}, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"optimised graph, 9 nodes",
		"input input float32[1,3,32,32]",
		"/block2/shortcut/shortcut.0/Conv  gocnn.Conv",
		"MACs         8831296 (8.83 M, batch 1)",
		"parameters   19850",
		"weights      ",
		"arena        ",
		" scratch; planned memory of one run",
		"an upper bound",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	// The GAP row: output, params, MACs, jump 2, field 43, start 15.
	if !regexpLine(s, "GlobalAveragePool", []string{"1x32x1x1", "0", "0", "2", "43", "15"}) {
		t.Errorf("GAP row wrong:\n%s", s)
	}
	out.Reset()
	if err := dispatch([]string{"inspect", "-O0", tinyResNet}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "graph as loaded (-O0), 16 nodes") || !strings.Contains(out.String(), "/block1/Add") {
		t.Errorf("-O0 output:\n%s", out.String())
	}
}

// regexpLine reports whether a line containing key has the fields want in
// order right after it.
func regexpLine(s, key string, want []string) bool {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		for i := range f {
			if f[i] == key && len(f) >= i+1+len(want) && strings.Join(f[i+1:i+1+len(want)], " ") == strings.Join(want, " ") {
				return true
			}
		}
	}
	return false
}

type inspectJSON struct {
	Model     string `json:"model"`
	Optimized bool   `json:"optimized"`
	Inputs    []struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
	} `json:"inputs"`
	Layers []struct {
		Name   string `json:"name"`
		Op     string `json:"op"`
		Kernel string `json:"kernel"`
		Output []int  `json:"output_shape"`
		Params int64  `json:"params"`
		MACs   int64  `json:"macs"`
		Field  []struct {
			Jump  int     `json:"jump"`
			Size  int     `json:"size"`
			Start float64 `json:"start"`
		} `json:"receptive_field"`
	} `json:"layers"`
	Params          int64 `json:"params"`
	MACs            int64 `json:"macs"`
	WeightBytes     int64 `json:"weight_bytes"`
	ActivationBytes int64 `json:"activation_bytes"`
}

func inspectAsJSON(t *testing.T, args ...string) inspectJSON {
	t.Helper()
	var out bytes.Buffer
	if err := dispatch(append([]string{"inspect"}, args...), &out); err != nil {
		t.Fatal(err)
	}
	var r inspectJSON
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	return r
}

func TestInspectJSON(t *testing.T) {
	r := inspectAsJSON(t, tinyResNet, "-json")
	if !r.Optimized || len(r.Layers) != 9 || r.MACs != tinyResNetMACs || r.Params != 19850 || r.WeightBytes <= 0 {
		t.Errorf("report: optimized %v, %d layers, MACs %d, params %d, weight bytes %d",
			r.Optimized, len(r.Layers), r.MACs, r.Params, r.WeightBytes)
	}
	// Activation bytes: float32 outputs of 5 convs at 16×32², 3 at 32×16²,
	// GAP 32, Flatten 32, Gemm 10.
	if want := int64(4 * (3*16*32*32 + 3*32*16*16 + 32 + 32 + 10)); r.ActivationBytes != want {
		t.Errorf("activation bytes %d, want %d", r.ActivationBytes, want)
	}
	gap := r.Layers[6]
	if gap.Op != "GlobalAveragePool" || len(gap.Field) != 2 || gap.Field[0].Size != 43 || gap.Field[0].Jump != 2 {
		t.Errorf("GAP layer %+v", gap)
	}
	if r.Layers[8].Field != nil || r.Layers[8].MACs != 320 || r.Layers[8].Kernel == "" {
		t.Errorf("Gemm layer %+v", r.Layers[8])
	}

	// -input scales every conv's MACs by the pixel count; the FC stays.
	big := inspectAsJSON(t, tinyResNet, "-json", "-input", "64x48")
	if got := big.Inputs[0].Shape; len(got) != 4 || got[2] != 64 || got[3] != 48 {
		t.Errorf("-input 64x48: input shape %v", got)
	}
	if want := int64((tinyResNetMACs-320)*64*48/(32*32) + 320); big.MACs != want {
		t.Errorf("-input 64x48: MACs %d, want %d", big.MACs, want)
	}
	if f := big.Layers[6].Field; f[0].Size != 13+31*2 || f[1].Size != 13+23*2 {
		t.Errorf("-input 64x48: GAP field %+v", f)
	}
	if o0 := inspectAsJSON(t, tinyResNet, "-json", "-O0"); o0.Optimized || len(o0.Layers) != 16 || o0.MACs != tinyResNetMACs {
		t.Errorf("-O0: optimized %v, %d layers, MACs %d", o0.Optimized, len(o0.Layers), o0.MACs)
	}
}

// TestToolErrors checks that every failure of the new commands is one
// line naming the problem.
func TestToolErrors(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "digits.onnx")
	os.WriteFile(model, digits.Model, 0o644)
	garbage := filepath.Join(dir, "garbage.onnx")
	os.WriteFile(garbage, []byte("garbage"), 0o644)
	missing := filepath.Join(dir, "none.onnx")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect"}, "usage: gocnn inspect MODEL.onnx"},
		{[]string{"inspect", missing}, "none.onnx"},
		{[]string{"inspect", garbage}, "invalid model"},
		{[]string{"inspect", model, "-input", "abc"}, `-input "abc": want HxW`},
		{[]string{"inspect", model, "-input", "0x8"}, "want HxW with positive sizes"},
		{[]string{"inspect", model, "-input", "16"}, "want HxW"},
		{[]string{"inspect", model, "-input", "16x16"}, "inspect: -input 16x16: gocnn: Gemm node"},
		{[]string{"inspect", model, "-frobnicate"}, "flag provided but not defined"},
		{[]string{"inspect", model, "extra"}, "usage"},
		{[]string{"bench"}, "usage: gocnn bench MODEL.onnx"},
		{[]string{"bench", missing}, "none.onnx"},
		{[]string{"bench", garbage}, "invalid model"},
		{[]string{"bench", model, "-n", "0"}, "-n 0: want at least 1 run"},
		{[]string{"bench", model, "-batch", "0"}, "-batch 0"},
		{[]string{"bench", model, "-threads", "-1"}, "-threads -1"},
		{[]string{"bench", model, "-n", "x"}, "invalid value"},
		{[]string{"bench", model, "-in", filepath.Join(dir, "none.npy")}, "none.npy"},
		{[]string{"cpu", "extra"}, "usage: gocnn cpu"},
		{[]string{"cpu", "-x"}, "flag provided but not defined"},
	} {
		err := dispatch(c.args, &bytes.Buffer{})
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one line containing %q", c.args, err, c.want)
		}
	}
}
