package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// table is a titled grid of strings, rendered as aligned text or Markdown.
type table struct {
	title string
	head  []string
	rows  [][]string
}

// Tables returns the report's tables: round trips with one caller, with
// more callers, one-way throughput, and the goals.
func (r *Report) tables() []table {
	var out []table
	for _, n := range r.Callers {
		if n == 1 {
			out = append(out, r.latencyTable())
		} else {
			out = append(out, r.concurrentTable(n))
		}
	}
	out = append(out, r.postTable(), r.goalTable())
	var kept []table
	for _, t := range out {
		if len(t.rows) > 0 {
			kept = append(kept, t)
		}
	}
	return kept
}

// cellsFor lists the cells of a mode and caller count, by size, then in
// case order.
func (r *Report) cellsFor(m Mode, callers int) []*Cell {
	var out []*Cell
	for _, size := range r.Sizes {
		for _, ci := range r.Cases {
			if c := r.Find(ci.Name, m, size, callers); c != nil {
				out = append(out, c)
			}
		}
	}
	return out
}

func (r *Report) latencyTable() table {
	t := table{title: "Send round trip, 1 caller (× raw = raw-unix p50 ÷ this p50: above 1 is faster than a bare Unix socket)",
		head: []string{"case", "size", "p50", "p90", "p99", "p99.9", "round trips/s", "CPU/msg", "× raw"}}
	for _, c := range r.cellsFor(ModeSend, 1) {
		if c.Err != "" || c.Latency == nil {
			t.rows = append(t.rows, errRow(c, len(t.head)))
			continue
		}
		l := c.Latency
		t.rows = append(t.rows, []string{c.Case, FormatSize(c.Size), FormatDur(l.P50), FormatDur(l.P90), FormatDur(l.P99),
			FormatDur(l.P999), FormatCount(c.OpsPerSec), FormatDur(c.CPUPerOp), FormatRatio(c.VsRaw)})
	}
	return t
}

func (r *Report) concurrentTable(n int) table {
	t := table{title: fmt.Sprintf("Send with %d concurrent callers (× raw = this rate ÷ raw-unix's, one connection per caller)", n),
		head: []string{"case", "size", "round trips/s", "MB/s", "p50", "p99", "CPU/msg", "× raw"}}
	for _, c := range r.cellsFor(ModeSend, n) {
		if c.Err != "" || c.Latency == nil {
			t.rows = append(t.rows, errRow(c, len(t.head)))
			continue
		}
		t.rows = append(t.rows, []string{c.Case, FormatSize(c.Size), FormatCount(c.OpsPerSec), sig3(c.MBPerSec),
			FormatDur(c.Latency.P50), FormatDur(c.Latency.P99), FormatDur(c.CPUPerOp), FormatRatio(c.VsRaw)})
	}
	return t
}

func (r *Report) postTable() table {
	t := table{title: "Post, one way, then a flush (× raw = this rate ÷ raw-unix's buffered stream)",
		head: []string{"case", "size", "msgs/s", "MB/s", "CPU/msg", "× raw"}}
	for _, c := range r.cellsFor(ModePost, 1) {
		if c.Err != "" {
			t.rows = append(t.rows, errRow(c, len(t.head)))
			continue
		}
		t.rows = append(t.rows, []string{c.Case, FormatSize(c.Size), FormatCount(c.OpsPerSec), sig3(c.MBPerSec),
			FormatDur(c.CPUPerOp), FormatRatio(c.VsRaw)})
	}
	return t
}

func (r *Report) goalTable() table {
	t := table{title: "Goals", head: []string{"goal", "want", "got", "status", "figures"}}
	for _, g := range r.Goals {
		t.rows = append(t.rows, []string{g.Name, "≥ " + FormatRatio(g.Want), FormatRatio(g.Got), g.Status, g.Detail})
	}
	return t
}

func errRow(c *Cell, n int) []string {
	row := make([]string, n)
	row[0], row[1] = c.Case, FormatSize(c.Size)
	row[2] = "error: " + firstLine(c.Err)
	return row
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// WriteText writes the tables aligned for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for i, t := range r.tables() {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintln(tw, t.title)
		tw.Flush()
		fmt.Fprintln(tw, strings.Join(t.head, "\t")+"\t")
		for _, row := range t.rows {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		tw.Flush()
	}
	return tw.Flush()
}

// WriteMarkdown writes the tables as Markdown, each under a heading of
// the given level.
func (r *Report) WriteMarkdown(w io.Writer, level int) error {
	h := strings.Repeat("#", level)
	for _, t := range r.tables() {
		fmt.Fprintf(w, "%s %s\n\n", h, t.title)
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(t.head, " | "), strings.Repeat("---|", len(t.head)))
		for _, row := range t.rows {
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintf(w, "Run: %s, %s/%s, %d CPUs (%s), kernel %s, %s per cell.\n",
		r.Started.Format("2006-01-02 15:04 MST"), r.Host.OS, r.Host.Arch, r.Host.CPUs, r.Host.CPUModel, r.Host.Kernel, FormatDur(r.Duration))
	return err
}
