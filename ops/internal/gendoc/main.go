// Command gendoc writes the supported-operator table, docs/operators.md,
// from the documentation table of package ops (ops/doc.go):
//
//	go run ./ops/internal/gendoc > docs/operators.md
//
// or, from ops/, go generate (which passes -o ../docs/operators.md).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/gocnn/gocnn/ops"
)

func main() {
	out := flag.String("o", "", "write to this file instead of standard output")
	flag.Parse()
	var err error
	if *out == "" {
		_, err = os.Stdout.Write(ops.DocMarkdown())
	} else {
		err = os.WriteFile(*out, ops.DocMarkdown(), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendoc:", err)
		os.Exit(1)
	}
}
