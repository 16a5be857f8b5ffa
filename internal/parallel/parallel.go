// Package parallel is a small reusable worker pool: long-lived goroutines
// run the parts of a Task, so a GEMM call starts no goroutines and, in
// steady state, allocates nothing.
package parallel

import (
	"runtime"
	"sync"
)

// Task is split into parts 0..n-1 that may run concurrently.
type Task interface {
	Run(part int)
}

type job struct {
	t    Task
	part int
	b    *batch
}

type batch struct{ wg sync.WaitGroup }

var batches = sync.Pool{New: func() any { return new(batch) }}

// Pool runs tasks on worker goroutines started on demand and kept forever.
// The zero value is ready to use. It is safe for concurrent use, and a part
// may itself call Run: waiting callers run queued parts, so nesting cannot
// deadlock.
type Pool struct {
	mu      sync.Mutex
	workers int
	queue   chan job
}

var def Pool

// Default returns the process-wide pool.
func Default() *Pool { return &def }

// Threads returns n if n > 0, else GOMAXPROCS.
func Threads(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

func (p *Pool) grow(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.queue == nil {
		p.queue = make(chan job, 256)
	}
	for ; p.workers < n; p.workers++ {
		go worker(p.queue)
	}
}

func worker(q chan job) {
	for j := range q {
		j.t.Run(j.part)
		j.b.wg.Done()
	}
}

// Run runs t.Run(0..parts-1) and returns when all parts are done. The
// caller runs part 0 itself and up to parts-1 workers run the others.
func (p *Pool) Run(t Task, parts int) {
	if parts <= 1 {
		if parts == 1 {
			t.Run(0)
		}
		return
	}
	p.mu.Lock()
	short := p.workers < parts-1
	q := p.queue
	p.mu.Unlock()
	if short {
		p.grow(parts - 1)
		q = p.queue
	}
	b := batches.Get().(*batch)
	b.wg.Add(parts - 1)
	for i := 1; i < parts; i++ {
		select {
		case q <- job{t, i, b}:
		default: // queue full: do it here
			t.Run(i)
			b.wg.Done()
		}
	}
	t.Run(0)
	// Help with queued parts (ours or another caller's) before blocking.
	for {
		select {
		case j := <-q:
			j.t.Run(j.part)
			j.b.wg.Done()
			continue
		default:
		}
		break
	}
	b.wg.Wait()
	batches.Put(b)
}
