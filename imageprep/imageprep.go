// Package imageprep decodes images and turns them into the float32 NCHW
// tensors that image classifiers take.
//
// Decoding covers PNG, JPEG, GIF (the first frame), WebP and BMP. The
// preprocessing is, in order:
//
//  1. Geometry. With Options.Resize = 0 the image is resized straight to
//     Height×Width (the aspect ratio is not kept). With Resize = N > 0 it is
//     resized so that its shorter side is N, keeping the aspect ratio (the
//     longer side becomes ⌊long·N/short⌋), and the centre Height×Width is
//     cropped, the top-left corner of the crop at (⌊(w−Width)/2⌋,
//     ⌊(h−Height)/2⌋) — the torchvision Resize(N) + CenterCrop(H, W) recipe.
//     An image that already has the target size is not resampled. Resampling
//     uses Options.Filter (Catmull-Rom by default; it low-pass filters when
//     shrinking) into 16 bits per channel.
//  2. Pixel values. Each channel sample becomes p = sample/max in [0,1]
//     (max = 255 for 8-bit images, 65535 for 16-bit ones). Transparent
//     pixels are composited over black (Go's premultiplied colours).
//  3. Channels. Colour output is three planes R, G, B, or B, G, R with
//     Options.BGR. Gray output is one plane of luma
//     0.299·R + 0.587·G + 0.114·B (ITU-R BT.601, as Go's color.GrayModel and
//     PIL's "L" mode); a gray image keeps its exact values.
//  4. Normalisation. value = (Scale·p − Mean[c]) / Std[c], where Mean and
//     Std are indexed by colour (R, G, B) whatever the output order, or hold
//     one value for every channel.
//
// For example ImageNet models take Options{Height: 224, Width: 224,
// Resize: 256, Mean: ImageNetMean, Std: ImageNetStd}, Caffe-style models
// that want BGR values in 0..255 take Scale 255, BGR true and means in 0..255
// units, and gocnn's 8×8 digits model (input pixel/16 with 0 = background)
// takes white-on-black 8×8 gray images whose gray level is ink/16·255 with
// Gray true, Mean {0} and Std {1}.
//
// JPEG EXIF orientation is not applied: images are used as stored.
package imageprep

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // registers GIF
	_ "image/jpeg" // registers JPEG
	_ "image/png"  // registers PNG
	"io"
	"math"
	"os"

	_ "golang.org/x/image/bmp" // registers BMP
	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers WebP

	"github.com/gocnn/gocnn/tensor"
)

// ImageNetMean and ImageNetStd are the per-colour (R, G, B) statistics of
// ImageNet on [0,1] values that most pretrained classifiers normalise with.
var (
	ImageNetMean = []float32{0.485, 0.456, 0.406}
	ImageNetStd  = []float32{0.229, 0.224, 0.225}
)

// MaxPixels bounds the width×height of an image Decode accepts, so that a
// small file cannot make it allocate gigabytes.
const MaxPixels = 1 << 27

// Formats lists the image formats Decode understands.
const Formats = "PNG, JPEG, GIF, WebP or BMP"

// ErrFormat reports an image whose format Decode does not know or support.
var ErrFormat = errors.New("unsupported image format (want " + Formats + ")")

// Luma weights of R, G and B for gray output (ITU-R BT.601).
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// Load reads and decodes the image file at path. Errors name the file.
func Load(path string) (image.Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, err := DecodeBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// Decode reads and decodes one image: PNG, JPEG, GIF, WebP or BMP.
func Decode(r io.Reader) (image.Image, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return DecodeBytes(b)
}

// DecodeBytes decodes one image held in memory.
func DecodeBytes(b []byte) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if errors.Is(err, image.ErrFormat) {
		if name := knownUnsupported(b); name != "" {
			return nil, fmt.Errorf("%s images are not supported (want %s)", name, Formats)
		}
		return nil, ErrFormat
	}
	if err != nil {
		return nil, fmt.Errorf("cannot decode %s image: %v", format, oneLine(err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%s image has no pixels (%dx%d)", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("%s image is %dx%d, more than the %d pixels allowed", format, cfg.Width, cfg.Height, MaxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("cannot decode %s image: %v", format, oneLine(err))
	}
	return img, nil
}

// knownUnsupported names a few common formats by their magic numbers.
func knownUnsupported(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "TIFF"
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		switch string(b[8:12]) {
		case "avif", "avis":
			return "AVIF"
		case "heic", "heix", "mif1", "msf1", "hevc":
			return "HEIF"
		}
	case bytes.HasPrefix(b, []byte("\x00\x00\x01\x00")):
		return "ICO"
	case bytes.HasPrefix(b, []byte("\xff\x0a")), bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cJXL ")):
		return "JPEG XL"
	}
	return ""
}

func oneLine(err error) string {
	return string(bytes.ReplaceAll([]byte(err.Error()), []byte("\n"), []byte(" ")))
}

// Options say how to turn an image into a tensor. Height and Width are
// required; the zero value of every other field means: resize straight to
// Height×Width, three channels R, G, B, value = p (no scaling or
// normalisation), Catmull-Rom resampling.
type Options struct {
	// Height and Width are the output size.
	Height, Width int
	// Resize, when positive, is the length the shorter side is resized to
	// before the centre Height×Width crop. Zero resizes straight to
	// Height×Width.
	Resize int
	// Gray makes one channel of luma instead of three colour channels.
	Gray bool
	// BGR orders the colour channels B, G, R instead of R, G, B.
	BGR bool
	// Scale multiplies the [0,1] value before the normalisation; 0 means 1.
	Scale float32
	// Mean and Std normalise: (Scale·p − Mean[c]) / Std[c]. Each holds one
	// value for every channel or three indexed by colour R, G, B (Gray takes
	// one). Empty means mean 0 and std 1.
	Mean, Std []float32
	// Filter resamples; nil means draw.CatmullRom.
	Filter draw.Interpolator
}

// Channels is the number of channels the options make: 1 or 3.
func (o *Options) Channels() int {
	if o.Gray {
		return 1
	}
	return 3
}

// Check reports options that cannot work.
func (o *Options) Check() error {
	if o.Height <= 0 || o.Width <= 0 {
		return fmt.Errorf("imageprep: output size %dx%d: want positive height and width", o.Height, o.Width)
	}
	if o.Resize < 0 {
		return fmt.Errorf("imageprep: resize %d: want 0 (straight resize) or a positive shorter side", o.Resize)
	}
	if isBad(float64(o.Scale)) {
		return fmt.Errorf("imageprep: scale %v is not finite", o.Scale)
	}
	for _, p := range []struct {
		name string
		v    []float32
	}{{"mean", o.Mean}, {"std", o.Std}} {
		switch {
		case len(p.v) == 0 || len(p.v) == 1:
		case len(p.v) == 3 && !o.Gray:
		case o.Gray:
			return fmt.Errorf("imageprep: %s has %d values; gray output takes 1", p.name, len(p.v))
		default:
			return fmt.Errorf("imageprep: %s has %d values; want 1 or 3 (R, G, B)", p.name, len(p.v))
		}
		for _, x := range p.v {
			if isBad(float64(x)) {
				return fmt.Errorf("imageprep: %s value %v is not finite", p.name, x)
			}
			if p.name == "std" && x == 0 {
				return errors.New("imageprep: std value 0: want a non-zero std")
			}
		}
	}
	return nil
}

func isBad(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }

// Tensor turns images into one float32 batch [len(imgs), C, Height, Width],
// C = o.Channels().
func Tensor(imgs []image.Image, o *Options) (*tensor.Tensor, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if len(imgs) == 0 {
		return nil, errors.New("imageprep: no images")
	}
	c := o.Channels()
	t := tensor.New(tensor.Float32, len(imgs), c, o.Height, o.Width)
	n := c * o.Height * o.Width
	for i, img := range imgs {
		if err := Fill(t.Float32s()[i*n:(i+1)*n], img, o); err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
	}
	return t, nil
}

// Fill writes one preprocessed image into dst, which holds C·Height·Width
// values in CHW order.
func Fill(dst []float32, img image.Image, o *Options) error {
	if err := o.Check(); err != nil {
		return err
	}
	c, h, w := o.Channels(), o.Height, o.Width
	if len(dst) != c*h*w {
		return fmt.Errorf("imageprep: destination holds %d values, want %d×%d×%d", len(dst), c, h, w)
	}
	src, r, err := Geometry(img, o)
	if err != nil {
		return err
	}
	mean, std := perColour(o.Mean, 0), perColour(o.Std, 1)
	scale := o.Scale
	if scale == 0 {
		scale = 1
	}
	// Output plane of each colour: red, green, blue.
	plane := [3]int{0, 1, 2}
	if o.BGR {
		plane = [3]int{2, 1, 0}
	}
	hw := h * w
	for y := range h {
		for x := range w {
			rr, gg, bb := rgb(src, r.Min.X+x, r.Min.Y+y)
			i := y*w + x
			if o.Gray {
				dst[i] = (scale*luma(rr, gg, bb) - mean[0]) / std[0]
				continue
			}
			for k, v := range [3]float32{rr, gg, bb} {
				dst[plane[k]*hw+i] = (scale*v - mean[k]) / std[k]
			}
		}
	}
	return nil
}

// perColour expands one or three values to three; empty gives def.
func perColour(v []float32, def float32) [3]float32 {
	switch len(v) {
	case 0:
		return [3]float32{def, def, def}
	case 1:
		return [3]float32{v[0], v[0], v[0]}
	}
	return [3]float32{v[0], v[1], v[2]}
}

// luma is the BT.601 gray value; a gray pixel keeps its value exactly.
func luma(r, g, b float32) float32 {
	if r == g && g == b {
		return r
	}
	return float32(lumaR*float64(r) + lumaG*float64(g) + lumaB*float64(b))
}

// rgb reads one pixel as [0,1] values (premultiplied by alpha).
func rgb(img image.Image, x, y int) (r, g, b float32) {
	switch m := img.(type) {
	case *image.RGBA64:
		i := m.PixOffset(x, y)
		p := m.Pix[i : i+6 : i+6]
		return u16(uint32(p[0])<<8 | uint32(p[1])), u16(uint32(p[2])<<8 | uint32(p[3])), u16(uint32(p[4])<<8 | uint32(p[5]))
	case *image.Gray:
		v := float32(m.Pix[m.PixOffset(x, y)]) / 255
		return v, v, v
	case *image.Gray16:
		i := m.PixOffset(x, y)
		v := u16(uint32(m.Pix[i])<<8 | uint32(m.Pix[i+1]))
		return v, v, v
	case image.RGBA64Image:
		c := m.RGBA64At(x, y)
		return u16(uint32(c.R)), u16(uint32(c.G)), u16(uint32(c.B))
	}
	cr, cg, cb, _ := img.At(x, y).RGBA()
	return u16(cr), u16(cg), u16(cb)
}

// u16 maps a 16-bit sample to [0,1]. An 8-bit sample s arrives as s·257,
// so it maps to s/255.
func u16(v uint32) float32 {
	if v%257 == 0 {
		return float32(v/257) / 255
	}
	return float32(v) / 65535
}

// Geometry resizes (and crops) img as the options say. It returns the image
// to read and the Height×Width rectangle of it to read. An image that needs
// no resampling is returned as it is.
func Geometry(img image.Image, o *Options) (image.Image, image.Rectangle, error) {
	if err := o.Check(); err != nil {
		return nil, image.Rectangle{}, err
	}
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw <= 0 || sh <= 0 {
		return nil, image.Rectangle{}, fmt.Errorf("imageprep: the image has no pixels (%dx%d)", sw, sh)
	}
	rw, rh := o.Width, o.Height
	if o.Resize > 0 {
		rw, rh = ResizeShorter(sw, sh, o.Resize)
		if rw < o.Width || rh < o.Height {
			return nil, image.Rectangle{}, fmt.Errorf("imageprep: the %dx%d (HxW) image with its shorter side resized to %d is %dx%d, smaller than the %dx%d crop",
				sh, sw, o.Resize, rh, rw, o.Height, o.Width)
		}
	}
	if int64(rw)*int64(rh) > MaxPixels {
		return nil, image.Rectangle{}, fmt.Errorf("imageprep: resizing to %dx%d (HxW) makes more than %d pixels", rh, rw, MaxPixels)
	}
	src := img
	if rw != sw || rh != sh {
		f := o.Filter
		if f == nil {
			f = draw.CatmullRom
		}
		dst := image.NewRGBA64(image.Rect(0, 0, rw, rh))
		f.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
		src = dst
	}
	min := src.Bounds().Min.Add(image.Pt((rw-o.Width)/2, (rh-o.Height)/2))
	return src, image.Rectangle{Min: min, Max: min.Add(image.Pt(o.Width, o.Height))}, nil
}

// ResizeShorter is the size (width, height) of a w×h image resized so that
// its shorter side is n: the longer side becomes ⌊long·n/short⌋ (at least n).
func ResizeShorter(w, h, n int) (int, int) {
	if w <= h {
		return n, max(n, int(int64(h)*int64(n)/int64(w)))
	}
	return max(n, int(int64(w)*int64(n)/int64(h))), n
}
