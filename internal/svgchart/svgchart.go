// Package svgchart draws horizontal bar charts and log–log line charts as
// standalone SVG, with no dependencies: enough for "postbox bench --chart"
// without bringing a plotting library into the core module.
package svgchart

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Chart is a title, a legend and panels stacked top to bottom.
type Chart struct {
	Title    string
	Subtitle string
	Legend   []Key
	Panels   []Panel
}

// Key is one legend entry.
type Key struct{ Label, Color string }

// Panel is one measure: groups of bars on a shared axis or, when Series
// is set, lines on logarithmic X and Y axes (a line panel).
type Panel struct {
	Title  string
	Log    bool // logarithmic axis (for values spanning decades)
	Groups []Group

	// Series makes a line panel; Groups and Log are then unused.
	Series []Series
	// X and Y are a line panel's axes.
	X, Y Axis
}

// Group is a run of bars under a heading (a payload size).
type Group struct {
	Title string
	Bars  []Bar
}

// Bar is one value. Zero or negative values get no bar, only their text.
type Bar struct {
	Label string
	Value float64
	Color string
	Text  string // shown after the bar
}

// Layout, in pixels.
const (
	width    = 960
	labelW   = 120
	textW    = 90
	barH     = 13
	barGap   = 3
	groupGap = 10
	headH    = 18
	panelGap = 28
	plotW    = width - labelW - textW - 20
)

// Write renders c as SVG.
func (c *Chart) Write(w io.Writer) error {
	var b strings.Builder
	y := 30
	body := &strings.Builder{}
	fmt.Fprintf(body, `<text x="10" y="%d" class="title">%s</text>`+"\n", y, esc(c.Title))
	if c.Subtitle != "" {
		y += 18
		fmt.Fprintf(body, `<text x="10" y="%d" class="sub">%s</text>`+"\n", y, esc(c.Subtitle))
	}
	y += 22
	x := 10
	for _, k := range c.Legend {
		fmt.Fprintf(body, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" class="lbl">%s</text>`+"\n",
			x, y-10, esc(k.Color), x+16, y, esc(k.Label))
		x += 24 + 7*len(k.Label)
	}
	y += 20
	for _, p := range c.Panels {
		y = p.draw(body, y) + panelGap
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n",
		width, y, width, y)
	b.WriteString(`<style>.title{font-size:18px;font-weight:bold}.sub{font-size:12px;fill:#555}.ptitle{font-size:14px;font-weight:bold}` +
		`.lbl{font-size:11px}.val{font-size:10px;fill:#333}.grp{font-size:12px;font-weight:bold;fill:#333}.axis{font-size:10px;fill:#666}` +
		`.grid{stroke:#ddd;stroke-width:1}.minor{stroke:#f0f0f0;stroke-width:1}</style>` + "\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, y)
	b.WriteString(body.String())
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// draw renders the panel from y down and returns the y below it.
func (p *Panel) draw(b *strings.Builder, y int) int {
	if p.isLine() {
		return p.drawLines(b, y)
	}
	fmt.Fprintf(b, `<text x="10" y="%d" class="ptitle">%s</text>`+"\n", y, esc(p.Title))
	y += 10
	sc := p.scale()
	top := y
	for _, g := range p.Groups {
		y += headH
		fmt.Fprintf(b, `<text x="10" y="%d" class="grp">%s</text>`+"\n", y-4, esc(g.Title))
		for _, bar := range g.Bars {
			fmt.Fprintf(b, `<text x="%d" y="%d" class="lbl" text-anchor="end">%s</text>`, labelW-6, y+barH-2, esc(bar.Label))
			bw := 0.0
			if bar.Value > 0 {
				bw = max(sc.pos(bar.Value), 1)
				fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, labelW, y, bw, barH, esc(bar.Color))
			}
			fmt.Fprintf(b, `<text x="%.1f" y="%d" class="val">%s</text>`+"\n", float64(labelW)+bw+4, y+barH-2, esc(bar.Text))
			y += barH + barGap
		}
		y += groupGap
	}
	sc.axis(b, top, y)
	return y + 14
}

// scale maps values to bar lengths.
type scale struct {
	log    bool
	lo, hi float64 // axis range (log10 of values when log)
}

func (p *Panel) scale() scale {
	hi := 0.0
	lo := math.Inf(1)
	for _, g := range p.Groups {
		for _, bar := range g.Bars {
			if bar.Value > 0 {
				hi = max(hi, bar.Value)
				lo = min(lo, bar.Value)
			}
		}
	}
	if hi == 0 {
		return scale{lo: 0, hi: 1}
	}
	if !p.Log {
		return scale{lo: 0, hi: hi * 1.05}
	}
	return scale{log: true, lo: math.Floor(math.Log10(lo)), hi: math.Ceil(math.Log10(hi) + 1e-9)}
}

func (s scale) pos(v float64) float64 {
	if s.log {
		v = math.Log10(v)
	}
	f := (v - s.lo) / (s.hi - s.lo)
	return math.Max(0, math.Min(1, f)) * plotW
}

// axis draws gridlines and tick labels between y0 and y1.
func (s scale) axis(b *strings.Builder, y0, y1 int) {
	var ticks []float64
	if s.log {
		for e := s.lo; e <= s.hi; e++ {
			ticks = append(ticks, math.Pow(10, e))
		}
	} else {
		step := niceStep(s.hi / 5)
		for v := 0.0; v <= s.hi; v += step {
			ticks = append(ticks, v)
		}
	}
	for _, t := range ticks {
		x := float64(labelW) + s.pos(max(t, 1e-300))
		if !s.log && t == 0 {
			x = labelW
		}
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="grid"/><text x="%.1f" y="%d" class="axis" text-anchor="middle">%s</text>`+"\n",
			x, y0, x, y1, x, y1+10, tickText(t))
	}
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// tickText writes a tick value compactly: 1, 10, 1k, 1M, 0.1.
func tickText(v float64) string {
	switch {
	case v >= 1e9:
		return trim(v/1e9) + "G"
	case v >= 1e6:
		return trim(v/1e6) + "M"
	case v >= 1e3:
		return trim(v/1e3) + "k"
	}
	return trim(v)
}

func trim(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func esc(s string) string { return html.EscapeString(s) }
