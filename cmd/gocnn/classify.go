package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gocnn/gocnn"
	"github.com/gocnn/gocnn/imageprep"
	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// gocnn classify: decode images, preprocess them with package imageprep
// into one float32 NCHW batch, run the model once and print each image's
// top-k classes.
//
// Contract:
//   - The model input (the only one, or -input NAME) must be 4-D NCHW
//     float32; its batch dimension symbolic or equal to the image count.
//   - Channels: a 1-channel input gets gray (BT.601 luma) images, a
//     3-channel or symbolic one RGB (-bgr: BGR; -gray forces 1 channel).
//   - Size: the input's fixed H and W, else -size or -crop, else 224.
//     -size HxW resizes straight to HxW. Otherwise the shorter side is
//     resized to -resize N (default round(256/224 · max(H, W))) and the
//     centre HxW is cropped. Resampling is Catmull-Rom.
//   - Values: (scale · pixel/max − mean) / std, pixel/max in [0,1] (255 for
//     8-bit images, 65535 for 16-bit), mean and std given as R,G,B or one
//     value. Defaults: scale 1, ImageNet mean 0.485,0.456,0.406 and std
//     0.229,0.224,0.225; a 1-channel input takes their averages (0.449,
//     0.226) unless -mean/-std give one value each.
//   - Output: the model's first output, [N, classes...]. Rows that are
//     already distributions (values in [0,1] summing to 1 ± 1e-3, for every
//     row) are shown as they are, else softmax is applied.

const classifyUsage = "MODEL.onnx IMAGE... [-top K] [-labels FILE] [-size HxW | -resize N -crop HxW] " +
	"[-mean r,g,b] [-std r,g,b] [-scale S] [-gray] [-bgr] [-input NAME]"

// classifyDefaultSize is the input size when the model leaves it symbolic
// and no -size or -crop is given.
const classifyDefaultSize = 224

// classifyConfig is what the classify flags ask for.
type classifyConfig struct {
	model     string
	images    []string
	top       int
	labels    string
	size      []int // -size HxW: straight resize
	resize    int   // -resize N: shorter side before the crop (0: default)
	crop      []int // -crop HxW
	mean, std []float32
	scale     float32
	gray, bgr bool
	input     string
}

// classifyResult is one image's top classes.
type classifyResult struct {
	image string
	top   []classifyClass
}

type classifyClass struct {
	index int
	label string
	prob  float64
}

// classifyRun is the outcome of one classify invocation.
type classifyRun struct {
	input   onnx.ValueInfo
	shape   []int // the batch tensor's shape
	opts    imageprep.Options
	softmax bool // the output was turned into probabilities
	output  string
	classes int
	results []classifyResult
	probs   [][]float64 // every class, per image
	runTime time.Duration
}

func runClassify(args []string, stdout io.Writer) error {
	cfg, err := parseClassifyArgs(args)
	if err != nil {
		return err
	}
	r, err := classify(cfg)
	if err != nil {
		return err
	}
	printClassify(stdout, r)
	return nil
}

// parseClassifyArgs reads the model, the images and the flags, which may
// come in any order ("--" ends the flags).
func parseClassifyArgs(args []string) (*classifyConfig, error) {
	cfg := &classifyConfig{}
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&cfg.top, "top", 5, "classes to show per image")
	fs.StringVar(&cfg.labels, "labels", "", "class names, one a line")
	size := fs.String("size", "", "resize straight to `HxW`, no crop")
	fs.IntVar(&cfg.resize, "resize", 0, "resize the shorter side to `N`, then centre-crop (default 256/224 × the crop)")
	crop := fs.String("crop", "", "centre crop `HxW` after -resize")
	mean := fs.String("mean", "", "per-colour mean `r,g,b` (or one value) on [0,1]·scale values")
	std := fs.String("std", "", "per-colour std `r,g,b` (or one value)")
	scale := fs.Float64("scale", 1, "multiply [0,1] pixel values by `S` before mean/std")
	fs.BoolVar(&cfg.gray, "gray", false, "one channel of luma (automatic for 1-channel models)")
	fs.BoolVar(&cfg.bgr, "bgr", false, "channel order B,G,R")
	fs.StringVar(&cfg.input, "input", "", "the model input to feed (default: the only one)")
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return nil, fmt.Errorf("classify: %v", oneLineErr(err))
		}
		if fs.NArg() == 0 {
			break
		}
		if consumed := len(rest) - fs.NArg(); consumed > 0 && rest[consumed-1] == "--" {
			pos = append(pos, fs.Args()...)
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(pos) < 2 {
		return nil, errors.New("classify: usage: gocnn classify " + classifyUsage)
	}
	cfg.model, cfg.images = pos[0], pos[1:]
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	if cfg.top < 1 {
		return nil, fmt.Errorf("classify: -top %d: want at least 1", cfg.top)
	}
	if set["size"] && (set["resize"] || set["crop"]) {
		return nil, errors.New("classify: -size resizes straight to HxW; it does not go with -resize or -crop")
	}
	if set["size"] {
		if cfg.size, err = classifyParseSize("size", *size); err != nil {
			return nil, err
		}
	}
	if set["crop"] {
		if cfg.crop, err = classifyParseSize("crop", *crop); err != nil {
			return nil, err
		}
	}
	if set["resize"] && (cfg.resize < 1 || cfg.resize > 1<<15) {
		return nil, fmt.Errorf("classify: -resize %d: want a shorter side from 1 to 32768", cfg.resize)
	}
	if set["mean"] {
		if cfg.mean, err = classifyParseFloats("mean", *mean, false); err != nil {
			return nil, err
		}
	}
	if set["std"] {
		if cfg.std, err = classifyParseFloats("std", *std, true); err != nil {
			return nil, err
		}
	}
	if math.IsNaN(*scale) || math.IsInf(*scale, 0) || *scale <= 0 || *scale > math.MaxFloat32 {
		return nil, fmt.Errorf("classify: -scale %v: want a positive number", *scale)
	}
	cfg.scale = float32(*scale)
	if cfg.gray && cfg.bgr {
		return nil, errors.New("classify: -bgr orders colour channels; it does not go with -gray")
	}
	return cfg, nil
}

func oneLineErr(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// classifyParseSize reads HxW.
func classifyParseSize(flagName, s string) ([]int, error) {
	hs, ws, ok := strings.Cut(strings.ToLower(s), "x")
	h, err1 := strconv.Atoi(strings.TrimSpace(hs))
	w, err2 := strconv.Atoi(strings.TrimSpace(ws))
	if !ok || err1 != nil || err2 != nil || h < 1 || w < 1 || h > 1<<15 || w > 1<<15 {
		return nil, fmt.Errorf("classify: -%s %q: want HxW with positive sizes, e.g. 224x224", flagName, s)
	}
	return []int{h, w}, nil
}

// classifyParseFloats reads one or three comma-separated finite numbers.
func classifyParseFloats(flagName, s string, nonZero bool) ([]float32, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 1 && len(parts) != 3 {
		return nil, fmt.Errorf("classify: -%s %q: want r,g,b or one value for every channel", flagName, s)
	}
	var v []float32
	for _, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("classify: -%s %q: %q is not a finite number", flagName, s, strings.TrimSpace(p))
		}
		if nonZero && x == 0 {
			return nil, fmt.Errorf("classify: -%s %q: a std of 0 divides by zero", flagName, s)
		}
		v = append(v, float32(x))
	}
	return v, nil
}

// classifyInput picks the model input to feed: the one named by -input,
// else the model's only input. (A model with further inputs then fails in
// Run, naming the missing one.)
func classifyInput(m *gocnn.Model, name string) (onnx.ValueInfo, error) {
	ins := m.Inputs()
	if name != "" {
		for _, vi := range ins {
			if vi.Name == name {
				return vi, nil
			}
		}
		return onnx.ValueInfo{}, fmt.Errorf("classify: -input %q: the model has no such input (inputs: %s)", name, inputList(m))
	}
	if len(ins) != 1 {
		return onnx.ValueInfo{}, fmt.Errorf("classify: the model has %d inputs (%s); classify feeds one image input (name it with -input)", len(ins), inputList(m))
	}
	return ins[0], nil
}

// classifyOptions works out the preprocessing from the model's input and
// the flags.
func classifyOptions(cfg *classifyConfig, vi onnx.ValueInfo, n int) (imageprep.Options, error) {
	o := imageprep.Options{Scale: cfg.scale, BGR: cfg.bgr, Gray: cfg.gray}
	if vi.DType != tensor.Undefined && vi.DType != tensor.Float32 {
		return o, fmt.Errorf("classify: input %v is %v; classify makes float32 images", vi, vi.DType)
	}
	shape := vi.Shape
	if shape == nil {
		shape = []int{-1, -1, -1, -1}
	}
	if len(shape) != 4 {
		return o, fmt.Errorf("classify: input %v is %d-D; classify feeds 4-D NCHW image batches", vi, len(shape))
	}
	if shape[0] >= 0 && shape[0] != n {
		return o, fmt.Errorf("classify: input %v takes a batch of exactly %d; got %d images", vi, shape[0], n)
	}
	switch c := shape[1]; {
	case c == 1:
		o.Gray = true
		if cfg.bgr {
			return o, fmt.Errorf("classify: input %v has 1 channel; -bgr needs 3", vi)
		}
	case c == 3 && cfg.gray:
		return o, fmt.Errorf("classify: input %v has 3 channels; -gray makes 1", vi)
	case c >= 0 && c != 3:
		return o, fmt.Errorf("classify: input %v has %d channels; classify makes 1 (gray) or 3 (colour)", vi, c)
	}
	// Size: fixed model dimensions win; -size or -crop must agree with them.
	want := cfg.size
	if want == nil {
		want = cfg.crop
	}
	hw := [2]int{classifyDefaultSize, classifyDefaultSize}
	for i, d := range shape[2:] {
		switch {
		case d == 0:
			return o, fmt.Errorf("classify: input %v has an empty image dimension", vi)
		case d > 0 && want != nil && want[i] != d:
			dims := []string{"?", "?"}
			for j, e := range shape[2:] {
				if e >= 0 {
					dims[j] = strconv.Itoa(e)
				}
			}
			return o, fmt.Errorf("classify: input %v fixes the image size at %sx%s; the size asked for is %dx%d", vi, dims[0], dims[1], want[0], want[1])
		case d > 0:
			hw[i] = d
		case want != nil:
			hw[i] = want[i]
		}
	}
	o.Height, o.Width = hw[0], hw[1]
	if cfg.size == nil {
		o.Resize = cfg.resize
		if o.Resize == 0 {
			o.Resize = max(1, int(math.Round(256*float64(max(o.Height, o.Width))/224)))
		}
	}
	// Normalisation: ImageNet unless given; one channel takes the averages.
	o.Mean, o.Std = cfg.mean, cfg.std
	if o.Mean == nil {
		o.Mean = imageprep.ImageNetMean
	}
	if o.Std == nil {
		o.Std = imageprep.ImageNetStd
	}
	if o.Gray {
		if len(cfg.mean) == 3 || len(cfg.std) == 3 {
			return o, fmt.Errorf("classify: input %v takes 1 channel; give -mean and -std one value each", vi)
		}
		o.Mean, o.Std = []float32{classifyAverage(o.Mean)}, []float32{classifyAverage(o.Std)}
	}
	return o, o.Check()
}

// classifyAverage is the mean of one or three values.
func classifyAverage(v []float32) float32 {
	sum := float32(0)
	for _, x := range v {
		sum += x
	}
	return sum / float32(len(v))
}

// classify loads the model and the images, runs one batch and ranks the
// classes of each image.
func classify(cfg *classifyConfig) (*classifyRun, error) {
	var labels []string
	if cfg.labels != "" {
		b, err := os.ReadFile(cfg.labels)
		if err != nil {
			return nil, fmt.Errorf("classify: labels: %v", err)
		}
		labels = strings.Split(strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
	}
	m, err := gocnn.Load(cfg.model, nil)
	if err != nil {
		return nil, err
	}
	vi, err := classifyInput(m, cfg.input)
	if err != nil {
		return nil, err
	}
	opts, err := classifyOptions(cfg, vi, len(cfg.images))
	if err != nil {
		return nil, err
	}
	x := tensor.New(tensor.Float32, len(cfg.images), opts.Channels(), opts.Height, opts.Width)
	per := x.Len() / len(cfg.images)
	for i, path := range cfg.images {
		img, err := imageprep.Load(path)
		if err != nil {
			return nil, err
		}
		if err := imageprep.Fill(x.Float32s()[i*per:(i+1)*per], img, &opts); err != nil {
			return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "imageprep: "))
		}
	}
	start := time.Now()
	outs, err := m.Run(context.Background(), map[string]*tensor.Tensor{vi.Name: x})
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	ov := m.Outputs()[0]
	out := outs[ov.Name]
	n := len(cfg.images)
	if out.DType != tensor.Float32 || len(out.Shape) < 2 || out.Shape[0] != n || out.Len() == 0 {
		return nil, fmt.Errorf("classify: output %s is %v; want float32 scores [%d, classes]", ov.Name, out, n)
	}
	classes := out.Len() / n
	r := &classifyRun{input: vi, shape: x.Shape, opts: opts, output: ov.Name, classes: classes, runTime: elapsed}
	r.probs, r.softmax = classifyProbs(out.Float32s(), n, classes)
	k := min(cfg.top, classes)
	for i := range n {
		idx := make([]int, classes)
		for j := range idx {
			idx[j] = j
		}
		p := r.probs[i]
		sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
		res := classifyResult{image: cfg.images[i]}
		for _, j := range idx[:k] {
			label := strconv.Itoa(j)
			if j < len(labels) && strings.TrimSpace(labels[j]) != "" {
				label = strings.TrimSpace(labels[j])
			}
			res.top = append(res.top, classifyClass{index: j, label: label, prob: p[j]})
		}
		r.results = append(r.results, res)
	}
	return r, nil
}

// classifyProbs turns scores into per-image probabilities: the scores as
// they are when every row already is a distribution (values in [0,1]
// summing to 1 ± 1e-3), else a softmax of each row.
func classifyProbs(v []float32, n, classes int) ([][]float64, bool) {
	isDist := true
	for i := 0; i < n && isDist; i++ {
		sum := 0.0
		for _, x := range v[i*classes : (i+1)*classes] {
			if !(x >= 0 && x <= 1) {
				isDist = false
			}
			sum += float64(x)
		}
		isDist = isDist && math.Abs(sum-1) <= 1e-3
	}
	probs := make([][]float64, n)
	for i := range probs {
		row := v[i*classes : (i+1)*classes]
		p := make([]float64, classes)
		if isDist {
			for j, x := range row {
				p[j] = float64(x)
			}
			probs[i] = p
			continue
		}
		hi := math.Inf(-1)
		for _, x := range row {
			hi = math.Max(hi, float64(x))
		}
		sum := 0.0
		for j, x := range row {
			p[j] = math.Exp(float64(x) - hi)
			sum += p[j]
		}
		for j := range p {
			p[j] /= sum
		}
		probs[i] = p
	}
	return probs, !isDist
}

func printClassify(w io.Writer, r *classifyRun) {
	for _, res := range r.results {
		fmt.Fprintln(w, res.image)
		for _, c := range res.top {
			if c.label == strconv.Itoa(c.index) {
				fmt.Fprintf(w, "  %8.4f%%  %d\n", 100*c.prob, c.index)
			} else {
				fmt.Fprintf(w, "  %8.4f%%  %d %s\n", 100*c.prob, c.index, c.label)
			}
		}
	}
	o := &r.opts
	geom := fmt.Sprintf("straight resize to %dx%d", o.Height, o.Width)
	if o.Resize > 0 {
		geom = fmt.Sprintf("shorter side %d, centre crop %dx%d", o.Resize, o.Height, o.Width)
	}
	chans := "RGB"
	switch {
	case o.Gray:
		chans = "gray"
	case o.BGR:
		chans = "BGR"
	}
	probs := "softmax of " + r.output
	if !r.softmax {
		probs = r.output + " as given (already a distribution)"
	}
	fmt.Fprintf(w, "input %q %s: %s, %s, (scale %g × pixel/max − mean %s) / std %s; %s; one batch in %.2f ms\n",
		r.input.Name, tensor.ShapeString(r.shape), geom, chans, o.Scale,
		classifyFloats(o.Mean), classifyFloats(o.Std), probs, float64(r.runTime.Microseconds())/1000)
}

func classifyFloats(v []float32) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(float64(x), 'g', -1, 32)
	}
	return strings.Join(s, ",")
}
