// Package testns gives a test binary a Postbox namespace of its own, under
// a temporary directory removed when the tests end, so that no test leaves
// endpoints (or anything else) in the user's real namespace or in the
// system's temporary directory. Child processes the tests start inherit
// it through the environment.
package testns

import (
	"os"
	"path/filepath"
	"testing"
)

// envDir marks a process whose namespace a parent test binary already set
// up: a child started by a test uses its parent's.
const envDir = "POSTBOX_TESTNS"

// Setup points XDG_RUNTIME_DIR at a new temporary directory (or the
// parent's, in a child) and returns a function that removes it.
func Setup() (cleanup func()) {
	if d := os.Getenv(envDir); d != "" {
		return func() {}
	}
	dir, err := os.MkdirTemp("", "pbns")
	if err != nil {
		panic("testns: " + err.Error())
	}
	for k, v := range map[string]string{envDir: dir, "XDG_RUNTIME_DIR": dir} {
		if err := os.Setenv(k, v); err != nil {
			panic("testns: " + err.Error())
		}
	}
	return func() { os.RemoveAll(dir) }
}

// Dir is the directory Setup made: a place for files the tests share with
// their children (certificates, say), removed with the namespace. It is
// empty before Setup.
func Dir() string { return os.Getenv(envDir) }

// File is a path in Dir.
func File(name string) string { return filepath.Join(Dir(), name) }

// Run is m.Run in a namespace of its own; TestMain calls os.Exit(Run(m)).
func Run(m *testing.M) int {
	cleanup := Setup()
	defer cleanup()
	return m.Run()
}
