// Package digits embeds gocnn's default model: a small CNN trained on
// scikit-learn's 8×8 digits, with its held-out test set. See README.md for
// how train.py made it and for the input contract.
package digits

import (
	"bytes"
	_ "embed"

	"github.com/gocnn/gocnn/tensor"
)

// Model is the ONNX file: input "image" float32[N,1,8,8] (pixel/16),
// output "logits" float32[N,10].
//
//go:embed model.onnx
var Model []byte

//go:embed test_images.npy
var testImages []byte

//go:embed test_labels.npy
var testLabels []byte

//go:embed expected_logits.npy
var expectedLogits []byte

// TestSet returns the held-out images [N,1,8,8], their labels [N] and
// torch's logits for them [N,10].
func TestSet() (images, labels, logits *tensor.Tensor, err error) {
	if images, err = tensor.ReadNpy(bytes.NewReader(testImages)); err != nil {
		return
	}
	if labels, err = tensor.ReadNpy(bytes.NewReader(testLabels)); err != nil {
		return
	}
	logits, err = tensor.ReadNpy(bytes.NewReader(expectedLogits))
	return
}
