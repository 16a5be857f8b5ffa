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

// TestCapISA checks the mirror of internal/cpu's GOCNN_ISA rule: on the
// cases internal/cpu tests, and against the table the process picked.
func TestCapISA(t *testing.T) {
	for _, c := range []struct {
		d    cpu.Level
		env  string
		want cpu.Level
	}{
		{cpu.AVX512, "", cpu.AVX512},
		{cpu.AVX512, "avx2", cpu.AVX2},
		{cpu.AVX512, "AVX512", cpu.AVX512},
		{cpu.AVX512, "generic", cpu.Generic},
		{cpu.AVX2, "avx512", cpu.AVX2},
		{cpu.AVX512, "neon", cpu.AVX512},
		{cpu.NEON, "avx2", cpu.NEON},
		{cpu.NEON, "generic", cpu.Generic},
		{cpu.AVX2, "bogus", cpu.AVX2},
	} {
		if got := capISA(c.d, c.env); got != c.want {
			t.Errorf("capISA(%v, %q) = %v, want %v", c.d, c.env, got, c.want)
		}
	}
	env := os.Getenv("GOCNN_ISA")
	if l := capISA(cpu.Detected(), env); l != cpu.Max() || asm.Select(l) != asm.Default() {
		t.Errorf("GOCNN_ISA=%q: capISA gives %v, internal/cpu %v (table %s)", env, l, cpu.Max(), asm.Default().Name)
	}
	for _, env := range []string{"", "generic", "avx2", "nonsense"} {
		why := isaReason(cpu.Detected(), env, asm.Select(capISA(cpu.Detected(), env)))
		if why == "" || strings.Contains(why, "\n") {
			t.Errorf("reason for %q: %q", env, why)
		}
	}
}
