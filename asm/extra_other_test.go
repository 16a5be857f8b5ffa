//go:build !amd64 || purego || noasm

package asm

func extraKernels() []kernelCase { return nil }
