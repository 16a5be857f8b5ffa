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
	page := unix.Getpagesize()
	size := max(page, (4*n+page-1)/page*page) + page
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	if err := unix.Mprotect(mem[size-page:], unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	end := size - page
	var s []float32
	if n > 0 {
		s = unsafe.Slice((*float32)(unsafe.Pointer(&mem[end-4*n])), n)
	} else {
		// A valid pointer for n = 0 (never dereferenced).
		s = unsafe.Slice((*float32)(unsafe.Pointer(&mem[end-4])), 1)[:0]
	}
	f(s)
}
