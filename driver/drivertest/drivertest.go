// Package drivertest runs the Postbox conformance suite — the behaviour
// every transport must show — against a transport, including one in
// another module (the NATS transport's tests use it). It is the public face
// of the core's internal suite.
//
//	func TestMain(m *testing.M) { drivertest.Main(m, target) }
//	func TestConformance(t *testing.T) { drivertest.Run(t, target) }
package drivertest

import (
	"testing"

	"github.com/postbox-ipc/postbox/internal/conformance"
)

// Target describes one transport to the suite: how to address an
// endpoint, how to configure endpoints and dialers, which tests apply.
type Target = conformance.Target

// Run runs every conformance test against tg, then checks that no
// goroutine or file descriptor leaked.
func Run(t *testing.T, tg Target) { conformance.Run(t, tg) }

// Main is the TestMain of a transport's tests: in a child process the
// suite started (to test peer death) it serves an endpoint for the target
// named in the environment and never returns; otherwise it runs the tests.
func Main(m *testing.M, targets ...Target) { conformance.Main(m, targets...) }
