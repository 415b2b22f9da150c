package inproc_test

import (
	"testing"

	"github.com/postbox-ipc/postbox/internal/conformance"
)

var target = conformance.Target{
	Name: "inproc",
	Addr: func(name string) string { return "inproc:" + name },
}

func TestMain(m *testing.M) { conformance.Main(m, target) }

func TestConformance(t *testing.T) { conformance.Run(t, target) }
