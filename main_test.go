package postbox_test

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
)

const (
	envSendAs = "POSTBOX_TEST_SEND"    // child mode: talk to this address and report
	envAsMode = "POSTBOX_TEST_AS_MODE" // how: "" (one Send), or a mode of childAs
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envBenchServer); dir != "" {
		benchServer(dir)
		return
	}
	if addr := os.Getenv(envSendAs); addr != "" {
		childAs(os.Getenv(envAsMode), addr)
		return
	}
	if name := os.Getenv(envHold); name != "" {
		holdName(name)
		return
	}
	// Keep the tests' endpoints out of the user's real namespace.
	dir, err := os.MkdirTemp("", "pbx-test")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_RUNTIME_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// childSend runs in a child: one Send, and the outcome on stdout.
func childSend(addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := postbox.Send(ctx, addr, postbox.Message{ID: postbox.CopyData, Data: []byte("from another user")})
	switch {
	case errors.Is(err, postbox.ErrDenied):
		io.WriteString(os.Stdout, "denied")
	case err != nil:
		io.WriteString(os.Stdout, "error: "+err.Error())
	default:
		io.WriteString(os.Stdout, "ok "+string(rep.Data))
	}
}
