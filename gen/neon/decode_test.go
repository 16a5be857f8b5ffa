package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// goSyntax spells a GNU mnemonic emitted by enc.go the way Go's arm64
// disassembler (go tool objdump) prints it: sources first.
func goSyntax(gnu string) (string, error) {
	m := regexp.MustCompile(`^(\w+) v(\d+)\.4s, v(\d+)\.4s, v(\d+)(?:\.4s|\.s\[(\d)\])$`).FindStringSubmatch(gnu)
	if m == nil {
		return "", fmt.Errorf("unknown form %q", gnu)
	}
	d, n, vm, idx := m[2], m[3], m[4], m[5]
	if idx != "" {
		name, ok := map[string]string{"fmla": "VFMLA", "fmul": "FMUL"}[m[1]]
		if !ok {
			return "", fmt.Errorf("no Go spelling for %q", gnu)
		}
		return fmt.Sprintf("%s V%s.S[%s], V%s.S4, V%s.S4", name, vm, idx, n, d), nil
	}
	name, ok := map[string]string{"fadd": "FADD", "fsub": "FSUB", "fmul": "FMUL", "fmax": "FMAX", "fmin": "FMIN",
		"faddp": "VFADDP", "fcmgt": "VFCMGT", "fdiv": "FDIV"}[m[1]]
	if !ok {
		return "", fmt.Errorf("no Go spelling for %q", gnu)
	}
	return fmt.Sprintf("%s V%s.S4, V%s.S4, V%s.S4", name, vm, n, d), nil
}

// TestWordsDecode assembles the generated .s files with Go's assembler
// and checks with Go's disassembler that every WORD decodes to the
// instruction named in its comment.
func TestWordsDecode(t *testing.T) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skip("go command not available:", err)
	}
	include := filepath.Join(strings.TrimSpace(string(goroot)), "pkg", "include")
	word := regexp.MustCompile(`^\tWORD\s+\$0x([0-9a-f]{8}) // (.*)$`)
	dis := regexp.MustCompile(`^\s+\S+\.s:(\d+)\s+0x[0-9a-f]+\s+([0-9a-f]{8})\s+(.*?)\s*$`)
	for _, sfile := range generatedAsm(t) {
		src, err := os.ReadFile(sfile)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int][2]string{} // line → word, Go syntax
		for i, line := range strings.Split(string(src), "\n") {
			m := word.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			g, err := goSyntax(m[2])
			if err != nil {
				t.Fatalf("%s:%d: %v", sfile, i+1, err)
			}
			want[i+1] = [2]string{m[1], g}
		}
		obj := filepath.Join(t.TempDir(), "x.o")
		asm := exec.Command("go", "tool", "asm", "-p", "asm", "-I", include, "-o", obj, sfile)
		asm.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64")
		if out, err := asm.CombinedOutput(); err != nil {
			t.Fatalf("go tool asm %s: %v\n%s", sfile, err, out)
		}
		out, err := exec.Command("go", "tool", "objdump", obj).Output()
		if err != nil {
			t.Fatalf("go tool objdump: %v", err)
		}
		seen := 0
		for _, l := range strings.Split(string(out), "\n") {
			m := dis.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			ln, _ := strconv.Atoi(m[1])
			w, ok := want[ln]
			if !ok {
				continue
			}
			seen++
			if m[2] != w[0] || m[3] != w[1] {
				t.Errorf("%s:%d: WORD $0x%s should be %q; decoded %s %q", sfile, ln, w[0], w[1], m[2], m[3])
			}
		}
		if seen != len(want) {
			t.Errorf("%s: %d WORDs, %d found in the disassembly", sfile, len(want), seen)
		}
		t.Logf("%s: %d WORDs decode as commented", sfile, seen)
	}
}

// generatedAsm returns the -out files of main.go's go:generate lines.
func generatedAsm(t *testing.T) []string {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, line := range strings.Split(string(src), "\n") {
		cmd, ok := strings.CutPrefix(line, "//go:generate ")
		if !ok {
			continue
		}
		f := strings.Fields(cmd)
		for i := range f {
			if f[i] == "-out" && i+1 < len(f) {
				files = append(files, f[i+1])
			}
		}
	}
	if len(files) == 0 {
		t.Fatal("no go:generate -out files in main.go")
	}
	return files
}
