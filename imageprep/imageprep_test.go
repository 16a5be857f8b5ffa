package imageprep

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/draw"
)

func near(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-6 }

// coords is an image whose pixel (x, y) has R = x, G = y, B = 200.
func coords(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	return m
}

func TestResizeShorter(t *testing.T) {
	for _, c := range []struct{ w, h, n, ww, wh int }{
		{640, 480, 256, 341, 256}, // ⌊640·256/480⌋ = 341
		{480, 640, 256, 256, 341},
		{300, 300, 256, 256, 256},
		{8, 8, 9, 9, 9},
		{1000, 3, 2, 666, 2},
		{5, 3000, 1, 1, 600},
	} {
		if w, h := ResizeShorter(c.w, c.h, c.n); w != c.ww || h != c.wh {
			t.Errorf("%dx%d → shorter %d: %dx%d, want %dx%d", c.w, c.h, c.n, w, h, c.ww, c.wh)
		}
	}
}

// TestCropNoResample: an image whose shorter side already is Resize is
// cropped at its centre, pixel for pixel.
func TestCropNoResample(t *testing.T) {
	img := coords(20, 10) // w 20, h 10
	o := &Options{Height: 6, Width: 8, Resize: 10}
	src, r, err := Geometry(img, o)
	if err != nil {
		t.Fatal(err)
	}
	if src != image.Image(img) || r != image.Rect(6, 2, 14, 8) {
		t.Fatalf("crop %v of %T", r, src)
	}
	dst := make([]float32, 3*6*8)
	if err := Fill(dst, img, o); err != nil {
		t.Fatal(err)
	}
	// Red plane holds x, green y, offset by the crop corner (6, 2).
	for y := range 6 {
		for x := range 8 {
			if !near(dst[y*8+x], float32(x+6)/255) || !near(dst[48+y*8+x], float32(y+2)/255) || !near(dst[96+y*8+x], 200.0/255) {
				t.Fatalf("(%d,%d): %v %v %v", x, y, dst[y*8+x], dst[48+y*8+x], dst[96+y*8+x])
			}
		}
	}
	// Odd margins round the corner down: 21−8 = 13 → 6.
	if _, r, _ := Geometry(coords(21, 10), o); r.Min != image.Pt(6, 2) {
		t.Errorf("odd margin: crop %v", r)
	}
}

// TestResizeGeometry checks the resampled sizes and that a smooth ramp
// stays in place through resize and crop.
func TestResizeGeometry(t *testing.T) {
	// Horizontal ramp 0..255 over 256 px, 128 px high.
	img := image.NewGray(image.Rect(0, 0, 256, 128))
	for y := range 128 {
		for x := range 256 {
			img.SetGray(x, y, color.Gray{uint8(x)})
		}
	}
	o := &Options{Height: 32, Width: 32, Resize: 64, Gray: true}
	src, r, err := Geometry(img, o)
	if err != nil {
		t.Fatal(err)
	}
	if src.Bounds() != image.Rect(0, 0, 128, 64) || r != image.Rect(48, 16, 80, 48) {
		t.Fatalf("resized %v, crop %v", src.Bounds(), r)
	}
	dst := make([]float32, 32*32)
	if err := Fill(dst, img, o); err != nil {
		t.Fatal(err)
	}
	// Resized column X (of 128) covers source columns 2X, 2X+1: value
	// (2X+0.5)/255. The crop starts at X = 48.
	for y := range 32 {
		for x := range 32 {
			want := (2*float64(x+48) + 0.5) / 255
			if math.Abs(float64(dst[y*32+x])-want) > 0.6/255 {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, dst[y*32+x]*255, want*255)
			}
		}
	}
	// Straight resize ignores the aspect ratio: 256x128 → 16x16.
	src, r, _ = Geometry(img, &Options{Height: 16, Width: 16})
	if src.Bounds() != image.Rect(0, 0, 16, 16) || r != src.Bounds() {
		t.Errorf("straight: %v %v", src.Bounds(), r)
	}
	// A crop larger than the resized image is an error.
	if _, _, err := Geometry(img, &Options{Height: 70, Width: 32, Resize: 64}); err == nil || !strings.Contains(err.Error(), "smaller than the 70x32 crop") {
		t.Errorf("crop too big: %v", err)
	}
}

// TestBoxUpscaleRoundTrip: nearest-neighbour ×4 then a box filter back
// gives the original values; the default Catmull-Rom stays close.
func TestBoxUpscaleRoundTrip(t *testing.T) {
	small := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range small.Pix {
		small.Pix[i] = uint8(i * 17)
	}
	big := image.NewGray(image.Rect(0, 0, 16, 16))
	draw.NearestNeighbor.Scale(big, big.Bounds(), small, small.Bounds(), draw.Src, nil)
	box := &draw.Kernel{Support: 0.5, At: func(float64) float64 { return 1 }}
	for _, c := range []struct {
		f   draw.Interpolator
		tol float64
	}{{box, 0}, {nil, 40}} {
		dst := make([]float32, 16)
		if err := Fill(dst, big, &Options{Height: 4, Width: 4, Gray: true, Filter: c.f}); err != nil {
			t.Fatal(err)
		}
		for i, v := range dst {
			if math.Abs(float64(v)*255-float64(small.Pix[i])) > c.tol+1e-3 {
				t.Errorf("filter %v: pixel %d = %v, want %v", c.f, i, v*255, small.Pix[i])
			}
		}
	}
}

func TestNormaliseAndOrder(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	img.SetNRGBA(0, 0, color.NRGBA{51, 102, 204, 255}) // 0.2, 0.4, 0.8
	one := func(o Options) []float32 {
		t.Helper()
		o.Height, o.Width = 1, 1
		dst := make([]float32, o.Channels())
		if err := Fill(dst, img, &o); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	check := func(name string, got []float32, want ...float32) {
		t.Helper()
		for i := range want {
			if !near(got[i], want[i]) {
				t.Errorf("%s: %v, want %v", name, got, want)
				return
			}
		}
	}
	check("plain", one(Options{}), 0.2, 0.4, 0.8)
	check("bgr", one(Options{BGR: true}), 0.8, 0.4, 0.2)
	check("scale", one(Options{Scale: 255}), 51, 102, 204)
	check("mean/std", one(Options{Mean: []float32{0.1, 0.2, 0.3}, Std: []float32{0.5, 0.25, 0.1}}), 0.2, 0.8, 5)
	// Mean and std follow the colour, not the position, under BGR.
	check("bgr mean/std", one(Options{BGR: true, Mean: []float32{0.1, 0.2, 0.3}, Std: []float32{0.5, 0.25, 0.1}}), 5, 0.8, 0.2)
	check("one value", one(Options{Mean: []float32{0.2}, Std: []float32{2}}), 0, 0.1, 0.3)
	check("imagenet", one(Options{Mean: ImageNetMean, Std: ImageNetStd}),
		(0.2-0.485)/0.229, (0.4-0.456)/0.224, (0.8-0.406)/0.225)
	check("gray", one(Options{Gray: true}), 0.299*0.2+0.587*0.4+0.114*0.8)
	check("gray scale mean std", one(Options{Gray: true, Scale: 2, Mean: []float32{1}, Std: []float32{0.5}}), (2*(0.299*0.2+0.587*0.4+0.114*0.8)-1)/0.5)
	// Half-transparent white composites over black.
	img.SetNRGBA(0, 0, color.NRGBA{255, 255, 255, 128})
	check("alpha", one(Options{}), 128.0/255, 128.0/255, 128.0/255)
}

// TestExactValues: 8-bit samples give s/255, 16-bit ones s/65535, and a gray
// image keeps its value through the gray conversion.
func TestExactValues(t *testing.T) {
	g16 := image.NewGray16(image.Rect(0, 0, 2, 1))
	g16.SetGray16(0, 0, color.Gray16{4096})
	g16.SetGray16(1, 0, color.Gray16{65535})
	dst := make([]float32, 2)
	if err := Fill(dst, g16, &Options{Height: 1, Width: 2, Gray: true}); err != nil {
		t.Fatal(err)
	}
	if dst[0] != float32(4096)/65535 || dst[1] != 1 {
		t.Errorf("16-bit: %v", dst)
	}
	for s := range 256 {
		g := image.NewGray(image.Rect(0, 0, 1, 1))
		g.Pix[0] = uint8(s)
		rgb := image.NewRGBA(image.Rect(0, 0, 1, 1))
		rgb.Pix[0], rgb.Pix[1], rgb.Pix[2], rgb.Pix[3] = uint8(s), uint8(s), uint8(s), 255
		for _, img := range []image.Image{g, rgb} {
			v := make([]float32, 1)
			if err := Fill(v, img, &Options{Height: 1, Width: 1, Gray: true}); err != nil {
				t.Fatal(err)
			}
			if v[0] != float32(s)/255 {
				t.Fatalf("%T %d: %v", img, s, v[0])
			}
		}
	}
}

func TestTensor(t *testing.T) {
	x, err := Tensor([]image.Image{coords(5, 5), coords(7, 3)}, &Options{Height: 3, Width: 3, Resize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if x.String() != "float32[2,3,3,3]" {
		t.Fatalf("tensor %v", x)
	}
	// Second image: 7x3 needs no resample, crop at (2, 0): red = x+2.
	if v := x.Float32s()[27+1]; !near(v, 3.0/255) {
		t.Errorf("second image red (1,0) = %v", v*255)
	}
	if _, err := Tensor(nil, &Options{Height: 1, Width: 1}); err == nil {
		t.Error("no images: no error")
	}
	if err := Fill(make([]float32, 5), coords(2, 2), &Options{Height: 2, Width: 2}); err == nil || !strings.Contains(err.Error(), "holds 5 values, want 3×2×2") {
		t.Errorf("short destination: %v", err)
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Width: 1}, "want positive height and width"},
		{Options{Height: 1, Width: 1, Resize: -1}, "resize -1"},
		{Options{Height: 1, Width: 1, Scale: float32(math.Inf(1))}, "scale +Inf is not finite"},
		{Options{Height: 1, Width: 1, Mean: []float32{1, 2}}, "mean has 2 values; want 1 or 3"},
		{Options{Height: 1, Width: 1, Gray: true, Std: []float32{1, 2, 3}}, "std has 3 values; gray output takes 1"},
		{Options{Height: 1, Width: 1, Std: []float32{1, 0, 1}}, "std value 0"},
		{Options{Height: 1, Width: 1, Mean: []float32{float32(math.NaN())}}, "mean value NaN is not finite"},
	} {
		if err := c.o.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
}

func TestDecode(t *testing.T) {
	img := coords(9, 7)
	var pngBuf, jpgBuf, bmpBuf bytes.Buffer
	png.Encode(&pngBuf, img)
	jpeg.Encode(&jpgBuf, img, nil)
	bmp.Encode(&bmpBuf, img)
	for name, b := range map[string][]byte{"png": pngBuf.Bytes(), "jpeg": jpgBuf.Bytes(), "bmp": bmpBuf.Bytes()} {
		m, err := Decode(bytes.NewReader(b))
		if err != nil || m.Bounds() != image.Rect(0, 0, 9, 7) {
			t.Errorf("%s: %v %v", name, err, m)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "x.png")
	os.WriteFile(path, pngBuf.Bytes(), 0o644)
	if m, err := Load(path); err != nil || m.Bounds().Dx() != 9 {
		t.Errorf("Load: %v", err)
	}
	for _, c := range []struct {
		data []byte
		want string
	}{
		{[]byte("hello"), "unsupported image format"},
		{[]byte("II*\x00xxxx"), "TIFF images are not supported"},
		{[]byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00"), "AVIF images are not supported"},
		{[]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), "HEIF images are not supported"},
		{pngBuf.Bytes()[:40], "cannot decode png image"},
		{[]byte("RIFF\x10\x00\x00\x00WEBPVP8 \x04\x00\x00\x00\x00\x00\x00\x00"), "cannot decode webp image"},
		{[]byte("BM\x00\x00\x00\x00\x00\x00\x00\x00\x36"), "cannot decode bmp image"},
	} {
		_, err := DecodeBytes(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want %q", c.data, err, c.want)
		}
	}
	if _, err := DecodeBytes([]byte("hello")); !errors.Is(err, ErrFormat) {
		t.Errorf("unknown format is not ErrFormat: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "none.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// A header claiming a huge image is refused before decoding.
	var huge bytes.Buffer
	png.Encode(&huge, image.NewGray(image.Rect(0, 0, 1, 1)))
	b := huge.Bytes()
	copy(b[16:24], []byte{0, 0, 0x40, 0, 0, 0, 0x40, 0}) // IHDR 16384x16384
	binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29]))
	if _, err := DecodeBytes(b); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Errorf("huge: %v", err)
	}
}

// TestWebP decodes the committed lossless WebP (made by cwebp, see
// testdata/images/README.md).
func TestWebP(t *testing.T) {
	m, err := Load("../testdata/images/digit_2_8bit_lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 64)
	if err := Fill(dst, m, &Options{Height: 8, Width: 8, Gray: true}); err != nil {
		t.Fatal(err)
	}
	// Every level is round(ink/16·255) for an ink value 0..16.
	for i, v := range dst {
		ink := math.Round(float64(v) * 16)
		if math.Abs(float64(v)*255-math.Round(ink/16*255)) > 1e-4 {
			t.Fatalf("pixel %d = %v/255: not an ink level", i, v*255)
		}
	}
}
