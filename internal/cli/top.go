package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/postbox-ipc/postbox"
)

func init() {
	register("top", "live endpoints with message rates and queue depths, refreshed", runTop)
}

func runTop(e *env, args []string) error {
	fs := newFlags("top", "[NAME]", e.stdout)
	interval := fs.Duration("interval", time.Second, "refresh every this long")
	count := fs.Int("count", 0, "stop after this many screens (0: until interrupted)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 || *interval <= 0 || *count < 0 {
		return usagef("want at most one NAME, a positive --interval and a --count of 0 or more")
	}
	t := &topper{e: e, conns: map[string]*postbox.Conn{}, prev: map[string]postbox.Stats{}, tty: isTerminal(e.stdout)}
	if len(pos) == 1 {
		t.only = pos[0]
	}
	defer t.close()
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for n := 1; ; n++ {
		if err := t.frame(*interval, n == 1); err != nil {
			return err
		}
		if *count > 0 && n >= *count {
			return nil
		}
		select {
		case <-e.ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// topper keeps connections and the previous snapshots between screens.
type topper struct {
	e     *env
	only  string // one endpoint, with its connections; "" for all
	tty   bool
	conns map[string]*postbox.Conn // by address
	prev  map[string]postbox.Stats // by name and PID
}

// row is one endpoint on a screen.
type row struct {
	info postbox.EndpointInfo
	st   postbox.Stats
	old  *postbox.Stats // the previous snapshot, for rates
	err  error
}

func (t *topper) close() {
	for _, c := range t.conns {
		c.Close()
	}
}

// frame takes a snapshot of every endpoint and draws one screen.
// On the first screen, a NAME that answers nobody is an error.
func (t *topper) frame(interval time.Duration, first bool) error {
	infos, err := t.endpoints()
	if err != nil {
		return err
	}
	rows := make([]row, len(infos))
	seen := map[string]bool{}
	for i, in := range infos {
		rows[i] = t.sample(in)
		seen[in.Addr()] = true
	}
	if first && t.only != "" && len(rows) == 1 && errors.Is(rows[0].err, postbox.ErrNoEndpoint) {
		return rows[0].err
	}
	for addr, c := range t.conns { // endpoints that went away
		if !seen[addr] {
			c.Close()
			delete(t.conns, addr)
		}
	}
	var b bytes.Buffer
	if t.tty {
		b.WriteString("\x1b[H\x1b[2J") // home, clear
	}
	fmt.Fprintf(&b, "postbox top — %d endpoint(s) — %s — every %v, Ctrl-C to quit\n\n", len(rows), time.Now().Format("15:04:05"), interval)
	t.table(&b, rows)
	if t.only != "" && len(rows) == 1 && rows[0].err == nil {
		connTable(&b, &rows[0])
	}
	if !t.tty {
		b.WriteString("\n")
	}
	_, err = t.e.stdout.Write(b.Bytes())
	return err
}

// endpoints lists what to show: every live endpoint, or the one asked for.
func (t *topper) endpoints() ([]postbox.EndpointInfo, error) {
	all, err := postbox.List(t.e.ctx)
	if err != nil {
		return nil, err
	}
	if t.only == "" {
		return all, nil
	}
	for _, in := range all {
		if in.Name == t.only {
			return []postbox.EndpointInfo{in}, nil
		}
	}
	// Not in a namespace (an explicit address): ask it directly.
	return []postbox.EndpointInfo{{Name: t.only, Transports: []string{t.only}}}, nil
}

// sample fetches one endpoint's Stats, reusing its connection.
func (t *topper) sample(in postbox.EndpointInfo) row {
	r := row{info: in}
	addr := in.Addr()
	ctx, cancel := context.WithTimeout(t.e.ctx, time.Second)
	defer cancel()
	c := t.conns[addr]
	if c == nil {
		if c, r.err = dialAny(ctx, &postbox.Dialer{}, addr); r.err != nil {
			return r
		}
		t.conns[addr] = c
	}
	if r.st, r.err = c.Stats(ctx); r.err != nil {
		c.Close()
		delete(t.conns, addr)
		return r
	}
	dropSelf(&r.st)
	key := r.st.Name + "/" + strconv.Itoa(r.st.PID)
	if old, ok := t.prev[key]; ok {
		r.old = &old
	}
	t.prev[key] = r.st
	return r
}

func (t *topper) table(b *bytes.Buffer, rows []row) {
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPID\tPROGRAM\tCONNS\tQUEUE\tRUN\tMSG/S\tSEND/S\tPOST/S\tIN/S\tOUT/S\tP50\tP99\tERR/S\tHANDLED")
	for i := range rows {
		r := &rows[i]
		name := r.info.Name
		if r.info.System {
			name += " (system)"
		}
		if r.err != nil {
			fmt.Fprintf(tw, "%s\t%d\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\n", name, r.info.PID, filepath.Base(r.info.Program), short(r.err))
			continue
		}
		st := &r.st
		rate := rates(st, r.old)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", name, st.PID, filepath.Base(r.info.Program),
			len(st.Conns), st.Queued, st.Running, rate.msgs, rate.sends, rate.posts, rate.in, rate.out, rate.p50, rate.p99, rate.errs, st.Handled)
	}
	tw.Flush()
}

// connTable lists one endpoint's open connections.
func connTable(b *bytes.Buffer, r *row) {
	old := map[uint64]postbox.ConnStats{}
	if r.old != nil {
		for _, c := range r.old.Conns {
			old[c.ID] = c
		}
	}
	dt := 0.0
	if r.old != nil {
		dt = r.st.Time.Sub(r.old.Time).Seconds()
	}
	fmt.Fprintf(b, "\n%d connection(s), %d spy feed(s), errors: %s\n\n", len(r.st.Conns), r.st.Spies, fmtErrors(r.st.Errors))
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONN\tPID\tUSER\tTRANSPORT\tAGE\tQUEUE\tPEAK\tMSG/S\tHANDLED\tERRORS")
	for _, c := range r.st.Conns {
		msgs := "-"
		if o, ok := old[c.ID]; ok && dt > 0 {
			msgs = fmtRate(float64(c.Handled-o.Handled) / dt)
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\n", c.ID, c.Peer.PID, peerUser(c.Peer), c.Peer.Transport,
			r.st.Time.Sub(c.Since).Round(time.Second), c.Queued, c.QueuePeak, msgs, c.Handled, c.ErrorCount())
	}
	tw.Flush()
}

// rateCells are an endpoint's rates since the previous screen, formatted.
type rateCells struct{ msgs, sends, posts, in, out, p50, p99, errs string }

func rates(st, old *postbox.Stats) rateCells {
	if old == nil {
		return rateCells{"-", "-", "-", "-", "-", fmtDuration(st.Latency.Quantile(0.5)), fmtDuration(st.Latency.Quantile(0.99)), "-"}
	}
	dt := st.Time.Sub(old.Time).Seconds()
	if dt <= 0 {
		dt = 1
	}
	per := func(now, then uint64) float64 { return float64(now-min(then, now)) / dt }
	lat := st.Latency.Sub(old.Latency)
	p50, p99 := "-", "-"
	if lat.Count() > 0 {
		p50, p99 = fmtDuration(lat.Quantile(0.5)), fmtDuration(lat.Quantile(0.99))
	}
	return rateCells{
		msgs: fmtRate(per(st.Handled, old.Handled)), sends: fmtRate(per(st.Sends, old.Sends)), posts: fmtRate(per(st.Posts, old.Posts)),
		in: fmtBytes(per(st.BytesIn, old.BytesIn)) + "/s", out: fmtBytes(per(st.BytesOut, old.BytesOut)) + "/s",
		p50: p50, p99: p99, errs: fmtRate(per(st.ErrorCount(), old.ErrorCount())),
	}
}

// fmtRate prints a rate with three significant figures and k/M suffixes.
func fmtRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	case v == 0:
		return "0"
	}
	return fmt.Sprintf("%.3g", v)
}

// short is an error cut to fit a table.
func short(err error) string {
	s := err.Error()
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}
