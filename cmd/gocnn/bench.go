package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gocnn/gocnn"
	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/inspect"
	"github.com/gocnn/gocnn/tensor"
)

const benchUsage = "MODEL.onnx [-threads N] [-n RUNS] [-batch B] [-in [NAME=]FILE.npy ...] [-json] [-profile] [-O0] [-max-node-work N]"

// benchWarmup is the number of untimed runs before the timed ones.
const benchWarmup = 3

// benchResult is what gocnn bench -json prints.
type benchResult struct {
	Model     string            `json:"model"`
	Inputs    []benchInput      `json:"inputs"`
	Optimized bool              `json:"optimized"`
	Kernels   string            `json:"kernels"`
	Threads   int               `json:"threads"`
	Runs      int               `json:"runs"`
	Warmup    int               `json:"warmup"`
	Batch     int               `json:"batch"`
	MedianMs  float64           `json:"median_ms"`
	MinMs     float64           `json:"min_ms"`
	P90Ms     float64           `json:"p90_ms"`
	MeanMs    float64           `json:"mean_ms"`
	MaxMs     float64           `json:"max_ms"`
	ImagesPS  float64           `json:"images_per_s"`
	GFLOPs    float64           `json:"gflop_per_run"`    // 2·MACs of one run
	GFLOPS    float64           `json:"effective_gflops"` // GFLOPs / median
	Profile   []gocnn.LayerTime `json:"profile,omitempty"`
}

type benchInput struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Source string `json:"source"` // "random" or the file
}

func runBench(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	threads := fs.Int("threads", 0, "intra-op threads per run (0: GOMAXPROCS); GOMAXPROCS is raised to match if lower")
	runs := fs.Int("n", 20, "timed runs")
	batch := fs.Int("batch", 1, "size of the symbolic (batch) dimensions of random inputs")
	var ins inputFlags
	fs.Var(&ins, "in", "input `[NAME=]FILE` (.npy or .pb) instead of random data; repeat for several inputs")
	asJSON := fs.Bool("json", false, "print one JSON object")
	noOpt := fs.Bool("O0", false, "disable graph optimisation")
	maxWork := maxWorkFlag(fs)
	profile := fs.Bool("profile", false, "also print each node's median time over the runs and the time per operator type, with the kernel used")
	model, rest := splitModelArg(args)
	if err := fs.Parse(rest); err != nil {
		return fmt.Errorf("bench: %v", err)
	}
	if model == "" && fs.NArg() > 0 {
		model = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return fmt.Errorf("bench: %v", err)
		}
	}
	switch {
	case model == "" || fs.NArg() > 0:
		return errors.New("bench: usage: gocnn bench " + benchUsage)
	case *runs < 1:
		return fmt.Errorf("bench: -n %d: want at least 1 run", *runs)
	case *batch < 1:
		return fmt.Errorf("bench: -batch %d: want at least 1", *batch)
	case *threads < 0:
		return fmt.Errorf("bench: -threads %d: want 0 (leave GOMAXPROCS) or more", *threads)
	}
	if *threads > 0 {
		if runtime.GOMAXPROCS(0) < *threads {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*threads))
		}
	}
	m, err := gocnn.Load(model, &gocnn.Options{NoOptimize: *noOpt, Threads: *threads, MaxNodeWork: *maxWork})
	if err != nil {
		return err
	}
	res := &benchResult{Model: model, Optimized: !*noOpt, Kernels: asm.Default().Name,
		Threads: threadCount(*threads), Runs: *runs, Warmup: benchWarmup, Batch: *batch}
	var inputs map[string]*tensor.Tensor
	if len(ins) > 0 {
		if inputs, err = readInputs(m, ins); err != nil {
			return fmt.Errorf("bench: %v", err)
		}
		res.Batch = 0
	} else if inputs, err = randomInputs(m, *batch); err != nil {
		return fmt.Errorf("bench: %v", err)
	}
	for _, vi := range m.Inputs() {
		t := inputs[vi.Name]
		src := "random"
		if len(ins) > 0 {
			src = "file"
			if res.Batch == 0 && len(t.Shape) > 0 {
				res.Batch = t.Shape[0]
			}
		}
		res.Inputs = append(res.Inputs, benchInput{Name: vi.Name, DType: t.DType.String(), Shape: t.Shape, Source: src})
	}
	res.Batch = max(res.Batch, 1)
	ctx := context.Background()
	for range benchWarmup {
		if _, err := m.Run(ctx, inputs); err != nil {
			return err
		}
	}
	times := make([]float64, *runs)
	bar := newProgress(*runs, !*asJSON)
	for i := range times {
		start := time.Now()
		if _, err := m.Run(ctx, inputs); err != nil {
			return err
		}
		times[i] = float64(time.Since(start).Nanoseconds()) / 1e6
		bar.step(i + 1)
	}
	bar.done()
	res.summarise(times)
	shapes := map[string][]int{}
	for name, t := range inputs {
		shapes[name] = t.Shape
	}
	if r, err := inspect.Analyze(m, shapes); err == nil && res.MedianMs > 0 {
		res.GFLOPs = 2 * float64(r.MACs) / 1e9
		res.GFLOPS = res.GFLOPs / (res.MedianMs / 1e3)
	}
	if *profile {
		if res.Profile, err = m.Profile(ctx, inputs, *runs); err != nil {
			return fmt.Errorf("bench: -profile: %v", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printBench(stdout, res)
	return nil
}

// summarise fills the statistics from the run times in ms.
func (r *benchResult) summarise(times []float64) {
	s := append([]float64(nil), times...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		r.MedianMs = s[n/2]
	} else {
		r.MedianMs = (s[n/2-1] + s[n/2]) / 2
	}
	r.MinMs, r.MaxMs = s[0], s[n-1]
	r.P90Ms = s[int(math.Ceil(0.9*float64(n)))-1] // nearest rank
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	r.MeanMs = sum / float64(n)
	if r.MedianMs > 0 {
		r.ImagesPS = float64(r.Batch) * 1000 / r.MedianMs
	}
}

// randomInputs makes one tensor per model input of its declared shape, with
// symbolic dimensions set to batch: float32 inputs standard normal (fixed
// seed), others zero.
func randomInputs(m *gocnn.Model, batch int) (map[string]*tensor.Tensor, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := map[string]*tensor.Tensor{}
	for _, vi := range m.Inputs() {
		if vi.Shape == nil {
			return nil, fmt.Errorf("input %s declares no shape; give it with -in", vi.Name)
		}
		shape := make([]int, len(vi.Shape))
		for i, d := range vi.Shape {
			shape[i] = d
			if d < 0 {
				shape[i] = batch
			}
		}
		if _, err := tensor.NumElements(shape); err != nil {
			return nil, fmt.Errorf("input %s: shape %v: %v", vi.Name, shape, err)
		}
		dt := vi.DType
		if !dt.Valid() {
			dt = tensor.Float32
		}
		t := tensor.New(dt, shape...)
		for i := range t.Float32s() {
			t.Float32s()[i] = float32(rng.NormFloat64())
		}
		inputs[vi.Name] = t
	}
	return inputs, nil
}

func printBench(w io.Writer, r *benchResult) {
	graph := "optimised"
	if !r.Optimized {
		graph = "not optimised (-O0)"
	}
	fmt.Fprintf(w, "model       %s (%s)\n", r.Model, graph)
	for _, in := range r.Inputs {
		fmt.Fprintf(w, "input       %s %s%s (%s)\n", in.Name, in.DType, tensor.ShapeString(in.Shape), in.Source)
	}
	fmt.Fprintf(w, "threads     %d, kernels %s\n", r.Threads, r.Kernels)
	fmt.Fprintf(w, "runs        %d timed after %d warm-up\n", r.Runs, r.Warmup)
	fmt.Fprintf(w, "latency     median %.3f ms, min %.3f ms, p90 %.3f ms (mean %.3f, max %.3f)\n",
		r.MedianMs, r.MinMs, r.P90Ms, r.MeanMs, r.MaxMs)
	fmt.Fprintf(w, "throughput  %.1f images/s (batch %d / median)\n", r.ImagesPS, r.Batch)
	if r.GFLOPs > 0 {
		fmt.Fprintf(w, "compute     %.2f GFLOP per run (2·MACs), %.1f GFLOP/s effective at the median\n", r.GFLOPs, r.GFLOPS)
	}
	if len(r.Profile) > 0 {
		printProfile(w, r.Profile, r.Runs)
	}
}

// printProfile prints the slowest nodes and the time per operator type,
// by each node's median over the runs (means in the header: on a shared
// machine they carry the runs that were held up).
func printProfile(w io.Writer, prof []gocnn.LayerTime, runs int) {
	var total, mean time.Duration
	for _, l := range prof {
		total += l.Median
		mean += l.Time
	}
	nodes := slices.Clone(prof)
	slices.SortStableFunc(nodes, func(a, b gocnn.LayerTime) int { return cmp.Compare(b.Median, a.Median) })
	fmt.Fprintf(w, "\nprofile: median per node over %d runs, %d nodes that run, %.3f ms in nodes (means: %.3f ms)\n",
		runs, len(prof), ms(total), ms(mean))
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ms\t%\tnode\top\tkernel\t")
	for _, l := range nodes[:min(len(nodes), 25)] {
		fmt.Fprintf(tw, "%.3f\t%.1f\t%s\t%s\t%s\t\n", ms(l.Median), pct(l.Median, total), l.Name, l.OpType, l.Kernel)
	}
	tw.Flush()
	type group struct {
		key   string
		t     time.Duration
		count int
	}
	byOp := map[string]*group{}
	for _, l := range prof {
		k := l.OpType + " · " + l.Kernel
		if byOp[k] == nil {
			byOp[k] = &group{key: k}
		}
		byOp[k].t += l.Median
		byOp[k].count++
	}
	groups := slices.Collect(maps.Values(byOp))
	slices.SortFunc(groups, func(a, b *group) int { return cmp.Compare(b.t, a.t) })
	fmt.Fprintln(w, "\nby operator and kernel:")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ms\t%\tnodes\top · kernel\t")
	for _, g := range groups {
		fmt.Fprintf(tw, "%.3f\t%.1f\t%d\t%s\t\n", ms(g.t), pct(g.t, total), g.count, g.key)
	}
	tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func pct(d, total time.Duration) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(d) / float64(total)
}

// progress draws a bar on stderr for long runs, when stderr is a terminal.
type progress struct {
	n     int
	on    bool
	start time.Time
}

func newProgress(n int, allowed bool) *progress {
	st, err := os.Stderr.Stat()
	on := allowed && err == nil && st.Mode()&os.ModeCharDevice != 0
	return &progress{n: n, on: on, start: time.Now()}
}

func (p *progress) step(i int) {
	if !p.on || time.Since(p.start) < time.Second {
		return // short runs need no bar
	}
	const width = 30
	done := width * i / p.n
	fmt.Fprintf(os.Stderr, "\r[%s%s] %d/%d runs", strings.Repeat("#", done), strings.Repeat(" ", width-done), i, p.n)
}

func (p *progress) done() {
	if p.on && time.Since(p.start) >= time.Second {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
}

// threadCount is the intra-op thread count a -threads value means.
func threadCount(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}
