package tensor

import (
	"bytes"
	"testing"
)

// FuzzReadNpy: arbitrary bytes give a tensor that checks out, or an error.
func FuzzReadNpy(f *testing.F) {
	var buf bytes.Buffer
	WriteNpy(&buf, FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}))
	f.Add(buf.Bytes())
	buf.Reset()
	WriteNpy(&buf, FromInt64([]int{3}, []int64{1, 2, 3}))
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadNpy(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := x.Check(); err != nil {
			t.Fatalf("ReadNpy returned an inconsistent tensor: %v", err)
		}
		var out bytes.Buffer
		if err := WriteNpy(&out, x); err != nil {
			t.Fatal(err)
		}
	})
}
