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
	os.Exit(m.Run())
}
