//go:build !unix

package onnx

import "os"

// mapFile reads path into memory; release is a no-op.
func mapFile(path string) (data []byte, release func(), err error) {
	b, err := os.ReadFile(path)
	return b, func() {}, err
}
