package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"text/tabwriter"
	"time"
)

// args are the command-line flags.
type args struct {
	short    bool
	jsonPath string
	run      string
	parley   string
	markdown bool
	list     bool
	verbose  bool
	cpuProf  string
	memProf  string
	idle     time.Duration
}

// run is the whole program; it returns the exit status.
func run(argv []string, stdout, stderr io.Writer) int {
	if len(argv) > 0 && argv[0] == rawNodeCommand {
		if err := runRawNode(argv[1:], stdout); err != nil {
			fmt.Fprintf(stderr, "parley-bench %s: %v\n", rawNodeCommand, err)
			return 1
		}
		return 0
	}
	if len(argv) > 0 && argv[0] == rawBurstCommand {
		if err := runRawBurst(argv[1:], os.Stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "parley-bench %s: %v\n", rawBurstCommand, err)
			return 1
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := bench(ctx, argv, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintln(stderr, "parley-bench:", err)
	return 1
}

// errUsage is a bad command line; the flag package has printed why.
var errUsage = errors.New("usage")

func parseArgs(argv []string, stderr io.Writer) (args, error) {
	var a args
	fs := flag.NewFlagSet("parley-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&a.short, "short", false, "quick run: fewer repetitions and shorter waits (under 2 minutes)")
	fs.StringVar(&a.jsonPath, "json", "", "also write the results as JSON to `FILE`")
	fs.StringVar(&a.run, "run", "", "run only the scenarios whose name matches `REGEXP`")
	fs.StringVar(&a.parley, "parley", "", "parley binary to measure (default: go build ./cmd/parley of this module into a temp dir)")
	fs.BoolVar(&a.markdown, "markdown", false, "print the table as Markdown (for the README)")
	fs.DurationVar(&a.idle, "idle", 0, "length of each of the 3 windows of the idle-lone and idle-friends scenarios (default 20s, 2s with -short)")
	fs.BoolVar(&a.list, "list", false, "list the scenarios and exit")
	fs.BoolVar(&a.verbose, "v", false, "copy the daemons' logs to stderr")
	fs.StringVar(&a.cpuProf, "cpuprofile", "", "write a CPU profile of this process to `FILE` (covers the in-process nodes of dm, first-message, groups and history)")
	fs.StringVar(&a.memProf, "memprofile", "", "write an allocation profile of this process to `FILE` at the end")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: parley-bench [flags]

Measures Parley next to the raw go-libp2p/Badger stack, both in the same
run, and prints a table with the ratios and targets. Example:

  go run ./cmd/parley-bench -short
  go run ./cmd/parley-bench -run 'startup|idle' -json bench.json

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return a, err
		}
		return a, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley-bench: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return a, errUsage
	}
	return a, nil
}

// selectScenarios returns the scenarios whose names match expr.
func selectScenarios(expr string) ([]scenario, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("-run: %w", err)
	}
	var sel []scenario
	for _, s := range scenarios {
		if re.MatchString(s.name) {
			sel = append(sel, s)
		}
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("-run %q matches no scenario (see -list)", expr)
	}
	return sel, nil
}

func bench(ctx context.Context, argv []string, stdout, stderr io.Writer) error {
	a, err := parseArgs(argv, stderr)
	if err != nil {
		return err
	}
	sel, err := selectScenarios(a.run)
	if err != nil {
		return err
	}
	if a.list {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		for _, s := range sel {
			fmt.Fprintf(tw, "%s\t%s\n", s.name, s.doc)
		}
		return tw.Flush()
	}

	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	dir, err := os.MkdirTemp("", "parley-bench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)

	prog := newProgress(stderr, !a.verbose)
	e := &env{self: self, short: a.short, dir: dir, progress: prog, idleWindow: a.idle}
	if a.verbose {
		e.verbose = stderr
	}
	if a.parley != "" {
		if e.parley, err = checkBinary(a.parley); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stderr, "building ./cmd/parley …")
		if e.parley, err = buildParley(ctx, dir); err != nil {
			return err
		}
	}

	stopProfiles, err := startProfiles(a.cpuProf, a.memProf)
	if err != nil {
		return err
	}
	defer stopProfiles()

	rep := &report{Machine: thisMachine(), Started: time.Now(), Short: a.short, Parley: e.parley}
	for i, s := range sel {
		prog.start(i+1, len(sel), s.name)
		t0 := time.Now()
		rows, err := s.run(ctx, e)
		if ctxErr := ctx.Err(); ctxErr != nil {
			prog.end("interrupted")
			return fmt.Errorf("interrupted: %w", ctxErr)
		}
		if err != nil {
			prog.end("FAILED after %v", time.Since(t0).Round(time.Millisecond))
			rep.Errors = append(rep.Errors, s.name+": "+err.Error())
			continue
		}
		for j := range rows {
			rows[j].Scenario = s.name
		}
		rep.Rows = append(rep.Rows, rows...)
		prog.end("done in %v", time.Since(t0).Round(time.Millisecond))
	}
	rep.Duration = time.Since(rep.Started).Round(time.Millisecond).String()

	fmt.Fprintln(stderr)
	write := writeTable
	if a.markdown {
		write = writeMarkdown
	}
	if err := write(stdout, rep); err != nil {
		return err
	}
	if a.jsonPath != "" {
		if err := writeJSON(a.jsonPath, rep); err != nil {
			return err
		}
	}
	if len(rep.Errors) > 0 {
		for _, msg := range rep.Errors {
			fmt.Fprintln(stderr, "FAILED", msg)
		}
		return fmt.Errorf("%d of %d scenarios failed", len(rep.Errors), len(sel))
	}
	return nil
}
