package freelist

import "testing"

func TestList(t *testing.T) {
	var l List[[4]int]
	a := l.Get()
	a[0] = 7
	l.Put(a)
	if b := l.Get(); b != a || b[0] != 7 {
		t.Fatalf("Get after Put = %p %v, want the same object %p", b, b, a)
	}
	if c := l.Get(); c == a || c[0] != 0 {
		t.Fatalf("Get on an empty list = %v, want a new zero object", c)
	}
}
