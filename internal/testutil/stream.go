package testutil

import (
	"testing"

	"github.com/gocnn/gocnn/asm"
)

// Stream is the memory reference of the benchmarks of memory-bound layers
// (conv's depthwise, pool): it reads x and writes y once per op, as fast as
// the default table's kernels do it (y a copy of the start of x, the rest
// of x summed), and reports MB/s of len(x)+len(y) floats.
func Stream(b *testing.B, x, y []float32) {
	kt := asm.Default()
	n := min(len(x), len(y))
	b.SetBytes(int64(4 * (len(x) + len(y))))
	var sink float32
	for b.Loop() {
		kt.CopyRows(1, n, &y[0], n, &x[0], n)
		if len(x) > n {
			sink += kt.Sum(len(x)-n, &x[n])
		}
	}
	_ = sink
}
