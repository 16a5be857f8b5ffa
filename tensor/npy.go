package tensor

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// The .npy format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
var npyMagic = []byte("\x93NUMPY")

// maxNpyHeader bounds the header a reader accepts; numpy's own writers stay
// far below it.
const maxNpyHeader = 1 << 16

var npyDescr = map[string]DType{
	"<f4": Float32, "<f8": Float64, "<i8": Int64, "<i4": Int32,
	"|u1": Uint8, "|i1": Int8, "|b1": Bool,
}

// ReadNpy decodes one .npy array (format versions 1.0, 2.0 and 3.0;
// little-endian, C order).
func ReadNpy(r io.Reader) (*Tensor, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("npy: reading magic: %w", err)
	}
	if !bytes.Equal(pre[:6], npyMagic) {
		return nil, errors.New("npy: not a .npy file (bad magic)")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("npy: unsupported format version %d.%d", pre[6], pre[7])
	}
	if hlen > maxNpyHeader {
		return nil, fmt.Errorf("npy: header of %d bytes is too long", hlen)
	}
	h := make([]byte, hlen)
	if _, err := io.ReadFull(r, h); err != nil {
		return nil, fmt.Errorf("npy: reading header: %w", err)
	}
	dt, shape, err := parseNpyHeader(string(h))
	if err != nil {
		return nil, err
	}
	n, err := NumElements(shape)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	need := int64(n) * int64(dt.Size())
	// ReadAll grows with what actually arrives, so a header that lies about
	// the shape cannot make us allocate more than the file holds.
	raw, err := io.ReadAll(io.LimitReader(r, need))
	if err != nil {
		return nil, fmt.Errorf("npy: reading data: %w", err)
	}
	if int64(len(raw)) != need {
		return nil, fmt.Errorf("npy: truncated: shape %v needs %d bytes of data, have %d", shape, need, len(raw))
	}
	t := &Tensor{DType: dt, Shape: shape, Data: MakeData(dt, n)}
	DecodeLittleEndian(t.Data, raw)
	return t, nil
}

var (
	reDescr   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	reFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	reShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

func parseNpyHeader(h string) (DType, []int, error) {
	d := reDescr.FindStringSubmatch(h)
	f := reFortran.FindStringSubmatch(h)
	s := reShape.FindStringSubmatch(h)
	if d == nil || f == nil || s == nil {
		return 0, nil, fmt.Errorf("npy: malformed header %q", strings.TrimSpace(h))
	}
	dt, ok := npyDescr[d[1]]
	if !ok {
		return 0, nil, fmt.Errorf("npy: unsupported dtype %q (want little-endian <f4, <f8, <i8, <i4, |u1, |i1 or |b1)", d[1])
	}
	if f[1] == "True" {
		return 0, nil, errors.New("npy: Fortran-order arrays are not supported (save with C order)")
	}
	shape := []int{}
	for _, p := range strings.Split(s[1], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return 0, nil, fmt.Errorf("npy: bad dimension %q in shape", p)
		}
		shape = append(shape, v)
	}
	return dt, shape, nil
}

// WriteNpy encodes t as a version 1.0 .npy array (version 2.0 if the
// header needs it).
func WriteNpy(w io.Writer, t *Tensor) error {
	var descr string
	for k, v := range npyDescr {
		if v == t.DType {
			descr = k
		}
	}
	if descr == "" {
		return fmt.Errorf("npy: cannot write %v", t.DType)
	}
	if err := t.Check(); err != nil {
		return err
	}
	var sh strings.Builder
	for i, d := range t.Shape {
		if i > 0 {
			sh.WriteString(", ")
		}
		sh.WriteString(strconv.Itoa(d))
	}
	if len(t.Shape) == 1 {
		sh.WriteString(",")
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, sh.String())
	// Pad with spaces and a newline so the data starts 64-byte aligned.
	version, lenBytes := byte(1), 2
	pad := func() int { return (64 - (len(npyMagic)+2+lenBytes+len(header)+1)%64) % 64 }
	if len(header)+pad()+1 > math.MaxUint16 {
		version, lenBytes = 2, 4
	}
	header += strings.Repeat(" ", pad()) + "\n"
	bw := bufio.NewWriter(w)
	bw.Write(npyMagic)
	bw.Write([]byte{version, 0})
	if lenBytes == 2 {
		bw.Write(binary.LittleEndian.AppendUint16(nil, uint16(len(header))))
	} else {
		bw.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(header))))
	}
	bw.WriteString(header)
	bw.Write(EncodeLittleEndian(t.Data))
	return bw.Flush()
}

// LoadNpy reads a .npy file.
func LoadNpy(path string) (*Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ReadNpy(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// SaveNpy writes t to a .npy file.
func SaveNpy(path string, t *Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteNpy(f, t); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// DecodeLittleEndian fills data (a typed slice) from little-endian bytes;
// raw must hold exactly len(data) elements. It is independent of the host's
// byte order.
func DecodeLittleEndian(data any, raw []byte) {
	le := binary.LittleEndian
	switch d := data.(type) {
	case []float32:
		for i := range d {
			d[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case []float64:
		for i := range d {
			d[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
	case []int64:
		for i := range d {
			d[i] = int64(le.Uint64(raw[8*i:]))
		}
	case []int32:
		for i := range d {
			d[i] = int32(le.Uint32(raw[4*i:]))
		}
	case []uint8:
		copy(d, raw)
	case []int8:
		for i := range d {
			d[i] = int8(raw[i])
		}
	case []bool:
		for i := range d {
			d[i] = raw[i] != 0
		}
	}
}

// EncodeLittleEndian returns the little-endian bytes of a typed slice.
func EncodeLittleEndian(data any) []byte {
	le := binary.LittleEndian
	switch d := data.(type) {
	case []float32:
		b := make([]byte, 0, 4*len(d))
		for _, v := range d {
			b = le.AppendUint32(b, math.Float32bits(v))
		}
		return b
	case []float64:
		b := make([]byte, 0, 8*len(d))
		for _, v := range d {
			b = le.AppendUint64(b, math.Float64bits(v))
		}
		return b
	case []int64:
		b := make([]byte, 0, 8*len(d))
		for _, v := range d {
			b = le.AppendUint64(b, uint64(v))
		}
		return b
	case []int32:
		b := make([]byte, 0, 4*len(d))
		for _, v := range d {
			b = le.AppendUint32(b, uint32(v))
		}
		return b
	case []uint8:
		return append([]byte(nil), d...)
	case []int8:
		b := make([]byte, len(d))
		for i, v := range d {
			b[i] = byte(v)
		}
		return b
	case []bool:
		b := make([]byte, len(d))
		for i, v := range d {
			if v {
				b[i] = 1
			}
		}
		return b
	}
	return nil
}
