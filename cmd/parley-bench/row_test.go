package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestTarget(t *testing.T) {
	tests := []struct {
		t        target
		unit     string
		parley   float64
		raw      float64
		wantText string
		wantMet  bool
	}{
		{atMost(150), "ms", 150, 30, "≤ 150 ms", true},
		{atMost(150), "ms", 150.1, 30, "≤ 150 ms", false},
		{atMost(100), "count", 78, 68, "≤ 100", true},
		{atMostRaw(1.5), "ms", 45, 30, "≤ 1.5× raw", true},
		{atMostRaw(1.5), "ms", 46, 30, "≤ 1.5× raw", false},
		{atLeastRaw(0.3), "msg/s", 50e3, 150e3, "≥ 0.3× raw", true},
		{atLeastRaw(0.3), "msg/s", 40e3, 150e3, "≥ 0.3× raw", false},
		{atMostRaw(2), "ms", 1, math.NaN(), "≤ 2× raw", false},
		{atLeast(100), "%", 100, 100, "≥ 100%", true},
		{atLeast(100), "%", 99.5, 100, "≥ 100%", false},
	}
	for _, tt := range tests {
		if got := tt.t.text(tt.unit); got != tt.wantText {
			t.Errorf("text = %q, want %q", got, tt.wantText)
		}
		if got := tt.t.met(tt.parley, tt.raw); got != tt.wantMet {
			t.Errorf("%s: met(%v, %v) = %v, want %v", tt.wantText, tt.parley, tt.raw, got, tt.wantMet)
		}
	}
}

func TestMedianRow(t *testing.T) {
	r := medianRow("ready", "ms", []float64{30, 10, 20}, []float64{10, 10, 10}, atMost(25))
	if r.Parley != 20 || *r.Raw != 10 || *r.Ratio != 2 || r.Runs != 3 || r.Met == nil || !*r.Met {
		t.Errorf("row = %+v", r)
	}
	cells := strings.Join(r.cells(), "|")
	if want := "|ready|3|20.0 ms|10.0 ms|2.00×|≤ 25 ms|met"; cells != want {
		t.Errorf("cells = %q, want %q", cells, want)
	}
}

func TestRowWithoutBaselineOrTarget(t *testing.T) {
	r := newRow("peers", "count", 3, math.NaN(), noTarget)
	if r.Raw != nil || r.Ratio != nil || r.Met != nil || r.Target != "" {
		t.Errorf("row = %+v", r)
	}
	// NaN must not reach the JSON encoder, which rejects it.
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	if got := r.rawText() + " " + r.ratioText() + " " + r.resultText(); got != "— — " {
		t.Errorf("texts = %q", got)
	}
}

func TestRatioWithZeroRaw(t *testing.T) {
	r := newRow("idle CPU", "%", 0.5, 0, noTarget)
	if r.Raw == nil || r.Ratio != nil {
		t.Errorf("row = %+v", r)
	}
}

func TestWriteTable(t *testing.T) {
	rep := &report{Machine: machine{CPU: "Test CPU", CPUs: 2, OS: "linux/amd64", Go: "go1.26"}}
	r := medianRow("idle RSS", "MiB", []float64{50}, []float64{30}, atMost(40))
	r.Scenario = "idle"
	rep.Rows = []Row{r}
	var buf bytes.Buffer
	if err := writeTable(&buf, rep); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"Test CPU, 2 CPUs", "SCENARIO", "idle RSS", "50.0 MiB", "30.0 MiB", "1.67×", "≤ 40 MiB", "MISSED"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	buf.Reset()
	if err := writeMarkdown(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "| idle | idle RSS | 1 | 50.0 MiB | 30.0 MiB | 1.67× | ≤ 40 MiB | MISSED |") {
		t.Errorf("markdown:\n%s", buf.String())
	}
}
