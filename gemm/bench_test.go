package gemm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	gblas "gonum.org/v1/gonum/blas/gonum"

	"github.com/gocnn/gocnn/asm"
)

// benchShapes: square sizes and CNN layer shapes (M = output channels,
// N = output pixels, K = input channels × kernel area).
var benchShapes = [][3]int{
	{64, 64, 64}, {128, 128, 128}, {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048},
	{64, 3136, 576}, {128, 784, 1152}, {256, 196, 2304}, {512, 49, 4608}, {1000, 1, 512},
	{32, 12544, 27}, {64, 3136, 64},
}

// peak measures the table's per-thread FMA peak right before each
// sub-benchmark, so %peak compares like with like on a shared machine.
func peak(kern *asm.Kernels) float64 {
	return asm.MeasurePeak(kern, 30*time.Millisecond)
}

// cpuPeak is the FMA probe rate in GFLOP/s per CPU-second of this thread.
func cpuPeak(kern *asm.Kernels) float64 {
	n := 1 << 16
	t0, ok := threadCPU()
	if !ok {
		return 0
	}
	kern.FMAProbe(n)
	t1, _ := threadCPU()
	n = max(n, int(float64(n)*float64(20*time.Millisecond)/float64(max(t1-t0, time.Microsecond))))
	best := 0.0
	for range 3 {
		t0, _ = threadCPU()
		kern.FMAProbe(n)
		t1, _ = threadCPU()
		best = max(best, float64(n)*float64(kern.ProbeFlops)/(t1-t0).Seconds()/1e9)
	}
	return best
}

// report adds GFLOP/s and %peak (wall clock) and cpu-GFLOP/s and
// %peak-cpu from CPU time (see timed), which is far less noisy on a loaded
// machine. Peaks are per-thread probe rates times the thread count.
func report(b *testing.B, flops float64, wallPeak float64, cpu time.Duration, cpuPk float64) {
	g := flops * float64(b.N) / b.Elapsed().Seconds() / 1e9
	b.ReportMetric(g, "GFLOP/s")
	b.ReportMetric(100*g/wallPeak, "%peak")
	if cpu > 0 && cpuPk > 0 {
		gc := flops * float64(b.N) / cpu.Seconds() / 1e9
		b.ReportMetric(gc, "cpu-GFLOP/s")
		b.ReportMetric(100*gc/cpuPk, "%peak-cpu")
	}
}

// timed runs f in a b.Loop and returns the CPU time it took: the thread's
// (goroutine locked to it) for one thread, else the process's divided by
// the thread count, which estimates the busy time of each worker when
// other processes compete for the cores.
func timed(b *testing.B, threads int, f func()) time.Duration {
	clk := threadCPU
	if threads == 1 {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	} else {
		clk = processCPU
	}
	t0, ok := clk()
	for b.Loop() {
		f()
	}
	t1, _ := clk()
	if !ok || threads < 1 {
		return 0
	}
	return (t1 - t0) / time.Duration(threads)
}

func threadCounts() []int {
	if n := runtime.GOMAXPROCS(0); n > 1 {
		return []int{1, n}
	}
	return []int{1}
}

// BenchmarkSgemm reports GFLOP/s and %peak, where peak is the table's FMA
// probe rate measured in this process times the thread count.
func BenchmarkSgemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kern := range asm.Tables() {
		for _, th := range threadCounts() {
			for _, s := range benchShapes {
				m, n, k := s[0], s[1], s[2]
				if kern.Name == "generic" && m*n*k > 1<<30 {
					continue
				}
				b.Run(fmt.Sprintf("isa=%s/threads=%d/M=%d,N=%d,K=%d", kern.Name, th, m, n, k), func(b *testing.B) {
					a, bb, c := randVec(rng, m*k), randVec(rng, k*n), make([]float32, m*n)
					p := Params{M: m, N: n, K: k, Alpha: 1, A: a, LDA: k, B: bb, LDB: n, C: c, LDC: n, Threads: th, Kernels: kern}
					pk := peak(kern) * float64(th)
					runtime.LockOSThread()
					cpk := cpuPeak(kern) * float64(th)
					runtime.UnlockOSThread()
					b.ReportAllocs()
					cpu := timed(b, th, func() { Gemm(&p) })
					report(b, 2*float64(m)*float64(n)*float64(k), pk, cpu, cpk)
				})
			}
		}
	}
	// Baseline: gonum's Sgemm. It splits work over GOMAXPROCS goroutines,
	// so GOMAXPROCS is pinned to the thread count while it runs; %peak uses
	// the best table's probe.
	best := asm.Tables()[0]
	for _, th := range threadCounts() {
		for _, s := range benchShapes {
			m, n, k := s[0], s[1], s[2]
			if m*n*k > 1<<30 {
				continue
			}
			b.Run(fmt.Sprintf("isa=gonum/threads=%d/M=%d,N=%d,K=%d", th, m, n, k), func(b *testing.B) {
				a, bb, c := randVec(rng, m*k), randVec(rng, k*n), make([]float32, m*n)
				pk := peak(best) * float64(th)
				var cpk float64
				if th == 1 {
					runtime.LockOSThread()
					cpk = cpuPeak(best)
					runtime.UnlockOSThread()
				}
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(th))
				// gonum runs on its own goroutines: use process CPU time.
				t0, ok := processCPU()
				for b.Loop() {
					gblas.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
				}
				t1, _ := processCPU()
				var cpu time.Duration
				if ok && th == 1 {
					cpu = t1 - t0
				}
				report(b, 2*float64(m)*float64(n)*float64(k), pk, cpu, cpk)
			})
		}
	}
}

// BenchmarkModes compares packing with reading operands in place (tuning
// aid for useDirectB and useRowA): A=pack|row, B=pack|direct; modes of a
// shape run back to back so load changes hit all of them.
func BenchmarkModes(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	kern := asm.Default()
	defer func(a, bm override) { rowAMode, directBMode = a, bm }(rowAMode, directBMode)
	for _, s := range benchShapes {
		m, n, k := s[0], s[1], s[2]
		if n == 1 {
			continue
		}
		a, bb, c := randVec(rng, m*k), randVec(rng, k*n), make([]float32, m*n)
		p := Params{M: m, N: n, K: k, Alpha: 1, A: a, LDA: k, B: bb, LDB: n, C: c, LDC: n, Threads: 1, Kernels: kern}
		for _, mode := range []string{"00", "01", "10", "11"} {
			name := fmt.Sprintf("A=%s,B=%s/M=%d,N=%d,K=%d", map[byte]string{'0': "pack", '1': "row"}[mode[0]],
				map[byte]string{'0': "pack", '1': "direct"}[mode[1]], m, n, k)
			b.Run(name, func(b *testing.B) {
				rowAMode, directBMode = override(mode[:1]), override(mode[1:])
				runtime.LockOSThread()
				cpk := cpuPeak(kern)
				runtime.UnlockOSThread()
				cpu := timed(b, 1, func() { Gemm(&p) })
				report(b, 2*float64(m)*float64(n)*float64(k), peak(kern), cpu, cpk)
			})
		}
	}
}

// BenchmarkResidual times the fused epilogue of a 1×1 convolution with a
// residual (row bias, residual, ReLU; weights pre-packed) on ResNet-50's
// bottleneck expansions, with res=false as the reference measured in the
// same run. Eight operand sets are rotated so that B, C and the residual
// come from memory, as they do in a model.
func BenchmarkResidual(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	kern := asm.Default()
	for _, s := range [][3]int{{256, 3136, 64}, {512, 784, 128}, {1024, 196, 256}} {
		m, n, k := s[0], s[1], s[2]
		pa := PackA(kern, false, m, k, randVec(rng, m*k), k, nil)
		const sets = 8
		var bs, cs, rs [sets][]float32
		for i := range sets {
			bs[i], cs[i], rs[i] = randVec(rng, k*n), randVec(rng, m*n), randVec(rng, m*n)
		}
		bias := randVec(rng, m)
		for _, res := range []bool{false, true} {
			b.Run(fmt.Sprintf("isa=%s/M=%d,N=%d,K=%d/res=%v", kern.Name, m, n, k, res), func(b *testing.B) {
				pk := peak(kern)
				i := 0
				for b.Loop() {
					p := Params{M: m, N: n, K: k, Alpha: 1, PackedA: pa, B: bs[i%sets], LDB: n, C: cs[i%sets], LDC: n, Threads: 1,
						Epilogue: Epilogue{BiasMode: BiasRow, Bias: bias, Act: asm.Activation{Kind: asm.ActReLU}}}
					if res {
						p.Epilogue.Residual, p.Epilogue.LDR = rs[i%sets], n
					}
					Gemm(&p)
					i++
				}
				report(b, 2*float64(m*n*k), pk, 0, 0)
			})
		}
	}
}

// BenchmarkHalves runs a write-heavy product (SqueezeNet's fire1.conv2,
// 64×3025×16, bias and ReLU) whole on one thread (dst=one), and as its two
// halves of 32 rows, two independent one-thread calls on two goroutines,
// writing into one C (dst=shared) or into two allocations (dst=separate).
// It shows how much the host lets two cores writing neighbouring memory
// gain: on the 2-vCPU guest of 2026-11-30, ns/op one / shared / separate,
// 43 / 23–24 / 24–25 µs while internal/parallel's BenchmarkSharedWrite
// owner=both ran at 43 GB/s, but 39–41 / 43–49 / 35 µs ten minutes later at
// 5.8 GB/s: two threads slower than one.
func BenchmarkHalves(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs GOMAXPROCS ≥ 2")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	kern := asm.Default()
	m, n, k := 64, 3025, 16
	a, bb, bias := randVec(rng, m*k), randVec(rng, k*n), randVec(rng, m)
	params := func(m0, m1 int, c []float32) *Params {
		return &Params{M: m1 - m0, N: n, K: k, Alpha: 1, PackedA: PackA(kern, false, m1-m0, k, a[m0*k:], k, nil),
			B: bb, LDB: n, C: c, LDC: n, Threads: 1, Kernels: kern,
			Epilogue: Epilogue{BiasMode: BiasRow, Bias: bias[m0:m1], Act: asm.Activation{Kind: asm.ActReLU}}}
	}
	for _, dst := range []string{"one", "shared", "separate"} {
		b.Run("dst="+dst, func(b *testing.B) {
			pk := peak(kern)
			c := make([]float32, m*n)
			var ps []*Params
			switch dst {
			case "one":
				ps = []*Params{params(0, m, c)}
			case "shared":
				ps = []*Params{params(0, m/2, c), params(m/2, m, c[m/2*n:])}
			default:
				ps = []*Params{params(0, m/2, c), params(m/2, m, make([]float32, m/2*n))}
			}
			done := make(chan struct{})
			for _, p := range ps[1:] {
				go func() {
					var st State
					for range b.N {
						st.Gemm(p)
					}
					done <- struct{}{}
				}()
			}
			var st State
			b.ResetTimer()
			for range b.N {
				st.Gemm(ps[0])
			}
			for range ps[1:] {
				<-done
			}
			b.StopTimer()
			report(b, 2*float64(m*n*k), pk*float64(len(ps)), 0, 0)
		})
	}
}
