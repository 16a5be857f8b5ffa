//go:build (amd64 || arm64) && !purego && !noasm

package asm

// blocksOf runs body on the whole blocks of size in n and then on the
// block ending at n (off is the first output index of that call); n < size
// goes to small.
func blocksOf(size, n int, body func(n, off int), small func()) {
	if n < size {
		small()
		return
	}
	body(n, 0)
	if n%size != 0 {
		body(size, n-size)
	}
}
