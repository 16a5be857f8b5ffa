// Command neon writes the arm64 NEON assembly and Go stubs of package asm.
//
// Avo has no arm64 target, so this is a small Plan 9 text emitter
// (emit.go) plus WORD encoders for the NEON instructions Go's assembler
// lacks (enc.go). One generator serves every family; each family lives in
// its own file and registers itself in families. Run from this directory:
//
//	go run . -family sgemm -out ../../asm/sgemm_arm64.s -stubs ../../asm/sgemm_arm64.go
package main

//go:generate go run . -family sgemm -out ../../asm/sgemm_arm64.s -stubs ../../asm/sgemm_arm64.go
//go:generate go run . -family vec -out ../../asm/vec_arm64.s -stubs ../../asm/vec_arm64.go
//go:generate go run . -family pool -out ../../asm/pool_arm64.s -stubs ../../asm/pool_arm64.go
//go:generate go run . -family dwconv -out ../../asm/dwconv_arm64.s -stubs ../../asm/dwconv_arm64.go
//go:generate go run . -family winograd -out ../../asm/winograd_arm64.s -stubs ../../asm/winograd_arm64.go
//go:generate go run . -family exp -out ../../asm/exp_arm64.s -stubs ../../asm/exp_arm64.go

import (
	"flag"
	"fmt"
	"os"
	"sort"
)

// constraint is written into every generated .s and stub file; the Go side
// (asm/dispatch_other.go) carries its complement.
const constraint = "arm64 && !purego && !noasm"

// families maps a -family name to the function that emits it.
var families = map[string]func(e *emitter){}

func main() {
	fs := flag.NewFlagSet("neon", flag.ExitOnError)
	family := fs.String("family", "", "kernel family to generate")
	out := fs.String("out", "", "assembly output file")
	stubs := fs.String("stubs", "", "Go stub output file")
	fs.Parse(os.Args[1:])
	emit, ok := families[*family]
	if !ok || *out == "" || *stubs == "" || fs.NArg() != 0 {
		names := make([]string, 0, len(families))
		for n := range families {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: go run . -family %v -out file.s -stubs file.go\n", names)
		os.Exit(2)
	}
	// The header names the exact go:generate command.
	e := newEmitter(append([]string{"go", "run", "."}, os.Args[1:]...), "asm", constraint)
	emit(e)
	asm, stub, err := e.result()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, asm, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*stubs, stub, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
