package parallel

import (
	"sync/atomic"
	"testing"
)

type counter struct {
	hits [64]atomic.Int32
	pool *Pool
	nest int
}

func (c *counter) Run(part int) {
	c.hits[part].Add(1)
	if c.nest > 0 {
		inner := &counter{pool: c.pool}
		c.pool.Run(inner, c.nest)
		for i := 0; i < c.nest; i++ {
			if inner.hits[i].Load() != 1 {
				panic("nested part not run once")
			}
		}
	}
}

func TestRun(t *testing.T) {
	var p Pool
	for _, parts := range []int{0, 1, 2, 3, 7, 64} {
		for _, nest := range []int{0, 3} {
			c := &counter{pool: &p, nest: nest}
			p.Run(c, parts)
			for i := 0; i < 64; i++ {
				want := int32(0)
				if i < parts {
					want = 1
				}
				if got := c.hits[i].Load(); got != want {
					t.Fatalf("parts=%d nest=%d: part %d ran %d times", parts, nest, i, got)
				}
			}
		}
	}
}

func TestRunAllocs(t *testing.T) {
	c := &counter{}
	p := Default()
	p.Run(c, 4)
	if n := testing.AllocsPerRun(100, func() { p.Run(c, 4) }); n != 0 {
		t.Errorf("Run allocates %v per call", n)
	}
}
