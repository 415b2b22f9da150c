package svgchart

import (
	"strings"
	"testing"
)

// lineChart is a line panel above a bar panel, with a series that has an
// unplottable point and a label that needs escaping.
func lineChart() Chart {
	sizes := []float64{64, 1 << 10, 16 << 10, 1 << 20, 16 << 20}
	mk := func(label, color string, ns ...float64) Series {
		s := Series{Label: label, Color: color}
		for i, v := range ns {
			s.Points = append(s.Points, Point{X: sizes[i], Y: v, Text: label + " <pt>"})
		}
		return s
	}
	return Chart{Title: "sweep", Panels: []Panel{
		{Title: "p50 vs size", X: Axis{Title: "payload", Base: 2, Format: SizeTick}, Y: Axis{Title: "p50", Format: DurationTick},
			Series: []Series{
				mk("unix", "#1f77b4", 9e3, 10e3, 20e3, 500e3, 30e6),
				mk("raw <&>", "#999", 7e3, 8e3, 15e3, 300e3, 10e6),
				mk("memcpy", "#555", 20, 40, 0, 60e3, 1e6), // 16K failed
			}},
		{Title: "bars", Log: true, Groups: []Group{{Title: "64B", Bars: []Bar{{"x", 3, "#f00", "3µs"}}}}},
	}}
}

func TestLinePanelIsWellFormedSVG(t *testing.T) {
	c := lineChart()
	var b strings.Builder
	if err := c.Write(&b); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	var points []string
	for _, se := range elements(t, b.String()) {
		count[se.Name.Local]++
		for _, a := range se.Attr {
			if se.Name.Local == "polyline" && a.Name.Local == "points" {
				points = append(points, a.Value)
			}
		}
	}
	if got, want := count["polyline"], len(c.Panels[0].Series); got != want {
		t.Errorf("%d polylines, want one per series (%d)", got, want)
	}
	// Markers: 5+5+4 points, plus one swatch per series in the legend.
	if got, want := count["circle"], 5+5+4+3; got != want {
		t.Errorf("%d circles, want %d", got, want)
	}
	if n := len(strings.Fields(points[2])); n != 4 {
		t.Errorf("memcpy polyline has %d points, want 4 (the zero left out): %s", n, points[2])
	}
	if count["rect"] < 3 { // background, plot frame, a bar
		t.Errorf("%d rects: the bar panel below the lines is missing", count["rect"])
	}
	for _, want := range []string{">64B<", ">16M<", ">1K<", ">1µs<", ">10ms<", "raw &lt;&amp;&gt;"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in the chart", want)
		}
	}
}

func TestLogScaleTicks(t *testing.T) {
	x := fitLog(Axis{Base: 2}, []float64{64, 16 << 20}, 100)
	if x.lo != 6 || x.hi != 24 || x.step != 2 {
		t.Fatalf("sizes 64B..16M: exponents %v..%v step %v, want 6..24 step 2", x.lo, x.hi, x.step)
	}
	if n := len(x.majors()); n != 10 {
		t.Errorf("%d major ticks, want 10 (64B, 256B, … 16M)", n)
	}
	if got := x.pos(64); got != 0 {
		t.Errorf("pos(64) = %v, want 0", got)
	}
	if got := x.pos(16 << 20); got != 100 {
		t.Errorf("pos(16M) = %v, want 100", got)
	}
	y := fitLog(Axis{}, []float64{1500, 2e6}, 100)
	if y.lo != 3 || y.hi != 7 || y.step != 1 {
		t.Errorf("1.5µs..2ms: exponents %v..%v step %v, want 3..7 step 1", y.lo, y.hi, y.step)
	}
	one := fitLog(Axis{}, []float64{1000}, 100)
	if one.hi <= one.lo {
		t.Errorf("one value: empty range %v..%v", one.lo, one.hi)
	}
	for _, c := range []struct {
		got, want string
	}{
		{SizeTick(64), "64B"}, {SizeTick(1 << 10), "1K"}, {SizeTick(256 << 10), "256K"}, {SizeTick(16 << 20), "16M"},
		{DurationTick(100), "100ns"}, {DurationTick(1e3), "1µs"}, {DurationTick(10e6), "10ms"}, {DurationTick(2e9), "2s"},
	} {
		if c.got != c.want {
			t.Errorf("tick %q, want %q", c.got, c.want)
		}
	}
}
