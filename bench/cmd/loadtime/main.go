// Command loadtime times gocnn.Load of ONNX files (reading, decoding,
// optimisation and kernel set-up), the counterpart of onnxruntime's session
// creation in bench/compare_ort.sh.
//
//	go run ./bench/cmd/loadtime [-n LOADS] [-threads N] MODEL.onnx ...
//
// It prints one JSON object per model: the median and min of LOADS loads.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/gocnn/gocnn"
)

type result struct {
	Model    string    `json:"model"`
	Threads  int       `json:"threads"`
	LoadMs   float64   `json:"load_ms"` // median
	MinMs    float64   `json:"min_ms"`
	LoadsMs  []float64 `json:"loads_ms"`
	WeightMB float64   `json:"weight_mb"`
}

func main() {
	n := flag.Int("n", 3, "loads per model")
	threads := flag.Int("threads", 0, "Options.Threads and GOMAXPROCS (0: leave)")
	flag.Parse()
	if flag.NArg() == 0 || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: loadtime [-n LOADS] [-threads N] MODEL.onnx ...")
		os.Exit(2)
	}
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, path := range flag.Args() {
		r := result{Model: path, Threads: runtime.GOMAXPROCS(0)}
		for range *n {
			runtime.GC()
			start := time.Now()
			m, err := gocnn.Load(path, &gocnn.Options{Threads: *threads})
			if err != nil {
				fmt.Fprintln(os.Stderr, "loadtime:", err)
				os.Exit(1)
			}
			r.LoadsMs = append(r.LoadsMs, float64(time.Since(start).Microseconds())/1e3)
			r.WeightMB = float64(m.WeightBytes()) / 1e6
		}
		s := slices.Sorted(slices.Values(r.LoadsMs))
		r.MinMs, r.LoadMs = s[0], s[len(s)/2]
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, "loadtime:", err)
			os.Exit(1)
		}
	}
}
