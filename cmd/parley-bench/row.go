package main

import (
	"fmt"
	"math"
	"strconv"
)

// Row is one figure of the results: Parley's value next to the raw
// baseline's, measured in the same run.
type Row struct {
	// Scenario is the name of the scenario that measured the row.
	Scenario string `json:"scenario"`
	// Figure says what is measured and which statistic (median, p99).
	Figure string `json:"figure"`
	// Unit of Parley, Raw and the samples: "ms", "MiB", "%", "count".
	Unit string `json:"unit"`
	// Runs is how many samples each statistic was taken over.
	Runs int `json:"runs"`
	// Parley is Parley's value.
	Parley float64 `json:"parley"`
	// Raw is the raw baseline's value; nil when the figure has none.
	Raw *float64 `json:"raw,omitempty"`
	// Ratio is Parley / Raw; nil without a baseline or when Raw is 0.
	Ratio *float64 `json:"ratio,omitempty"`
	// Target is the goal as text ("≤ 150 ms", "≤ 1.5× raw"); empty when
	// the row is for information only.
	Target string `json:"target,omitempty"`
	// Met says whether Parley reached the target; nil without a target.
	Met *bool `json:"met,omitempty"`
	// ParleySamples and RawSamples are the individual measurements.
	ParleySamples []float64 `json:"parley_samples,omitempty"`
	RawSamples    []float64 `json:"raw_samples,omitempty"`
}

// newRow makes a row from two values; raw may be NaN for "no baseline".
func newRow(figure, unit string, parley, raw float64, t target) Row {
	r := Row{Figure: figure, Unit: unit, Parley: parley, Runs: 1}
	if !math.IsNaN(raw) {
		r.Raw = &raw
		if raw != 0 {
			ratio := parley / raw
			r.Ratio = &ratio
		}
	}
	if t.op != opNone {
		r.Target = t.text(unit)
		met := t.met(parley, raw)
		r.Met = &met
	}
	return r
}

// medianRow makes a row of the medians of repeated runs, keeping the samples.
func medianRow(figure, unit string, parley, raw []float64, t target) Row {
	r := newRow(figure, unit, median(parley), median(raw), t)
	r.Runs = len(parley)
	r.ParleySamples = parley
	r.RawSamples = raw
	return r
}

const (
	opNone = iota
	opAtMost
	opAtLeast
)

// target is a goal for Parley's value: an absolute bound in the row's unit,
// or a multiple of the raw baseline.
type target struct {
	op    int
	value float64
	ofRaw bool
}

// noTarget marks a row that is for information only.
var noTarget = target{}

func atMost(v float64) target     { return target{op: opAtMost, value: v} }
func atMostRaw(k float64) target  { return target{op: opAtMost, value: k, ofRaw: true} }
func atLeast(v float64) target    { return target{op: opAtLeast, value: v} }
func atLeastRaw(k float64) target { return target{op: opAtLeast, value: k, ofRaw: true} }

func (t target) bound(raw float64) float64 {
	if t.ofRaw {
		return t.value * raw
	}
	return t.value
}

// met reports whether parley reaches the target. A target relative to a
// missing baseline is missed: it cannot be shown to hold.
func (t target) met(parley, raw float64) bool {
	b := t.bound(raw)
	if math.IsNaN(b) || math.IsNaN(parley) {
		return false
	}
	switch t.op {
	case opAtMost:
		return parley <= b
	case opAtLeast:
		return parley >= b
	}
	return true
}

func (t target) text(unit string) string {
	sym := "≤"
	if t.op == opAtLeast {
		sym = "≥"
	}
	if t.ofRaw {
		return sym + " " + strconv.FormatFloat(t.value, 'f', -1, 64) + "× raw"
	}
	v := strconv.FormatFloat(t.value, 'f', -1, 64)
	switch unit {
	case "count", "":
		return sym + " " + v
	case "%":
		return sym + " " + v + "%"
	}
	return sym + " " + v + " " + unit
}

// formatValue prints v with its unit and three significant digits or so.
func formatValue(v float64, unit string) string {
	if math.IsNaN(v) {
		return "—"
	}
	var s string
	switch a := math.Abs(v); {
	case unit == "count" || a >= 100:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	default:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	}
	switch unit {
	case "count", "":
		return s
	case "%":
		return s + "%"
	}
	return s + " " + unit
}

func (r Row) rawText() string {
	if r.Raw == nil {
		return "—"
	}
	return formatValue(*r.Raw, r.Unit)
}

func (r Row) ratioText() string {
	if r.Ratio == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f×", *r.Ratio)
}

func (r Row) resultText() string {
	switch {
	case r.Met == nil:
		return ""
	case *r.Met:
		return "met"
	}
	return "MISSED"
}
