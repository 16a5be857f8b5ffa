//go:build !unix

package asm

import "testing"

// withTailGuard calls f with a slice of n float32s; without mmap there is
// no guard page, only the sentinel checks of the callers.
func withTailGuard(t *testing.T, n int, f func(s []float32)) {
	f(make([]float32, n, n+1))
}

// withHeadGuard is withTailGuard (no guard page either).
func withHeadGuard(t *testing.T, n int, f func(s []float32)) {
	withTailGuard(t, n, f)
}
