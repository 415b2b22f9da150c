package stats

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"
)

// WritePrometheus writes the snapshot in the Prometheus text exposition
// format (version 0.0.4): endpoint totals, gauges, the handling-time
// histogram, and a few series per open connection (labelled conn, pid,
// uid), which come and go with their connections.
func (s *Endpoint) WritePrometheus(w io.Writer) error {
	p := promWriter{w: bufio.NewWriter(w), ep: `endpoint="` + escapeLabel(s.Name) + `"`}
	p.family("postbox_messages_received_total", "counter", "Messages accepted into the endpoint's queue, by kind (send or post).")
	p.sample("postbox_messages_received_total", `kind="send"`, float64(s.Sends))
	p.sample("postbox_messages_received_total", `kind="post"`, float64(s.Posts))
	p.family("postbox_messages_handled_total", "counter", "Messages the handler ran for.")
	p.sample("postbox_messages_handled_total", "", float64(s.Handled))
	p.family("postbox_bytes_total", "counter", "Payload bytes: messages received (in) and replies sent (out).")
	p.sample("postbox_bytes_total", `direction="in"`, float64(s.BytesIn))
	p.sample("postbox_bytes_total", `direction="out"`, float64(s.BytesOut))
	p.family("postbox_errors_total", "counter", "Errors by kind.")
	for _, k := range sortedKeys(s.Errors) {
		p.sample("postbox_errors_total", `kind="`+escapeLabel(k)+`"`, float64(s.Errors[k]))
	}
	p.family("postbox_queue_depth", "gauge", "Accepted messages waiting for the handler.")
	p.sample("postbox_queue_depth", "", float64(s.Queued))
	p.family("postbox_handlers_running", "gauge", "Handlers running now.")
	p.sample("postbox_handlers_running", "", float64(s.Running))
	p.family("postbox_memory_held_bytes", "gauge", "Bytes the connections hold: messages not yet answered, answers not yet written, frames still arriving.")
	p.sample("postbox_memory_held_bytes", "", float64(s.Held))
	p.family("postbox_memory_budget_bytes", "gauge", "The endpoint's memory budget; 0 for none.")
	p.sample("postbox_memory_budget_bytes", "", float64(s.MaxMemory))
	p.family("postbox_connections", "gauge", "Open connections.")
	p.sample("postbox_connections", "", float64(len(s.Conns)))
	p.family("postbox_connections_total", "counter", "Connections accepted since the endpoint started.")
	p.sample("postbox_connections_total", "", float64(s.ConnsTotal))
	p.family("postbox_start_time_seconds", "gauge", "When the endpoint started, in seconds since the Unix epoch.")
	p.sample("postbox_start_time_seconds", "", float64(s.Started.UnixNano())/1e9)
	p.histogram("postbox_handling_seconds", "Time from a handler's start to its return.", "", s.Latency)
	p.conns(s.Conns)
	return p.w.Flush()
}

// conns writes the per-connection series.
func (p *promWriter) conns(cs []Conn) {
	if len(cs) == 0 {
		return
	}
	label := func(c *Conn) string {
		return `conn="` + strconv.FormatUint(c.ID, 10) + `",pid="` + strconv.Itoa(c.Peer.PID) +
			`",uid="` + strconv.Itoa(c.Peer.UID) + `",transport="` + escapeLabel(c.Peer.Transport) + `"`
	}
	p.family("postbox_connection_messages_received_total", "counter", "Messages accepted from one open connection.")
	for i := range cs {
		p.sample("postbox_connection_messages_received_total", label(&cs[i]), float64(cs[i].Sends+cs[i].Posts))
	}
	p.family("postbox_connection_messages_handled_total", "counter", "Messages of one open connection the handler ran for.")
	for i := range cs {
		p.sample("postbox_connection_messages_handled_total", label(&cs[i]), float64(cs[i].Handled))
	}
	p.family("postbox_connection_queue_depth", "gauge", "Messages of one open connection waiting for the handler.")
	for i := range cs {
		p.sample("postbox_connection_queue_depth", label(&cs[i]), float64(cs[i].Queued))
	}
}

type promWriter struct {
	w  *bufio.Writer
	ep string // the endpoint label, on every sample
}

func (p *promWriter) family(name, typ, help string) {
	p.w.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

func (p *promWriter) sample(name, labels string, v float64) {
	p.w.WriteString(name + "{" + p.ep)
	if labels != "" {
		p.w.WriteString("," + labels)
	}
	p.w.WriteString("} " + strconv.FormatFloat(v, 'g', -1, 64) + "\n")
}

func (p *promWriter) histogram(name, help, labels string, h Histogram) {
	p.family(name, "histogram", help)
	if labels != "" {
		labels += ","
	}
	var cum uint64
	for i, b := range Bounds {
		if i < len(h.Counts) {
			cum += h.Counts[i]
		}
		p.sample(name+"_bucket", labels+`le="`+strconv.FormatFloat(b.Seconds(), 'g', -1, 64)+`"`, float64(cum))
	}
	total := h.Count()
	p.sample(name+"_bucket", labels+`le="+Inf"`, float64(total))
	p.sample(name+"_sum", strings.TrimSuffix(labels, ","), h.Sum.Seconds())
	p.sample(name+"_count", strings.TrimSuffix(labels, ","), float64(total))
}

// escapeLabel escapes a label value: backslash, double quote and newline.
func escapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
