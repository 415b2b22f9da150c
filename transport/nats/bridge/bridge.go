// Package bridge connects this machine's Postbox endpoints to a NATS
// server, both ways, so that a program written for local IPC reaches
// another host with no code change:
//
//   - Export makes a local endpoint NAME reachable through NATS as
//     "nats://server/NAME": a NATS endpoint of that name forwards every
//     message to the local one.
//   - Import makes a remote NAME reachable here as a local endpoint: a
//     local endpoint (in the user's namespace, so "postbox ls" lists it and
//     Dial("NAME") finds it) forwards every message through NATS.
//
// A forwarded message keeps its ID, W, L and data, its kind (a Send stays a
// Send, answered with the far handler's reply or error; a Post stays a
// Post) and its sender's deadline and cancellation; per sender, order is
// kept. The receiver sees the bridge as the sender (Message.From). The
// command "postbox bridge" runs one.
//
// Security: the bridge runs as the user whose endpoints it exports, and
// anyone the NATS server lets publish to "postbox.NAME" reaches them; grant
// that with NATS permissions.
//
// BUG(bridge): Two bridges on one host that both export every endpoint
// (ExportAll) would each export the other's imports, and a message could
// loop between them; a bridge never exports its own imports.
package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/postbox-ipc/postbox"
	pbnats "github.com/postbox-ipc/postbox/transport/nats"
)

// Defaults.
const (
	DefaultRescan      = 2 * time.Second
	DefaultConcurrency = 64
)

// Config says what a Bridge connects. NATS is required.
type Config struct {
	// NATS is the server: "host:4222", "nats://host:4222", or several
	// separated by commas.
	NATS string
	// Export lists local endpoints to make reachable through NATS.
	Export []string
	// ExportAll exports every live local endpoint (but the bridge's own),
	// looking for new ones every Rescan.
	ExportAll bool
	// Import lists remote names to make reachable as local endpoints:
	// "NAME", or "NAME=LOCAL" for another local name.
	Import []string
	// Transport sets the subject prefix and NATS connection options; nil
	// uses the defaults.
	Transport *pbnats.Transport
	// Rescan is how often ExportAll looks for endpoints. Zero means 2s.
	Rescan time.Duration
	// Concurrency is how many messages each bridged endpoint forwards at
	// once (each sender's still in order). Zero means 64.
	Concurrency int
	// Logger receives what the bridge does. Nil discards it.
	Logger *slog.Logger
}

// Bridge is a running bridge. Close stops it.
type Bridge struct {
	cfg     Config
	t       *pbnats.Transport
	servers string
	log     *slog.Logger
	stop    chan struct{}
	wg      sync.WaitGroup

	mu       sync.Mutex
	exported map[string]*link // by local name
	imported map[string]*link // by local name
	closed   bool
}

// link is one bridged endpoint and its forwarder.
type link struct {
	ep  *postbox.Endpoint
	fwd *forwarder
}

// Start connects the endpoints cfg names and returns the running bridge.
// It fails if any of them cannot be bridged.
func Start(ctx context.Context, cfg Config) (*Bridge, error) {
	if cfg.NATS == "" {
		return nil, fmt.Errorf("%w: bridge: no NATS server given", postbox.ErrBadAddress)
	}
	b := &Bridge{cfg: cfg, t: cfg.Transport, servers: strings.TrimPrefix(cfg.NATS, pbnats.Scheme+"://"),
		log: cfg.Logger, stop: make(chan struct{}), exported: map[string]*link{}, imported: map[string]*link{}}
	if b.t == nil {
		b.t = &pbnats.Transport{}
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if err := b.startAll(ctx); err != nil {
		b.Close()
		return nil, err
	}
	if cfg.ExportAll {
		b.wg.Add(1)
		go b.rescan()
	}
	return b, nil
}

func (b *Bridge) startAll(ctx context.Context) error {
	for _, spec := range b.cfg.Import {
		remote, local, _ := strings.Cut(spec, "=")
		if local == "" {
			local = remote
		}
		if err := b.importName(ctx, remote, local); err != nil {
			return err
		}
	}
	for _, name := range b.cfg.Export {
		if err := b.export(ctx, name); err != nil {
			return err
		}
	}
	if b.cfg.ExportAll {
		return b.scan(ctx)
	}
	return nil
}

func (b *Bridge) natsAddr(name string) string {
	return pbnats.Scheme + "://" + b.servers + "/" + name
}

func (b *Bridge) listenConfig() *postbox.ListenConfig {
	return &postbox.ListenConfig{Concurrency: or(b.cfg.Concurrency, DefaultConcurrency),
		Transports: []postbox.Transport{b.t}, Logger: b.cfg.Logger}
}

func (b *Bridge) dialer() postbox.Dialer {
	return postbox.Dialer{Transports: []postbox.Transport{b.t}, CloseTimeout: time.Second, Logger: b.cfg.Logger}
}

// export makes the local endpoint name reachable through NATS.
func (b *Bridge) export(ctx context.Context, name string) error {
	fwd := &forwarder{addr: localAddr(ctx, name), dialer: b.dialer(), log: b.log}
	ep, err := b.listenConfig().Listen(ctx, b.natsAddr(name), fwd)
	if err != nil {
		return fmt.Errorf("bridge: export %s: %w", name, err)
	}
	b.add(b.exported, name, &link{ep: ep, fwd: fwd})
	b.log.Info("postbox bridge: exported", "name", name, "as", b.natsAddr(name))
	return nil
}

// localAddr pins a local name to its endpoint's address (its socket path)
// when it is live, so later dials reach that namespace whatever the
// process's environment says then.
func localAddr(ctx context.Context, name string) string {
	infos, _ := postbox.List(ctx)
	for _, in := range infos {
		if in.Name == name && !in.System {
			return in.Addr()
		}
	}
	return name
}

// importName makes the remote endpoint reachable here as local.
func (b *Bridge) importName(ctx context.Context, remote, local string) error {
	fwd := &forwarder{addr: b.natsAddr(remote), dialer: b.dialer(), log: b.log}
	ep, err := b.listenConfig().Listen(ctx, local, fwd)
	if err != nil {
		return fmt.Errorf("bridge: import %s as %s: %w", remote, local, err)
	}
	b.add(b.imported, local, &link{ep: ep, fwd: fwd})
	b.log.Info("postbox bridge: imported", "name", remote, "from", b.natsAddr(remote), "as", local)
	return nil
}

func (b *Bridge) add(m map[string]*link, name string, l *link) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m[name] = l
}

// Exported lists the local names exported now, sorted.
func (b *Bridge) Exported() []string { return b.names(b.exported) }

// Imported lists the local names of imported endpoints, sorted.
func (b *Bridge) Imported() []string { return b.names(b.imported) }

func (b *Bridge) names(m map[string]*link) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// rescan keeps ExportAll's set in step with the live local endpoints.
func (b *Bridge) rescan() {
	defer b.wg.Done()
	tk := time.NewTicker(or(b.cfg.Rescan, DefaultRescan))
	defer tk.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-tk.C:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := b.scan(ctx); err != nil {
				b.log.Warn("postbox bridge: rescan", "err", err)
			}
			cancel()
		}
	}
}

// scan exports new local endpoints and drops those that went away.
func (b *Bridge) scan(ctx context.Context) error {
	infos, err := postbox.List(ctx)
	if err != nil {
		return err
	}
	live := map[string]bool{}
	var errs []error
	for _, in := range infos {
		if b.isImport(in.Name) || in.System {
			continue // our own imports, and services (export those by name)
		}
		live[in.Name] = true
		if b.has(in.Name) {
			continue
		}
		errs = append(errs, b.export(ctx, in.Name))
	}
	for _, name := range b.Exported() {
		if !live[name] && !b.named(name) {
			b.drop(name)
		}
	}
	return errors.Join(errs...)
}

func (b *Bridge) isImport(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.imported[name] != nil
}

func (b *Bridge) has(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.exported[name] != nil || b.closed
}

// named reports whether name was exported explicitly (never dropped).
func (b *Bridge) named(name string) bool {
	for _, n := range b.cfg.Export {
		if n == name {
			return true
		}
	}
	return false
}

func (b *Bridge) drop(name string) {
	b.mu.Lock()
	l := b.exported[name]
	delete(b.exported, name)
	b.mu.Unlock()
	if l != nil {
		_ = l.close() // its endpoint is gone already
		b.log.Info("postbox bridge: unexported (gone)", "name", name)
	}
}

// Close stops bridging: it closes every bridged endpoint and connection.
func (b *Bridge) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	links := make([]*link, 0, len(b.exported)+len(b.imported))
	for _, m := range []map[string]*link{b.exported, b.imported} {
		for _, l := range m {
			links = append(links, l)
		}
	}
	b.mu.Unlock()
	close(b.stop)
	b.wg.Wait()
	var errs []error
	for _, l := range links {
		errs = append(errs, l.close())
	}
	return errors.Join(errs...)
}

func (l *link) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(l.ep.Shutdown(ctx), l.fwd.close())
}

func or[T int | time.Duration](n, def T) T {
	if n <= 0 {
		return def
	}
	return n
}
