package gocnn_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"path/filepath"
	"sync"

	"github.com/gocnn/gocnn"
	"github.com/gocnn/gocnn/cmd/gocnn/digits"
	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// argmax returns the index of the largest value.
func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Classify one image with the default model embedded in the gocnn command:
// a small CNN for 8×8 handwritten digits (input "image" [N,1,8,8], output
// "logits" [N,10]).
func Example() {
	m, err := gocnn.Decode(digits.Model, nil)
	if err != nil {
		log.Fatal(err)
	}
	images, labels, _, err := digits.TestSet()
	if err != nil {
		log.Fatal(err)
	}

	// The first test image, as a batch of one.
	x := tensor.New(tensor.Float32, 1, 1, 8, 8)
	copy(x.Float32s(), images.Float32s()[:64])

	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"image": x})
	if err != nil {
		log.Fatal(err)
	}
	logits := out["logits"]
	fmt.Println("logits shape:", logits.Shape)
	fmt.Println("predicted:", argmax(logits.Float32s()), "label:", labels.Int64s()[0])
	// Output:
	// logits shape: [1 10]
	// predicted: 2 label: 2
}

// A Model is immutable once loaded: goroutines share it and call Run
// concurrently, each run using its own memory.
func ExampleModel_Run_concurrent() {
	m, err := gocnn.Decode(digits.Model, nil)
	if err != nil {
		log.Fatal(err)
	}
	images, labels, _, err := digits.TestSet()
	if err != nil {
		log.Fatal(err)
	}

	const workers = 4
	n := images.Shape[0]
	correct := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := tensor.New(tensor.Float32, 1, 1, 8, 8)
			for i := w; i < n; i += workers { // worker w takes every workers-th image
				copy(x.Float32s(), images.Float32s()[i*64:(i+1)*64])
				out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"image": x})
				if err != nil {
					log.Print(err)
					return
				}
				if int64(argmax(out["logits"].Float32s())) == labels.Int64s()[i] {
					correct[w]++
				}
			}
		}()
	}
	wg.Wait()

	total := 0
	for _, c := range correct {
		total += c
	}
	fmt.Printf("%d of %d test images classified correctly\n", total, n)
	// Output:
	// 442 of 450 test images classified correctly
}

// Load a model file with limits on what it may make the loader allocate,
// keeping the graph exactly as exported.
func ExampleLoad() {
	opts := &gocnn.Options{
		// Refuse files whose weights or tensors exceed these sizes, or
		// with too many nodes (the defaults are far larger).
		Limits: onnx.Options{
			MaxWeightBytes:    64 << 20,
			MaxTensorElements: 1 << 24,
			MaxNodes:          1000,
		},
		// No constant folding or fusion: run every node of the file.
		NoOptimize: true,
	}
	path := filepath.Join("testdata", "torch", "lenet5_op13.onnx")
	m, err := gocnn.Load(path, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("opset:", m.Opset())
	for _, in := range m.Inputs() {
		fmt.Println("input:", in) // N is a symbolic dimension: any batch size
	}
	for _, out := range m.Outputs() {
		fmt.Println("output:", out)
	}

	// A file that needs more than the limits allow is refused with an
	// error.
	_, err = gocnn.Load(path, &gocnn.Options{Limits: onnx.Options{MaxWeightBytes: 1 << 10}})
	fmt.Println("refused with 1 KiB of weights allowed:", errors.Is(err, onnx.ErrFormat))
	// Output:
	// opset: 13
	// input: input float32[N,1,32,32]
	// output: output float32[N,10]
	// refused with 1 KiB of weights allowed: true
}

// Layers lists the nodes a model runs, in order, with the shapes they see
// for given input shapes.
func ExampleModel_Layers() {
	// NoOptimize shows the nodes as exported; by default the list shows the
	// optimised graph (fused convolutions, folded constants).
	m, err := gocnn.Decode(digits.Model, &gocnn.Options{NoOptimize: true})
	if err != nil {
		log.Fatal(err)
	}
	layers, err := m.Layers(map[string][]int{"image": {32, 1, 8, 8}})
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range layers {
		in, out := fmt.Sprint(l.InputShapes[0]), fmt.Sprint(l.OutputShapes[0])
		fmt.Printf("%-7s %-12s -> %-12s weights %d\n", l.OpType, in, out, l.Weights)
	}
	// Output:
	// Conv    [32 1 8 8]   -> [32 16 8 8]  weights 160
	// Relu    [32 16 8 8]  -> [32 16 8 8]  weights 0
	// Conv    [32 16 8 8]  -> [32 32 8 8]  weights 4640
	// Relu    [32 32 8 8]  -> [32 32 8 8]  weights 0
	// MaxPool [32 32 8 8]  -> [32 32 4 4]  weights 0
	// Flatten [32 32 4 4]  -> [32 512]     weights 0
	// Gemm    [32 512]     -> [32 10]      weights 5130
}
