package bench

import (
	"fmt"
	"io"

	"github.com/postbox-ipc/postbox/internal/svgchart"
)

// groupColor colours bars by what they measure.
var groupColor = map[Group]string{
	GroupPostbox:  "#1f77b4",
	GroupBaseline: "#9a9a9a",
	GroupPeer:     "#ff7f0e",
}

// WriteChart draws the report as SVG: round-trip p50 with one caller,
// round trips per second with the most callers, and Post throughput, each
// by payload size, on log scales.
func (r *Report) WriteChart(w io.Writer) error {
	c := svgchart.Chart{
		Title: "postbox bench",
		Subtitle: fmt.Sprintf("%s · %s/%s, %d CPUs · %s per cell · every figure from one run",
			r.Started.Format("2006-01-02 15:04 MST"), r.Host.OS, r.Host.Arch, r.Host.CPUs, FormatDur(r.Duration)),
		Legend: []svgchart.Key{{Label: "Postbox", Color: groupColor[GroupPostbox]},
			{Label: "baseline (no library)", Color: groupColor[GroupBaseline]}, {Label: "peer library", Color: groupColor[GroupPeer]}},
	}
	c.Panels = append(c.Panels, r.panel("Send round trip p50, 1 caller (µs, log scale) — shorter is faster", ModeSend, 1,
		func(x *Cell) (float64, string) {
			if x.Latency == nil {
				return 0, ""
			}
			return float64(x.Latency.P50) / 1e3, FormatDur(x.Latency.P50)
		}))
	if n := maxInt(r.Callers); n > 1 {
		c.Panels = append(c.Panels, r.panel(fmt.Sprintf("Send with %d callers: round trips/s (log scale) — longer is faster", n), ModeSend, n,
			func(x *Cell) (float64, string) { return x.OpsPerSec, FormatCount(x.OpsPerSec) + "/s" }))
	}
	c.Panels = append(c.Panels, r.panel("Post: MB/s one way (log scale) — longer is faster", ModePost, 1,
		func(x *Cell) (float64, string) { return x.MBPerSec, FormatCount(x.MBPerSec) + " MB/s" }))
	return c.Write(w)
}

// panel makes one panel from the cells of a mode, grouped by size.
func (r *Report) panel(title string, m Mode, callers int, value func(*Cell) (float64, string)) svgchart.Panel {
	p := svgchart.Panel{Title: title, Log: true}
	for _, size := range r.Sizes {
		g := svgchart.Group{Title: FormatSize(size)}
		for _, ci := range r.Cases {
			x := r.Find(ci.Name, m, size, callers)
			if x == nil {
				continue
			}
			bar := svgchart.Bar{Label: x.Case, Color: groupColor[x.Group], Text: "error"}
			if x.Err == "" {
				bar.Value, bar.Text = value(x)
			}
			g.Bars = append(g.Bars, bar)
		}
		if len(g.Bars) > 0 {
			p.Groups = append(p.Groups, g)
		}
	}
	return p
}
