package imageprep_test

import (
	"fmt"
	"image"
	"image/color"

	"github.com/gocnn/gocnn/imageprep"
)

// An ImageNet-style batch: shorter side to 256, centre 224×224, ImageNet
// mean and std. Images usually come from imageprep.Load(path).
func Example() {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range img.Pix {
		img.Pix[i] = 255 // white
	}
	x, err := imageprep.Tensor([]image.Image{img}, &imageprep.Options{
		Height: 224, Width: 224, Resize: 256,
		Mean: imageprep.ImageNetMean, Std: imageprep.ImageNetStd,
	})
	if err != nil {
		panic(err)
	}
	v := x.Float32s()
	fmt.Println(x, v[0], v[224*224], v[2*224*224]) // then m.Run(ctx, map[string]*tensor.Tensor{"input": x})
	// Output: float32[1,3,224,224] 2.2489083 2.4285715 2.64
}

// The embedded digits model wants 8×8 white-on-black gray images, value =
// ink/16 in [0,1]: gray level ink/16·255 (or ·65535) read with mean 0, std 1.
func ExampleFill() {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	img.SetGray(3, 0, color.Gray{Y: 255}) // full ink
	img.SetGray(4, 0, color.Gray{Y: 128}) // ink 8/16, rounded up
	dst := make([]float32, 64)
	if err := imageprep.Fill(dst, img, &imageprep.Options{Height: 8, Width: 8, Gray: true}); err != nil {
		panic(err)
	}
	fmt.Println(dst[:6])
	// Output: [0 0 0 1 0.5019608 0]
}
