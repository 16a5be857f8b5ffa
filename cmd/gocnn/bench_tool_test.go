package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestBenchJSON(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	var out bytes.Buffer
	if err := dispatch([]string{"bench", "digits/model.onnx", "-n", "5", "-batch", "4", "-threads", "1", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	if runtime.GOMAXPROCS(0) != before {
		t.Errorf("GOMAXPROCS %d after bench, was %d", runtime.GOMAXPROCS(0), before)
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	for _, k := range []string{"median_ms", "min_ms", "p90_ms", "threads", "runs", "batch", "images_per_s"} {
		if _, ok := r[k]; !ok {
			t.Errorf("no %q in %s", k, out.String())
		}
	}
	if r["threads"] != 1.0 || r["runs"] != 5.0 || r["batch"] != 4.0 {
		t.Errorf("threads %v runs %v batch %v", r["threads"], r["runs"], r["batch"])
	}
	minMs, med, p90 := r["min_ms"].(float64), r["median_ms"].(float64), r["p90_ms"].(float64)
	if !(minMs > 0 && minMs <= med && med <= p90) {
		t.Errorf("min %v median %v p90 %v", minMs, med, p90)
	}
	in := r["inputs"].([]any)[0].(map[string]any)
	if s, _ := json.Marshal(in["shape"]); string(s) != "[4,1,8,8]" || in["source"] != "random" {
		t.Errorf("input %v", in)
	}
}

func TestBenchText(t *testing.T) {
	var out bytes.Buffer
	// A file input sets the batch (lenet5_input.npy has 2 images).
	if err := dispatch([]string{"bench", "../../testdata/torch/lenet5_op13.onnx", "-n", "3", "-in", "../../testdata/torch/lenet5_input.npy"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"input       input float32[2,1,32,32] (file)", "runs        3 timed after 3 warm-up",
		"latency     median ", "images/s (batch 2 / median)", "threads     "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBenchStats(t *testing.T) {
	r := &benchResult{Batch: 2}
	r.summarise([]float64{10, 2, 9, 3, 8, 4, 7, 5, 6, 1})
	if r.MedianMs != 5.5 || r.MinMs != 1 || r.P90Ms != 9 || r.MaxMs != 10 || r.MeanMs != 5.5 {
		t.Errorf("stats %+v", r)
	}
	if want := 2 * 1000 / 5.5; r.ImagesPS != want {
		t.Errorf("images/s %v, want %v", r.ImagesPS, want)
	}
	r.summarise([]float64{3, 1, 2})
	if r.MedianMs != 2 || r.P90Ms != 3 {
		t.Errorf("odd count: %+v", r)
	}
}

func TestBenchProfile(t *testing.T) {
	var out bytes.Buffer
	if err := dispatch([]string{"bench", "../../testdata/torch/tiny_resnet_op13.onnx", "-n", "3", "-threads", "1", "-profile"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"profile: median per node over 3 runs, 8 nodes that run, ", "(means: ",
		"/block1/conv1/Conv", "conv/winograd4x4t/", "by operator and kernel:", "gocnn.Conv · conv/gemm1x1/"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := dispatch([]string{"bench", "../../testdata/torch/tiny_resnet_op13.onnx", "-n", "3", "-profile", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Profile []struct {
			Name, OpType, Kernel string
			Time, Median         int64
		} `json:"profile"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if len(r.Profile) != 8 {
		t.Fatalf("%d nodes profiled, want 8:\n%s", len(r.Profile), out.String())
	}
	for _, l := range r.Profile {
		if l.Name == "" || l.Kernel == "" || l.Time <= 0 || l.Median <= 0 {
			t.Errorf("profile entry %+v", l)
		}
	}
}
