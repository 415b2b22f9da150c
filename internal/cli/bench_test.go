package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox/internal/bench"
)

// benchChildEnv makes TestBenchChild act as "postbox bench --child".
const benchChildEnv = "POSTBOX_CLI_BENCH_CHILD"

// TestBenchChild is the child process of TestBenchQuick, not a test of its
// own: it serves the protocol on stdin and stdout, then exits.
func TestBenchChild(t *testing.T) {
	if os.Getenv(benchChildEnv) != "1" {
		t.Skip("only runs as TestBenchQuick's child")
	}
	code := Run(context.Background(), []string{"bench", "--child"}, os.Stdin, os.Stdout, os.Stderr)
	os.Exit(code)
}

// TestBenchQuick runs "postbox bench" through Run with tiny cells and
// checks its outputs: the tables, the JSON report and the chart.
func TestBenchQuick(t *testing.T) {
	old := benchCommand.Child
	benchCommand.Child = func(ctx context.Context) (*exec.Cmd, error) {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBenchChild$")
		cmd.Env = append(os.Environ(), benchChildEnv+"=1")
		return cmd, nil
	}
	t.Cleanup(func() { benchCommand.Child = old })
	dir := t.TempDir()
	jsonFile, chart := filepath.Join(dir, "r.json"), filepath.Join(dir, "c.svg")
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := Run(ctx, []string{"bench", "--quick", "--duration", "10ms", "--sizes", "64", "--callers", "1,2",
		"--transports", "unix,inproc", "--baselines", "raw-unix", "--json", jsonFile, "--chart", chart},
		strings.NewReader(""), &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"Send round trip", "raw-unix", "Goals"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("tables lack %q:\n%s", want, stdout.String())
		}
	}
	f, err := os.Open(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := bench.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Find("unix", bench.ModeSend, 64, 2); c == nil || c.Err != "" || c.Ops == 0 {
		t.Errorf("unix with 2 callers: %+v", c)
	}
	svg, err := os.ReadFile(chart)
	if err != nil || !bytes.HasPrefix(svg, []byte("<svg")) {
		t.Errorf("chart: %v, starts %.20q", err, svg)
	}
}

func TestBenchUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{"bench", "--sizes", "huge"}, {"bench", "--transports", "carrier-pigeon"}, {"bench", "extra"}} {
		if code := Run(context.Background(), args, nil, &out, &errOut); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
	out.Reset()
	if code := Run(context.Background(), []string{"bench", "--list"}, nil, &out, &errOut); code != ExitOK || !strings.Contains(out.String(), "raw-unix") {
		t.Errorf("--list: exit %d, %s", code, out.String())
	}
}
