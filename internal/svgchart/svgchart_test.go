package svgchart

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func TestWriteIsWellFormedSVG(t *testing.T) {
	c := Chart{Title: "T <&>", Legend: []Key{{"a", "#123456"}}, Panels: []Panel{
		{Title: "log", Log: true, Groups: []Group{{Title: "64B", Bars: []Bar{{"x", 3, "#f00", "3µs"}, {"y", 2000, "#0f0", "2ms"}, {"z", 0, "#00f", "error"}}}}},
		{Title: "linear", Groups: []Group{{Title: "4K", Bars: []Bar{{"x", 42, "#f00", "42"}}}}},
	}}
	var b strings.Builder
	if err := c.Write(&b); err != nil {
		t.Fatal(err)
	}
	rects := 0
	for _, se := range elements(t, b.String()) {
		if se.Name.Local == "rect" {
			rects++
		}
	}
	// background + legend + three bars with a value.
	if rects != 1+1+3 {
		t.Errorf("%d rects, want 5", rects)
	}
	if !strings.Contains(b.String(), "T &lt;&amp;&gt;") {
		t.Error("title not escaped")
	}
}

func TestScale(t *testing.T) {
	p := Panel{Log: true, Groups: []Group{{Bars: []Bar{{Value: 2}, {Value: 2000}}}}}
	s := p.scale()
	if s.lo != 0 || s.hi != 4 {
		t.Fatalf("log range %v..%v, want 0..4", s.lo, s.hi)
	}
	if got := s.pos(100); got != plotW/2 {
		t.Errorf("pos(100) = %v, want %v", got, plotW/2)
	}
	for _, c := range []struct {
		v    float64
		want string
	}{{1, "1"}, {1500, "1.5k"}, {1e6, "1M"}, {0.1, "0.1"}} {
		if got := tickText(c.v); got != c.want {
			t.Errorf("tickText(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// elements parses svg, failing t unless it is well-formed XML, and returns
// its start elements in order.
func elements(t *testing.T, svg string) []xml.StartElement {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	var out []xml.StartElement
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			out = append(out, se.Copy())
		}
	}
}
