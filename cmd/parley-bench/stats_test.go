package main

import (
	"math"
	"slices"
	"testing"
)

func TestPercentile(t *testing.T) {
	tests := []struct {
		name    string
		samples []float64
		p       float64
		want    float64
	}{
		{"median odd", []float64{5, 1, 3}, 50, 3},
		{"median even", []float64{4, 1, 3, 2}, 50, 2.5},
		{"single", []float64{7}, 99, 7},
		{"min", []float64{3, 1, 2}, 0, 1},
		{"max", []float64{3, 1, 2}, 100, 3},
		{"p99 of 1..101", seq(101), 99, 100},
		{"p99 interpolates", seq(11), 99, 10.9},
		{"p clamped high", []float64{1, 2}, 150, 2},
		{"p clamped low", []float64{1, 2}, -5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.samples, tt.p); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.samples, tt.p, got, tt.want)
			}
		})
	}
}

func TestPercentileEmptyIsNaN(t *testing.T) {
	if got := percentile(nil, 50); !math.IsNaN(got) {
		t.Errorf("percentile(nil, 50) = %v, want NaN", got)
	}
}

func TestPercentileLeavesInputAlone(t *testing.T) {
	in := []float64{3, 1, 2}
	median(in)
	if !slices.Equal(in, []float64{3, 1, 2}) {
		t.Errorf("input reordered to %v", in)
	}
}

// seq returns 1..n.
func seq(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i + 1)
	}
	return s
}
