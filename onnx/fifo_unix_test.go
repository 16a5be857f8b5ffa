//go:build unix

package onnx

import (
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gocnn/gocnn/onnx/internal/onnxpb"
)

// TestExternalDataFIFO: external data naming a named pipe (or any file
// that is not regular) is an error, not a load that blocks until a
// writer comes.
func TestExternalDataFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mkfifo(filepath.Join(dir, "w.bin"), 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	pt := &onnxpb.TensorProto{Name: "w", DataType: 1, Dims: []int64{2, 2}, DataLocation: onnxpb.TensorProto_EXTERNAL,
		ExternalData: []*onnxpb.StringStringEntryProto{{Key: "location", Value: "w.bin"}}}
	b := encodeProto(t, modelWithInitializer(pt))
	done := make(chan error, 1)
	go func() {
		_, err := Decode(b, &Options{Dir: dir})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("external data from a named pipe was accepted")
		}
		t.Log(err)
	case <-time.After(10 * time.Second):
		t.Fatal("Decode blocked on external data in a named pipe")
	}
}
