package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

const gemmSample = `# 2026-01-02 03:04 UTC; Test CPU, 2 CPUs; load average 0.1 0.1 0.1
# gocnn abc1234 + working tree, go1.26 linux/amd64
# command (from the repository root): go test ...
goos: linux
goarch: amd64
pkg: github.com/gocnn/gocnn/gemm
cpu: Test CPU
BenchmarkSgemm/isa=avx2/threads=1/M=64,N=64,K=64-2   	   100	  8445 ns/op	  50.00 %peak	  60.00 %peak-cpu	  50.00 GFLOP/s	  54.00 cpu-GFLOP/s	   1 B/op	   0 allocs/op
BenchmarkSgemm/isa=avx2/threads=1/M=64,N=64,K=64-2   	   100	  8445 ns/op	  40.00 %peak	  60.00 %peak-cpu	  40.00 GFLOP/s	  54.00 cpu-GFLOP/s	   1 B/op	   0 allocs/op
BenchmarkSgemm/isa=avx2/threads=1/M=64,N=64,K=64-2   	   100	  8445 ns/op	  60.00 %peak	  60.00 %peak-cpu	  60.00 GFLOP/s	  54.00 cpu-GFLOP/s	   1 B/op	   0 allocs/op
BenchmarkSgemm/isa=avx2/threads=1/M=64,N=3136,K=576-2	   100	  8445 ns/op	  50.00 %peak	  60.00 %peak-cpu	  99.00 GFLOP/s	  54.00 cpu-GFLOP/s
BenchmarkSgemm/isa=avx2/threads=2/M=128,N=128,K=128-2	   100	  8445 ns/op	  50.00 %peak	  60.00 %peak-cpu	 150.00 GFLOP/s	  54.00 cpu-GFLOP/s
BenchmarkSgemm/isa=gonum/threads=1/M=64,N=64,K=64-2  	   100	  8445 ns/op	  10.00 %peak	  10.00 %peak-cpu	  10.00 GFLOP/s	  10.00 cpu-GFLOP/s
BenchmarkSgemm/isa=generic/threads=1/M=64,N=64,K=64-2	   100	  8445 ns/op	  25.00 %peak	  25.00 %peak-cpu	   5.00 GFLOP/s	   5.00 cpu-GFLOP/s
BenchmarkSgemm/isa=dnnl/threads=1/M=64,N=64,K=64 	100	8000 ns/op	70 GFLOP/s
this line is not a benchmark
PASS
pkg: github.com/gocnn/gocnn/conv
BenchmarkPeak/isa=avx2-2         	    1572	    131922 ns/op	        95.38 GFLOP/s
BenchmarkPeak/isa=generic-2      	    3912	     67299 ns/op	        25.00 GFLOP/s
`

func TestReadGemm(t *testing.T) {
	f := filepath.Join(t.TempDir(), "gemm.txt")
	if err := os.WriteFile(f, []byte(gemmSample), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := readGemm(f, "GFLOP/s")
	if err != nil {
		t.Fatal(err)
	}
	if d.cpu != "Test CPU" {
		t.Errorf("cpu %q", d.cpu)
	}
	if len(d.series) != 5 {
		t.Fatalf("%d series, want avx2/1, avx2/2, gonum/1, generic/1, dnnl/1", len(d.series))
	}
	if p := d.series[4]; p.isa != "dnnl" || median(p.rates[64]) != 70 || p.label() != "oneDNN dnnl_sgemm (C library), 1 thread" {
		t.Errorf("dnnl/1: %+v %q", p, p.label())
	}
	s := d.series[0]
	if s.isa != "avx2" || s.threads != 1 || len(s.rates) != 1 || median(s.rates[64]) != 50 {
		t.Errorf("avx2/1: %+v", s)
	}
	if d.series[1].threads != 2 || median(d.series[1].rates[128]) != 150 {
		t.Errorf("avx2/2: %+v", d.series[1])
	}
	// avx2: 150 / 0.5 / 2 = 150 from the 2-thread row beats 100 and BenchmarkPeak's 95.38.
	if d.peaks["avx2"] != 150 {
		t.Errorf("avx2 peak %v (%s)", d.peaks["avx2"], d.peakFrom["avx2"])
	}
	// generic: BenchmarkPeak's 25 beats 5 / 0.25 = 20.
	if d.peaks["generic"] != 25 || d.peakFrom["generic"] != "BenchmarkPeak" {
		t.Errorf("generic peak %v (%s)", d.peaks["generic"], d.peakFrom["generic"])
	}
	if _, ok := d.peaks["gonum"]; ok {
		t.Error("gonum has a peak")
	}
	if _, ok := d.peaks["dnnl"]; ok {
		t.Error("dnnl has a peak")
	}
	if len(d.head) != 2 {
		t.Errorf("header %q", d.head)
	}
	d.setPeak(120)
	if len(d.peaks) != 1 || d.peaks["avx2"] != 120 {
		t.Errorf("after setPeak: %v", d.peaks)
	}
	if err := d.plot(filepath.Join(t.TempDir(), "gemm.png"), "note"); err != nil {
		t.Fatal(err)
	}

	dc, err := readGemm(f, "cpu-GFLOP/s")
	if err != nil {
		t.Fatal(err)
	}
	// BenchmarkPeak's 95.38 beats 54 / 0.6 = 90 from %peak-cpu.
	if got := dc.peaks["avx2"]; math.Abs(got-95.38) > 1e-9 {
		t.Errorf("cpu peak %v", got)
	}
	if got := dc.peaks["generic"]; math.Abs(got-25) > 1e-9 {
		t.Errorf("cpu generic peak %v", got)
	}
	if _, err := readGemm(f, "ns/op"); err == nil {
		t.Error("-metric ns/op accepted")
	}
}

const ortSample = `# 2026-01-02 03:04 UTC; Test CPU, 2 CPUs; load average 0.1 0.1 0.1
# gocnn abc1234 + working tree, go1.26 linux/amd64
# command (from the repository root): ROUNDS=1 bench/compare_ort.sh
# 2026-01-02 03:04 UTC, Test CPU, 2 CPUs, load average 0.1 0.1 0.1
# onnxruntime-node 1.30.0; gocnn abc1234 + working tree; 20 runs, best of 1 rounds
| model              | threads |   ort ms | gocnn ms | gocnn/ort |   ort min | gocnn min | ort load ms | gocnn load ms | rel diff |
|--------------------|:-------:|---------:|---------:|----------:|----------:|----------:|------------:|--------------:|---------:|
| squeezenet1_1      |       1 |     10.1 |     21.8 |      2.16 |       9.6 |      19.6 |          19 |             8 |   3.7e-7 |
| squeezenet1_1      |       2 |     18.3 |     18.3 |      0.97 |      14.5 |      15.8 |          26 |             7 |   3.7e-7 |
| vgg16              |       1 | failed: onnxruntime: out of memory |
| vgg16              |       2 |    465.5 |    344.9 |      0.74 |     406.3 |     281.2 |        2698 |           191 |   1.9e-6 |
`

func TestReadOrt(t *testing.T) {
	f := filepath.Join(t.TempDir(), "ort.txt")
	if err := os.WriteFile(f, []byte(ortSample), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := readOrt(f, "median")
	if err != nil {
		t.Fatal(err)
	}
	if d.cpu != "Test CPU, 2 CPUs" || d.ortVersion != "1.30.0" {
		t.Errorf("cpu %q, ort %q", d.cpu, d.ortVersion)
	}
	if len(d.models) != 2 || len(d.threads) != 2 || len(d.rows) != 3 {
		t.Errorf("models %v threads %v rows %v", d.models, d.threads, d.rows)
	}
	if r := d.rows[ortKey{"vgg16", 2}]; r.ort != 465.5 || r.gocnn != 344.9 {
		t.Errorf("vgg16/2 %+v", r)
	}
	if _, ok := d.rows[ortKey{"vgg16", 1}]; ok {
		t.Error("failed row kept")
	}
	if err := d.plot(filepath.Join(t.TempDir(), "models.png"), ""); err != nil {
		t.Fatal(err)
	}
	dm, err := readOrt(f, "min")
	if err != nil {
		t.Fatal(err)
	}
	if r := dm.rows[ortKey{"squeezenet1_1", 1}]; r.ort != 9.6 || r.gocnn != 19.6 {
		t.Errorf("min squeezenet1_1/1 %+v", r)
	}
	// The ratio under the bars: the table's, of unrounded medians (equal
	// rounded ms, 0.97), for minimums the bars'.
	if got := d.rows[ortKey{"squeezenet1_1", 2}].gocnnPerOrt(); got != 0.97 {
		t.Errorf("median squeezenet1_1/2 gocnn/ort %v, want the table's 0.97", got)
	}
	if got, want := dm.rows[ortKey{"squeezenet1_1", 2}].gocnnPerOrt(), 15.8/14.5; got != want {
		t.Errorf("min squeezenet1_1/2 gocnn/ort %v, want %v", got, want)
	}
}
