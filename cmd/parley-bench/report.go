package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one run of parley-bench found; -json writes it.
type report struct {
	Machine  machine   `json:"machine"`
	Started  time.Time `json:"started"`
	Duration string    `json:"duration"`
	Short    bool      `json:"short"`
	Parley   string    `json:"parley"`
	Rows     []Row     `json:"rows"`
	// Errors are the scenarios that failed to run, as "name: error".
	Errors []string `json:"errors,omitempty"`
}

// machine names the machine the figures belong to.
type machine struct {
	CPU    string `json:"cpu"`
	CPUs   int    `json:"cpus"`
	OS     string `json:"os"`
	Kernel string `json:"kernel,omitempty"`
	Go     string `json:"go"`
}

func thisMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if m.CPU == "" {
		m.CPU = "unknown CPU"
	}
	return m
}

func (m machine) String() string {
	s := fmt.Sprintf("%s, %d CPUs, %s", m.CPU, m.CPUs, m.OS)
	if m.Kernel != "" {
		s += " " + m.Kernel
	}
	return s + ", " + m.Go
}

var tableHeader = []string{"SCENARIO", "FIGURE", "RUNS", "PARLEY", "RAW", "RATIO", "TARGET", "RESULT"}

func (r Row) cells() []string {
	return []string{r.Scenario, r.Figure, fmt.Sprint(r.Runs), formatValue(r.Parley, r.Unit), r.rawText(), r.ratioText(), r.Target, r.resultText()}
}

// writeTable prints the rows as an aligned text table.
func writeTable(w io.Writer, rep *report) error {
	fmt.Fprintf(w, "parley-bench on %s\n\n", rep.Machine)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(tableHeader, "\t"))
	for _, r := range rep.Rows {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
	}
	return tw.Flush()
}

// writeMarkdown prints the rows as a Markdown table for the README.
func writeMarkdown(w io.Writer, rep *report) error {
	fmt.Fprintf(w, "Measured on %s.\n\n", rep.Machine)
	fmt.Fprintf(w, "| %s |\n", strings.Join(tableHeader, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(tableHeader)))
	for _, r := range rep.Rows {
		cells := r.cells()
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")); err != nil {
			return err
		}
	}
	return nil
}

// writeJSON writes the report to path.
func writeJSON(path string, rep *report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}
