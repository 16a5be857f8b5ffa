package asm

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestZMMConstantsAligned checks the generated amd64 assembly for 64-byte
// operands read straight from a data symbol: the linker aligns data to 32
// bytes at most, so such a load may straddle two cache lines and cost
// two (siluAVX512 once ran at half speed that way). 16-lane constants are
// read through a base rounded up to 64 bytes (gen/amd64/vec.go,
// wideConsts); element broadcasts (4 bytes) are fine.
func TestZMMConstantsAligned(t *testing.T) {
	files, err := filepath.Glob("*_amd64.s")
	if err != nil || len(files) == 0 {
		t.Fatalf("no amd64 assembly found: %v", err)
	}
	symbolZMM := regexp.MustCompile(`^\s*(\S+)\s+.*\(SB\).*\bZ[0-9]+\b`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			m := symbolZMM.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(m[1], "VBROADCASTS") || strings.HasPrefix(m[1], "VPBROADCAST") {
				continue
			}
			t.Errorf("%s:%d: 64-byte operand from a data symbol: %s", f, i+1, strings.TrimSpace(line))
		}
	}
}

// TestWideConstants checks, in the generated assembly, that every read
// through a 16-lane kernel's wide16 base (rounded up to 64 bytes at entry
// from wherever the linker put the table) sees 16 copies of one constant
// whatever that rounding added: the table's place is only known at link
// time, so a test binary that happens to place it on a 64-byte boundary
// says nothing.
func TestWideConstants(t *testing.T) {
	src, err := os.ReadFile("vec_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	var words []uint32
	data := regexp.MustCompile(`^DATA wide16<>\+(\d+)\(SB\)/4, \$0x([0-9a-f]+)$`)
	for _, l := range lines {
		if m := data.FindStringSubmatch(l); m != nil {
			off, _ := strconv.Atoi(m[1])
			v, _ := strconv.ParseUint(m[2], 16, 32)
			if off != 4*len(words) {
				t.Fatalf("wide16 word at %d out of order", off)
			}
			words = append(words, uint32(v))
		}
	}
	lea := regexp.MustCompile(`LEAQ\s+wide16<>\+0\(SB\), (\w+)$`)
	reads := 0
	var through *regexp.Regexp // reads through the current kernel's base
	for i, l := range lines {
		if strings.HasPrefix(l, "TEXT ") {
			through = nil
		}
		if m := lea.FindStringSubmatch(l); m != nil {
			through = regexp.MustCompile(`(-?\d*)\(` + m[1] + `\)`)
			continue
		}
		if through == nil {
			continue
		}
		for _, m := range through.FindAllStringSubmatch(l, -1) {
			disp := 0
			if m[1] != "" {
				disp, _ = strconv.Atoi(m[1])
			}
			reads++
			for shift := 0; shift < 64; shift += 4 { // the rounding
				w0 := (disp + shift) / 4
				if w0 < 0 || w0+16 > len(words) {
					t.Fatalf("vec_amd64.s:%d: %s reads outside wide16 when the base moves %d bytes", i+1, strings.TrimSpace(l), shift)
				}
				for _, w := range words[w0 : w0+16] {
					if w != words[w0] {
						t.Fatalf("vec_amd64.s:%d: %s reads two constants when the base moves %d bytes", i+1, strings.TrimSpace(l), shift)
					}
				}
			}
		}
	}
	if reads == 0 || len(words) == 0 {
		t.Fatal("no reads through wide16 found")
	}
}
