package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestChildProtocol drives a real child process through the protocol:
// serve a case, send and post to it, read its CPU time, stop it.
func TestChildProtocol(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd, err := testChild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := startChild(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := ch.close(); err != nil {
			t.Errorf("child exit: %v", err)
		}
	}()
	p := Params{MaxSize: 4096, Name: "proto", Dir: t.TempDir()}
	resp, err := ch.call(childRequest{Op: "serve", Case: RawRef, Params: p})
	if err != nil || resp.Addr == "" {
		t.Fatalf("serve: %+v, %v", resp, err)
	}
	if _, err := ch.call(childRequest{Op: "serve", Case: RawRef, Params: p}); err == nil {
		t.Error("a second serve was accepted")
	}
	c, _ := lookupCase(RawRef)
	cl, err := c.Dial(ctx, p, resp.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Send(ctx, pattern(100)); err != nil {
		t.Fatal(err)
	}
	const posts = 123
	for range posts {
		cl.Post(ctx, pattern(10))
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	if ch.cpu() <= 0 {
		t.Error("child reports no CPU time")
	}
	resp, err = ch.call(childRequest{Op: "stop"})
	if err != nil || resp.Received != posts {
		t.Errorf("stop: received %d, %v; want %d", resp.Received, err, posts)
	}
	for _, bad := range []childRequest{{Op: "stop"}, {Op: "nonsense"}, {Op: "serve", Case: "no-such-case"}} {
		if _, err := ch.call(bad); err == nil || !strings.Contains(err.Error(), "bench child") {
			t.Errorf("%+v: err %v, want a child error", bad, err)
		}
	}
}

func TestSelectCases(t *testing.T) {
	cs, err := selectCases([]string{RawRef, "unix"})
	if err != nil || len(cs) != 2 || cs[0].Name != "unix" {
		t.Errorf("selectCases kept %v, %v; want unix then %s (Cases order)", caseNames(cs), err, RawRef)
	}
	if _, err := selectCases([]string{"nope"}); err == nil {
		t.Error("unknown case accepted")
	}
}
