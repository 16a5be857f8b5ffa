package main

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// gemmSeries is one line of gemm.png: the square sizes measured for one
// ISA table and thread count, with every measurement of each size.
type gemmSeries struct {
	isa     string
	threads int
	rates   map[int][]float64 // size → rates
}

// gemmData is what gemm.png shows.
type gemmData struct {
	cpu    string
	metric string
	head   []string
	series []*gemmSeries
	// peaks holds each table's single-thread FMA peak (GFLOP/s) and
	// peakFrom where it came from.
	peaks    map[string]float64
	peakFrom map[string]string
}

// pctMetric is the %-of-peak metric BenchmarkSgemm reports beside each rate.
var pctMetric = map[string]string{"GFLOP/s": "%peak", "cpu-GFLOP/s": "%peak-cpu"}

// value returns the measurement with unit u as printed by the benchmark
// (benchfmt tidies some units, e.g. ns/op to sec/op).
func value(r *benchfmt.Result, u string) (float64, bool) {
	for _, v := range r.Values {
		if v.OrigUnit == u {
			return v.OrigValue, true
		}
		if v.Unit == u && v.OrigUnit == "" {
			return v.Value, true
		}
	}
	return 0, false
}

// nameKeys splits a benchmark name such as
// "Sgemm/isa=avx2/threads=1/M=64,N=64,K=64-2" into its base ("Sgemm") and
// key=value pairs; comma-separated pairs within one part are split too.
func nameKeys(n benchfmt.Name) (string, map[string]string) {
	base, parts := n.Parts()
	keys := map[string]string{}
	for _, p := range parts {
		if len(p) == 0 || p[0] != '/' {
			continue // -GOMAXPROCS
		}
		for kv := range strings.SplitSeq(string(p[1:]), ",") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				keys[k] = v
			}
		}
	}
	return strings.TrimPrefix(string(base), "Benchmark"), keys
}

// readGemm reads `go test -bench` output: BenchmarkSgemm results of square
// shapes (M=N=K) and, if present, BenchmarkPeak/isa=X results. The
// single-thread peak of a table is the highest rate measured for it:
// BenchmarkPeak's GFLOP/s, or the peak implied by a Sgemm result's rate
// and its %peak (rate / (%peak/100) / threads). Load on the machine only
// ever lowers a measured peak, hence the maximum.
func readGemm(file, metric string) (*gemmData, error) {
	pct, ok := pctMetric[metric]
	if !ok {
		return nil, fmt.Errorf("-metric %q: want GFLOP/s or cpu-GFLOP/s", metric)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	d := &gemmData{metric: metric, head: header(strings.Split(string(data), "\n")),
		peaks: map[string]float64{}, peakFrom: map[string]string{}}
	notePeak := func(isa string, g float64, from string) {
		if g > d.peaks[isa] && !math.IsInf(g, 0) && !math.IsNaN(g) {
			d.peaks[isa], d.peakFrom[isa] = g, from
		}
	}
	bySeries := map[string]*gemmSeries{}
	r := benchfmt.NewReader(bytes.NewReader(data), file)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			fmt.Fprintln(os.Stderr, "plots: skipping:", rec)
		case *benchfmt.Result:
			if c := rec.GetConfig("cpu"); c != "" && d.cpu == "" {
				d.cpu = c
			}
			base, keys := nameKeys(rec.Name)
			isa := keys["isa"]
			if isa == "" {
				continue
			}
			switch base {
			case "Peak":
				if g, ok := value(rec, "GFLOP/s"); ok {
					notePeak(isa, g, "BenchmarkPeak")
				}
			case "Sgemm":
				th, err1 := strconv.Atoi(keys["threads"])
				m, err2 := strconv.Atoi(keys["M"])
				if err1 != nil || err2 != nil || keys["N"] != keys["M"] || keys["K"] != keys["M"] {
					continue // not square
				}
				g, ok := value(rec, metric)
				if !ok {
					continue
				}
				// gonum's %peak is against the best table's probe, not its own.
				if p, ok := value(rec, pct); ok && p > 0 && isa != "gonum" {
					notePeak(isa, g/(p/100)/float64(th), "BenchmarkSgemm "+pct)
				}
				k := fmt.Sprintf("%s/%d", isa, th)
				s := bySeries[k]
				if s == nil {
					s = &gemmSeries{isa: isa, threads: th, rates: map[int][]float64{}}
					bySeries[k] = s
					d.series = append(d.series, s)
				}
				s.rates[m] = append(s.rates[m], g)
			}
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if len(d.series) == 0 {
		return nil, fmt.Errorf("%s: no square BenchmarkSgemm results with %s", file, metric)
	}
	return d, nil
}

// setPeak replaces the measured peaks with the -peak flag: p for the table
// with the highest measured peak (the first series' table if none).
func (d *gemmData) setPeak(p float64) {
	best := d.bestISA()
	if best == "" {
		best = d.series[0].isa
	}
	d.peaks = map[string]float64{best: p}
	d.peakFrom = map[string]string{best: "-peak flag"}
}

func (d *gemmData) bestISA() string {
	best := ""
	for isa, p := range d.peaks {
		if best == "" || p > d.peaks[best] || p == d.peaks[best] && isa < best {
			best = isa
		}
	}
	return best
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func (s *gemmSeries) sizes() []int {
	var z []int
	for m := range s.rates {
		z = append(z, m)
	}
	slices.Sort(z)
	return z
}

func (s *gemmSeries) label() string {
	t := "threads"
	if s.threads == 1 {
		t = "thread"
	}
	name := "gocnn " + s.isa
	if s.isa == "gonum" {
		name = "gonum Sgemm (reference)"
	}
	if p, ok := peers[s.isa]; ok {
		name = p
	}
	return fmt.Sprintf("%s, %d %s", name, s.threads, t)
}

// peers names the C libraries' series (bench/peer/sgemm.c's isa= keys,
// which bench/compare_blas.sh and regen.sh's PEERS produce).
var peers = map[string]string{
	"dnnl":     "oneDNN dnnl_sgemm (C library)",
	"openblas": "OpenBLAS cblas_sgemm (C library)",
	"blis":     "BLIS cblas_sgemm (C library)",
}

// palette: distinguishable on white and in greyscale-ish print.
var palette = []color.Color{
	color.RGBA{0x1f, 0x4e, 0x9c, 0xff}, // blue
	color.RGBA{0xd6, 0x5f, 0x00, 0xff}, // orange
	color.RGBA{0x2a, 0x8c, 0x3a, 0xff}, // green
	color.RGBA{0x8e, 0x24, 0x8c, 0xff}, // purple
	color.RGBA{0x9c, 0x1f, 0x1f, 0xff}, // red
	color.RGBA{0x55, 0x55, 0x55, 0xff}, // grey
	color.RGBA{0x00, 0x8b, 0x8b, 0xff}, // teal
	color.RGBA{0x8b, 0x5a, 0x2b, 0xff}, // brown
}

func (d *gemmData) plot(file, note string) error {
	p := plot.New()
	title := "SGEMM, square M = N = K (float32, row-major)"
	if d.cpu != "" {
		title += " — " + d.cpu
	}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = "matrix size M = N = K (log scale)"
	what := "wall clock"
	if d.metric != "GFLOP/s" {
		what = "per CPU-second"
	}
	p.Y.Label.Text = fmt.Sprintf("GFLOP/s (%s; higher is better)", what)
	styleAxes(p)
	p.X.Scale = plot.LogScale{}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.Padding = vg.Points(3)
	p.Add(plotter.NewGrid())

	var sizes []int
	isaColor := map[string]color.Color{}
	ymax := 0.0
	for i, s := range d.series {
		var xys plotter.XYs
		for _, m := range s.sizes() {
			g := median(s.rates[m])
			xys = append(xys, plotter.XY{X: float64(m), Y: g})
			ymax = max(ymax, g)
			if !slices.Contains(sizes, m) {
				sizes = append(sizes, m)
			}
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		c := palette[i%len(palette)]
		if _, ok := isaColor[s.isa]; !ok {
			isaColor[s.isa] = c
		}
		l.Color, l.Width = c, vg.Points(2)
		if s.threads > 1 {
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		pts.Color, pts.Shape, pts.Radius = c, draw.CircleGlyph{}, vg.Points(3)
		if _, ok := peers[s.isa]; ok {
			pts.Shape = draw.SquareGlyph{} // (the C libraries)
		}
		p.Add(l, pts)
		p.Legend.Add(s.label(), l, pts)
	}
	slices.Sort(sizes)
	var ticks plot.ConstantTicks
	for _, m := range sizes {
		ticks = append(ticks, plot.Tick{Value: float64(m), Label: strconv.Itoa(m)})
	}
	p.X.Tick.Marker = ticks
	p.X.Min, p.X.Max = float64(sizes[0])/1.25, float64(sizes[len(sizes)-1])*1.25

	// Peak lines, highest first, for the tables that have a series.
	isas := make([]string, 0, len(d.peaks))
	for isa := range d.peaks {
		isas = append(isas, isa)
	}
	slices.SortFunc(isas, func(a, b string) int {
		if d.peaks[a] != d.peaks[b] {
			if d.peaks[a] > d.peaks[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	entries := len(d.series) // legend lines
	for _, isa := range isas {
		c, ok := isaColor[isa]
		if !ok {
			continue
		}
		entries++
		pk := d.peaks[isa]
		l, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: pk}, {X: p.X.Max, Y: pk}})
		if err != nil {
			return err
		}
		l.Color, l.Width = c, vg.Points(1.2)
		l.Dashes = []vg.Length{vg.Points(2), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s FMA peak, 1 thread: %.1f GFLOP/s", isa, pk), l)
		ymax = max(ymax, pk)
	}
	// Headroom for the legend (top left) above the lines.
	p.Y.Min, p.Y.Max = 0, niceCeil(ymax*(1+0.06*float64(entries)))

	foot := append([]string{}, d.head...)
	foot = append(foot, fmt.Sprintf("Each point: median %s of the runs of that size; peak: highest single-thread FMA probe rate in the input (%s).",
		d.metric, strings.Join(peakSources(d), ", ")))
	if note != "" {
		foot = append(foot, note)
	}
	return render(file, 11*vg.Inch, 6.5*vg.Inch, []*plot.Plot{p}, foot)
}

func peakSources(d *gemmData) []string {
	var s []string
	for isa, from := range d.peakFrom {
		s = append(s, isa+" from "+from)
	}
	slices.Sort(s)
	return s
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, or to a
// multiple of a tenth of that when it is much closer.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	return math.Ceil(v/e*5) / 5 * e
}

func (d *gemmData) summary(w io.Writer) {
	for _, s := range d.series {
		fmt.Fprintf(w, "  %-30s", s.label())
		for _, m := range s.sizes() {
			fmt.Fprintf(w, " %d: %.1f", m, median(s.rates[m]))
		}
		fmt.Fprintln(w, " "+d.metric)
	}
	for _, isa := range slices.Sorted(maps.Keys(d.peaks)) {
		fmt.Fprintf(w, "  %s single-thread FMA peak %.1f GFLOP/s (%s)\n", isa, d.peaks[isa], d.peakFrom[isa])
	}
}
