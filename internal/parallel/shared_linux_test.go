package parallel

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkSharedWrite measures what limits two-thread speed-ups of a
// forward pass on some machines: storing to cache lines that another core
// has read since they were last written. Every layer does that at two
// threads, since both threads read the buffers that a later layer (or the
// next Run) overwrites. The benchmark pins itself to CPU 0 and a helper
// goroutine to CPU 1, and writes one float per line of a 512 KiB buffer:
// owner=self after only CPU 0 touched the buffer, owner=both after CPU 1
// read it too (MB/s counts the whole buffer). On the Zen 5 VM of stop 20
// owner=self ran at 140–210 GB/s and owner=both at 6.3 GB/s or 32–50 GB/s,
// switching between the two within minutes (presumably as the host moved
// the vCPUs); two-thread model latencies moved with it (SqueezeNet 3.5–4.1
// against 2.3–2.4 ms; one thread 4.0 either way).
func BenchmarkSharedWrite(b *testing.B) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil || !set.IsSet(0) || !set.IsSet(1) {
		b.Skip("needs CPUs 0 and 1")
	}
	buf := make([]float32, 128<<10) // 512 KiB
	for _, owner := range []string{"self", "both"} {
		b.Run("owner="+owner, func(b *testing.B) {
			read, done := make(chan struct{}), make(chan struct{})
			defer close(read)
			go func() {
				pin(1)
				for range read {
					sinkLines(buf)
					done <- struct{}{}
				}
			}()
			pin(0)
			defer runtime.UnlockOSThread()
			writeLines(buf)
			b.SetBytes(int64(4 * len(buf)))
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if owner == "both" {
					read <- struct{}{}
					<-done
				} else {
					sinkLines(buf)
				}
				b.StartTimer()
				writeLines(buf)
			}
		})
	}
}

// pin locks the calling goroutine to its thread and the thread to cpu.
func pin(cpu int) {
	runtime.LockOSThread()
	var s unix.CPUSet
	s.Set(cpu)
	_ = unix.SchedSetaffinity(0, &s)
}

// lineFloats is the number of float32s in a 64-byte cache line.
const lineFloats = 16

var sink float32

func sinkLines(b []float32) {
	var s float32
	for i := 0; i < len(b); i += lineFloats {
		s += b[i]
	}
	sink += s
}

func writeLines(b []float32) {
	for i := 0; i < len(b); i += lineFloats {
		b[i] = float32(i)
	}
}
