package asm

import (
	"os"
	"path/filepath"
	"regexp"
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
