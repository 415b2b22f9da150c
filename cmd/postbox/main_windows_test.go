package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/cli"
	"github.com/postbox-ipc/postbox/internal/wintest"
)

// The command on Windows, under Wine in CI: "postbox listen" in one
// process (the test binary playing postbox.exe), and send, post and ls in
// this one, over named pipes and window messages, plus the seed's C sender.

func TestMain(m *testing.M) {
	wintest.Main(m, map[string]func([]string) int{"postbox": postboxExe}, nil)
}

// postboxExe is the child: the postbox command with args, until its
// standard input closes.
func postboxExe(args []string) int {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		var b [1]byte
		os.Stdin.Read(b[:])
		cancel()
	}()
	return cli.Run(ctx, args, strings.NewReader(""), os.Stdout, os.Stderr)
}

// run runs the command in this process and returns its output and status.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := cli.Run(ctx, args, strings.NewReader(""), &out, &errb)
	if errb.Len() > 0 {
		t.Logf("postbox %s: %s", strings.Join(args, " "), errb.String())
	}
	return out.String(), code
}

// expectMessage waits for the listener's line about a message: TIME KIND
// id=ID …, as listen prints them.
func expectMessage(t *testing.T, p *wintest.Process, id string) string {
	t.Helper()
	end := time.Now().Add(10 * time.Second)
	for {
		l := p.Line(t, time.Until(end))
		if f := strings.SplitN(l, " ", 3); len(f) == 3 && (f[1] == "send" || f[1] == "post") && strings.HasPrefix(f[2], id) {
			return l
		}
		t.Logf("child: %s", l)
	}
}

// startListen runs "postbox listen NAME" in a child and waits until its
// window and pipe answer.
func startListen(t *testing.T, extra ...string) (*wintest.Process, string) {
	t.Helper()
	name := wintest.Name(t)
	p := wintest.Start(t, "postbox", append([]string{"listen", name}, extra...)...)
	wintest.Eventually(t, 20*time.Second, "the listener's window and pipe", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		for _, addr := range []string{"winmsg:" + name, "pipe:" + name} {
			c, err := postbox.Dial(ctx, addr)
			if err != nil {
				return false
			}
			c.Close()
		}
		return true
	})
	return p, name
}

func TestListenSendOverWindowMessage(t *testing.T) {
	p, name := startListen(t)
	if out, code := run(t, "send", "winmsg:title="+name, "hello window", "--id", "0x4A", "--w", "3"); code != 0 {
		t.Fatalf("send: exit %d: %s", code, out)
	}
	line := expectMessage(t, p, "id=0x4a")
	if !strings.Contains(line, "w=3 l=0 pid=-1") || !strings.Contains(line, `transport=winmsg data="hello window"`) {
		t.Fatalf("the listener printed %q", line)
	}
}

func TestPostByPID(t *testing.T) {
	p, _ := startListen(t)
	pid := strconv.Itoa(p.Cmd.Process.Pid)
	if out, code := run(t, "post", "winmsg:pid="+pid, "--id", "0x401", "--w", "7", "--l", "42"); code != 0 {
		t.Fatalf("post: exit %d: %s", code, out)
	}
	if line := expectMessage(t, p, "id=0x401"); !strings.Contains(line, "w=7 l=42") {
		t.Fatalf("the listener printed %q", line)
	}
}

func TestSendOverPipeShowsSID(t *testing.T) {
	p, name := startListen(t, "--reply", "seen")
	out, code := run(t, "send", name, "over the pipe")
	if code != 0 || strings.TrimSpace(out) != "seen" {
		t.Fatalf("send: exit %d, output %q, want the reply text", code, out)
	}
	line := expectMessage(t, p, "id=0x4a")
	want := fmt.Sprintf("pid=%d uid=-1 sid=S-1-", os.Getpid())
	if !strings.Contains(line, want) || !strings.Contains(line, "transport=pipe") {
		t.Fatalf("the listener printed %q, want %q… and transport=pipe", line, want)
	}
}

func TestSeedSenderToListen(t *testing.T) {
	p, name := startListen(t)
	sender := wintest.StartProgram(t, wintest.InteropProgram(t, "seedsender"), name, "copydata", `{"userCode":"dba","wardCode":123,"mrn":456}`)
	sender.Expect(t, "result=", 20*time.Second)
	line := expectMessage(t, p, "id=0x4a")
	if !strings.Contains(line, `data="{\"userCode\":\"dba\",\"wardCode\":123,\"mrn\":456}\x00"`) {
		t.Fatalf("the listener printed %q, want the seed's JSON with its NUL", line)
	}
}

func TestLsShowsListener(t *testing.T) {
	p, name := startListen(t)
	out, code := run(t, "ls")
	if code != 0 {
		t.Fatalf("ls: exit %d", code)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, name+" ") {
			if !strings.Contains(l, strconv.Itoa(p.Cmd.Process.Pid)) || !strings.Contains(l, "pipe:") || !strings.Contains(l, "winmsg:hwnd=0x") {
				t.Fatalf("ls shows %q, want its pid, pipe and window", l)
			}
			return
		}
	}
	t.Fatalf("ls does not show %s:\n%s", name, out)
}
