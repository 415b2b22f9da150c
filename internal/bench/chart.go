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

// seriesColors are the line colours of each group, handed out in case
// order: blues for Postbox, greys for baselines, oranges for peers, each
// run of shades as far apart as it can be while staying one hue.
var seriesColors = map[Group][]string{
	GroupPostbox:  {"#1f77b4", "#08306b", "#17becf", "#6a51a3", "#6baed6", "#2ca0a0"},
	GroupBaseline: {"#1a1a1a", "#999999", "#5a5a5a", "#bdbdbd", "#7a7a7a"},
	GroupPeer:     {"#ff7f0e", "#a63603", "#d62728", "#fdae6b", "#8c564b", "#e6550d", "#bcbd22"},
}

// seriesDashes tell the groups apart where shades alone would not:
// Postbox solid, baselines dashed (three patterns, cycled against five
// greys so neighbours differ in both), peers dotted.
var seriesDashes = map[Group][]string{
	GroupBaseline: {"6 3", "10 3 2 3", "14 4"},
	GroupPeer:     {"2 2"},
}

// sweepMinSizes is how many sizes a report needs for the
// latency-versus-size panel: fewer make no line worth drawing.
const sweepMinSizes = 3

// WriteChart draws the report as SVG: round-trip p50 with one caller,
// round trips per second with the most callers, and Post throughput, each
// by payload size, on log scales. A report with three or more sizes (a
// sweep) also gets, on top, a log–log line of p50 against size per case.
func (r *Report) WriteChart(w io.Writer) error {
	c := svgchart.Chart{
		Title: "postbox bench",
		Subtitle: fmt.Sprintf("%s · %s/%s, %d CPUs · %s per cell · every figure from one run",
			r.Started.Format("2006-01-02 15:04 MST"), r.Host.OS, r.Host.Arch, r.Host.CPUs, FormatDur(r.Duration)),
		Legend: []svgchart.Key{{Label: "Postbox", Color: groupColor[GroupPostbox]},
			{Label: "baseline (no library)", Color: groupColor[GroupBaseline]}, {Label: "peer library", Color: groupColor[GroupPeer]}},
	}
	if len(r.Sizes) >= sweepMinSizes {
		if p := r.sweepPanel(); len(p.Series) > 0 {
			c.Panels = append(c.Panels, p)
		}
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

// sweepPanel is the line panel of Send p50 with one caller against payload
// size: one series per case that has such cells, leaving out failed ones.
func (r *Report) sweepPanel() svgchart.Panel {
	p := svgchart.Panel{
		Title: "Send round trip p50 vs payload size, 1 caller (log–log) — lower is faster",
		X:     svgchart.Axis{Title: "payload size (each way)", Base: 2, Format: svgchart.SizeTick},
		Y:     svgchart.Axis{Title: "round trip p50", Base: 10, Format: svgchart.DurationTick},
	}
	used := map[Group]int{}
	for _, ci := range r.Cases {
		pts := r.sendP50Points(ci.Name)
		if len(pts) == 0 {
			continue
		}
		p.Series = append(p.Series, svgchart.Series{Label: ci.Name, Color: pick(seriesColors[ci.Group], used[ci.Group], "#000000"),
			Dash: pick(seriesDashes[ci.Group], used[ci.Group], ""), Points: pts})
		used[ci.Group]++
	}
	return p
}

// sendP50Points are a case's Send p50 values with one caller, by size, in
// nanoseconds; sizes whose cell failed or is missing are left out.
func (r *Report) sendP50Points(name string) []svgchart.Point {
	var pts []svgchart.Point
	for _, size := range r.Sizes {
		x := r.Find(name, ModeSend, size, 1)
		if x == nil || x.Err != "" || x.Latency == nil || x.Latency.P50 <= 0 || size <= 0 {
			continue
		}
		pts = append(pts, svgchart.Point{X: float64(size), Y: float64(x.Latency.P50),
			Text: fmt.Sprintf("%s %s: p50 %s", name, FormatSize(size), FormatDur(x.Latency.P50))})
	}
	return pts
}

// pick is the i-th of list, cycling; def when list is empty.
func pick(list []string, i int, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[i%len(list)]
}
