//go:build unix

package asm

import (
	"golang.org/x/sys/unix"
	"testing"
	"unsafe"
)

// withTailGuard calls f with a slice of n float32s that ends exactly at a
// PROT_NONE page, so a kernel reading past the end faults.
func withTailGuard(t *testing.T, n int, f func(s []float32)) {
	t.Helper()
	withGuard(t, n, false, f)
}

// withHeadGuard calls f with a slice of n float32s that starts exactly
// after a PROT_NONE page, so a kernel reading before the start faults.
func withHeadGuard(t *testing.T, n int, f func(s []float32)) {
	t.Helper()
	withGuard(t, n, true, f)
}

// withGuard is withHeadGuard (head) or withTailGuard.
func withGuard(t *testing.T, n int, head bool, f func(s []float32)) {
	t.Helper()
	page := unix.Getpagesize()
	size := max(page, (4*n+page-1)/page*page) + page
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	guard, start := mem[size-page:], size-page-4*n
	if head {
		guard, start = mem[:page], page
	}
	if err := unix.Mprotect(guard, unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	var s []float32
	if n > 0 {
		s = unsafe.Slice((*float32)(unsafe.Pointer(&mem[start])), n)
	} else {
		// A valid pointer for n = 0 (never dereferenced).
		s = unsafe.Slice((*float32)(unsafe.Pointer(&mem[page])), 1)[:0]
	}
	f(s)
}
