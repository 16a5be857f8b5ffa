// Package parallel is a small reusable worker pool: long-lived goroutines
// run the parts of a Task, so a GEMM call starts no goroutines and, in
// steady state, allocates nothing.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocnn/gocnn/internal/freelist"
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

// batch tracks the parts of one Run handed to workers: pending counts
// them down for the caller's spin, wg for its blocking wait.
type batch struct {
	pending atomic.Int32
	wg      sync.WaitGroup
}

func (b *batch) done() {
	b.pending.Add(-1)
	b.wg.Done()
}

// spinFor is how long an idle worker polls for the next part, and a
// caller for its workers, before blocking. A CNN runs a parallel section
// per layer, tens of microseconds apart: waking a parked goroutine costs
// microseconds to tens of microseconds (the OS wakes its thread, another
// P steals it), which at two threads ate all the speed-up of the smaller
// layers. Spinning across the gap keeps the hand-off at a channel
// operation; the cost is at most spinFor of CPU after the last section.
const spinFor = 200 * time.Microsecond

// batches is a free list, not a sync.Pool: a sync.Pool allocates now and
// then in steady state (when items move between Ps, and after every GC).
var batches freelist.List[batch]

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
	for {
		j, ok := poll(q)
		if !ok {
			j = <-q
		}
		j.t.Run(j.part)
		j.b.done()
	}
}

// poll receives from q, trying for up to spinFor before giving up.
func poll(q chan job) (job, bool) {
	var sp spinner
	for {
		select {
		case j := <-q:
			return j, true
		default:
		}
		if !sp.spin() {
			return job{}, false
		}
	}
}

// spinner bounds a polling loop to spinFor: every 64th call it checks the
// clock and lets runnable goroutines have the P.
type spinner struct {
	i     int
	start time.Time
}

// spin reports whether the loop may go on polling.
func (s *spinner) spin() bool {
	if s.i%64 == 0 {
		if s.i == 0 {
			s.start = time.Now()
		} else if time.Since(s.start) > spinFor {
			return false
		}
		runtime.Gosched()
	}
	s.i++
	return true
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
	b := batches.Get()
	b.pending.Store(int32(parts - 1))
	b.wg.Add(parts - 1)
	for i := 1; i < parts; i++ {
		select {
		case q <- job{t, i, b}:
		default: // queue full: do it here
			t.Run(i)
			b.done()
		}
	}
	t.Run(0)
	// Help with queued parts (ours or another caller's), then spin for the
	// workers to finish before blocking.
	for sp := (spinner{}); b.pending.Load() > 0; {
		select {
		case j := <-q:
			j.t.Run(j.part)
			j.b.done()
			continue
		default:
		}
		if !sp.spin() {
			break
		}
	}
	b.wg.Wait()
	batches.Put(b)
}
