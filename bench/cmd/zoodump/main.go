// Command zoodump writes the models of package zoo as ONNX files, or prints
// their convolution, pooling and fully connected layers as JSON for
// bench/check_zoo_shapes.py.
//
//	go run ./bench/cmd/zoodump [-seed S] [-size 224] [NAME ...]            # JSON layer lists
//	go run ./bench/cmd/zoodump -write DIR [-seed S] [-size 224] [NAME ...]  # DIR/NAME.onnx
//
// With -write it also writes DIR/input.npy, a float32 [1,3,size,size]
// standard-normal input (seeded), for comparing runtimes' outputs.
//
// Without names it does all of zoo.Names().
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gocnn/gocnn/bench/zoo"
	"github.com/gocnn/gocnn/onnx"
	"github.com/gocnn/gocnn/tensor"
)

// layer is one Conv, pool or Gemm node. Weight is the weight shape (Conv:
// [Cout, Cin/group, KH, KW]; Gemm: as stored, [out, in] with transB=1).
type layer struct {
	Name     string  `json:"name"`
	Op       string  `json:"op"`
	Weight   []int   `json:"weight,omitempty"`
	Kernel   []int64 `json:"kernel,omitempty"`
	Strides  []int64 `json:"strides,omitempty"`
	Pads     []int64 `json:"pads,omitempty"`
	Group    int64   `json:"group,omitempty"`
	CeilMode int64   `json:"ceil_mode,omitempty"`
	TransB   int64   `json:"trans_b,omitempty"`
}

type model struct {
	Name   string  `json:"name"`
	Nodes  int     `json:"nodes"`
	Params int64   `json:"params"`
	Layers []layer `json:"layers"`
}

func main() {
	seed := flag.Int64("seed", 1, "weight seed")
	size := flag.Int("size", zoo.Size, "input height and width")
	dir := flag.String("write", "", "write `DIR`/NAME.onnx instead of printing layers")
	flag.Parse()
	names := flag.Args()
	if len(names) == 0 {
		names = zoo.Names()
	}
	if err := run(names, *seed, *size, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "zoodump:", err)
		os.Exit(1)
	}
}

func run(names []string, seed int64, size int, dir string) error {
	var out []model
	for _, name := range names {
		m, err := zoo.BuildSize(name, seed, size)
		if err != nil {
			return err
		}
		if dir != "" {
			b, err := onnx.Encode(m)
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			path := filepath.Join(dir, name+".onnx")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				return err
			}
			fmt.Printf("%s\t%.1f MB\n", path, float64(len(b))/1e6)
			continue
		}
		out = append(out, describe(name, m))
	}
	if dir != "" {
		r := rand.New(rand.NewPCG(uint64(seed), 42))
		x := tensor.New(tensor.Float32, 1, 3, size, size)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(r.NormFloat64())
		}
		return tensor.SaveNpy(filepath.Join(dir, "input.npy"), x)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	return enc.Encode(out)
}

func describe(name string, m *onnx.Model) model {
	g := m.Graph
	res := model{Name: name, Nodes: len(g.Nodes), Layers: []layer{}}
	for _, t := range g.Initializers {
		if t.DType.String() == "float32" {
			res.Params += int64(t.Len())
		}
	}
	for _, n := range g.Nodes {
		ints := func(k string) []int64 {
			if a := n.Attrs[k]; a != nil {
				return a.Ints
			}
			return nil
		}
		integer := func(k string) int64 {
			if a := n.Attrs[k]; a != nil {
				return a.I
			}
			return 0
		}
		l := layer{Name: n.Name, Op: n.OpType}
		switch n.OpType {
		case "Conv":
			l.Weight = g.Initializers[n.Inputs[1]].Shape
			l.Kernel, l.Strides, l.Pads, l.Group = ints("kernel_shape"), ints("strides"), ints("pads"), integer("group")
		case "MaxPool", "AveragePool":
			l.Kernel, l.Strides, l.Pads, l.CeilMode = ints("kernel_shape"), ints("strides"), ints("pads"), integer("ceil_mode")
		case "Gemm":
			l.Weight = g.Initializers[n.Inputs[1]].Shape
			l.TransB = integer("transB")
		case "GlobalAveragePool", "ReduceMean":
		default:
			continue
		}
		res.Layers = append(res.Layers, l)
	}
	return res
}
