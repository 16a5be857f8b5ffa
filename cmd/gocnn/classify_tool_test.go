package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/gocnn/gocnn"
	"github.com/gocnn/gocnn/cmd/gocnn/digits"
	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// go test ./cmd/gocnn -run TestClassifyDigitImages -write-digit-images
// rewrites testdata/images/digit_*.png (see testdata/images/README.md).
var writeDigitImages = flag.Bool("write-digit-images", false, "rewrite testdata/images/digit_*.png from the digits test set")

const (
	classifyImages = "../../testdata/images"
	digitsModel    = "digits/model.onnx"
	cifarModel     = "../../testdata/torch/keras_cifar_op13.onnx"                      // float32[N,3,32,32]
	relu3DModel    = "../../testdata/onnx-node/test_relu/model.onnx"                   // float32[3,4,5]
	addModel       = "../../testdata/onnx-node/test_add/model.onnx"                    // two inputs
	pool1Model     = "../../testdata/onnx-node/test_averagepool_2d_default/model.onnx" // float32[1,3,32,32]
)

// digitSamples are the committed digit images: the first test-set image of
// each of six labels.
var digitSamples = []struct {
	file  string
	index int // in digits.TestSet()
	label int
}{
	{"digit_2.png", 0, 2}, {"digit_0.png", 1, 0}, {"digit_4.png", 2, 4},
	{"digit_9.png", 3, 9}, {"digit_1.png", 5, 1}, {"digit_6.png", 8, 6},
}

// digitInk returns test-set image i as ink values in [0,1] (pixel/16).
func digitInk(t *testing.T, i int) []float32 {
	t.Helper()
	images, _, _, err := digits.TestSet()
	if err != nil {
		t.Fatal(err)
	}
	return images.Float32s()[i*64 : (i+1)*64]
}

// digitGray16 is the committed form: gray level round(ink·65535), white
// ink on black.
func digitGray16(ink []float32) *image.Gray16 {
	m := image.NewGray16(image.Rect(0, 0, 8, 8))
	for i, v := range ink {
		m.SetGray16(i%8, i/8, color.Gray16{Y: uint16(math.Round(float64(v) * 65535))})
	}
	return m
}

// digitGray8 is the 8-bit form: gray level round(ink·255).
func digitGray8(ink []float32) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, 8, 8))
	for i, v := range ink {
		m.SetGray(i%8, i/8, color.Gray{Y: uint8(math.Round(float64(v) * 255))})
	}
	return m
}

// upscaleRGB repeats every pixel of a gray image f×f times in an RGBA image.
func upscaleRGB(g *image.Gray, f int) *image.RGBA {
	b := g.Bounds()
	m := image.NewRGBA(image.Rect(0, 0, b.Dx()*f, b.Dy()*f))
	for y := range m.Bounds().Dy() {
		for x := range m.Bounds().Dx() {
			v := g.GrayAt(x/f, y/f).Y
			m.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	return m
}

func writeImage(t *testing.T, path string, enc func(w *bytes.Buffer) error) string {
	t.Helper()
	var buf bytes.Buffer
	if err := enc(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// digitProbs runs the digits model on ink values and returns softmax rows.
func digitProbs(t *testing.T, inks ...[]float32) [][]float64 {
	t.Helper()
	m, err := gocnn.Decode(digits.Model, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.Float32, len(inks), 1, 8, 8)
	for i, ink := range inks {
		copy(x.Float32s()[i*64:], ink)
	}
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"image": x})
	if err != nil {
		t.Fatal(err)
	}
	probs, soft := classifyProbs(out["logits"].Float32s(), len(inks), 10)
	if !soft {
		t.Fatal("digits logits taken for probabilities")
	}
	return probs
}

func maxDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

func runClassifyArgs(t *testing.T, args ...string) (*classifyRun, string) {
	t.Helper()
	cfg, err := parseClassifyArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	r, err := classify(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := dispatch(append([]string{"classify"}, args...), &out); err != nil {
		t.Fatal(err)
	}
	return r, out.String()
}

// TestClassifyDigitImages classifies the committed 16-bit digit PNGs in one
// batch: the labels they came from, and probabilities within 1e-4 of the
// model run on the test-set tensor itself.
func TestClassifyDigitImages(t *testing.T) {
	if *writeDigitImages {
		for _, s := range digitSamples {
			g := digitGray16(digitInk(t, s.index))
			writeImage(t, filepath.Join(classifyImages, s.file), func(w *bytes.Buffer) error { return png.Encode(w, g) })
		}
	}
	_, labels, _, err := digits.TestSet()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{digitsModel}
	var inks [][]float32
	for _, s := range digitSamples {
		if int(labels.Int64s()[s.index]) != s.label {
			t.Fatalf("test-set image %d has label %d, not %d", s.index, labels.Int64s()[s.index], s.label)
		}
		path := filepath.Join(classifyImages, s.file)
		// The committed file is exactly what digitGray16 makes.
		f, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(f))
		if err != nil {
			t.Fatal(err)
		}
		ink := digitInk(t, s.index)
		if g, ok := img.(*image.Gray16); !ok || !bytes.Equal(g.Pix, digitGray16(ink).Pix) {
			t.Fatalf("%s is not the 16-bit gray image of test-set image %d (rerun with -write-digit-images)", path, s.index)
		}
		args = append(args, path)
		inks = append(inks, ink)
	}
	args = append(args, "-size", "8x8", "-mean", "0", "-std", "1", "-top", "3")
	r, out := runClassifyArgs(t, args...)
	want := digitProbs(t, inks...)
	worst := 0.0
	for i, s := range digitSamples {
		if got := r.results[i].top[0].index; got != s.label {
			t.Errorf("%s: predicted %d", s.file, got)
		}
		worst = math.Max(worst, maxDiff(r.probs[i], want[i]))
	}
	if worst > 1e-4 {
		t.Errorf("probabilities differ from the test-set tensor's by %.3g", worst)
	}
	t.Logf("max |Δprob| vs the test-set tensor: %.3g\n%s", worst, out)
	if !tensor.SameShape(r.shape, []int{6, 1, 8, 8}) || len(r.results[0].top) != 3 ||
		!strings.Contains(out, "input \"image\" [6,1,8,8]: straight resize to 8x8, gray") || !strings.Contains(out, "softmax of logits") {
		t.Errorf("output:\n%s", out)
	}
}

// TestClassifyFormats decodes the same digit as 8-bit PNG, BMP, GIF,
// lossless WebP (committed, made by cwebp), an 8× upscaled RGB PNG and a
// 7× upscaled RGB JPEG, classifying each with gray auto-conversion.
func TestClassifyFormats(t *testing.T) {
	dir := t.TempDir()
	ink := digitInk(t, 0) // label 2
	g8 := digitGray8(ink)
	rgb := image.NewRGBA(g8.Bounds())
	for i, v := range g8.Pix {
		rgb.SetRGBA(i%8, i/8, color.RGBA{v, v, v, 255})
	}
	grays := make(color.Palette, 256)
	for i := range grays {
		grays[i] = color.Gray{uint8(i)}
	}
	pal := image.NewPaletted(g8.Bounds(), grays)
	copy(pal.Pix, g8.Pix)
	big := upscaleRGB(g8, 8)
	// JPEG's 8×8 blocks would hold the ×8 pixels exactly: use ×7.
	big7 := upscaleRGB(g8, 7)
	files := map[string]string{
		"png8": writeImage(t, filepath.Join(dir, "d.png"), func(w *bytes.Buffer) error { return png.Encode(w, g8) }),
		"bmp":  writeImage(t, filepath.Join(dir, "d.bmp"), func(w *bytes.Buffer) error { return bmp.Encode(w, rgb) }),
		"gif":  writeImage(t, filepath.Join(dir, "d.gif"), func(w *bytes.Buffer) error { return gif.Encode(w, pal, nil) }),
		"webp": filepath.Join(classifyImages, "digit_2_8bit_lossless.webp"),
		"big":  writeImage(t, filepath.Join(dir, "big.png"), func(w *bytes.Buffer) error { return png.Encode(w, big) }),
		"jpeg": writeImage(t, filepath.Join(dir, "big.jpg"), func(w *bytes.Buffer) error {
			return jpeg.Encode(w, big7, &jpeg.Options{Quality: 90})
		}),
	}
	// 8-bit rounding of ink/16 moves the inputs by ≤ 0.5/255.
	q := make([]float32, 64)
	for i, v := range g8.Pix {
		q[i] = float32(v) / 255
	}
	want8 := digitProbs(t, q)[0]
	for _, name := range []string{"png8", "bmp", "gif", "webp", "big", "jpeg"} {
		r, out := runClassifyArgs(t, digitsModel, files[name], "-size", "8x8", "-mean", "0", "-std", "1")
		if got := r.results[0].top[0].index; got != 2 {
			t.Errorf("%s: predicted %d, want 2\n%s", name, got, out)
		}
		d := maxDiff(r.probs[0], want8)
		// The exact paths give the 8-bit image's probabilities; resampling
		// 64→8 (Catmull-Rom) and JPEG do not.
		tol := map[string]float64{"big": 0.02, "jpeg": 0.02}[name] // seen: 0.0072, 0.0069
		if d > tol+1e-6 {
			t.Errorf("%s: probabilities differ from the 8-bit image's by %.3g", name, d)
		}
		t.Logf("%-4s: top %d %.4f, max |Δprob| vs the 8-bit image %.3g", name, r.results[0].top[0].index, r.results[0].top[0].prob, d)
	}
}

// TestClassifyColourModel feeds a 3-channel model (fixed batch 1, 32×32)
// through the default ImageNet geometry and checks the tensor it makes.
func TestClassifyColourModel(t *testing.T) {
	dir := t.TempDir()
	m := image.NewNRGBA(image.Rect(0, 0, 48, 40))
	for i := range m.Pix {
		m.Pix[i] = uint8(i * 7)
	}
	path := writeImage(t, filepath.Join(dir, "c.png"), func(w *bytes.Buffer) error { return png.Encode(w, m) })
	labels := filepath.Join(dir, "labels.txt")
	os.WriteFile(labels, []byte("plane\r\ncar\nbird\n\n"), 0o644)
	r, out := runClassifyArgs(t, cifarModel, path, "-labels", labels, "-top", "20")
	if r.opts.Resize != 37 || r.opts.Height != 32 || r.opts.Width != 32 || r.opts.Gray || len(r.results[0].top) != 10 {
		t.Errorf("options %+v, %d classes shown", r.opts, len(r.results[0].top))
	}
	sum := 0.0
	for _, c := range r.results[0].top {
		sum += c.prob
		want := map[int]string{0: "plane", 1: "car", 2: "bird"}[c.index]
		if want == "" {
			want = fmt.Sprint(c.index)
		}
		if c.label != want {
			t.Errorf("class %d labelled %q, want %q", c.index, c.label, want)
		}
	}
	// float32 probabilities: each is within half an ulp (6e-8) of exact.
	if math.Abs(sum-1) > 1e-6 {
		t.Errorf("probabilities sum to %v", sum)
	}
	// The Keras net ends in a softmax: its output is used as it is.
	if r.softmax || !strings.Contains(out, "input \"input\" [1,3,32,32]: shorter side 37, centre crop 32x32, RGB") ||
		!strings.Contains(out, "output as given (already a distribution)") || !strings.Contains(out, "%  1 car\n") {
		t.Errorf("output:\n%s", out)
	}
	_, out = runClassifyArgs(t, cifarModel, path, "-resize", "40", "-crop", "32x32", "-bgr", "-scale", "255", "-mean", "1,2,3", "-std", "4")
	if !strings.Contains(out, "shorter side 40, centre crop 32x32, BGR, (scale 255 × pixel/max − mean 1,2,3) / std 4") {
		t.Errorf("output:\n%s", out)
	}
}

func TestClassifyProbs(t *testing.T) {
	p, soft := classifyProbs([]float32{0.25, 0.75, 0.5, 0.5}, 2, 2)
	if soft || p[0][1] != 0.75 || p[1][0] != 0.5 {
		t.Errorf("a distribution was changed: %v %v", p, soft)
	}
	p, soft = classifyProbs([]float32{0.25, 0.75, 0.5, 0.6}, 2, 2) // second row sums to 1.1
	if !soft || math.Abs(p[1][1]-1/(1+math.Exp(-0.1))) > 1e-7 {
		t.Errorf("softmax: %v %v", p, soft)
	}
	p, _ = classifyProbs([]float32{1000, 0, -1000}, 1, 3)
	if p[0][0] != 1 || p[0][2] != 0 {
		t.Errorf("large logits: %v", p)
	}
}

func TestClassifyErrors(t *testing.T) {
	dir := t.TempDir()
	digit := filepath.Join(classifyImages, "digit_2.png")
	text := filepath.Join(dir, "notes.png")
	os.WriteFile(text, []byte("not an image at all"), 0o644)
	png8, _ := os.ReadFile(digit)
	truncated := filepath.Join(dir, "cut.png")
	os.WriteFile(truncated, png8[:len(png8)/2], 0o644)
	tiff := filepath.Join(dir, "scan.tif")
	os.WriteFile(tiff, []byte("II*\x00\x08\x00\x00\x00"), 0o644)
	badWebP := filepath.Join(dir, "bad.webp")
	os.WriteFile(badWebP, []byte("RIFF\x10\x00\x00\x00WEBPVP8 \x04\x00\x00\x00\x00\x00\x00\x00"), 0o644)
	noLabels := filepath.Join(dir, "none.txt")
	d := func(extra ...string) []string {
		return append([]string{"classify", digitsModel, digit, "-size", "8x8", "-mean", "0", "-std", "1"}, extra...)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"classify"}, "usage: gocnn classify"},
		{[]string{"classify", digitsModel}, "usage: gocnn classify"},
		{[]string{"classify", filepath.Join(dir, "none.onnx"), digit}, "none.onnx"},
		{d(filepath.Join(dir, "none.png")), "none.png: no such file"},
		{d(text), "notes.png: unsupported image format (want PNG, JPEG, GIF, WebP or BMP)"},
		{d(truncated), "cut.png: cannot decode png image"},
		{d(tiff), "scan.tif: TIFF images are not supported"},
		{d(badWebP), "bad.webp: cannot decode webp image"},
		{d("-labels", noLabels), "labels: open"},
		{d("-top", "0"), "-top 0: want at least 1"},
		{d("-top", "x"), "invalid value"},
		{d("-scale", "0"), "-scale 0: want a positive number"},
		{d("-scale", "NaN"), "want a positive number"},
		{d("-mean", "1,2"), "-mean \"1,2\": want r,g,b or one value"},
		{d("-mean", "a"), "\"a\" is not a finite number"},
		{d("-std", "0"), "a std of 0 divides by zero"},
		{d("-mean", "0,0,0"), "takes 1 channel; give -mean and -std one value each"},
		{d("-resize", "9"), "-size resizes straight to HxW; it does not go with -resize or -crop"},
		{[]string{"classify", digitsModel, digit, "-resize", "0"}, "-resize 0: want a shorter side from 1 to 32768"},
		{[]string{"classify", digitsModel, digit, "-resize", "4"}, "digit_2.png: the 8x8 (HxW) image with its shorter side resized to 4 is 4x4, smaller than the 8x8 crop"},
		{[]string{"classify", digitsModel, digit, "-crop", "7x7"}, "input image float32[N,1,8,8] fixes the image size at 8x8; the size asked for is 7x7"},
		{[]string{"classify", digitsModel, digit, "-size", "9x9"}, "fixes the image size at 8x8; the size asked for is 9x9"},
		{[]string{"classify", digitsModel, digit, "-size", "8"}, "-size \"8\": want HxW"},
		{d("-gray", "-bgr"), "-bgr orders colour channels; it does not go with -gray"},
		{[]string{"classify", digitsModel, digit, "-bgr"}, "has 1 channel; -bgr needs 3"},
		{d("-input", "pixels"), "-input \"pixels\": the model has no such input (inputs: image float32[N,1,8,8])"},
		{[]string{"classify", cifarModel, digit, "-gray"}, "input float32[N,3,32,32] has 3 channels; -gray makes 1"},
		{[]string{"classify", pool1Model, digit, digit}, "x float32[1,3,32,32] takes a batch of exactly 1; got 2 images"},
		{[]string{"classify", relu3DModel, digit}, "is 3-D; classify feeds 4-D NCHW image batches"},
		{[]string{"classify", addModel, digit}, "the model has 2 inputs (x float32[3,4,5], y float32[3,4,5]); classify feeds one image input"},
		{[]string{"classify", addModel, digit, "-input", "y"}, "input y float32[3,4,5] is 3-D"},
		{[]string{"classify", digitsModel, digit, "-nope"}, "flag provided but not defined"},
	} {
		err := dispatch(c.args, &bytes.Buffer{})
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one line containing %q", c.args[1:], err, c.want)
		}
	}
}

// TestClassifyArgOrder accepts flags before, between and after the images,
// and "--" before an image whose name starts with "-".
func TestClassifyArgOrder(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(classifyImages, "digit_0.png"))
	if err != nil {
		t.Fatal(err)
	}
	dash := filepath.Join(dir, "-d.png")
	os.WriteFile(dash, src, 0o644)
	wd, _ := os.Getwd()
	model := filepath.Join(wd, digitsModel)
	t.Chdir(dir)
	cfg, err := parseClassifyArgs([]string{"-mean", "0", model, "-std", "1", "a.png", "-size", "8x8", "-top", "2", "--", "-d.png"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.model != model || strings.Join(cfg.images, " ") != "a.png -d.png" || cfg.top != 2 || cfg.size[0] != 8 {
		t.Errorf("parsed %+v", cfg)
	}
	var out bytes.Buffer
	if err := dispatch([]string{"classify", model, "-size", "8x8", "-mean", "0", "-std", "1", "--", "-d.png"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "-d.png\n") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestClassifyOptions covers inputs with symbolic sizes, which no
// committed model has.
func TestClassifyOptions(t *testing.T) {
	sym := onnx.ValueInfo{Name: "x", DType: tensor.Float32, Shape: []int{-1, -1, -1, -1}, DimNames: make([]string, 4)}
	for _, c := range []struct {
		args       []string
		vi         onnx.ValueInfo
		h, w, size int
		gray       bool
		mean       float32
	}{
		{nil, sym, 224, 224, 256, false, 0.485},
		{[]string{"-size", "100x50"}, sym, 100, 50, 0, false, 0.485},
		{[]string{"-crop", "100x50"}, sym, 100, 50, 114, false, 0.485},
		{[]string{"-resize", "120", "-crop", "100x50"}, sym, 100, 50, 120, false, 0.485},
		{[]string{"-gray"}, sym, 224, 224, 256, true, 0.449},
		{[]string{"-gray", "-mean", "0.5"}, sym, 224, 224, 256, true, 0.5},
		{nil, onnx.ValueInfo{Name: "x"}, 224, 224, 256, false, 0.485}, // no declared shape
		{[]string{"-size", "30x40"}, onnx.ValueInfo{Name: "x", Shape: []int{-1, 3, 30, -1}, DimNames: make([]string, 4)}, 30, 40, 0, false, 0.485},
	} {
		cfg, err := parseClassifyArgs(append([]string{"m.onnx", "a.png"}, c.args...))
		if err != nil {
			t.Fatal(err)
		}
		o, err := classifyOptions(cfg, c.vi, 2)
		if err != nil || o.Height != c.h || o.Width != c.w || o.Resize != c.size || o.Gray != c.gray || math.Abs(float64(o.Mean[0]-c.mean)) > 1e-6 {
			t.Errorf("%v on %v: %+v, %v", c.args, c.vi, o, err)
		}
	}
	cfg, _ := parseClassifyArgs([]string{"m.onnx", "a.png", "-size", "31x40"})
	_, err := classifyOptions(cfg, onnx.ValueInfo{Name: "x", Shape: []int{-1, 3, 30, -1}, DimNames: make([]string, 4)}, 1)
	if err == nil || !strings.Contains(err.Error(), "fixes the image size at 30x?; the size asked for is 31x40") {
		t.Errorf("partly fixed size: %v", err)
	}
	_, err = classifyOptions(cfg, onnx.ValueInfo{Name: "x", DType: tensor.Int64, Shape: []int{1, 3, 31, 40}, DimNames: make([]string, 4)}, 1)
	if err == nil || !strings.Contains(err.Error(), "classify makes float32 images") {
		t.Errorf("int64 input: %v", err)
	}
}
