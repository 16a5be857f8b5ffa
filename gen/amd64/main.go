// Command amd64 writes the amd64 assembly and Go stubs of package asm.
//
// One generator serves every family; each family lives in its own file and
// registers itself in families. Run from this directory:
//
//	go run . -family sgemm -out ../../asm/sgemm_amd64.s -stubs ../../asm/sgemm_amd64.go
package main

//go:generate go run . -family sgemm -out ../../asm/sgemm_amd64.s -stubs ../../asm/sgemm_amd64.go
//go:generate go run . -family vec -out ../../asm/vec_amd64.s -stubs ../../asm/vec_amd64.go
//go:generate go run . -family pool -out ../../asm/pool_amd64.s -stubs ../../asm/pool_amd64.go
//go:generate go run . -family dwconv -out ../../asm/dwconv_amd64.s -stubs ../../asm/dwconv_amd64.go
//go:generate go run . -family winograd -out ../../asm/winograd_amd64.s -stubs ../../asm/winograd_amd64.go

import (
	"flag"
	"fmt"
	"os"
	"sort"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
)

// constraint is written into every generated .s and stub file; the Go side
// (asm/dispatch_other.go) carries its complement.
const constraint = "amd64,!purego,!noasm" // avo 0.5 syntax: comma means AND

// families maps a -family name to the function that emits it.
var families = map[string]func(g *build.Context){}

func main() {
	// Own FlagSet: avo's build package registers -out/-stubs on the default one.
	fs := flag.NewFlagSet("amd64", flag.ExitOnError)
	family := fs.String("family", "", "kernel family to generate")
	out := fs.String("out", "", "assembly output file")
	stubs := fs.String("stubs", "", "Go stub output file")
	fs.Parse(os.Args[1:])
	emit, ok := families[*family]
	if !ok || *out == "" || *stubs == "" {
		names := make([]string, 0, len(families))
		for n := range families {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: go run . -family %v -out file.s -stubs file.go\n", names)
		os.Exit(2)
	}
	g := build.NewContext()
	g.ConstraintExpr(constraint)
	emit(g)
	f, err := g.Result()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The header names the exact go:generate command ("go run . ..."), which
	// avo's default config cannot know when the program has several files.
	cfg := printer.Config{Argv: append([]string{"go", "run", "."}, os.Args[1:]...), Pkg: "asm"}
	sf, err := os.Create(*out)
	check(err)
	gf, err := os.Create(*stubs)
	check(err)
	p := pass.Concat(pass.Compile,
		&pass.Output{Writer: sf, Printer: printer.NewGoAsm(cfg)},
		&pass.Output{Writer: gf, Printer: printer.NewStubs(cfg)})
	check(p.Execute(f))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
