package pool

import "math"

// sigmoidSlice sets dst[i] = sigmoid(src[i]), times src[i] when silu; dst
// may be src. It is expf inlined without branches: the argument is clamped
// to [−87.33, 88.72] (the builtin min/max keep NaN, so NaN stays NaN), where
// the result is already 1 or within 3e-39 of 0.
func sigmoidSlice(dst, src []float32, silu bool) {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
		magic = 12582912
	)
	src = src[:len(dst)]
	for i, x := range src {
		a := min(max(-x, -87.33654), 88.72283)
		t := a*log2e + magic
		n := int32(math.Float32bits(t)) - int32(math.Float32bits(magic))
		nf := t - magic
		r := a - nf*ln2hi - nf*ln2lo
		p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
		h := n >> 1
		e := p * math.Float32frombits(uint32(h+127)<<23) * math.Float32frombits(uint32(n-h+127)<<23)
		s := 1 / (1 + e)
		if silu {
			s *= x
		}
		dst[i] = s
	}
}
