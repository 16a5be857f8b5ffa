//go:build unix

package onnx

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps path read-only, so a large model is not read into the Go
// heap before decoding: the decoder copies each tensor's bytes once, into
// its final buffer. release unmaps it.
func mapFile(path string) (data []byte, release func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	if size == 0 || int64(int(size)) != size || !st.Mode().IsRegular() {
		b, err := os.ReadFile(path)
		return b, func() {}, err
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		b, err := os.ReadFile(path) // e.g. a file system without mmap
		return b, func() {}, err
	}
	return b, func() { unix.Munmap(b) }, nil
}
