package conv

import "sync"

// freeList keeps scratch objects for reuse. Unlike sync.Pool it never drops
// them at garbage collection, so steady-state runs allocate nothing; it
// holds as many objects as the highest number of concurrent users seen.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
}

func (f *freeList[T]) get() *T {
	f.mu.Lock()
	if n := len(f.items); n > 0 {
		x := f.items[n-1]
		f.items = f.items[:n-1]
		f.mu.Unlock()
		return x
	}
	f.mu.Unlock()
	return new(T)
}

func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	f.items = append(f.items, x)
	f.mu.Unlock()
}
