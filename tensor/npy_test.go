package tensor

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

func TestNpyRoundTrip(t *testing.T) {
	for _, x := range []*Tensor{
		FromFloat32([]int{2, 3}, []float32{1, -2, 3.5, 0, 1e-30, -7}),
		FromInt64([]int{4}, []int64{-1, 0, 1 << 50, 3}),
		FromFloat32([]int{}, []float32{42}),
		FromFloat32([]int{0, 5}, []float32{}),
		{DType: Bool, Shape: []int{3}, Data: []bool{true, false, true}},
	} {
		var buf bytes.Buffer
		if err := WriteNpy(&buf, x); err != nil {
			t.Fatal(err)
		}
		if buf.Len()%64 != (x.Len()*x.DType.Size())%64 {
			t.Errorf("%v: data does not start 64-byte aligned", x)
		}
		y, err := ReadNpy(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if y.String() != x.String() || !bytes.Equal(EncodeLittleEndian(y.Data), EncodeLittleEndian(x.Data)) {
			t.Errorf("round trip: %v %v -> %v %v", x, x.Data, y, y.Data)
		}
	}
}

// npyFile builds a .npy with the given version and header by hand.
func npyFile(major byte, header string, data []byte) []byte {
	b := append([]byte("\x93NUMPY"), major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	return append(append(b, header...), data...)
}

func TestNpyVersions(t *testing.T) {
	data := EncodeLittleEndian([]float32{1, 2, 3, 4})
	for _, v := range []byte{1, 2, 3} {
		h := "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }\n"
		x, err := ReadNpy(bytes.NewReader(npyFile(v, h, data)))
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		if x.String() != "float32[2,2]" || x.Float32s()[3] != 4 {
			t.Errorf("version %d: %v %v", v, x, x.Data)
		}
	}
}

func TestNpyErrors(t *testing.T) {
	data := EncodeLittleEndian([]float32{1, 2, 3, 4})
	cases := map[string][]byte{
		"bad magic":    []byte("\x93NUMPZ\x01\x00\x00\x00"),
		"big-endian":   npyFile(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", data),
		"fortran":      npyFile(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data),
		"object":       npyFile(1, "{'descr': '|O', 'fortran_order': False, 'shape': (4,), }", data),
		"truncated":    npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", data),
		"huge shape":   npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100000000000), }", data),
		"negative dim": npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", data),
		"version 9":    npyFile(9, "{}", nil),
		"garbage":      npyFile(1, "hello", data),
		"short header": []byte("\x93NUMPY\x01\x00\xff\x00{"),
		"empty":        nil,
	}
	for name, b := range cases {
		if _, err := ReadNpy(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: multi-line error %q", name, err)
		}
	}
}

func TestNumElements(t *testing.T) {
	if n, err := NumElements([]int{2, 3, 4}); n != 24 || err != nil {
		t.Errorf("NumElements = %d, %v", n, err)
	}
	if _, err := NumElements([]int{1 << 30, 1 << 30, 1 << 30}); err == nil {
		t.Error("overflow not caught")
	}
	if _, err := NumElements([]int{3, -1}); err == nil {
		t.Error("negative dim not caught")
	}
}

func TestFromLittleEndian(t *testing.T) {
	raw := EncodeLittleEndian([]float32{1, -2, 3})
	if v := FromLittleEndian(Float32, raw, 3).([]float32); v[1] != -2 {
		t.Errorf("aligned: %v", v)
	}
	odd := append([]byte{0}, raw...)[1:] // misaligned: must copy
	if v := FromLittleEndian(Float32, odd, 3).([]float32); v[2] != 3 {
		t.Errorf("misaligned: %v", v)
	}
}
