package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/cpu"
)

func TestCPUCommand(t *testing.T) {
	var out bytes.Buffer
	if err := dispatch([]string{"cpu"}, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"cpu ", "caches      L1d ", "detected    " + cpu.Detected().String(),
		"kernels     " + asm.Default().Name + " ", "GOCNN_ISA", "  generic   -> generic"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "GFLOP/s") {
		t.Errorf("peak measured without -peak:\n%s", s)
	}
	out.Reset()
	printCPU(&out, "", true, 20*time.Millisecond)
	if n := strings.Count(out.String(), "GFLOP/s"); n != len(asm.Tables()) {
		t.Errorf("%d peak lines for %d tables:\n%s", n, len(asm.Tables()), out.String())
	}
}

// TestCapISA checks the reasons given for every GOCNN_ISA value, and that
// the rule shown is the one the process used.
func TestCapISA(t *testing.T) {
	env := os.Getenv("GOCNN_ISA")
	if l := cpu.CapLevel(cpu.Detected(), env); l != cpu.Max() || asm.Select(l) != asm.Default() {
		t.Errorf("GOCNN_ISA=%q: CapLevel gives %v, internal/cpu %v (table %s)", env, l, cpu.Max(), asm.Default().Name)
	}
	for _, env := range []string{"", "generic", "avx2", "nonsense"} {
		why := isaReason(cpu.Detected(), env, asm.Select(cpu.CapLevel(cpu.Detected(), env)))
		if why == "" || strings.Contains(why, "\n") {
			t.Errorf("reason for %q: %q", env, why)
		}
	}
}
