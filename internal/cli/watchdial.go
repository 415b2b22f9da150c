package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/postbox-ipc/postbox"
)

// dialAny connects to an endpoint. A bare name is looked for in the
// user's namespace, then in the system-wide one, where services live.
func dialAny(ctx context.Context, d *postbox.Dialer, addr string) (*postbox.Conn, error) {
	c, err := d.Dial(ctx, addr)
	if err == nil || !errors.Is(err, postbox.ErrNoEndpoint) || strings.Contains(addr, ":") || d.System {
		return c, err
	}
	sys := *d
	sys.System = true
	if sc, serr := sys.Dial(ctx, addr); serr == nil {
		return sc, nil
	}
	return nil, err
}

// numbers is a repeatable flag of decimal or 0x hex numbers.
type numbers struct {
	vals []int64
	bits int
}

func (n *numbers) String() string {
	s := make([]string, len(n.vals))
	for i, v := range n.vals {
		s[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(s, ",")
}

// Set takes one number, or several separated by commas.
func (n *numbers) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		v, err := parseNumber(strings.TrimSpace(part), n.bits)
		if err != nil {
			return err
		}
		if v < 0 && n.bits == 32 {
			return fmt.Errorf("%q: want a number of 0 or more", part)
		}
		n.vals = append(n.vals, v)
	}
	return nil
}
