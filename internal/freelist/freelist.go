// Package freelist keeps scratch objects for reuse between runs.
package freelist

import "sync"

// List holds objects for reuse. Unlike sync.Pool it never drops them at
// garbage collection, so steady-state runs allocate nothing; it grows to the
// highest number of concurrent users seen. The zero value is ready to use.
type List[T any] struct {
	mu    sync.Mutex
	items []*T
}

// Get returns a free object, or a new zero one if none is free.
func (f *List[T]) Get() *T {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.items); n > 0 {
		x := f.items[n-1]
		f.items = f.items[:n-1]
		return x
	}
	return new(T)
}

// Put makes x available to a later Get.
func (f *List[T]) Put(x *T) {
	f.mu.Lock()
	f.items = append(f.items, x)
	f.mu.Unlock()
}
