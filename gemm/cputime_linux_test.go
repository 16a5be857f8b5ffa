//go:build linux

package gemm

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPU returns the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID),
// which, unlike wall time, does not count time other processes took from
// us on a shared machine.
func threadCPU() (time.Duration, bool) { return clock(3) } // CLOCK_THREAD_CPUTIME_ID

// processCPU returns the CPU time of all threads (CLOCK_PROCESS_CPUTIME_ID).
func processCPU() (time.Duration, bool) { return clock(2) }

func clock(id uintptr) (time.Duration, bool) {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, id, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
