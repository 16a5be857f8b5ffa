package cpu

import "testing"

func TestCapLevel(t *testing.T) {
	cases := []struct {
		d    Level
		env  string
		want Level
	}{
		{AVX512, "", AVX512},
		{AVX512, "bogus", AVX512},
		{AVX512, "avx2", AVX2},
		{AVX512, "AVX512", AVX512},
		{AVX512, "generic", Generic},
		{AVX2, "avx512", AVX2},
		{AVX512, "neon", AVX512},
		{NEON, "avx2", NEON},
		{NEON, "generic", Generic},
		{AVX2, "bogus", AVX2},
	}
	for _, c := range cases {
		if got := CapLevel(c.d, c.env); got != c.want {
			t.Errorf("CapLevel(%v, %q) = %v, want %v", c.d, c.env, got, c.want)
		}
	}
}

func TestInfo(t *testing.T) {
	if L1D <= 0 || L2 <= 0 || L3 <= 0 {
		t.Fatalf("cache sizes L1D=%d L2=%d L3=%d", L1D, L2, L3)
	}
	if !Supports(Max()) {
		t.Fatalf("Max()=%v not supported", Max())
	}
	t.Logf("detected=%v max=%v L1D=%d L2=%d L3=%d", Detected(), Max(), L1D, L2, L3)
}
