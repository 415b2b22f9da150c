// Package wintest holds helpers for Postbox's Windows tests, which run
// under Wine in CI (scripts/wine-test.sh): unique endpoint names, skips
// that name the Wine limitation they work around, child processes made
// from the test binary, and the paths of the mingw-built interop programs.
//
// On other systems the package is empty.
package wintest
