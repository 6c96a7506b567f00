package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// scenario is one benchmark: it measures Parley and its raw baseline in the
// same run and returns the rows of its figures.
type scenario struct {
	// name selects the scenario with -run; short, lower case.
	name string
	// doc says in one line what it measures (shown by -list).
	doc string
	// run measures; it must stop every process it started, also on error.
	run func(ctx context.Context, e *env) ([]Row, error)
}

// scenarios are all the scenarios, in the order they run. Add new ones here.
// All of them together must finish in under 2 minutes with -short; on the
// 2-CPU reference machine -short takes about 1 minute (groups ~25 s, burst
// ~20 s of it, mostly filling a home with 1M messages) and the full run
// about 3½ minutes (groups ~1½ min); restart adds ~6 s with -short and
// ~30 s to the full run; flood and spam ~35 s with -short and ~2 min to
// the full run; the idle-cost scenarios ~30 s with -short (most of it
// setting up idle-friends' 20 friends) and ~2½ minutes to the full run. On
// the shared machine of issue 18, with eight engineers' work on it, -short
// took about 2½ minutes and the full run 18, before flood and spam.
var scenarios = []scenario{
	startupScenario,
	idleScenario,
	idleLoneScenario,
	idleFriendsScenario,
	dmScenario,
	firstMessageScenario,
	groupsScenario,
	dhtLookupScenario,
	historyScenario,
	burstScenario,
	restartScenario,
	floodScenario,
	spamScenario,
}

// env is what a scenario gets to work with.
type env struct {
	// parley is the path of the parley binary under test.
	parley string
	// self is the path of this program, for `parley-bench raw-node`.
	self string
	// short asks for a quick run (fewer repetitions, shorter waits).
	short bool
	// idleWindow, when not 0, is the length of each idle-cost window
	// (-idle; idlecost.go).
	idleWindow time.Duration
	// verbose, when not nil, receives the children's stderr.
	verbose io.Writer
	// dir is a temporary directory that is removed after the run.
	dir string

	progress *progress
	mu       sync.Mutex
	seq      int
	// million is a home holding 1M messages, made once (fill.go).
	million *filledHome
}

// tempDir makes a new empty directory under e.dir, named after prefix.
func (e *env) tempDir(prefix string) (string, error) {
	e.mu.Lock()
	e.seq++
	n := e.seq
	e.mu.Unlock()
	dir := filepath.Join(e.dir, fmt.Sprintf("%s-%03d", prefix, n))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("temp dir: %w", err)
	}
	return dir, nil
}

// step reports what the scenario is doing, on stderr.
func (e *env) step(format string, args ...any) { e.progress.step(format, args...) }

// runs picks the repetition count for the mode.
func (e *env) runs(full, short int) int {
	if e.short {
		return short
	}
	return full
}

// progress prints "[2/5] startup: run 7/20" lines on stderr; on a terminal
// each line replaces the previous one.
type progress struct {
	w      io.Writer
	tty    bool
	prefix string
	mu     sync.Mutex
}

func newProgress(w io.Writer, overwrite bool) *progress {
	return &progress{w: w, tty: overwrite && isTerminal(w)}
}

func (p *progress) start(i, n int, name string) {
	p.mu.Lock()
	p.prefix = fmt.Sprintf("[%d/%d] %s", i, n, name)
	p.mu.Unlock()
	p.step("starting")
}

func (p *progress) step(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := p.prefix + ": " + fmt.Sprintf(format, args...)
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K"+msg)
		return
	}
	fmt.Fprintln(p.w, msg)
}

// end finishes the current line with a final message.
func (p *progress) end(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := p.prefix + ": " + fmt.Sprintf(format, args...)
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintln(p.w, msg)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
