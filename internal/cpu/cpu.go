// Package cpu reports the CPU features and cache sizes gocnn dispatches on.
//
// It reads klauspost/cpuid once at init (cpuid already checks that the OS
// saves the wide vector state) and never registers command-line flags. The
// environment variable GOCNN_ISA=generic|avx2|avx512|neon caps the level, so
// a machine with AVX-512 can be made to run the AVX2 or pure-Go paths.
package cpu

import (
	"os"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Level is an instruction-set level; higher levels imply the lower ones on
// the same architecture.
type Level int

const (
	Generic Level = iota // pure Go
	AVX2                 // amd64: AVX2 + FMA3
	AVX512               // amd64: AVX-512 F, DQ, VL, BW (+ AVX2, FMA3)
	NEON                 // arm64: ASIMD
)

var levelNames = [...]string{"generic", "avx2", "avx512", "neon"}

func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "unknown"
}

// ParseLevel maps a name ("generic", "avx2", "avx512", "neon") to a Level.
func ParseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Level(i), true
		}
	}
	return Generic, false
}

// Features of the running CPU, as detected (not capped by GOCNN_ISA).
var (
	HasAVX2   bool // AVX2 and FMA3
	HasAVX512 bool // AVX-512 F, DQ, VL, BW
	HasVNNI   bool // AVX512_VNNI
	HasBF16   bool // AVX512_BF16
	HasNEON   bool // arm64 ASIMD
)

// Cache sizes in bytes; L3 is the share of one logical core. Zero-size
// reports from cpuid are replaced by common defaults.
var (
	L1D int
	L2  int
	L3  int
)

// detected is the best level the hardware supports; max is detected capped
// by GOCNN_ISA.
var detected, max Level

func init() {
	c := &cpuid.CPU
	HasAVX2 = c.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3)
	HasAVX512 = HasAVX2 && c.Supports(cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512VL, cpuid.AVX512BW)
	HasVNNI = HasAVX512 && c.Supports(cpuid.AVX512VNNI)
	HasBF16 = HasAVX512 && c.Supports(cpuid.AVX512BF16)
	// Go's arm64 port requires ASIMD, so it is there even where cpuid cannot
	// read the features (Windows, the BSDs).
	HasNEON = runtime.GOARCH == "arm64" || c.Supports(cpuid.ASIMD)

	L1D = orDefault(c.Cache.L1D, 32<<10)
	L2 = orDefault(c.Cache.L2, 256<<10)
	l3 := orDefault(c.Cache.L3, 0)
	if n := c.LogicalCores; n > 0 {
		l3 /= n
	}
	// No L3 report (VMs hide it): assume 4× L2 per core, Zen's ratio. On
	// a Zen 5 VM whose cpuid reports none, that B block (nc 288 → 1184)
	// measured 2048³ 159 → 178 GFLOP/s on one thread, 1024³ on two 328 →
	// 339, and no BenchmarkSgemm shape slower beyond the noise.
	L3 = orDefault(l3, 4*L2)

	switch {
	case HasAVX512:
		detected = AVX512
	case HasAVX2:
		detected = AVX2
	case HasNEON:
		detected = NEON
	}
	max = CapLevel(detected, os.Getenv("GOCNN_ISA"))
}

// CapLevel returns the level gocnn uses on a CPU whose best level is d when
// GOCNN_ISA is env. A known name caps the level on the same architecture;
// "generic" always applies; an unknown value is ignored.
func CapLevel(d Level, env string) Level {
	l, ok := ParseLevel(env)
	if !ok || strings.TrimSpace(env) == "" {
		return d
	}
	if l == Generic || (l <= AVX512 && d <= AVX512 && l < d) {
		return l
	}
	return d
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// Detected returns the best level the hardware supports.
func Detected() Level { return detected }

// Max returns the level to use: Detected capped by GOCNN_ISA.
func Max() Level { return max }

// Supports reports whether the hardware can run code of level l (ignoring
// GOCNN_ISA).
func Supports(l Level) bool {
	switch l {
	case Generic:
		return true
	case AVX2:
		return HasAVX2
	case AVX512:
		return HasAVX512
	case NEON:
		return HasNEON
	}
	return false
}
