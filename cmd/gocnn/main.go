// Command gocnn runs ONNX convolutional networks with the gocnn library.
//
// Usage:
//
//	gocnn demo                        classify the embedded digits test set
//	gocnn run MODEL.onnx -in X.npy    run a model, write its outputs as .npy
//
// Run "gocnn help" for every command.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

type command struct {
	name, args, summary string
	run                 func(args []string, stdout io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"demo", "", "classify the embedded 8×8 digits test set and show a few", runDemo},
		{"run", "MODEL.onnx -in [NAME=]FILE ... [-out DIR] [-O0] [-max-node-work N]", "run a model on .npy/.pb inputs, write outputs as .npy", runRun},
		{"inspect", inspectUsage, "per-layer shapes, parameters, MACs, receptive fields and kernels; totals", runInspect},
		{"cpu", cpuUsage, "CPU features and caches, the kernel table picked and what GOCNN_ISA would pick", runCPU},
		{"bench", benchUsage, "time a model on random input: median/min/p90 latency, images/s, intra-op threads", runBench},
		{"classify", classifyUsage, "decode and preprocess images (PNG/JPEG/GIF/WebP/BMP), run one batch, print the top-k classes", runClassify},
	}
}

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		args = []string{"demo"}
	}
	if err := dispatch(args, os.Stdout); err != nil {
		// The library's errors already start with "gocnn: ".
		fmt.Fprintln(os.Stderr, "gocnn: "+strings.TrimPrefix(err.Error(), "gocnn: "))
		os.Exit(1)
	}
}

func dispatch(args []string, stdout io.Writer) error {
	name := args[0]
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(args[1:], stdout)
		}
	}
	return fmt.Errorf("unknown command %q (try: gocnn help)", name)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "gocnn: run ONNX convolutional networks in pure Go")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  gocnn %s %s\n      %s\n", c.name, c.args, c.summary)
	}
}
