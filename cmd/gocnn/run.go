package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gocnn/gocnn"
	"github.com/gocnn/gocnn/tensor"
)

// inputFlags collects repeated -in values: FILE or NAME=FILE.
type inputFlags []string

func (f *inputFlags) String() string     { return strings.Join(*f, ",") }
func (f *inputFlags) Set(v string) error { *f = append(*f, v); return nil }

func runRun(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var ins inputFlags
	fs.Var(&ins, "in", "input `[NAME=]FILE` (.npy or .pb); repeat for several inputs")
	outDir := fs.String("out", ".", "folder for the outputs, one NAME.npy each")
	noOpt := fs.Bool("O0", false, "disable graph optimisation")
	maxWork := maxWorkFlag(fs)
	model, rest := splitModelArg(args)
	if err := fs.Parse(rest); err != nil {
		return fmt.Errorf("run: %v", err)
	}
	if model == "" {
		if fs.NArg() == 0 {
			return errors.New("run: usage: gocnn run MODEL.onnx -in [NAME=]FILE ... [-out DIR]")
		}
		model = fs.Arg(0)
	}
	m, err := gocnn.Load(model, &gocnn.Options{NoOptimize: *noOpt, MaxNodeWork: *maxWork})
	if err != nil {
		return err
	}
	inputs, err := readInputs(m, ins)
	if err != nil {
		return err
	}
	start := time.Now()
	outs, err := m.Run(context.Background(), inputs)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	for _, vi := range m.Outputs() {
		t := outs[vi.Name]
		path := filepath.Join(*outDir, safeFileName(vi.Name)+".npy")
		if err := tensor.SaveNpy(path, t); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\t%v\t-> %s\n", vi.Name, t, path)
	}
	fmt.Fprintf(stdout, "run time: %.3f ms\n", float64(elapsed.Microseconds())/1000)
	return nil
}

// splitModelArg lets the model path come before the flags, as in
// "gocnn run model.onnx -in x.npy".
func splitModelArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// readInputs maps -in values to the model's inputs: NAME=FILE by name, a
// bare FILE to the inputs in order.
func readInputs(m *gocnn.Model, ins []string) (map[string]*tensor.Tensor, error) {
	inputs := map[string]*tensor.Tensor{}
	next := 0
	for _, v := range ins {
		name, file, named := strings.Cut(v, "=")
		if !named {
			file = v
			if next >= len(m.Inputs()) {
				return nil, fmt.Errorf("more -in files than the model's %d inputs", len(m.Inputs()))
			}
			name = m.Inputs()[next].Name
			next++
		}
		t, err := gocnn.LoadInput(file)
		if err != nil {
			return nil, err
		}
		inputs[name] = t
	}
	if len(inputs) < len(m.Inputs()) {
		var missing []string
		for _, vi := range m.Inputs() {
			if inputs[vi.Name] == nil {
				missing = append(missing, vi.String())
			}
		}
		sort.Strings(missing)
		return nil, fmt.Errorf("no -in given for %s", strings.Join(missing, "; "))
	}
	return inputs, nil
}

// safeFileName keeps output names from escaping the output folder.
func safeFileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, name)
}

// maxWorkFlag registers -max-node-work, the model's Options.MaxNodeWork:
// a node whose multiply-adds in a run would pass it fails the run with an
// error naming it (0: the library's default, gocnn.DefaultMaxNodeWork;
// negative: no cap).
func maxWorkFlag(fs *flag.FlagSet) *int64 {
	return fs.Int64("max-node-work", 0, "cap on one node's multiply-adds in a run (0: the default, 2^40; < 0: none)")
}
