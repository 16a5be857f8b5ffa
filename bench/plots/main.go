// Command plots draws gocnn's benchmark charts as PNG files:
//
//	go run . -gemm gemm.txt -ort ort.txt -out ../../docs/charts
//
// gemm.png: GFLOP/s of square SGEMMs against their size, one line per ISA
// table and thread count in the `go test -bench BenchmarkSgemm` output,
// with the measured single-thread FMA peak of each table as a dashed line.
//
// models.png: per-model latency of gocnn beside onnxruntime, one panel per
// thread count, from the table bench/compare_ort.sh prints.
//
// It lives in its own module so that gonum/plot never becomes a dependency
// of gocnn. See README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	gemmIn := flag.String("gemm", "", "`file` with `go test -bench BenchmarkSgemm` output (optionally BenchmarkPeak too)")
	ortIn := flag.String("ort", "", "`file` with the table printed by bench/compare_ort.sh")
	out := flag.String("out", ".", "output `folder` for gemm.png and models.png")
	peak := flag.Float64("peak", 0, "single-thread FMA peak in GFLOP/s to draw for the best table instead of the peaks measured in the input (0: measured)")
	metric := flag.String("metric", "GFLOP/s", "GEMM rate to plot: GFLOP/s (wall clock) or cpu-GFLOP/s (per CPU-second)")
	stat := flag.String("stat", "median", "model latency to plot: median or min (the table's \"ms\" or \"min\" columns)")
	note := flag.String("note", "", "extra footnote line for both charts, e.g. about machine load")
	flag.Parse()
	if *gemmIn == "" && *ortIn == "" {
		fmt.Fprintln(os.Stderr, "plots: nothing to do; give -gemm and/or -ort")
		flag.Usage()
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fatal(err)
	}
	if *gemmIn != "" {
		d, err := readGemm(*gemmIn, *metric)
		if err != nil {
			fatal(err)
		}
		if *peak > 0 {
			d.setPeak(*peak)
		}
		f := filepath.Join(*out, "gemm.png")
		if err := d.plot(f, *note); err != nil {
			fatal(err)
		}
		fmt.Println("wrote", f)
		d.summary(os.Stdout)
	}
	if *ortIn != "" {
		if *stat != "median" && *stat != "min" {
			fatal(fmt.Errorf("-stat %q: want median or min", *stat))
		}
		d, err := readOrt(*ortIn, *stat)
		if err != nil {
			fatal(err)
		}
		f := filepath.Join(*out, "models.png")
		if err := d.plot(f, *note); err != nil {
			fatal(err)
		}
		fmt.Println("wrote", f)
		d.summary(os.Stdout)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "plots:", err)
	os.Exit(1)
}

// header returns the comment lines ("# ...") of an input file that the
// footnote shows: the first one (date, CPU, load) and those naming versions.
func header(lines []string) []string {
	var h []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "#") {
			continue
		}
		t := strings.TrimSpace(strings.TrimPrefix(l, "#"))
		if len(h) == 0 || strings.HasPrefix(t, "gocnn ") || strings.HasPrefix(t, "onnxruntime-node ") {
			h = append(h, t)
		}
	}
	return h
}
