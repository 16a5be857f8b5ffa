package zoo

import "math"

// stats estimates the distribution of a value over inputs of independent
// standard-normal pixels: the mean and variance of each index of dimension
// 1 (channels or features), treating positions as independent. The Builder
// propagates them through every node so BatchNormalization can be given
// running statistics close to what a calibrated network has, which keeps
// activations of order one however deep the network.
type stats struct{ mean, vr []float64 }

func newStats(n int, mean, vr float64) *stats {
	s := &stats{mean: make([]float64, n), vr: make([]float64, n)}
	for i := range n {
		s.mean[i], s.vr[i] = mean, vr
	}
	return s
}

func (s *stats) len() int { return len(s.mean) }

// at returns the statistics of index i, broadcasting a length-1 s.
func (s *stats) at(i int) (mean, vr float64) {
	if len(s.mean) == 1 {
		i = 0
	}
	return s.mean[i], s.vr[i]
}

// average is the statistics of all indices pooled together, n times.
func (s *stats) average(n int) *stats {
	var m, sq float64
	for i := range s.mean {
		m += s.mean[i]
		sq += s.vr[i] + s.mean[i]*s.mean[i]
	}
	k := float64(max(len(s.mean), 1))
	m, sq = m/k, sq/k
	return newStats(n, m, max(sq-m*m, 0))
}

func (s *stats) slice(lo, hi int) *stats {
	return &stats{mean: append([]float64(nil), s.mean[lo:hi]...), vr: append([]float64(nil), s.vr[lo:hi]...)}
}

func concatStats(parts ...*stats) *stats {
	out := &stats{}
	for _, p := range parts {
		out.mean = append(out.mean, p.mean...)
		out.vr = append(out.vr, p.vr...)
	}
	return out
}

// repeat gives every index of s k consecutive copies (Flatten of [C,H,W]).
func (s *stats) repeat(k int) *stats {
	out := &stats{mean: make([]float64, 0, s.len()*k), vr: make([]float64, 0, s.len()*k)}
	for i := range s.mean {
		for range k {
			out.mean = append(out.mean, s.mean[i])
			out.vr = append(out.vr, s.vr[i])
		}
	}
	return out
}

// quadrature nodes z and weights for expectations over a standard normal.
var gaussZ, gaussW = func() ([]float64, []float64) {
	const n, lim = 241, 8.0
	z, w := make([]float64, n), make([]float64, n)
	sum := 0.0
	for i := range n {
		z[i] = -lim + 2*lim*float64(i)/float64(n-1)
		w[i] = math.Exp(-z[i] * z[i] / 2)
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return z, w
}()

// mapStats is the statistics of f(x) for x normal with each index's mean
// and variance.
func mapStats(s *stats, f func(float64) float64) *stats {
	out := newStats(s.len(), 0, 0)
	for i := range s.mean {
		sd := math.Sqrt(s.vr[i])
		var m, sq float64
		for j, z := range gaussZ {
			y := f(s.mean[i] + sd*z)
			m += gaussW[j] * y
			sq += gaussW[j] * y * y
		}
		out.mean[i], out.vr[i] = m, max(sq-m*m, 0)
	}
	return out
}

// maxStats approximates the maximum of a window of n neighbours. Neighbours
// are strongly correlated, so the variance is kept and the mean moves up by
// the expected maximum of n independent standard normals times the standard
// deviation (which matches measurements on these networks far better than
// treating the window as independent).
func maxStats(s *stats, n int) *stats {
	var shift, sum float64
	for j, z := range gaussZ {
		cdf := 0.5 * (1 + math.Erf(z/math.Sqrt2))
		w := gaussW[j] * float64(n) * math.Pow(cdf, float64(n-1))
		shift += w * z
		sum += w
	}
	shift /= sum
	out := newStats(s.len(), 0, 0)
	for i := range s.mean {
		out.mean[i], out.vr[i] = s.mean[i]+shift*math.Sqrt(s.vr[i]), s.vr[i]
	}
	return out
}

// scaleVar divides every variance by k (averaging k positions).
func (s *stats) scaleVar(k float64) *stats {
	out := &stats{mean: append([]float64(nil), s.mean...), vr: make([]float64, s.len())}
	for i, v := range s.vr {
		out.vr[i] = v / k
	}
	return out
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// linearStats is the statistics of y[o] = Σ_{c,k} w[o, c, k]·x[cBase+c] + b[o]
// for weights laid out [cout, cinPerGroup, taps], output o reading inputs
// of group o / (cout/groups).
func linearStats(in *stats, w []float32, bias []float32, cout, cinG, taps, groups int) *stats {
	out := newStats(cout, 0, 0)
	perGroup := cout / groups
	for o := range cout {
		base := o / perGroup * cinG
		var m, v float64
		for c := range cinG {
			mu, vr := in.at(base + c)
			var s, s2 float64
			for _, x := range w[(o*cinG+c)*taps : (o*cinG+c+1)*taps] {
				s += float64(x)
				s2 += float64(x) * float64(x)
			}
			m += mu * s
			v += vr * s2
		}
		if bias != nil {
			m += float64(bias[o])
		}
		out.mean[o], out.vr[o] = m, v
	}
	return out
}
