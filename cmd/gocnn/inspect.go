package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gocnn/gocnn"
	"github.com/gocnn/gocnn/inspect"
)

const inspectUsage = "MODEL.onnx [-input HxW] [-json] [-O0]"

func runInspect(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	size := fs.String("input", "", "spatial size `HxW` for every 4-D input (batch 1)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	noOpt := fs.Bool("O0", false, "show the graph as loaded, without optimisation")
	model, rest := splitModelArg(args)
	if err := fs.Parse(rest); err != nil {
		return fmt.Errorf("inspect: %v", err)
	}
	if model == "" && fs.NArg() > 0 {
		model, rest = fs.Arg(0), fs.Args()[1:]
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("inspect: %v", err)
		}
	}
	if model == "" || fs.NArg() > 0 {
		return errors.New("inspect: usage: gocnn inspect " + inspectUsage)
	}
	var hw []int
	if *size != "" {
		var err error
		if hw, err = parseHW(*size); err != nil {
			return fmt.Errorf("inspect: %v", err)
		}
	}
	m, err := gocnn.Load(model, &gocnn.Options{NoOptimize: *noOpt})
	if err != nil {
		return err
	}
	var shapes map[string][]int
	if hw != nil {
		shapes = map[string][]int{}
		for _, vi := range m.Inputs() {
			if len(vi.Shape) == 4 {
				shapes[vi.Name] = []int{1, max(vi.Shape[1], 1), hw[0], hw[1]}
			}
		}
		if len(shapes) == 0 {
			return fmt.Errorf("inspect: -input %s: the model has no 4-D input (inputs: %s)", *size, inputList(m))
		}
	}
	r, err := inspect.Analyze(m, shapes)
	if err != nil {
		if hw != nil {
			return fmt.Errorf("inspect: -input %s: %v", *size, err)
		}
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Model     string `json:"model"`
			Optimized bool   `json:"optimized"`
			*inspect.Report
		}{model, !*noOpt, r})
	}
	printInspect(stdout, model, !*noOpt, r)
	return nil
}

// parseHW reads "HxW" (or "H,W") with positive sizes.
func parseHW(s string) ([]int, error) {
	hs, ws, ok := strings.Cut(strings.ToLower(s), "x")
	if !ok {
		hs, ws, ok = strings.Cut(s, ",")
	}
	h, err1 := strconv.Atoi(strings.TrimSpace(hs))
	w, err2 := strconv.Atoi(strings.TrimSpace(ws))
	if !ok || err1 != nil || err2 != nil || h < 1 || w < 1 {
		return nil, fmt.Errorf("-input %q: want HxW with positive sizes, e.g. 224x224", s)
	}
	return []int{h, w}, nil
}

func inputList(m *gocnn.Model) string {
	var s []string
	for _, vi := range m.Inputs() {
		s = append(s, vi.String())
	}
	return strings.Join(s, ", ")
}

func printInspect(w io.Writer, model string, optimized bool, r *inspect.Report) {
	graph := "optimised graph"
	if !optimized {
		graph = "graph as loaded (-O0)"
	}
	fmt.Fprintf(w, "%s: %s, %d nodes\n", model, graph, len(r.Layers))
	for _, in := range r.Inputs {
		fmt.Fprintf(w, "input %s %s[%s]\n", in.Name, in.DType, strings.ReplaceAll(inspect.ShapeString(in.Shape), "x", ","))
	}
	fmt.Fprintln(w)
	rows := [][]string{{"#", "name", "op", "output", "params", "MACs", "jump", "field", "start", "kernel"}}
	for i, l := range r.Layers {
		kernel := l.Kernel
		if l.Note != "" {
			kernel += " (" + l.Note + ")"
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), l.Name, l.Op, inspect.ShapeString(l.Output),
			strconv.FormatInt(l.Params, 10), strconv.FormatInt(l.MACs, 10),
			inspect.FieldString(l.Field, func(f inspect.Field) string { return strconv.Itoa(f.Jump) }),
			inspect.FieldString(l.Field, func(f inspect.Field) string { return strconv.Itoa(f.Size) }),
			inspect.FieldString(l.Field, func(f inspect.Field) string { return strconv.FormatFloat(f.Start, 'g', -1, 64) }),
			kernel})
	}
	writeTable(w, rows, "rllrrrrrrl")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "parameters   %d (%s)\n", r.Params, human(float64(r.Params), ""))
	fmt.Fprintf(w, "MACs         %d (%s, batch %s)\n", r.MACs, human(float64(r.MACs), ""), batchOf(r))
	fmt.Fprintf(w, "weights      %s (constants as held: packed or transformed weights included)\n", bytesString(r.WeightBytes))
	fmt.Fprintf(w, "arena        %s (incl. %s scratch; planned memory of one run: intermediates and kernel scratch, reused by liveness)\n",
		bytesString(r.ArenaBytes), bytesString(r.ScratchBytes))
	fmt.Fprintf(w, "activations  %s (sum of all node outputs: an upper bound, no buffer reuse)\n", bytesString(r.ActivationBytes))
	if r.UnknownShapes > 0 {
		fmt.Fprintf(w, "warning      %d layers have data-dependent shapes (?): their MACs and bytes are not counted (the optimised graph folds most of these)\n", r.UnknownShapes)
	}
	fmt.Fprintln(w, "jump, field, start: receptive field per spatial axis in input pixels (start: centre of the first field; pixel i centred at i)")
}

func batchOf(r *inspect.Report) string {
	var b []string
	for _, in := range r.Inputs {
		if len(in.Shape) > 0 {
			b = append(b, strconv.Itoa(in.Shape[0]))
		}
	}
	if len(b) == 0 {
		return "?"
	}
	return strings.Join(b, ",")
}

// human formats v with a k/M/G suffix.
func human(v float64, unit string) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2f G%s", v/1e9, unit)
	case v >= 1e6:
		return fmt.Sprintf("%.2f M%s", v/1e6, unit)
	case v >= 1e3:
		return fmt.Sprintf("%.2f k%s", v/1e3, unit)
	}
	return strings.TrimSpace(fmt.Sprintf("%.0f %s", v, unit))
}

// bytesString formats a byte count in binary units.
func bytesString(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// writeTable prints rows in columns two spaces apart; align has one letter
// per column, 'l' or 'r'. The last column is not padded.
func writeTable(w io.Writer, rows [][]string, align string) {
	width := make([]int, len(align))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			switch {
			case align[i] == 'r':
				b.WriteString(pad + c)
			case i == len(row)-1:
				b.WriteString(c)
			default:
				b.WriteString(c + pad)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}
