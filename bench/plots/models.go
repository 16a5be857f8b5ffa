package main

import (
	"bufio"
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ortRow is one row of compare_ort.sh's table: latencies in ms, and the
// table's gocnn/ort of the unrounded medians (0 when not read).
type ortRow struct {
	ort, gocnn float64
	ratio      float64
}

// gocnnPerOrt is the row's gocnn/ort: the table's when it has one, else the
// bars' (the ms columns are rounded to 0.1 ms: SqueezeNet's 2.0 and 2.0 ms
// on two threads were a ratio of 0.97).
func (r ortRow) gocnnPerOrt() float64 {
	if r.ratio > 0 {
		return r.ratio
	}
	return r.gocnn / r.ort
}

type ortKey struct {
	model   string
	threads int
}

// ortData is what models.png shows.
type ortData struct {
	cpu, ortVersion string
	stat            string // "median" or "min"
	head            []string
	models          []string // in table order
	threads         []int    // sorted
	rows            map[ortKey]ortRow
}

var (
	cpuRe = regexp.MustCompile(`UTC[,;] (.+?), (\d+) CPUs`)
	ortRe = regexp.MustCompile(`onnxruntime-node ([^;,\s]+)`)
)

// readOrt reads the Markdown table bench/compare_ort.sh prints (columns
// found by their header names, so reordering or adding columns is fine;
// "failed" rows are reported and skipped) and its "#" comment lines.
func readOrt(file, stat string) (*ortData, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	ortCol, gocnnCol := "ort ms", "gocnn ms"
	if stat == "min" {
		ortCol, gocnnCol = "ort min", "gocnn min"
	}
	d := &ortData{stat: stat, rows: map[ortKey]ortRow{}}
	var lines []string
	var col map[string]int
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		lines = append(lines, line)
		if strings.HasPrefix(line, "#") {
			if m := cpuRe.FindStringSubmatch(line); m != nil && d.cpu == "" {
				d.cpu = m[1] + ", " + m[2] + " CPUs"
			}
			if m := ortRe.FindStringSubmatch(line); m != nil && d.ortVersion == "" {
				d.ortVersion = m[1]
			}
			continue
		}
		if !strings.HasPrefix(line, "|") {
			continue
		}
		var cells []string
		for c := range strings.SplitSeq(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		if strings.Trim(strings.Join(cells, ""), "-: ") == "" {
			continue // separator row
		}
		if col == nil || cells[0] == "model" {
			col = map[string]int{}
			for i, c := range cells {
				col[c] = i
			}
			for _, need := range []string{"model", "threads", ortCol, gocnnCol} {
				if _, ok := col[need]; !ok {
					return nil, fmt.Errorf("%s:%d: table header has no %q column", file, n, need)
				}
			}
			continue
		}
		get := func(name string) string {
			if i := col[name]; i < len(cells) {
				return cells[i]
			}
			return ""
		}
		model := get("model")
		th, err := strconv.Atoi(get("threads"))
		if err != nil {
			fmt.Fprintf(os.Stderr, "plots: %s:%d: skipping row: threads %q\n", file, n, get("threads"))
			continue
		}
		o, err1 := strconv.ParseFloat(get(ortCol), 64)
		g, err2 := strconv.ParseFloat(get(gocnnCol), 64)
		if err1 != nil || err2 != nil || o <= 0 || g <= 0 {
			fmt.Fprintf(os.Stderr, "plots: %s:%d: skipping %s threads %d: %s\n", file, n, model, th, strings.Join(cells[2:], " | "))
			continue
		}
		k := ortKey{model, th}
		if _, dup := d.rows[k]; dup {
			fmt.Fprintf(os.Stderr, "plots: %s:%d: %s threads %d again; keeping the later row\n", file, n, model, th)
		}
		row := ortRow{ort: o, gocnn: g}
		if stat != "min" {
			row.ratio, _ = strconv.ParseFloat(get("gocnn/ort"), 64)
		}
		d.rows[k] = row
		if !slices.Contains(d.models, model) {
			d.models = append(d.models, model)
		}
		if !slices.Contains(d.threads, th) {
			d.threads = append(d.threads, th)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(d.rows) == 0 {
		return nil, fmt.Errorf("%s: no compare_ort.sh table rows with %s and %s", file, ortCol, gocnnCol)
	}
	slices.Sort(d.threads)
	d.head = header(lines)
	return d, nil
}

var (
	ortColor   = color.RGBA{0x9a, 0x9a, 0x9a, 0xff}
	gocnnColor = color.RGBA{0x1f, 0x4e, 0x9c, 0xff}
)

func (d *ortData) plot(file, note string) error {
	ortName := "onnxruntime"
	if d.ortVersion != "" {
		ortName += " " + d.ortVersion
	}
	// One value range for all panels, so their bars compare by eye.
	lo, hi := math.Inf(1), 0.0
	for _, r := range d.rows {
		lo, hi = min(lo, r.ort, r.gocnn), max(hi, r.ort, r.gocnn)
	}
	var plots []*plot.Plot
	for i, th := range d.threads {
		p := plot.New()
		t := fmt.Sprintf("%d threads", th)
		if th == 1 {
			t = "1 thread"
		}
		if i == 0 {
			title := "Batch-1 224×224 inference latency: gocnn beside " + ortName + " (CPU)"
			if d.cpu != "" {
				title += " — " + d.cpu
			}
			t = title + "\n" + t
		}
		p.Title.Text = t
		p.Title.TextStyle.Font.Size = vg.Points(13)
		p.Title.Padding = vg.Points(6)
		p.Y.Label.Text = "ms (log scale)"
		styleAxes(p)
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = ticks125{}
		p.Add(&plotter.Grid{Vertical: draw.LineStyle{}, Horizontal: plotter.NewGrid().Horizontal})

		ov := make([]float64, len(d.models))
		gv := make([]float64, len(d.models))
		names := make([]string, len(d.models))
		for j, m := range d.models {
			names[j] = m
			r, ok := d.rows[ortKey{m, th}]
			if !ok {
				continue
			}
			ov[j], gv[j] = r.ort, r.gocnn
			names[j] = fmt.Sprintf("%s\ngocnn/ort %.2f", m, r.gocnnPerOrt())
		}
		w := vg.Points(22)
		ob := &bars{vals: ov, width: w, offset: -w / 2, color: ortColor}
		gb := &bars{vals: gv, width: w, offset: w / 2, color: gocnnColor}
		p.Add(ob, gb)
		p.Legend.Add(ortName, ob)
		p.Legend.Add("gocnn", gb)
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.TextStyle.Font.Size = vg.Points(10)
		p.NominalX(names...)
		p.X.Tick.Label.Font.Size = vg.Points(9)
		p.X.Min, p.X.Max = -0.6, float64(len(d.models))-0.4
		p.Y.Min, p.Y.Max = lo/1.6, hi*2.5
		plots = append(plots, p)
	}
	foot := append([]string{}, d.head...)
	what := "lowest median over the rounds (the \"ms\" columns)"
	if d.stat == "min" {
		what = "fastest single run (the \"min\" columns)"
	}
	ratio := "the table's gocnn/ort, of the unrounded medians"
	if d.stat == "min" {
		ratio = "the ratio of the two bars"
	}
	foot = append(foot, "Bars: latency in ms, lower is better: the table's "+what+
		"; under each model "+ratio+" (above 1: gocnn slower).")
	if note != "" {
		foot = append(foot, note)
	}
	h := 1.2*vg.Inch + vg.Length(len(d.threads))*4*vg.Inch
	return render(file, 11*vg.Inch, h, plots, foot)
}

// bars is a bar series for a log-scale value axis: each bar rises from
// the bottom of the plot to its value (gonum's BarChart starts at 0,
// which a log scale cannot show), with the value written above it.
type bars struct {
	vals          []float64 // bar i is at x = i; values ≤ 0 are skipped
	width, offset vg.Length
	color         color.Color
}

func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, vg.Points(7.5)),
		XAlign:  draw.XCenter,
		YAlign:  draw.YBottom,
		Handler: p.TextHandler,
	}
	for i, v := range b.vals {
		if !(v > 0) {
			continue
		}
		x0 := trX(float64(i)) + b.offset - b.width/2
		x1 := x0 + b.width
		y := trY(v)
		pts := []vg.Point{{X: x0, Y: c.Min.Y}, {X: x0, Y: y}, {X: x1, Y: y}, {X: x1, Y: c.Min.Y}}
		c.FillPolygon(b.color, c.ClipPolygonY(pts))
		label := strconv.FormatFloat(v, 'f', 0, 64)
		if v < 100 {
			label = strconv.FormatFloat(v, 'f', 1, 64)
		}
		c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: y + vg.Points(2)}, label)
	}
}

func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for _, v := range b.vals {
		if v > 0 {
			ymin, ymax = min(ymin, v), max(ymax, v)
		}
	}
	return 0, float64(len(b.vals) - 1), ymin, ymax
}

func (b *bars) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(b.color, []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y},
	})
}

// ticks125 labels 1, 2 and 5 times powers of ten on a log axis and puts
// unlabelled minor ticks at the other integers times those powers.
type ticks125 struct{}

func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		p := math.Pow(10, e)
		for k := 1; k <= 9; k++ {
			v := float64(k) * p
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if k == 1 || k == 2 || k == 5 {
				t.Label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

func (d *ortData) summary(w io.Writer) {
	for _, th := range d.threads {
		for _, m := range d.models {
			if r, ok := d.rows[ortKey{m, th}]; ok {
				fmt.Fprintf(w, "  %-18s threads %d: ort %7.1f ms  gocnn %7.1f ms  gocnn/ort %.2f\n", m, th, r.ort, r.gocnn, r.gocnnPerOrt())
			}
		}
	}
}
