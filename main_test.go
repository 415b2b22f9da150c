package postbox_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envBenchServer); dir != "" {
		benchServer(dir)
		return
	}
	if addr := os.Getenv(envSendAs); addr != "" {
		childSend(addr)
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
