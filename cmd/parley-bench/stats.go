package main

import (
	"math"
	"slices"
	"time"
)

// percentile returns the p-th percentile (0–100) of samples, interpolating
// linearly between the two nearest ranks (numpy's default), so that the
// 50th percentile of an even count is the mean of the middle two. It
// returns NaN for no samples and leaves samples unchanged.
func percentile(samples []float64, p float64) float64 {
	if len(samples) == 0 {
		return math.NaN()
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	p = min(max(p, 0), 100)
	rank := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(rank))
	hi := int(math.Ceil(rank))
	return s[lo] + (s[hi]-s[lo])*(rank-float64(lo))
}

// median is the 50th percentile.
func median(samples []float64) float64 { return percentile(samples, 50) }

// millis returns d in milliseconds, the unit of every latency row.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
