package inproc_test

import (
	"testing"

	"github.com/postbox-ipc/postbox/internal/conformance"
	"github.com/postbox-ipc/postbox/internal/reliability"
)

var target = conformance.Target{
	Name: "inproc",
	Addr: func(name string) string { return "inproc:" + name },
}

func TestMain(m *testing.M) { reliability.Main(m, target) }

func TestConformance(t *testing.T) { conformance.Run(t, target) }
