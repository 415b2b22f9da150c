// Command report renders the reliability suite's figures (the JSON lines
// written to $POSTBOX_REPORT) as the Markdown table of docs/RELIABILITY.md.
//
//	go run ./internal/reliability/report figures.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/postbox-ipc/postbox/internal/reliability"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: report FIGURES.jsonl")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	figs, err := read(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	render(os.Stdout, figs)
}

func read(r io.Reader) ([]reliability.Figure, error) {
	var figs []reliability.Figure
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var f reliability.Figure
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	return figs, sc.Err()
}

// render writes one table row per figure, by test then transport; a
// test's name is written on its first row only, and its parameters again
// only where they change (a transport that runs other counts).
func render(w io.Writer, figs []reliability.Figure) {
	sort.SliceStable(figs, func(i, j int) bool {
		if a, b := name(figs[i]), name(figs[j]); a != b {
			return a < b
		}
		return figs[i].Transport < figs[j].Transport
	})
	fmt.Fprintln(w, "| test | parameters | transport | result | lost | status | time | reproduce |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	prev, prevParams := "", ""
	for _, f := range figs {
		status := "pass"
		switch {
		case !f.Passed:
			status = "**FAIL**"
		case f.Skipped:
			status = "skipped"
		}
		test, params := name(f), cell(f.Params)
		if test == prev {
			test = ""
			if params == prevParams {
				params = ""
			} else {
				prevParams = params
			}
		} else {
			prev, prevParams = test, params
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d | %s | %.1f s | `%s` |\n",
			test, params, f.Transport, cell(f.Result), f.Lost, status, f.Seconds, command(f))
	}
}

// name is the test's name below TestReliability.
func name(f reliability.Figure) string {
	_, n, _ := strings.Cut(f.Test, "/")
	return n
}

// tempPath matches the temporary socket paths error messages carry.
var tempPath = regexp.MustCompile(`(unix:)?(@->)?/tmp/[^ :;,)]+`)

// cell makes s fit a table cell: no pipes, no temporary paths.
func cell(s string) string {
	s = tempPath.ReplaceAllString(s, "…")
	return strings.ReplaceAll(s, "|", "\\|")
}

// command reproduces the row.
func command(f reliability.Figure) string {
	var run []string
	for _, part := range strings.Split(f.Test, "/") {
		run = append(run, "^"+part+"$")
	}
	env := ""
	switch f.Level {
	case "full":
		env = reliability.EnvLevel + "=full "
	case "nightly":
		env = reliability.EnvNightly + "=1 "
	}
	if f.GOOS == "windows" {
		return fmt.Sprintf("%sscripts/wine-test.sh -run '%s' %s", env, strings.Join(run, "/"), f.Package)
	}
	if f.Module != "" && f.Module != "." {
		// A module of its own: go test runs from its directory.
		pkg := "./" + strings.TrimPrefix(strings.TrimPrefix(f.Package, "./"+f.Module), "/")
		return fmt.Sprintf("(cd %s && %sgo test -count=1 -run '%s' %s)", f.Module, env, strings.Join(run, "/"), strings.TrimSuffix(pkg, "/"))
	}
	return fmt.Sprintf("%sgo test -count=1 -run '%s' %s", env, strings.Join(run, "/"), f.Package)
}
