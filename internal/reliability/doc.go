// Package reliability is Postbox's reliability and security suite: the
// promises of DESIGN.md — nothing lost silently, no process taken down or
// hung by its peer, no one let in who does not belong — tested under load,
// faults and hostile input, with fixed counts and figures.
//
// Like internal/conformance it is a library every transport runs from its
// own tests, with the same Target:
//
//	func TestMain(m *testing.M) { reliability.Main(m, target) }
//	func TestReliability(t *testing.T) { reliability.Run(t, target) }
//
// Main also serves conformance's child processes, so a transport needs one
// TestMain for both suites.
//
// # Levels
//
// Counts depend on the level, chosen by the environment:
//
//   - quick (default): reduced counts sized for `go test -race ./...`;
//   - full (POSTBOX_RELIABILITY=full): the counts docs/RELIABILITY.md reports,
//     meant to run without the race detector (scripts/reliability.sh, CI);
//   - nightly (POSTBOX_NIGHTLY=1): longer runs and strict timing bounds.
//
// Each test records its parameters and outcome; with POSTBOX_REPORT=FILE
// set they are appended to FILE as JSON lines, from which
// scripts/reliability.sh renders the table in docs/RELIABILITY.md.
package reliability
