package cli

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postbox-ipc/postbox"
)

func init() {
	register("stats", "print an endpoint's counters (text, --json or --prometheus)", runStats)
}

func runStats(e *env, args []string) error {
	fs := newFlags("stats", "NAME", e.stdout)
	asJSON := jsonFlag(e, fs, "print the Stats as JSON")
	prom := fs.Bool("prometheus", false, "print the Prometheus text format")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one NAME")
	}
	c, err := dialAny(e.ctx, &postbox.Dialer{}, pos[0])
	if err != nil {
		return err
	}
	defer c.Close()
	if *prom {
		rep, err := c.Send(e.ctx, postbox.Message{ID: postbox.MetricsID})
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(rep.Data)
		return err
	}
	st, err := c.Stats(e.ctx)
	if err != nil {
		return err
	}
	dropSelf(&st)
	if *asJSON {
		return writeJSON(e.stdout, st)
	}
	printStats(e, &st)
	return nil
}

// dropSelf takes the connection this command asked on out of st: it is
// the observer's, not the endpoint's load.
func dropSelf(st *postbox.Stats) {
	self := os.Getpid()
	for i, c := range st.Conns {
		if c.Peer.PID == self && local(c.Peer) {
			st.Conns = append(st.Conns[:i], st.Conns[i+1:]...)
			st.ConnsTotal--
			return
		}
	}
}

// local reports whether p may be this process, as far as its address
// tells: a TCP peer must come from a loopback address. (A NATS peer's PID
// is the one it claims; a remote process with this PID is hidden too.)
func local(p postbox.Peer) bool {
	if p.Addr == "" || p.Transport == "nats" {
		return true
	}
	host, _, err := net.SplitHostPort(p.Addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func printStats(e *env, st *postbox.Stats) {
	w := e.stdout
	fmt.Fprintf(w, "%s  pid %d  up %s\n", st.Name, st.PID, st.Time.Sub(st.Started).Round(time.Second))
	fmt.Fprintf(w, "received  %d sends, %d posts, %s in\n", st.Sends, st.Posts, fmtBytes(float64(st.BytesIn)))
	fmt.Fprintf(w, "handled   %d, %s out; handling time p50 %s p99 %s max bucket %s\n", st.Handled,
		fmtBytes(float64(st.BytesOut)), fmtDuration(st.Latency.Quantile(0.5)), fmtDuration(st.Latency.Quantile(0.99)), maxBucket(st.Latency))
	fmt.Fprintf(w, "now       %d queued, %d running, %d connections (%d since start), %d spies\n",
		st.Queued, st.Running, len(st.Conns), st.ConnsTotal, st.Spies)
	fmt.Fprintf(w, "memory    %s held, peak %s, budget %s\n", fmtBytes(float64(st.Held)), fmtBytes(float64(st.HeldPeak)), fmtBudget(st.MaxMemory))
	fmt.Fprintf(w, "errors    %s\n", fmtErrors(st.Errors))
	if len(st.Conns) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nCONN\tPID\tUSER\tTRANSPORT\tAGE\tQUEUE\tPEAK\tHELD\tSENDS\tPOSTS\tHANDLED\tERRORS")
	for _, c := range st.Conns {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\n", c.ID, c.Peer.PID, peerUser(c.Peer), c.Peer.Transport,
			st.Time.Sub(c.Since).Round(time.Second), c.Queued, c.QueuePeak, fmtBytes(float64(c.Held)), c.Sends, c.Posts, c.Handled, c.ErrorCount())
	}
	tw.Flush()
}

// fmtBudget shows an endpoint's memory budget; 0 is none.
func fmtBudget(n int64) string {
	if n <= 0 {
		return "none"
	}
	return fmtBytes(float64(n))
}

func peerUser(p postbox.Peer) string {
	if p.SID != "" {
		return p.SID
	}
	if p.UID < 0 {
		return "-"
	}
	return userName(p.UID)
}

func fmtErrors(m map[string]uint64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func maxBucket(h postbox.Histogram) string {
	for i := len(h.Counts) - 1; i >= 0; i-- {
		if h.Counts[i] > 0 {
			if i < len(postbox.HistogramBounds) {
				return "≤" + fmtDuration(postbox.HistogramBounds[i])
			}
			return ">" + fmtDuration(postbox.HistogramBounds[len(postbox.HistogramBounds)-1])
		}
	}
	return "-"
}

// fmtBytes prints a byte count or rate with a binary unit.
func fmtBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f%s", n, units[i])
	}
	return fmt.Sprintf("%.1f%s", n, units[i])
}

// isTerminal reports whether w is a character device, where redrawing the
// screen makes sense.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
