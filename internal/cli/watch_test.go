package cli

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// listenInProcess starts an endpoint in this process that answers "ok".
func listenInProcess(t *testing.T, name string) *postbox.Endpoint {
	t.Helper()
	ep, err := postbox.Listen(name, postbox.HandlerFunc(func(_ context.Context, m *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Result: m.W, Data: []byte("ok")}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSpyInProcess(t *testing.T) {
	ep := listenInProcess(t, "cli-spy")
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), []string{"spy", "cli-spy", "--id", "0x401,0x402", "--count", "2"}, nil, &out, &errb)
	}()
	waitFor(t, "the spy to subscribe", func() bool { return ep.Stats().Spies == 1 })
	ctx := context.Background()
	c, err := postbox.Dial(ctx, "cli-spy")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Send(ctx, postbox.Message{ID: 0x4A, Data: []byte("not this one")})
	c.Send(ctx, postbox.Message{ID: 0x401, W: 7, L: -1, Data: []byte("first")})
	c.Post(ctx, postbox.Message{ID: 0x402, Data: []byte{0, 1, 2}})
	c.Flush(ctx)
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("spy exited %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("spy did not stop after two messages")
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("spy printed %d lines:\n%s", len(lines), out.String())
	}
	for _, want := range []string{"send id=0x401 w=7 l=-1", "uid=", "unix", `size=5 "first"`, "-> ok result=7 reply=2B", "took="} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line %q lacks %q", lines[0], want)
		}
	}
	if !strings.Contains(lines[1], "post id=0x402") || !strings.Contains(lines[1], `size=3 "\x00\x01\x02"`) {
		t.Errorf("second line: %q", lines[1])
	}
	if strings.Contains(out.String(), "not this one") {
		t.Error("the filter let an unwanted ID through")
	}
	if !strings.Contains(errb.String(), "spying on cli-spy") {
		t.Errorf("stderr: %q", errb.String())
	}
}

func TestTopAndStatsInProcess(t *testing.T) {
	ep := listenInProcess(t, "cli-top")
	ctx := context.Background()
	c, err := postbox.Dial(ctx, "cli-top")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stop := make(chan struct{})
	traffic := make(chan struct{})
	go func() { // steady traffic while top samples
		defer close(traffic)
		for {
			select {
			case <-stop:
				return
			default:
				c.Send(ctx, postbox.Message{ID: 0x401, Data: []byte("abc")})
			}
		}
	}()
	waitFor(t, "some traffic", func() bool { return ep.Stats().Handled > 10 })
	var out syncBuffer
	code := Run(ctx, []string{"top", "--interval", "200ms", "--count", "2"}, nil, &out, &out)
	close(stop)
	<-traffic
	if code != 0 {
		t.Fatalf("top exited %d: %s", code, out.String())
	}
	frames := strings.Split(out.String(), "postbox top — ")
	if len(frames) != 3 {
		t.Fatalf("want two screens:\n%s", out.String())
	}
	last := frames[2]
	row := ""
	for _, line := range strings.Split(last, "\n") {
		if strings.HasPrefix(line, "cli-top ") {
			row = line
		}
	}
	f := strings.Fields(row)
	// NAME PID PROGRAM CONNS QUEUE RUN MSG/S SEND/S POST/S IN/S OUT/S P50 P99 ERR/S HANDLED
	if len(f) != 15 || f[6] == "0" || f[6] == "-" || f[7] == "-" || f[8] != "0" || f[13] != "0" {
		t.Fatalf("the second screen's row for cli-top: %q\n%s", row, out.String())
	}

	var sout syncBuffer
	if code := Run(ctx, []string{"stats", "cli-top", "--json"}, nil, &sout, &sout); code != 0 {
		t.Fatalf("stats --json: %d %s", code, sout.String())
	}
	var st postbox.Stats
	if err := json.Unmarshal([]byte(sout.String()), &st); err != nil || st.Name != "cli-top" || st.Sends == 0 || st.Handled != st.Sends || st.MaxMemory != 512<<20 {
		t.Fatalf("stats --json: %v %+v", err, st)
	}
	var pout syncBuffer
	if code := Run(ctx, []string{"stats", "cli-top", "--prometheus"}, nil, &pout, &pout); code != 0 ||
		!strings.Contains(pout.String(), `postbox_messages_handled_total{endpoint="cli-top"}`) ||
		!strings.Contains(pout.String(), `postbox_memory_budget_bytes{endpoint="cli-top"} 5.36870912e+08`) {
		t.Fatalf("stats --prometheus: %d\n%s", code, pout.String())
	}
	var tout syncBuffer
	if code := Run(ctx, []string{"stats", "cli-top"}, nil, &tout, &tout); code != 0 || !strings.Contains(tout.String(), "handled") ||
		!strings.Contains(tout.String(), "CONN") || !strings.Contains(tout.String(), "budget 512.0MiB") {
		t.Fatalf("stats: %d\n%s", code, tout.String())
	}
	if code := Run(ctx, []string{"stats", "cli-nobody-here"}, nil, &tout, &tout); code != ExitNoEndpoint {
		t.Fatalf("stats of a missing endpoint: exit %d", code)
	}
}

// A bare name the user's namespace lacks is looked for in the system one,
// where services live.
func TestSendFindsASystemEndpoint(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("listening in the system namespace needs root")
	}
	name := "cli-sys-" + strconv.Itoa(os.Getpid())
	ep, err := postbox.Listen(name, postbox.HandlerFunc(func(context.Context, *postbox.Message) (postbox.Reply, error) {
		return postbox.Reply{Data: []byte("from the system namespace")}, nil
	}), postbox.WithSystem())
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	if out, errs, code := run(t, "", "send", name, "hi"); code != 0 || out != "from the system namespace\n" {
		t.Fatalf("send %s: exit %d, %q %q", name, code, out, errs)
	}
	if out, _, code := run(t, "", "stats", name, "--json"); code != 0 || !strings.Contains(out, `"name":"`+name+`"`) {
		t.Fatalf("stats %s: exit %d, %q", name, code, out)
	}
}
