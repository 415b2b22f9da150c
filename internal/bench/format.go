package bench

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseSize reads a payload size: a number of bytes with an optional K, M
// or G suffix (powers of 1024), like "64", "4K", "1M".
func ParseSize(s string) (int, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := 1
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		}
	}
	v, err := strconv.Atoi(t)
	if err != nil || v < 0 || v > (1<<30)/mult {
		return 0, fmt.Errorf("bad size %q: want bytes like 64, 4K, 1M", s)
	}
	return v * mult, nil
}

// ParseSizes reads a comma-separated list of sizes.
func ParseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := ParseSize(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// FormatSize writes a size the way ParseSize reads it: 64B, 4K, 1M.
func FormatSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "M"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "K"
	}
	return strconv.Itoa(n) + "B"
}

// FormatDur writes a duration with three significant digits in a fixed
// unit choice: ns, µs, ms or s.
func FormatDur(d time.Duration) string {
	f := float64(d)
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%.0fns", f)
	case d < time.Millisecond:
		return sig3(f/1e3) + "µs"
	case d < time.Second:
		return sig3(f/1e6) + "ms"
	}
	return sig3(f/1e9) + "s"
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 0.1 || v == 0:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v) // 0.00441, not 0.00

}

// FormatCount writes a rate with a k or M suffix: 27.4k, 1.25M.
func FormatCount(v float64) string {
	switch {
	case v >= 1e6:
		return sig3(v/1e6) + "M"
	case v >= 1e3:
		return sig3(v/1e3) + "k"
	}
	return sig3(v)
}

// FormatRatio writes a speed ratio: "2.41×"; empty when unknown.
func FormatRatio(v float64) string {
	if v <= 0 {
		return ""
	}
	return sig3(v) + "×"
}
