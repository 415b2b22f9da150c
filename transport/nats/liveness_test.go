package nats_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

// helperMain runs this test binary as an endpoint process when asked to by
// TestReceiverDiesMidSend, and reports whether it did.
func helperMain() bool {
	addr := os.Getenv("POSTBOX_NATS_HELPER")
	if addr == "" {
		return false
	}
	h := postbox.HandlerFunc(func(ctx context.Context, _ *postbox.Message) (postbox.Reply, error) {
		fmt.Println("handling")
		select {} // never answers: the parent kills this process
	})
	ep, err := postbox.Listen(addr, h)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	ep.Close()
	return true
}

// TestReceiverDiesMidSend kills the endpoint's process while its handler
// runs: the Send fails with ErrPeerGone, through liveness, not at its
// (distant) deadline.
func TestReceiverDiesMidSend(t *testing.T) {
	e := newEnv(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "POSTBOX_NATS_HELPER="+e.addr("mortal"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("helper: %q", lines.Text())
	}
	c := e.dial(t, "mortal")
	go func() {
		if lines.Scan() && lines.Text() == "handling" {
			cmd.Process.Kill()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, err = c.Send(ctx, postbox.Message{})
	if !errors.Is(err, postbox.ErrPeerGone) || ctx.Err() != nil {
		t.Fatalf("send to a dying receiver: %v, want ErrPeerGone before the deadline", err)
	}
}
