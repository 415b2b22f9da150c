package postbox

import "testing"

// In the system namespace one user may hold a quarter of the connections
// by default; elsewhere the quota is what was set.
func TestMaxConnsPerUserDefault(t *testing.T) {
	for _, c := range []struct {
		lc   ListenConfig
		want int
	}{
		{ListenConfig{}, 0},
		{ListenConfig{MaxConnsPerUser: 5}, 5},
		{ListenConfig{System: true}, 256},
		{ListenConfig{System: true, MaxConns: 100}, 25},
		{ListenConfig{System: true, MaxConns: 2}, 1},
		{ListenConfig{System: true, MaxConnsPerUser: 7}, 7},
		{ListenConfig{System: true, MaxConnsPerUser: -1}, 0},
	} {
		if got := c.lc.maxConnsPerUser(); got != c.want {
			t.Errorf("%+v: per-user quota %d, want %d", c.lc, got, c.want)
		}
	}
}
