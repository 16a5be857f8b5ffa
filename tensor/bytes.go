package tensor

import (
	"encoding/binary"
	"unsafe"
)

var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// FromLittleEndian returns n elements of type dt decoded from little-endian
// raw bytes. On little-endian hosts, when raw is suitably aligned, the
// result aliases raw instead of copying it: model weights are then held once.
func FromLittleEndian(dt DType, raw []byte, n int) any {
	if n == 0 {
		return MakeData(dt, 0)
	}
	size := dt.Size()
	if hostLittleEndian && uintptr(unsafe.Pointer(&raw[0]))%uintptr(size) == 0 {
		p := unsafe.Pointer(&raw[0])
		switch dt {
		case Float32:
			return unsafe.Slice((*float32)(p), n)
		case Int64:
			return unsafe.Slice((*int64)(p), n)
		case Int32:
			return unsafe.Slice((*int32)(p), n)
		case Float64:
			return unsafe.Slice((*float64)(p), n)
		case Uint8:
			return raw[:n:n]
		}
	}
	data := MakeData(dt, n)
	DecodeLittleEndian(data, raw)
	return data
}
