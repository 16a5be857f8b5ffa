package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestArgOffsets(t *testing.T) {
	e := newEmitter([]string{"x"}, "asm", constraint)
	e.function("f", sgemmSig, true, requires)
	want := map[string]string{
		"k": "k+0(FP)", "ldb": "ldb+24(FP)", "flags": "flags+48(FP)", "alpha": "alpha+56(FP)",
		"hi": "hi+68(FP)", "bias": "bias+72(FP)", "ldr": "ldr+88(FP)",
	}
	for name, w := range want {
		if got := e.arg(name); got != w {
			t.Errorf("arg(%s) = %s, want %s", name, got, w)
		}
	}
	if !strings.Contains(e.s.String(), "$0-96\n") {
		t.Errorf("frame size: %s", e.s.String())
	}
}

func TestEmitterChecks(t *testing.T) {
	e := newEmitter([]string{"x"}, "asm", constraint)
	e.function("f", "n int", false, requires)
	e.op("CBZ", r(0), "nowhere")
	e.op("RET")
	if _, _, err := e.result(); err == nil {
		t.Error("branch to an undefined label not reported")
	}
	for _, n := range []int{18, 26, 27, 28, 29, 30} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("R%d accepted", n)
				}
			}()
			r(n)
		}()
	}
}

// TestGenerated regenerates each family named by a go:generate line in
// main.go and compares it with the files in ../../asm: the drift check
// without touching the tree.
func TestGenerated(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(src), "\n") {
		cmd, ok := strings.CutPrefix(line, "//go:generate ")
		if !ok {
			continue
		}
		args := strings.Fields(cmd)
		var family, out, stubs string
		for i := 3; i+1 < len(args); i += 2 {
			switch args[i] {
			case "-family":
				family = args[i+1]
			case "-out":
				out = args[i+1]
			case "-stubs":
				stubs = args[i+1]
			}
		}
		e := newEmitter(args, "asm", constraint)
		families[family](e)
		gotS, gotG, err := e.result()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			file string
			got  []byte
		}{{out, gotS}, {stubs, gotG}} {
			want, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(c.got, want) {
				t.Errorf("%s differs from the generator output; run go generate", c.file)
			}
		}
		n++
	}
	if n == 0 {
		t.Fatal("no go:generate lines in main.go")
	}
}
