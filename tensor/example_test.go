package tensor_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gocnn/gocnn/tensor"
)

// Create a tensor, save it as a .npy file (readable by numpy.load) and load
// it back.
func Example() {
	// A 2×3 float32 tensor, row-major: element [i, j] is at i*3 + j.
	t := tensor.New(tensor.Float32, 2, 3)
	for i := range t.Float32s() {
		t.Float32s()[i] = float32(i) / 2
	}

	dir, err := os.MkdirTemp("", "tensor-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "x.npy")
	if err := tensor.SaveNpy(path, t); err != nil {
		log.Fatal(err)
	}

	u, err := tensor.LoadNpy(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u, u.Float32s())
	// Output: float32[2,3] [0 0.5 1 1.5 2 2.5]
}

// WriteNpy and ReadNpy do the same with any io.Writer and io.Reader.
func ExampleReadNpy() {
	var buf bytes.Buffer
	labels := tensor.FromInt64([]int{4}, []int64{3, 1, 4, 1})
	if err := tensor.WriteNpy(&buf, labels); err != nil {
		log.Fatal(err)
	}
	t, err := tensor.ReadNpy(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.DType, t.Shape, t.Int64s())
	// Output: int64 [4] [3 1 4 1]
}
