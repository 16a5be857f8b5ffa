package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gocnn/gocnn"
	"github.com/gocnn/gocnn/cmd/gocnn/digits"
	"github.com/gocnn/gocnn/tensor"
)

func runDemo(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("demo takes no arguments")
	}
	acc, err := demo(stdout, 6)
	if err != nil {
		return err
	}
	if acc < 0.95 {
		return fmt.Errorf("accuracy %.2f%% is below 95%%", 100*acc)
	}
	return nil
}

// demo classifies the embedded test set, draws the first few digits with
// their predictions, and returns the accuracy.
func demo(w io.Writer, show int) (float64, error) {
	m, err := gocnn.Decode(digits.Model, nil)
	if err != nil {
		return 0, err
	}
	images, labels, _, err := digits.TestSet()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"image": images})
	if err != nil {
		return 0, err
	}
	elapsed := time.Since(start)
	logits := out["logits"]
	n, classes := logits.Shape[0], logits.Shape[1]
	pred := make([]int, n)
	correct := 0
	for i := range n {
		pred[i] = argmax(logits.Float32s()[i*classes : (i+1)*classes])
		if int64(pred[i]) == labels.Int64s()[i] {
			correct++
		}
	}
	drawDigits(w, images.Float32s(), pred, labels.Int64s(), min(show, n))
	acc := float64(correct) / float64(n)
	fmt.Fprintf(w, "digits test set: %d/%d correct, accuracy %.2f%% (one batch of %d in %.2f ms)\n",
		correct, n, 100*acc, n, float64(elapsed.Microseconds())/1000)
	return acc, nil
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// drawDigits prints 8×8 images side by side in shades of ink, with the
// predicted and true label under each.
func drawDigits(w io.Writer, pix []float32, pred []int, label []int64, count int) {
	shades := []rune(" .:-=+*#%@")
	for y := range 8 {
		var line strings.Builder
		for i := range count {
			for x := range 8 {
				v := pix[i*64+y*8+x]
				s := shades[min(int(v*float32(len(shades)-1)+0.5), len(shades)-1)]
				line.WriteRune(s)
				line.WriteRune(s)
			}
			line.WriteString("   ")
		}
		fmt.Fprintln(w, strings.TrimRight(line.String(), " "))
	}
	var caption strings.Builder
	for i := range count {
		mark := "ok"
		if int64(pred[i]) != label[i] {
			mark = fmt.Sprintf("want %d", label[i])
		}
		fmt.Fprintf(&caption, "%-19s", fmt.Sprintf("-> %d %s", pred[i], mark))
	}
	fmt.Fprintln(w, strings.TrimRight(caption.String(), " "))
}
