package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/gocnn/gocnn/asm"
	"github.com/gocnn/gocnn/internal/cpu"
	"github.com/klauspost/cpuid/v2"
)

const cpuUsage = "[-peak]"

func runCPU(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("cpu", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	peak := fs.Bool("peak", false, "measure the single-thread FMA peak of every kernel table")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("cpu: %v", err)
	}
	if fs.NArg() > 0 {
		return errors.New("cpu: usage: gocnn cpu " + cpuUsage)
	}
	printCPU(stdout, os.Getenv("GOCNN_ISA"), *peak, 300*time.Millisecond)
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func printCPU(w io.Writer, env string, peak bool, peakTime time.Duration) {
	c := &cpuid.CPU
	brand := strings.TrimSpace(c.BrandName)
	if brand == "" {
		brand = "(brand not reported)"
	}
	fmt.Fprintf(w, "cpu         %s\n", brand)
	fmt.Fprintf(w, "vendor      %s (family %d, model %d), %s/%s, %d logical CPUs (GOMAXPROCS %d)\n",
		orUnknown(c.VendorString), c.Family, c.Model, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	switch runtime.GOARCH {
	case "arm64":
		fmt.Fprintf(w, "features    NEON (ASIMD) %s\n", yesNo(cpu.HasNEON))
	default:
		fmt.Fprintf(w, "features    AVX2+FMA %s; AVX-512 F %s, VL %s, BW %s, DQ %s; VNNI (AVX512_VNNI) %s; BF16 (AVX512_BF16) %s\n",
			yesNo(cpu.HasAVX2),
			yesNo(c.Supports(cpuid.AVX512F)), yesNo(c.Supports(cpuid.AVX512VL)),
			yesNo(c.Supports(cpuid.AVX512BW)), yesNo(c.Supports(cpuid.AVX512DQ)),
			yesNo(c.Supports(cpuid.AVX512VNNI)), yesNo(c.Supports(cpuid.AVX512BF16)))
	}
	fmt.Fprintf(w, "caches      L1d %s, L2 %s, L3 %s per logical core (the sizes the kernels block for)\n",
		bytesString(int64(cpu.L1D)), bytesString(int64(cpu.L2)), bytesString(int64(cpu.L3)))
	fmt.Fprintf(w, "detected    %s (best level the hardware supports)\n", cpu.Detected())
	if env == "" {
		fmt.Fprintln(w, "GOCNN_ISA   (unset)")
	} else {
		fmt.Fprintf(w, "GOCNN_ISA   %q\n", env)
	}
	t := asm.Default()
	fmt.Fprintf(w, "kernels     %s (micro-kernel %dx%d): %s\n", t.Name, t.MR, t.NR, isaReason(cpu.Detected(), env, t))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "GOCNN_ISA setting on this machine:")
	for _, s := range []string{"", "generic", "avx2", "avx512", "neon"} {
		l := cpu.CapLevel(cpu.Detected(), s)
		name := s
		if name == "" {
			name = "(unset)"
		}
		mark := ""
		if s == strings.ToLower(strings.TrimSpace(env)) {
			mark = "  <- current"
		}
		fmt.Fprintf(w, "  %-9s -> %s%s\n", name, asm.Select(l).Name, mark)
	}
	if !peak {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "single-thread FMA peak (asm.MeasurePeak, %v per table):\n", peakTime)
	for _, t := range asm.Tables() {
		fmt.Fprintf(w, "  %-9s %7.1f GFLOP/s\n", t.Name, asm.MeasurePeak(t, peakTime))
	}
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown vendor"
	}
	return s
}

// isaReason says why table t was picked.
func isaReason(d cpu.Level, env string, t *asm.Kernels) string {
	var why string
	l, known := cpu.ParseLevel(env)
	capped := cpu.CapLevel(d, env)
	switch {
	case strings.TrimSpace(env) == "":
		why = fmt.Sprintf("GOCNN_ISA is unset, so the best level the CPU supports (%s)", d)
	case !known:
		why = fmt.Sprintf("GOCNN_ISA=%q is not generic, avx2, avx512 or neon and is ignored; the CPU's best level is %s", env, d)
	case capped != d:
		why = fmt.Sprintf("GOCNN_ISA=%s caps the detected %s", l, d)
	case l == d:
		why = fmt.Sprintf("GOCNN_ISA=%s is the detected level", l)
	default:
		why = fmt.Sprintf("GOCNN_ISA=%s does not lower the detected %s (not below it on this architecture) and is ignored", l, d)
	}
	if t.Level != capped {
		why += fmt.Sprintf("; no %s table is compiled in (build tags purego/noasm or another GOARCH), so the next best", capped)
	}
	return why
}
