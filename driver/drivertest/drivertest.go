// Package drivertest runs the Postbox conformance suite — the behaviour
// every transport must show — and the reliability suite — that behaviour
// under load, faults and hostile input, with figures — against a
// transport, including one in another module (the NATS transport's tests
// use it). It is the public face of the core's internal suites.
//
//	func TestMain(m *testing.M) { drivertest.Main(m, target) }
//	func TestConformance(t *testing.T) { drivertest.Run(t, target) }
//	func TestReliability(t *testing.T) { drivertest.Reliability(t, target) }
package drivertest

import (
	"testing"

	"github.com/postbox-ipc/postbox/internal/conformance"
	"github.com/postbox-ipc/postbox/internal/reliability"
)

// Target describes one transport to the suite: how to address an
// endpoint, how to configure endpoints and dialers, which tests apply.
type Target = conformance.Target

// Run runs every conformance test against tg, then checks that no
// goroutine or file descriptor leaked.
func Run(t *testing.T, tg Target) { conformance.Run(t, tg) }

// Reliability runs the reliability suite against tg at the level the
// environment chooses (see docs/RELIABILITY.md), then checks that no
// goroutine or file descriptor leaked.
func Reliability(t *testing.T, tg Target) { reliability.Run(t, tg) }

// Main is the TestMain of a transport's tests: in a child process either
// suite started (to test peer death, restarts, other users) it plays its
// part for the target named in the environment and exits; otherwise it
// runs the tests.
func Main(m *testing.M, targets ...Target) { reliability.Main(m, targets...) }
