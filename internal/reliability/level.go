package reliability

import "os"

// Level says how hard the suite pushes: see the package documentation.
type Level int

// Levels, from the lightest.
const (
	Quick Level = iota
	Full
	Nightly
)

// Environment variables that pick the level.
const (
	EnvLevel   = "POSTBOX_RELIABILITY" // "full" selects Full
	EnvNightly = "POSTBOX_NIGHTLY"     // any non-empty value selects Nightly
)

// CurrentLevel reads the level from the environment.
func CurrentLevel() Level {
	switch {
	case os.Getenv(EnvNightly) != "":
		return Nightly
	case os.Getenv(EnvLevel) == "full":
		return Full
	}
	return Quick
}

func (l Level) String() string {
	return [...]string{"quick", "full", "nightly"}[l]
}

// pick returns the value for the current level.
func pick[T any](l Level, quick, full, nightly T) T {
	switch l {
	case Full:
		return full
	case Nightly:
		return nightly
	}
	return quick
}

// count picks a count for the level, scaled by the target's Scale (a
// transport that is slow where it is tested, like named pipes under Wine,
// runs fewer iterations: correctness is tested there, not speed).
func (s *suite) count(quick, full, nightly int) int {
	n := pick(s.level, quick, full, nightly)
	if s.Scale > 0 {
		n = max(int(float64(n)*s.Scale), 1)
	}
	return n
}
