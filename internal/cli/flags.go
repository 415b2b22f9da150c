package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/internal/flaghelp"
)

// hiddenFlags are the command's own (demo's child says --as-viewer); help
// leaves them out.
var hiddenFlags = []string{"as-viewer"}

// newFlags returns a flag set whose help (--help, "postbox help NAME") goes
// to w. Parse errors are parse's to report.
func newFlags(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: postbox %s %s\n\nFlags:\n", name, synopsis)
		flaghelp.PrintDefaults(w, fs, hiddenFlags...)
	}
	return fs
}

// parse parses flags and positional arguments in any order, so both
// "send viewer hi --id 0x4A" and "send --id 0x4A viewer hi" work. A lone
// "--" ends the flags. --help prints the help; a bad flag is a usageError.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	help := fs.Usage
	fs.Usage = func() {} // the flag package calls it on every error
	defer func() { fs.Usage = help }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// number is a flag value accepting decimal or 0x hex, negative allowed.
type number struct {
	v        int64
	bits     int
	unsigned bool
}

func (n *number) String() string { return strconv.FormatInt(n.v, 10) }

func (n *number) Set(s string) error {
	v, err := parseNumber(s, n.bits)
	if err != nil {
		return err
	}
	if n.unsigned && v < 0 {
		return fmt.Errorf("%q: want a number of 0 or more", s)
	}
	n.v = v
	return nil
}

func parseNumber(s string, bits int) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	base := 10
	if strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X") {
		base, body = 16, body[2:]
	}
	u, err := strconv.ParseUint(body, base, bits)
	if err != nil {
		return 0, fmt.Errorf("%q is not a decimal or 0x hex number of %d bits", s, bits)
	}
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
}

// msgFlags are the message fields every sending command takes.
type msgFlags struct {
	id, w, l number
}

func addMsgFlags(fs *flag.FlagSet, defaultID uint32) *msgFlags {
	m := &msgFlags{id: number{v: int64(defaultID), bits: 32, unsigned: true}, w: number{bits: 64}, l: number{bits: 64}}
	fs.Var(&m.id, "id", "message ID, decimal or 0x hex (default 0x4A, WM_COPYDATA)")
	fs.Var(&m.w, "w", "W parameter (wParam)")
	fs.Var(&m.l, "l", "L parameter (lParam, dwData)")
	return m
}

func (m *msgFlags) message(data []byte) postbox.Message {
	return postbox.Message{ID: uint32(m.id.v), W: m.w.v, L: m.l.v, Data: data}
}

// uidList is a repeatable flag of user IDs.
type uidList []int

func (u *uidList) String() string { return fmt.Sprint([]int(*u)) }

func (u *uidList) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("not a user ID: %q", s)
	}
	*u = append(*u, n)
	return nil
}

// jsonFlag adds --json: the command's output, and its error if it fails,
// become JSON on standard output.
func jsonFlag(e *env, fs *flag.FlagSet, usage string) *bool {
	fs.BoolVar(&e.json, "json", false, usage+"; an error is a JSON object too")
	return &e.json
}

// names is a repeatable string flag.
type names []string

func (n *names) String() string     { return strings.Join(*n, ",") }
func (n *names) Set(s string) error { *n = append(*n, s); return nil }
