package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Group says what kind of thing a case measures.
type Group string

// Groups, in the order reports list them.
const (
	GroupPostbox  Group = "postbox"  // a Postbox transport, through the public API
	GroupBaseline Group = "baseline" // the bare mechanism, no library
	GroupPeer     Group = "peer"     // another IPC library
)

// Mode is what a cell measures.
type Mode string

// Modes.
const (
	// ModeSend is round trips: a request of Size bytes answered by an echo
	// of Size bytes; the caller waits for each before the next.
	ModeSend Mode = "send"
	// ModePost is one-way messages of Size bytes as fast as the receiver
	// takes them, ending with a flush that waits until it has them all.
	ModePost Mode = "post"
)

// Case is one thing to measure: a Postbox transport, a raw baseline or a
// peer library.
type Case struct {
	// Name is unique and short: "unix", "raw-unix", "grpc".
	Name  string
	Group Group
	// Note is one line for the report's legend.
	Note string
	// Local runs the server in the measuring process (in-process
	// transports, memory copy) instead of the child.
	Local bool
	// Shared means one Client is safe for concurrent callers and meant to
	// be shared (a multiplexed connection); otherwise each caller dials
	// its own.
	Shared bool
	// SendOnly cases have no one-way mode; SingleCaller ones no
	// concurrent one.
	SendOnly, SingleCaller bool
	// Scheme, in a registered Postbox case, is the transport scheme it
	// measures; it replaces the automatic case for that scheme (for a
	// transport that needs more than a name to listen, like "nats").
	Scheme string
	// Needs, when set, reports why the case cannot run here (a server it
	// needs is not configured), or nil. A run that does not name its cases
	// leaves such a case out; one that names it reports the error in its
	// cells, without starting its server.
	Needs func() error
	// Serve starts the receiving side.
	Serve func(ctx context.Context, p Params) (Server, error)
	// Dial connects a client to the server at addr (Server.Addr).
	Dial func(ctx context.Context, p Params, addr string) (Client, error)
}

// Params is what a case's server and clients are set up with.
type Params struct {
	// MaxSize is the largest payload the run uses.
	MaxSize int `json:"max_size"`
	// Name is unique to this case in this run: for endpoints and files.
	Name string `json:"name"`
	// Dir is a private directory for sockets and files, short enough
	// for a socket path.
	Dir string `json:"dir"`
	// KeepBuffers: see Config.KeepBuffers.
	KeepBuffers bool `json:"keep_buffers,omitempty"`
}

// Server is the receiving side of a case: it echoes every round-trip
// request and counts one-way messages.
type Server interface {
	// Addr is what clients dial.
	Addr() string
	// Received is the number of one-way messages received so far.
	Received() int64
	// Close stops the server and waits for its goroutines.
	Close() error
}

// Client is the sending side of a case.
type Client interface {
	// Send makes one round trip with p and fails unless the echo has
	// p's length.
	Send(ctx context.Context, p []byte) error
	// Post sends p one way.
	Post(ctx context.Context, p []byte) error
	// Flush waits until the server has received every Post.
	Flush(ctx context.Context) error
	// Close ends the client.
	Close() error
}

var (
	regMu      sync.Mutex
	registered []Case
)

// Register adds cases (peer libraries) to every later Run and to the
// child's repertoire. Both processes must register the same cases. It
// panics on a duplicate name.
func Register(cs ...Case) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, c := range cs {
		if slices.ContainsFunc(registered, func(o Case) bool { return o.Name == c.Name }) {
			panic("bench: case registered twice: " + c.Name)
		}
		registered = append(registered, c)
	}
}

// Cases lists every case this program can measure: Postbox transports
// first, then baselines, then registered ones.
func Cases() []Case {
	out := postboxCases()
	out = append(out, baselineCases()...)
	regMu.Lock()
	out = append(out, registered...)
	regMu.Unlock()
	return out
}

// lookupCase finds a case by name.
func lookupCase(name string) (Case, error) {
	for _, c := range Cases() {
		if c.Name == name {
			return c, nil
		}
	}
	return Case{}, fmt.Errorf("bench: unknown case %q", name)
}

// cells lists the cells a case has for one size: (mode, callers) pairs,
// of the modes asked for (empty means both).
func (c *Case) cells(modes []Mode, callers []int) []cellKind {
	var out []cellKind
	for _, n := range callers {
		if n > 1 && c.SingleCaller || !wants(modes, ModeSend) {
			continue
		}
		out = append(out, cellKind{ModeSend, n})
	}
	if !c.SendOnly && wants(modes, ModePost) {
		out = append(out, cellKind{ModePost, 1})
	}
	return out
}

// wants reports whether modes (empty: every mode) includes m.
func wants(modes []Mode, m Mode) bool { return len(modes) == 0 || slices.Contains(modes, m) }

// ParseModes parses a comma-separated list of modes ("send,post").
func ParseModes(s string) ([]Mode, error) {
	var out []Mode
	for _, f := range splitList(s) {
		switch m := Mode(f); m {
		case ModeSend, ModePost:
			out = append(out, m)
		default:
			return nil, fmt.Errorf("unknown mode %q (want send or post)", f)
		}
	}
	return out, nil
}

type cellKind struct {
	mode    Mode
	callers int
}
