package postbox_test

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/testns"
)

const (
	envSendAs = "POSTBOX_TEST_SEND"    // child mode: talk to this address and report
	envAsMode = "POSTBOX_TEST_AS_MODE" // how: "" (one Send), or a mode of childAs
	envSendID = "POSTBOX_TEST_SEND_ID" // for one Send: the message ID (default CopyData)
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
	for env, run := range childModes {
		if v := os.Getenv(env); v != "" {
			run(v)
			return
		}
	}
	// Keep the tests' endpoints out of the user's real namespace.
	os.Exit(testns.Run(m))
}

// childModes are more ways to run the test binary as a child: when the
// variable is set, its function runs instead of the tests. Files add theirs
// in init.
var childModes = map[string]func(string){}

// childSend runs in a child: one Send, and the outcome on stdout.
func childSend(addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id := uint64(postbox.CopyData)
	if s := os.Getenv(envSendID); s != "" {
		id, _ = strconv.ParseUint(s, 0, 32)
	}
	var d postbox.Dialer
	if name, ok := strings.CutPrefix(addr, "system:"); ok {
		d.System, addr = true, name
	}
	var rep postbox.Reply
	c, err := d.Dial(ctx, addr)
	if err == nil {
		rep, err = c.Send(ctx, postbox.Message{ID: uint32(id), Data: []byte("from another user")})
		c.Close()
	}
	switch {
	case errors.Is(err, postbox.ErrDenied):
		io.WriteString(os.Stdout, "denied")
	case err != nil:
		io.WriteString(os.Stdout, "error: "+err.Error())
	default:
		io.WriteString(os.Stdout, "ok "+string(rep.Data))
	}
}
