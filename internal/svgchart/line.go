package svgchart

import (
	"fmt"
	"math"
	"strings"
)

// Series is one line of a line panel: its points joined in order, each
// with a marker. Points with X or Y not above zero cannot sit on a log axis
// and are left out; the line joins the points either side of them.
type Series struct {
	Label  string
	Color  string
	Dash   string // stroke-dasharray, e.g. "6 3"; empty for a solid line
	Points []Point
}

// Point is one value of a series. Text, when set, is the marker's tooltip.
type Point struct {
	X, Y float64
	Text string
}

// Axis is one logarithmic axis of a line panel.
type Axis struct {
	Title string
	// Base is what major ticks are powers of: 2 for sizes, 10 (or zero)
	// for everything else.
	Base float64
	// Format labels a tick; nil writes a compact number (see tickText).
	Format func(float64) string
}

// Line panel layout, in pixels.
const (
	lineLeft    = 70  // room for the Y tick labels and title
	lineLegendW = 190 // the series legend, right of the plot
	linePlotW   = width - lineLeft - lineLegendW - 20
	linePlotH   = 320
	legendRowH  = 16
)

// isLine reports whether p is a line panel (it has series) rather than a
// bar panel.
func (p *Panel) isLine() bool { return len(p.Series) > 0 }

// drawLines renders a line panel from y down and returns the y below it:
// log X, log Y, one polyline with markers per series and a legend of the
// series on the right.
func (p *Panel) drawLines(b *strings.Builder, y int) int {
	fmt.Fprintf(b, `<text x="10" y="%d" class="ptitle">%s</text>`+"\n", y, esc(p.Title))
	top := y + 16
	h := max(linePlotH, len(p.Series)*legendRowH+10)
	xs, ys := p.lineScales(h)
	xs.ticksX(b, top, top+h)
	ys.ticksY(b, top)
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", lineLeft, top, linePlotW, h)
	for _, s := range p.Series {
		drawSeries(b, s, xs, ys, top)
	}
	p.drawLineLegend(b, top)
	axisTitles(b, p.X.Title, p.Y.Title, top, h)
	return top + h + 34
}

// lineScales fits a log scale to each axis: X over the plot's width, Y
// over its height h.
func (p *Panel) lineScales(h int) (x, y logScale) {
	var xv, yv []float64
	for _, s := range p.Series {
		for _, pt := range s.Points {
			if pt.X > 0 && pt.Y > 0 {
				xv = append(xv, pt.X)
				yv = append(yv, pt.Y)
			}
		}
	}
	return fitLog(p.X, xv, linePlotW), fitLog(p.Y, yv, float64(h))
}

// logScale maps values to pixels along one log axis: exponents lo..hi of
// base over length pixels, with a major tick every step exponents.
type logScale struct {
	ax     Axis
	base   float64
	lo, hi float64
	step   float64
	length float64
}

// maxTicks bounds the labelled ticks on an axis.
const maxTicks = 10

// fitLog makes a scale covering vals, widened to whole ticks.
func fitLog(ax Axis, vals []float64, length float64) logScale {
	s := logScale{ax: ax, base: ax.Base, length: length, step: 1}
	if s.base <= 1 {
		s.base = 10
	}
	if len(vals) == 0 {
		s.hi = 1
		return s
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		e := math.Log(v) / math.Log(s.base)
		lo, hi = min(lo, e), max(hi, e)
	}
	lo, hi = math.Floor(lo+1e-9), math.Ceil(hi-1e-9)
	for (hi-lo)/s.step > maxTicks {
		s.step++
	}
	s.lo = math.Floor(lo/s.step) * s.step
	s.hi = max(math.Ceil(hi/s.step)*s.step, s.lo+s.step)
	return s
}

// pos is v's distance in pixels from the axis start, clamped to the axis.
func (s logScale) pos(v float64) float64 {
	e := math.Log(v) / math.Log(s.base)
	f := (e - s.lo) / (s.hi - s.lo)
	return math.Max(0, math.Min(1, f)) * s.length
}

// label writes a tick's text.
func (s logScale) label(v float64) string {
	if s.ax.Format != nil {
		return s.ax.Format(v)
	}
	return tickText(v)
}

// majors are the labelled tick values, lo to hi.
func (s logScale) majors() []float64 {
	var out []float64
	for e := s.lo; e <= s.hi+1e-9; e += s.step {
		out = append(out, math.Pow(s.base, e))
	}
	return out
}

// minors are unlabelled gridline values between the majors: every whole
// exponent when majors skip some, and 2× and 5× within a decade.
func (s logScale) minors() []float64 {
	var out []float64
	for e := s.lo; e < s.hi; e++ {
		if math.Mod(e-s.lo, s.step) != 0 {
			out = append(out, math.Pow(s.base, e))
		}
		if s.base == 10 && s.step == 1 {
			out = append(out, 2*math.Pow(10, e), 5*math.Pow(10, e))
		}
	}
	return out
}

// ticksX draws the X gridlines between y0 and y1 and labels the majors
// below y1.
func (s logScale) ticksX(b *strings.Builder, y0, y1 int) {
	for _, v := range s.minors() {
		x := float64(lineLeft) + s.pos(v)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="minor"/>`+"\n", x, y0, x, y1)
	}
	for _, v := range s.majors() {
		x := float64(lineLeft) + s.pos(v)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="grid"/><text x="%.1f" y="%d" class="axis" text-anchor="middle">%s</text>`+"\n",
			x, y0, x, y1, x, y1+13, esc(s.label(v)))
	}
}

// ticksY draws the Y gridlines across the plot, whose top is at top, and
// labels the majors on its left. Y grows upwards.
func (s logScale) ticksY(b *strings.Builder, top int) {
	for _, v := range s.minors() {
		y := s.yAt(v, top)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="minor"/>`+"\n", lineLeft, y, lineLeft+linePlotW, y)
	}
	for _, v := range s.majors() {
		y := s.yAt(v, top)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="grid"/><text x="%d" y="%.1f" class="axis" text-anchor="end">%s</text>`+"\n",
			lineLeft, y, lineLeft+linePlotW, y, lineLeft-5, y+3, esc(s.label(v)))
	}
}

// yAt is the SVG y of value v on a vertical scale whose top is at top.
func (s logScale) yAt(v float64, top int) float64 { return float64(top) + s.length - s.pos(v) }

// drawSeries draws one series: a polyline through its points and a marker
// on each, with the point's text as tooltip.
func drawSeries(b *strings.Builder, s Series, xs, ys logScale, top int) {
	var pts []string
	var marks strings.Builder
	for _, pt := range s.Points {
		if pt.X <= 0 || pt.Y <= 0 {
			continue
		}
		x, y := float64(lineLeft)+xs.pos(pt.X), ys.yAt(pt.Y, top)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		fmt.Fprintf(&marks, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s">`, x, y, esc(s.Color))
		if pt.Text != "" {
			fmt.Fprintf(&marks, `<title>%s</title>`, esc(pt.Text))
		}
		marks.WriteString("</circle>")
	}
	if len(pts) == 0 {
		return
	}
	dash := ""
	if s.Dash != "" {
		dash = fmt.Sprintf(` stroke-dasharray="%s"`, esc(s.Dash))
	}
	fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.8"%s/>`+"\n%s\n",
		strings.Join(pts, " "), esc(s.Color), dash, marks.String())
}

// drawLineLegend lists the series right of the plot: a swatch of the line
// and its label, one row each.
func (p *Panel) drawLineLegend(b *strings.Builder, top int) {
	x := lineLeft + linePlotW + 14
	for i, s := range p.Series {
		y := top + 10 + i*legendRowH
		dash := ""
		if s.Dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, esc(s.Dash))
		}
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.8"%s/><circle cx="%d" cy="%d" r="3" fill="%s"/>`+
			`<text x="%d" y="%d" class="lbl">%s</text>`+"\n",
			x, y, x+24, y, esc(s.Color), dash, x+12, y, esc(s.Color), x+30, y+4, esc(s.Label))
	}
}

// axisTitles writes the X title under the tick labels and the Y title
// turned along the left edge, for a plot of height h at top.
func axisTitles(b *strings.Builder, xTitle, yTitle string, top, h int) {
	if xTitle != "" {
		fmt.Fprintf(b, `<text x="%d" y="%d" class="lbl" text-anchor="middle">%s</text>`+"\n",
			lineLeft+linePlotW/2, top+h+28, esc(xTitle))
	}
	if yTitle != "" {
		cy := top + h/2
		fmt.Fprintf(b, `<text x="14" y="%d" class="lbl" text-anchor="middle" transform="rotate(-90 14 %d)">%s</text>`+"\n",
			cy, cy, esc(yTitle))
	}
}

// SizeTick labels a byte count the way sizes are written elsewhere: 64B,
// 1K, 16M (powers of 1024).
func SizeTick(v float64) string {
	switch {
	case v >= 1<<30:
		return trim(v/(1<<30)) + "G"
	case v >= 1<<20:
		return trim(v/(1<<20)) + "M"
	case v >= 1<<10:
		return trim(v/(1<<10)) + "K"
	}
	return trim(v) + "B"
}

// DurationTick labels a time in nanoseconds: 100ns, 10µs, 1ms, 2s.
func DurationTick(ns float64) string {
	switch {
	case ns >= 1e9:
		return trim(ns/1e9) + "s"
	case ns >= 1e6:
		return trim(ns/1e6) + "ms"
	case ns >= 1e3:
		return trim(ns/1e3) + "µs"
	}
	return trim(ns) + "ns"
}
