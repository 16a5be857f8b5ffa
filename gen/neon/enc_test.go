package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// known holds reference encodings. The words and the disassembly text were
// obtained by assembling the GNU mnemonics with aarch64-linux-gnu-as and
// decoding the object with aarch64-linux-gnu-objdump -d (Debian
// binutils-aarch64-linux-gnu 2.40); TestEncodersAssembler repeats that at
// test time when the tools are installed.
var known = []struct {
	got  inst
	word uint32
	gnu  string
}{
	{fadd4s(0, 1, 2), 0x4e22d420, "fadd v0.4s, v1.4s, v2.4s"},
	{fadd4s(31, 30, 29), 0x4e3dd7df, "fadd v31.4s, v30.4s, v29.4s"},
	{fadd4s(8, 8, 5), 0x4e25d508, "fadd v8.4s, v8.4s, v5.4s"},
	{fsub4s(0, 1, 2), 0x4ea2d420, "fsub v0.4s, v1.4s, v2.4s"},
	{fsub4s(17, 3, 31), 0x4ebfd471, "fsub v17.4s, v3.4s, v31.4s"},
	{fmul4s(0, 1, 2), 0x6e22dc20, "fmul v0.4s, v1.4s, v2.4s"},
	{fmul4s(31, 0, 16), 0x6e30dc1f, "fmul v31.4s, v0.4s, v16.4s"},
	{fmax4s(0, 1, 2), 0x4e22f420, "fmax v0.4s, v1.4s, v2.4s"},
	{fmax4s(23, 23, 5), 0x4e25f6f7, "fmax v23.4s, v23.4s, v5.4s"},
	{fmin4s(0, 1, 2), 0x4ea2f420, "fmin v0.4s, v1.4s, v2.4s"},
	{fmin4s(23, 23, 6), 0x4ea6f6f7, "fmin v23.4s, v23.4s, v6.4s"},
	{faddp4s(0, 16, 18), 0x6e32d600, "faddp v0.4s, v16.4s, v18.4s"},
	{faddp4s(31, 1, 0), 0x6e20d43f, "faddp v31.4s, v1.4s, v0.4s"},
	{fmlaElem4s(0, 1, 2, 0), 0x4f821020, "fmla v0.4s, v1.4s, v2.s[0]"},
	{fmlaElem4s(8, 2, 0, 1), 0x4fa01048, "fmla v8.4s, v2.4s, v0.s[1]"},
	{fmlaElem4s(14, 2, 0, 2), 0x4f80184e, "fmla v14.4s, v2.4s, v0.s[2]"},
	{fmlaElem4s(31, 17, 30, 3), 0x4fbe1a3f, "fmla v31.4s, v17.4s, v30.s[3]"},
	{fmlaElem4s(5, 31, 16, 1), 0x4fb013e5, "fmla v5.4s, v31.4s, v16.s[1]"},
	{fmulElem4s(0, 1, 2, 0), 0x4f829020, "fmul v0.4s, v1.4s, v2.s[0]"},
	{fmulElem4s(8, 8, 5, 0), 0x4f859108, "fmul v8.4s, v8.4s, v5.s[0]"},
	{fmulElem4s(31, 15, 31, 3), 0x4fbf99ff, "fmul v31.4s, v15.4s, v31.s[3]"},
	{fmulElem4s(9, 10, 17, 2), 0x4f919949, "fmul v9.4s, v10.4s, v17.s[2]"},
	{fcmgt4s(0, 0, 0), 0x6ea0e400, "fcmgt v0.4s, v0.4s, v0.4s"},
	{fcmgt4s(4, 16, 0), 0x6ea0e604, "fcmgt v4.4s, v16.4s, v0.4s"},
	{fcmgt4s(31, 1, 30), 0x6ebee43f, "fcmgt v31.4s, v1.4s, v30.4s"},
	{fcmgt4s(7, 3, 17), 0x6eb1e467, "fcmgt v7.4s, v3.4s, v17.4s"},
	{fdiv4s(0, 1, 2), 0x6e22fc20, "fdiv v0.4s, v1.4s, v2.4s"},
}

func TestEncodersKnown(t *testing.T) {
	for _, c := range known {
		if c.got.word != c.word || c.got.gnu != c.gnu {
			t.Errorf("%s: got %#08x %q, want %#08x", c.gnu, c.got.word, c.got.gnu, c.word)
		}
	}
}

// pattern builds an instruction word from an Arm ARM encoding diagram
// written MSB first: '0' and '1' are fixed bits, a letter is one bit of the
// field of that name (fields fill MSB first).
func pattern(diagram string, fields map[byte]uint32) uint32 {
	diagram = strings.ReplaceAll(diagram, " ", "")
	if len(diagram) != 32 {
		panic("pattern: need 32 bits: " + diagram)
	}
	width := map[byte]int{}
	for i := 0; i < 32; i++ {
		if c := diagram[i]; c != '0' && c != '1' {
			width[c]++
		}
	}
	seen := map[byte]int{}
	var w uint32
	for i := 0; i < 32; i++ {
		c := diagram[i]
		var b uint32
		switch c {
		case '0':
		case '1':
			b = 1
		default:
			v, ok := fields[c]
			if !ok {
				panic("pattern: no value for field " + string(c))
			}
			b = v >> (width[c] - 1 - seen[c]) & 1
			seen[c]++
		}
		w |= b << (31 - i)
	}
	return w
}

// The diagrams are the Arm ARM's "Advanced SIMD three same" (Q U a sz
// Rm opcode Rn Rd) and "vector x indexed element" (Q U sz L M Rm opcode H
// Rn Rd) classes, Q=1 (.4S), sz=0 (single precision).
var threeSameDiagrams = map[string]struct {
	enc     func(d, n, m int) inst
	diagram string
}{
	"fadd":  {fadd4s, "0 1 0 01110 0 0 1 mmmmm 11010 1 nnnnn ddddd"},
	"fsub":  {fsub4s, "0 1 0 01110 1 0 1 mmmmm 11010 1 nnnnn ddddd"},
	"fmul":  {fmul4s, "0 1 1 01110 0 0 1 mmmmm 11011 1 nnnnn ddddd"},
	"fmax":  {fmax4s, "0 1 0 01110 0 0 1 mmmmm 11110 1 nnnnn ddddd"},
	"fmin":  {fmin4s, "0 1 0 01110 1 0 1 mmmmm 11110 1 nnnnn ddddd"},
	"faddp": {faddp4s, "0 1 1 01110 0 0 1 mmmmm 11010 1 nnnnn ddddd"},
	"fcmgt": {fcmgt4s, "0 1 1 01110 1 0 1 mmmmm 11100 1 nnnnn ddddd"},
	"fdiv":  {fdiv4s, "0 1 1 01110 0 0 1 mmmmm 11111 1 nnnnn ddddd"},
}

var byElementDiagrams = map[string]struct {
	enc     func(d, n, m, idx int) inst
	diagram string
}{
	"fmla": {fmlaElem4s, "0 1 0 01111 1 0 L M mmmm 0001 H 0 nnnnn ddddd"},
	"fmul": {fmulElem4s, "0 1 0 01111 1 0 L M mmmm 1001 H 0 nnnnn ddddd"},
}

// operands returns register triples covering every register in every
// position.
func operands() [][3]int {
	var ops [][3]int
	for i := 0; i < 32; i++ {
		ops = append(ops, [3]int{i, (i*7 + 3) % 32, (i*13 + 5) % 32}, [3]int{(i*11 + 1) % 32, i, (31 - i)}, [3]int{(i * 5) % 32, (i*3 + 2) % 32, i})
	}
	return ops
}

func TestEncodersDiagram(t *testing.T) {
	for name, e := range threeSameDiagrams {
		for _, o := range operands() {
			want := pattern(e.diagram, map[byte]uint32{'d': uint32(o[0]), 'n': uint32(o[1]), 'm': uint32(o[2])})
			if got := e.enc(o[0], o[1], o[2]); got.word != want {
				t.Errorf("%s %v: got %#08x, diagram says %#08x", name, o, got.word, want)
			}
		}
	}
	for name, e := range byElementDiagrams {
		for _, o := range operands() {
			for idx := 0; idx < 4; idx++ {
				want := pattern(e.diagram, map[byte]uint32{
					'd': uint32(o[0]), 'n': uint32(o[1]),
					'M': uint32(o[2]) >> 4, 'm': uint32(o[2]) & 15,
					'H': uint32(idx) >> 1, 'L': uint32(idx) & 1,
				})
				if got := e.enc(o[0], o[1], o[2], idx); got.word != want {
					t.Errorf("%s %v[%d]: got %#08x, diagram says %#08x", name, o, idx, got.word, want)
				}
			}
		}
	}
}

// allInsts is every encoder applied to every operand set of operands().
func allInsts() []inst {
	var is []inst
	for _, name := range []string{"fadd", "fsub", "fmul", "fmax", "fmin", "faddp", "fcmgt", "fdiv"} {
		for _, o := range operands() {
			is = append(is, threeSameDiagrams[name].enc(o[0], o[1], o[2]))
		}
	}
	for _, name := range []string{"fmla", "fmul"} {
		for _, o := range operands() {
			for idx := 0; idx < 4; idx++ {
				is = append(is, byElementDiagrams[name].enc(o[0], o[1], o[2], idx))
			}
		}
	}
	return is
}

// TestEncodersAssembler assembles the GNU spelling of every encoded
// instruction with binutils and compares words and disassembly. It is
// skipped when aarch64-linux-gnu-as/objdump are not installed.
func TestEncodersAssembler(t *testing.T) {
	as, err1 := exec.LookPath("aarch64-linux-gnu-as")
	objdump, err2 := exec.LookPath("aarch64-linux-gnu-objdump")
	if err1 != nil || err2 != nil {
		t.Skip("aarch64-linux-gnu-as/objdump not installed (Debian: binutils-aarch64-linux-gnu)")
	}
	is := allInsts()
	for _, c := range known {
		is = append(is, c.got)
	}
	dir := t.TempDir()
	var src strings.Builder
	for _, i := range is {
		src.WriteString(i.gnu + "\n")
	}
	sfile, ofile := filepath.Join(dir, "x.s"), filepath.Join(dir, "x.o")
	if err := os.WriteFile(sfile, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(as, "-o", ofile, sfile).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", as, err, out)
	}
	out, err := exec.Command(objdump, "-d", ofile).Output()
	if err != nil {
		t.Fatalf("%s: %v", objdump, err)
	}
	line := regexp.MustCompile(`^\s*[0-9a-f]+:\s+([0-9a-f]{8})\s+(\S+)\s+(.*)$`)
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if n >= len(is) {
			t.Fatalf("objdump printed more instructions than assembled")
		}
		w, _ := strconv.ParseUint(m[1], 16, 32)
		text := m[2] + " " + strings.TrimSpace(m[3])
		if uint32(w) != is[n].word || text != is[n].gnu {
			t.Errorf("%q: encoder %#08x, binutils %#08x %q", is[n].gnu, is[n].word, w, text)
		}
		n++
	}
	if n != len(is) {
		t.Fatalf("objdump decoded %d instructions, want %d", n, len(is))
	}
	t.Logf("%d instructions checked against %s", n, as)
}
