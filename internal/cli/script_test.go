package cli

import (
	"encoding/json"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The contract a script relies on (README, "The command"): one-line errors
// said once, the same exit statuses on every subcommand, JSON on request.

func TestUsageErrorIsOneLineAndAHint(t *testing.T) {
	for _, args := range [][]string{{"send"}, {"send", "x", "--bogus"}, {"frob"}, {"top", "--count", "-1"}, {"help", "frob"}} {
		out, errs, code := run(t, "", args...)
		lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
		if code != ExitUsage || out != "" || len(lines) != 2 || !strings.HasPrefix(lines[1], "Run 'postbox help") {
			t.Errorf("postbox %s: exit %d, stdout %q, stderr %q; want 2, nothing, an error and a hint", strings.Join(args, " "), code, out, errs)
		}
	}
}

func TestErrorSaysItOnce(t *testing.T) {
	_, errs, code := run(t, "", "send", "cli-nosuch", "hi")
	if code != ExitNoEndpoint || errs != "postbox send: dial cli-nosuch: no such endpoint\n" {
		t.Fatalf("exit %d, %q", code, errs)
	}
	_, errs, code = run(t, "", "send", "weird://x", "hi")
	if code != ExitUsage || strings.Count(errs, "postbox") != 1 || !strings.Contains(errs, `unknown transport "weird"`) {
		t.Fatalf("a bad address: exit %d, %q; want %d and the reason", code, errs, ExitUsage)
	}
}

func TestJSONErrorOnStdout(t *testing.T) {
	for _, args := range [][]string{{"send", "cli-nosuch", "hi"}, {"stats", "cli-nosuch"}, {"post", "cli-nosuch", "x"}} {
		out, errs, code := run(t, "", append(args, "--json")...)
		var obj struct {
			Error string `json:"error"`
			Code  string `json:"code"`
			Exit  int    `json:"exit"`
		}
		if code != ExitNoEndpoint || errs != "" || json.Unmarshal([]byte(out), &obj) != nil ||
			obj.Code != "no_endpoint" || obj.Exit != ExitNoEndpoint || !strings.Contains(obj.Error, "no such endpoint") {
			t.Errorf("postbox %s --json: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out, errs)
		}
	}
}

func TestPeerGoneMidSend(t *testing.T) {
	l := startListen(t, "cli-gone", "--exec", "sleep 30")
	done := make(chan int, 1)
	go func() {
		_, _, code := run(t, "", "send", "cli-gone", "x", "--timeout", "0")
		done <- code
	}()
	l.next(t) // the handler is running
	l.cmd.Process.Kill()
	select {
	case code := <-done:
		if code != ExitPeerGone {
			t.Fatalf("send to a receiver killed mid-Send: exit %d, want %d", code, ExitPeerGone)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("send did not notice its receiver was killed")
	}
}

func TestTimeoutZeroIsNone(t *testing.T) {
	startListen(t, "cli-slow", "--exec", "sleep 0.3; echo late")
	out, errs, code := run(t, "", "send", "cli-slow", "x", "--timeout", "0")
	if code != ExitOK || out != "late\n" {
		t.Fatalf("send --timeout 0: exit %d, %q, %q", code, out, errs)
	}
	if _, _, code := run(t, "", "send", "cli-slow", "x", "--timeout", "-1s"); code != ExitUsage {
		t.Fatalf("a negative --timeout: exit %d, want %d", code, ExitUsage)
	}
}

func TestListenShowsKindAndTime(t *testing.T) {
	l := startListen(t, "cli-kind")
	run(t, "", "send", "cli-kind", "a")
	run(t, "", "post", "cli-kind", "b")
	stamp := `^\d\d:\d\d:\d\d\.\d{6} `
	for _, want := range []string{stamp + `send id=0x4a .*data="a"`, stamp + `post id=0x4a .*data="b"`} {
		if line := l.next(t); !regexp.MustCompile(want).MatchString(line) {
			t.Errorf("listen printed %q, want %s", line, want)
		}
	}
}

func TestBroadcastFailsWhenAnyRecipientFails(t *testing.T) {
	startListen(t, "cli-bok", "--reply", "fine")
	startListen(t, "cli-bbad", "--exec", "exit 3")
	out, _, code := run(t, "", "broadcast", "x", "--json")
	if code != ExitRemote || !strings.Contains(out, `"data":"fine"`) || !strings.Contains(out, `"code":"handler_failed"`) {
		t.Fatalf("broadcast with a failing recipient: exit %d (want %d), %q", code, ExitRemote, out)
	}
}

func TestHelpSubcommand(t *testing.T) {
	out, _, code := run(t, "", "help", "send")
	if code != ExitOK || !strings.HasPrefix(out, "Usage: postbox send ADDR") {
		t.Fatalf("help send: exit %d, %q", code, out)
	}
	for cmd, hidden := range map[string]string{"demo": "-as-viewer", "bench": "-child"} {
		if out, _, _ := run(t, "", "help", cmd); !strings.Contains(out, "Usage:") || strings.Contains(out, hidden) {
			t.Errorf("help %s shows %s or no usage: %q", cmd, hidden, out)
		}
	}
}

func TestStatsAndTopLeaveOutTheirOwnConnection(t *testing.T) {
	startListen(t, "cli-self")
	out, errs, code := run(t, "", "stats", "cli-self", "--json")
	var st struct {
		Conns      []any  `json:"conns"`
		ConnsTotal uint64 `json:"conns_total"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &st) != nil || len(st.Conns) != 0 || st.ConnsTotal != 0 {
		t.Fatalf("stats of an endpoint nobody else uses: exit %d, %q %q", code, out, errs)
	}
	out, _, code = run(t, "", "top", "cli-self", "--count", "1")
	if code != ExitOK || !strings.Contains(out, "\n0 connection(s)") {
		t.Fatalf("top of an endpoint nobody else uses: exit %d, %q", code, out)
	}
	if _, _, code := run(t, "", "top", "cli-nosuch", "--count", "1"); code != ExitNoEndpoint {
		t.Fatalf("top of an unknown name: exit %d, want %d", code, ExitNoEndpoint)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := run(t, "", "version", "--json")
	var v buildInfo
	if code != ExitOK || json.Unmarshal([]byte(out), &v) != nil || v.Module != "github.com/postbox-ipc/postbox/cmd/postbox" ||
		v.Go != runtime.Version() || v.Version == "" {
		t.Fatalf("version --json: exit %d, %q", code, out)
	}
	if out, _, code := run(t, "", "--version"); code != ExitOK || !strings.HasPrefix(out, "postbox "+v.Version+" ") {
		t.Fatalf("--version: exit %d, %q", code, out)
	}
}
