// Package asm holds gocnn's compute kernels: generated amd64 assembly, a
// pure-Go twin of every kernel (always built, the reference and the
// fallback), and the dispatch tables that pick between them.
//
// Nothing here allocates or checks bounds beyond what the doc comments
// state: callers (package gemm) own blocking, packing and edges.
//
// Packed panels used by the SGEMM micro-kernels (MR rows, NR columns, k steps):
//
//	A panel, MR×k, k-major:          B panel, k×NR, row by row:
//	a[0*MR+0] … a[0*MR+MR-1]          b[0*NR+0] … b[0*NR+NR-1]
//	a[1*MR+0] … a[1*MR+MR-1]          b[1*NR+0] … b[1*NR+NR-1]
//	…                                 …
//	a[p*MR+i] = A[i][p]               b[p*NR+j] = B[p][j]
//
// Rows or columns past the matrix edge are zero in the panel, so kernels
// never have edge code; partial C tiles go through a temporary tile.
package asm
