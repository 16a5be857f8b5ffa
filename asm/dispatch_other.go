//go:build !(amd64 || arm64) || purego || noasm

package asm

// archTables: only the generic table without assembly.
func archTables() []*Kernels { return nil }
