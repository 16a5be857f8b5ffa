package bench

// Whole-network and per-layer benchmarks on the zoo models (package
// bench/zoo: torchvision's architectures with seeded random weights), and a
// fast test that every zoo model builds and all but VGG-16 and AlexNet load
// and run at 64×64.
//
//	go test ./bench -run '^$' -bench 'Model/model=resnet18/' -benchtime=3x
//	go test ./bench -run '^$' -bench 'ConvLayers/model=mobilenet_v2/' -benchtime=20x
//
// See bench/README.md.

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocnn/gocnn"
	"github.com/gocnn/gocnn/bench/zoo"
	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// models are the benchmarked networks, cheapest first.
var models = []string{"squeezenet1_1", "shufflenet_v2_x1_0", "mobilenet_v2", "efficientnet_b0",
	"resnet18", "alexnet", "googlenet", "resnet50", "vgg16"}

const seed = 1

var (
	encMu   sync.Mutex
	encoded = map[string][]byte{}
)

// zooBytes returns the ONNX encoding of the named zoo model at size×size,
// built once per test binary.
func zooBytes(tb testing.TB, name string, size int) []byte {
	tb.Helper()
	encMu.Lock()
	defer encMu.Unlock()
	key := fmt.Sprint(name, "@", size)
	if b, ok := encoded[key]; ok {
		return b
	}
	m, err := zoo.BuildSize(name, seed, size)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := onnx.Encode(m)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	encoded[key] = b
	return b
}

// randomInput is a seeded standard-normal tensor.
func randomInput(shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	r := rand.New(rand.NewPCG(7, 11))
	for i := range t.Float32s() {
		t.Float32s()[i] = float32(r.NormFloat64())
	}
	return t
}

// withThreads runs f with GOMAXPROCS set to n, restoring it afterwards.
func withThreads(n int, f func()) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
	f()
}

var (
	loadMu sync.Mutex
	loaded = map[string]*gocnn.Model{}
)

// loadZoo loads (once) the named 224×224 model with opts.Threads = threads.
func loadZoo(b *testing.B, name string, threads int) *gocnn.Model {
	b.Helper()
	loadMu.Lock()
	defer loadMu.Unlock()
	key := fmt.Sprint(name, "/", threads)
	if m, ok := loaded[key]; ok {
		return m
	}
	m, err := gocnn.Decode(zooBytes(b, name, zoo.Size), &gocnn.Options{Threads: threads})
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	loaded[key] = m
	return m
}

// BenchmarkModel times one batch-1 224×224 inference of each zoo model with
// 1 and 2 threads (Options.Threads and GOMAXPROCS both set).
func BenchmarkModel(b *testing.B) {
	for _, name := range models {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("model=%s/threads=%d", name, threads), func(b *testing.B) {
				withThreads(threads, func() {
					m := loadZoo(b, name, threads)
					in := map[string]*tensor.Tensor{"input": randomInput(1, 3, zoo.Size, zoo.Size)}
					ctx := context.Background()
					if _, err := m.Run(ctx, in); err != nil { // warm-up
						b.Fatal(err)
					}
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						if _, err := m.Run(ctx, in); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/op")
				})
			})
		}
		forget(name) // VGG-16 alone holds gigabytes
	}
}

// forget drops the cached encodings and loaded models of name.
func forget(name string) {
	encMu.Lock()
	for k := range encoded {
		if strings.HasPrefix(k, name+"@") {
			delete(encoded, k)
		}
	}
	encMu.Unlock()
	loadMu.Lock()
	for k := range loaded {
		if strings.HasPrefix(k, name+"/") {
			delete(loaded, k)
		}
	}
	loadMu.Unlock()
}

// convShape is what determines a convolution's cost and kernel choice.
type convShape struct {
	cin, h, w, cout, kh, kw, sh, sw, group int
	pads                                   string
	act                                    string
	residual                               bool
}

func (s convShape) String() string {
	str := fmt.Sprintf("%dx%dx%d-%dk%dx%ds%dp%sg%d", s.cin, s.h, s.w, s.cout, s.kh, s.kw, s.sh, s.pads, s.group)
	if s.residual {
		str += "+add"
	}
	if s.act != "" {
		str += "+" + strings.ToLower(s.act)
	}
	return str
}

// convLayer is one distinct convolution of a network: its first layer's
// name, its shape and a one-node model running just it.
type convLayer struct {
	name  string
	shape convShape
	oh    int
	ow    int
	flops float64
	node  *onnx.Node
}

func intsAttr(n *onnx.Node, k string, def ...int64) []int64 {
	if a := n.Attrs[k]; a != nil && len(a.Ints) > 0 {
		return a.Ints
	}
	return def
}

// padString is "1" for pads [1,1,1,1], else "0,0,1,1".
func padString(p []int64) string {
	if !slices.ContainsFunc(p, func(v int64) bool { return v != p[0] }) {
		return fmt.Sprint(p[0])
	}
	return strings.Trim(strings.ReplaceAll(fmt.Sprint(p), " ", ","), "[]")
}

// convLayers lists the distinct Conv (or fused gocnn.Conv) nodes of the
// named zoo model as gocnn runs it after optimisation.
func convLayers(tb testing.TB, name string) []convLayer {
	m, err := gocnn.Decode(zooBytes(tb, name, zoo.Size), nil)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	layers, err := m.Layers(map[string][]int{"input": {1, 3, zoo.Size, zoo.Size}})
	if err != nil {
		tb.Fatal(err)
	}
	var out []convLayer
	seen := map[convShape]bool{}
	for _, l := range layers {
		if l.Node.OpType != "Conv" || l.InputShapes[0] == nil || l.OutputShapes[0] == nil {
			continue
		}
		in, o := l.InputShapes[0], l.OutputShapes[0]
		k := intsAttr(l.Node, "kernel_shape")
		if len(k) != 2 || len(in) != 4 {
			continue
		}
		s := intsAttr(l.Node, "strides", 1, 1)
		g := int64(1)
		if a := l.Node.Attrs["group"]; a != nil {
			g = a.I
		}
		cs := convShape{cin: in[1], h: in[2], w: in[3], cout: o[1], kh: int(k[0]), kw: int(k[1]),
			sh: int(s[0]), sw: int(s[1]), group: int(g),
			pads:     padString(intsAttr(l.Node, "pads", 0, 0, 0, 0)),
			residual: len(l.Node.Inputs) > 3 && l.Node.Inputs[3] != ""}
		if a := l.Node.Attrs["activation"]; a != nil {
			cs.act = a.S
		}
		if seen[cs] {
			continue
		}
		seen[cs] = true
		out = append(out, convLayer{name: l.Name, shape: cs, oh: o[2], ow: o[3], node: l.Node,
			flops: 2 * float64(cs.cout) * float64(cs.cin/cs.group) * float64(cs.kh*cs.kw) * float64(o[2]*o[3])})
	}
	return out
}

// oneConv builds a model running just the convolution of l (with its fused
// residual input and activation, if any) on inputs "x" (and "r").
func oneConv(l convLayer) *onnx.Model {
	s := l.shape
	r := rand.New(rand.NewPCG(3, 5))
	w := tensor.New(tensor.Float32, s.cout, s.cin/s.group, s.kh, s.kw)
	scale := math.Sqrt(6 / float64(s.cin/s.group*s.kh*s.kw))
	for i := range w.Float32s() {
		w.Float32s()[i] = float32(scale * (2*r.Float64() - 1))
	}
	bias := tensor.New(tensor.Float32, s.cout)
	for i := range bias.Float32s() {
		bias.Float32s()[i] = float32(0.1 * (2*r.Float64() - 1))
	}
	n := &onnx.Node{Name: l.name, OpType: "Conv", Domain: l.node.Domain, Inputs: []string{"x", "w", "b"},
		Outputs: []string{"y"}, Attrs: map[string]*onnx.Attr{}}
	for k, a := range l.node.Attrs {
		n.Attrs[k] = a
	}
	vi := func(name string, shape ...int) onnx.ValueInfo {
		return onnx.ValueInfo{Name: name, DType: tensor.Float32, Shape: shape}
	}
	g := &onnx.Graph{
		Name:         l.name,
		Nodes:        []*onnx.Node{n},
		Inputs:       []onnx.ValueInfo{vi("x", 1, s.cin, s.h, s.w)},
		Outputs:      []onnx.ValueInfo{vi("y", 1, s.cout, l.oh, l.ow)},
		Initializers: map[string]*tensor.Tensor{"w": w, "b": bias},
	}
	if s.residual {
		n.Inputs = append(n.Inputs, "r")
		g.Inputs = append(g.Inputs, vi("r", 1, s.cout, l.oh, l.ow))
	}
	return &onnx.Model{Opsets: map[string]int64{"": zoo.Opset}, Graph: g}
}

// BenchmarkConvLayers times each distinct convolution of the zoo models
// (as gocnn runs it: with the residual Add and activation it fused) alone,
// at batch 1 and 224×224 network input, with 1 and 2 threads, reporting the
// effective GFLOP/s (2·Cout·Cin/group·KH·KW·OH·OW per run). Names are
// model=M/layer=L/threads=T/shape=S/kernel=K: the layer is the first of
// that shape in the network, S is CinxHxW-CoutkKHxKWsSTRIDEpPADSgGROUPS
// (+add, +activation), K is Layer.Kernel, the implementation gocnn chose.
//
//	go test ./bench -run '^$' -bench 'ConvLayers/model=resnet18/.*/threads=1' -benchtime=20x
func BenchmarkConvLayers(b *testing.B) {
	for _, name := range models {
		b.Run("model="+name, func(b *testing.B) {
			for _, l := range convLayers(b, name) {
				for _, threads := range []int{1, 2} {
					runConvLayer(b, l, threads)
				}
			}
		})
		forget(name)
	}
}

func runConvLayer(b *testing.B, l convLayer, threads int) {
	enc, err := onnx.Encode(oneConv(l))
	if err != nil {
		b.Fatal(err)
	}
	m, err := gocnn.Decode(enc, &gocnn.Options{Threads: threads})
	if err != nil {
		b.Fatalf("%s %v: %v", l.name, l.shape, err)
	}
	kernel := "?"
	if ls, err := m.Layers(nil); err == nil && len(ls) == 1 {
		kernel = ls[0].Kernel
	}
	kernel = strings.NewReplacer("/", ":", " ", "_").Replace(kernel)
	b.Run(fmt.Sprintf("layer=%s/threads=%d/shape=%v/kernel=%s", l.name, threads, l.shape, kernel), func(b *testing.B) {
		withThreads(threads, func() {
			in := map[string]*tensor.Tensor{"x": randomInput(1, l.shape.cin, l.shape.h, l.shape.w)}
			if l.shape.residual {
				in["r"] = randomInput(1, l.shape.cout, l.oh, l.ow)
			}
			ctx := context.Background()
			out, err := m.Run(ctx, in) // (warm-up)
			if err != nil {
				b.Fatal(err)
			}
			// RunInto: Run would clone the output every run, which for the
			// large maps took longer than the convolution (SqueezeNet's
			// fire1.conv2, 64×55×55: 135 against 40 µs on one thread).
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := m.RunInto(ctx, in, out); err != nil {
					b.Fatal(err)
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(l.flops/sec/1e9, "GFLOP/s")
			b.ReportMetric(sec*1e3, "ms/op")
		})
	})
}

// buildOnly are the models TestZooModelsRun only builds: their weights
// (138M and 61M parameters) make loading slow, and their adaptive pools
// need 224×224 inputs.
var buildOnly = map[string]bool{"vgg16": true, "alexnet": true}

// TestZooModelsRun checks that every zoo model builds with output
// [N,1000], and that the others load, infer [1,1000] at 224×224 and run at
// 64×64 with a finite, non-constant output of shape [1,1000].
func TestZooModelsRun(t *testing.T) {
	if got := zoo.Names(); !slices.Equal(got, slices.Sorted(slices.Values(models))) {
		t.Fatalf("zoo.Names() = %v, want %v", got, models)
	}
	const size = 64
	for _, name := range models {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			if testing.Short() && (buildOnly[name] || name == "resnet50") {
				t.Skip("-short: the big ones")
			}
			if buildOnly[name] {
				m, err := zoo.Build(name, seed)
				if err != nil {
					t.Fatal(err)
				}
				if out := m.Graph.Outputs; len(out) != 1 || !slices.Equal(out[0].Shape, []int{-1, 1000}) {
					t.Fatalf("outputs %v, want output [N,1000]", out)
				}
				return
			}
			m, err := gocnn.Decode(zooBytes(t, name, size), nil)
			if err != nil {
				t.Fatal(err)
			}
			if in := m.Inputs(); len(in) != 1 || in[0].Name != "input" || !slices.Equal(in[0].Shape, []int{-1, 3, size, size}) {
				t.Fatalf("inputs %v", in)
			}
			// The same weights serve any input size: infer the 224×224 shapes
			// (not ShuffleNet's, whose shuffle reshapes name the spatial size).
			infer := 224
			if name == "shufflenet_v2_x1_0" {
				infer = size
			}
			layers, err := m.Layers(map[string][]int{"input": {1, 3, infer, infer}})
			if err != nil {
				t.Fatal(err)
			}
			if last := layers[len(layers)-1].OutputShapes[0]; !slices.Equal(last, []int{1, 1000}) {
				t.Fatalf("%d×%d: inferred output shape %v, want [1 1000]", infer, infer, last)
			}
			out, err := m.Run(context.Background(), map[string]*tensor.Tensor{"input": randomInput(1, 3, size, size)})
			if err != nil {
				t.Fatal(err)
			}
			y := out["output"]
			if y == nil || !slices.Equal(y.Shape, []int{1, 1000}) {
				t.Fatalf("%d×%d: output %v, want [1,1000]", size, size, y)
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range y.Float32s() {
				f := float64(v)
				if math.IsNaN(f) || math.IsInf(f, 0) {
					t.Fatalf("output has %v", v)
				}
				lo, hi = min(lo, f), max(hi, f)
			}
			if hi-lo < 1e-3 || hi-lo > 1e3 {
				t.Errorf("output range [%g, %g]: want a spread between 1e-3 and 1e3", lo, hi)
			}
			t.Logf("%d×%d: output range [%.3g, %.3g], %v", size, size, lo, hi, time.Since(start).Round(time.Millisecond))
		})
	}
}
