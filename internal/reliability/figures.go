package reliability

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvReport names a file the suite appends its figures to, one JSON object
// a line (see Figure).
const EnvReport = "POSTBOX_REPORT"

// Figure is one test's record: what it did and what came out.
type Figure struct {
	Test      string  `json:"test"`      // the full test name
	Transport string  `json:"transport"` // the target's Name
	Level     string  `json:"level"`
	Package   string  `json:"package"` // the package whose test ran it, e.g. ./transport/unix
	Module    string  `json:"module"`  // its module's directory: "." for the core
	GOOS      string  `json:"goos"`    // where it ran (windows: under Wine here)
	Params    string  `json:"params"`  // what the test was asked to do
	Result    string  `json:"result"`  // what came out, with the counts
	Lost      int64   `json:"lost"`    // messages lost, duplicated or mismatched: 0 or the test fails
	Seconds   float64 `json:"seconds"`
	Passed    bool    `json:"passed"`
	Skipped   bool    `json:"skipped,omitempty"`
	When      string  `json:"when"`
}

// figure collects one test's record; it is written when the test ends.
type figure struct {
	mu    sync.Mutex
	f     Figure
	start time.Time
}

// record starts the figure of test t, described by params.
func (s *suite) record(t *testing.T, format string, a ...any) *figure {
	t.Helper()
	pkg, mod := pkgDir()
	fg := &figure{start: time.Now(), f: Figure{Test: t.Name(), Transport: s.Name,
		Level: s.level.String(), Package: pkg, Module: mod, GOOS: runtime.GOOS, Params: fmt.Sprintf(format, a...)}}
	t.Logf("params: %s", fg.f.Params)
	t.Cleanup(func() {
		fg.mu.Lock()
		defer fg.mu.Unlock()
		fg.f.Passed = !t.Failed()
		fg.f.Skipped = t.Skipped()
		fg.f.Seconds = time.Since(fg.start).Seconds()
		fg.f.When = time.Now().UTC().Format(time.RFC3339)
		writeFigure(t, fg.f)
	})
	return fg
}

// note adds to the parameters, for what the test learned it had to adjust.
func (fg *figure) note(s string) {
	fg.mu.Lock()
	fg.f.Params += s
	fg.mu.Unlock()
}

// result sets the outcome, and logs it.
func (fg *figure) result(t *testing.T, lost int64, format string, a ...any) {
	t.Helper()
	fg.mu.Lock()
	fg.f.Result = fmt.Sprintf(format, a...)
	fg.f.Lost = lost
	fg.mu.Unlock()
	t.Logf("result: %s", fg.f.Result)
}

var reportMu sync.Mutex

func writeFigure(t *testing.T, f Figure) {
	path := os.Getenv(EnvReport)
	if path == "" {
		return
	}
	b, _ := json.Marshal(f)
	reportMu.Lock()
	defer reportMu.Unlock()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Errorf("report: %v", err)
		return
	}
	defer out.Close()
	if _, err := out.Write(append(b, '\n')); err != nil {
		t.Errorf("report: %v", err)
	}
}

// pkgDir is the running test's package directory relative to the
// repository's root, the outermost directory with a go.mod ("./transport/unix"),
// and the directory of its own module relative to the same root ("." for
// the core, "transport/nats" for a module of its own): go test runs a test
// binary in its package's directory.
func pkgDir() (pkg, module string) {
	wd, err := os.Getwd()
	if err != nil {
		return ".", "."
	}
	var mods []string // directories with a go.mod, innermost first
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			mods = append(mods, dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if len(mods) == 0 {
		return ".", "."
	}
	root := mods[len(mods)-1]
	rel := func(dir string) string {
		r, err := filepath.Rel(root, dir)
		if err != nil {
			return "."
		}
		return filepath.ToSlash(r)
	}
	pkg = rel(wd)
	if pkg != "." {
		pkg = "./" + pkg
	}
	return pkg, rel(mods[0])
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(float64(len(ds))*p/100+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// ms formats d in milliseconds with a fixed precision.
func ms(d time.Duration) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)), ".0") + " ms"
}
