package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sweepReport has four sizes; memcpy failed at the largest and grpc has
// only 8-caller cells, so it gets no line.
func sweepReport() *Report {
	sizes := []int{64, 1 << 10, 1 << 20, 16 << 20}
	r := newReport(Config{Sizes: sizes, Callers: []int{1, 8}, Duration: time.Second})
	r.Cases = []CaseInfo{{Name: "unix", Group: GroupPostbox}, {Name: "shm", Group: GroupPostbox},
		{Name: RawRef, Group: GroupBaseline}, {Name: "memcpy", Group: GroupBaseline},
		{Name: "shmipc", Group: GroupPeer}, {Name: "grpc", Group: GroupPeer}}
	for i, size := range sizes {
		for j, ci := range r.Cases {
			p50 := time.Duration((j+1)*(i+1)) * 10 * time.Microsecond
			c := Cell{Case: ci.Name, Group: ci.Group, Mode: ModeSend, Size: size, Callers: 1, Ops: 10, Seconds: 1,
				OpsPerSec: 10, Latency: &Latency{P50: p50, P90: p50, P99: p50, P999: p50, Min: p50, Max: p50, Mean: p50}}
			switch {
			case ci.Name == "grpc":
				c.Callers = 8
			case ci.Name == "memcpy" && size == 16<<20:
				c = Cell{Case: ci.Name, Group: ci.Group, Mode: ModeSend, Size: size, Callers: 1, Err: "too big"}
			}
			r.Cells = append(r.Cells, c)
		}
	}
	r.analyze()
	return r
}

// svgElements parses an SVG and returns its start elements in order.
func svgElements(t *testing.T, svg string) []xml.StartElement {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	var out []xml.StartElement
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			out = append(out, se.Copy())
		}
	}
}

func TestWriteChartSweepPanel(t *testing.T) {
	var b bytes.Buffer
	if err := sweepReport().WriteChart(&b); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	var lines []int // points per polyline
	colors := map[string]bool{}
	for _, se := range svgElements(t, svg) {
		if se.Name.Local != "polyline" {
			continue
		}
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "points":
				lines = append(lines, len(strings.Fields(a.Value)))
			case "stroke":
				colors[a.Value] = true
			}
		}
	}
	// unix, shm, raw-unix, memcpy (3 points: its 16M cell failed), shmipc.
	if want := []int{4, 4, 4, 3, 4}; !reflect.DeepEqual(lines, want) {
		t.Errorf("points per line %v, want %v", lines, want)
	}
	if len(colors) != len(lines) {
		t.Errorf("%d colours for %d lines: %v", len(colors), len(lines), colors)
	}
	title := strings.Index(svg, "p50 vs payload size")
	bars := strings.Index(svg, "Send round trip p50, 1 caller")
	if title < 0 || bars < 0 || title > bars {
		t.Errorf("the sweep panel is not above the bar panels (at %d, bars at %d)", title, bars)
	}
	for _, want := range []string{">16M<", ">64B<", "µs<", "shmipc 1K: p50"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}

func TestWriteChartNoSweepPanelForFewSizes(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteChart(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<polyline") || strings.Contains(b.String(), "vs payload size") {
		t.Error("a one-size report got a line panel")
	}
}

func TestSweepFlag(t *testing.T) {
	for _, c := range []struct {
		args     []string
		sizes    []int
		duration time.Duration
	}{
		{nil, DefaultSizes, DefaultDuration},
		{[]string{"-sweep"}, SweepSizes, DefaultDuration},
		{[]string{"-sweep", "-sizes", "1K,2M"}, []int{1 << 10, 2 << 20}, DefaultDuration},
		{[]string{"-sweep", "-quick"}, SweepSizes, 100 * time.Millisecond},
		{[]string{"-sweep", "-duration", "50ms"}, SweepSizes, 50 * time.Millisecond},
	} {
		cmd := &Command{Prog: "bench"}
		var f flags
		fs := cmd.flagSet(io.Discard, &f)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := cmd.config(fs, &f)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if !reflect.DeepEqual(cfg.Sizes, c.sizes) || cfg.Duration != c.duration {
			t.Errorf("%v: sizes %v, duration %v; want %v, %v", c.args, cfg.Sizes, cfg.Duration, c.sizes, c.duration)
		}
	}
	if got, want := formatSizes(SweepSizes), "64,1K,4K,16K,64K,256K,1M,4M,16M"; got != want {
		t.Errorf("sweep sizes written %q, want %q", got, want)
	}
}

func TestModesFlag(t *testing.T) {
	for _, c := range []struct {
		arg  string
		want []Mode
		err  bool
	}{
		{"", nil, false},
		{"send", []Mode{ModeSend}, false},
		{"post,send", []Mode{ModePost, ModeSend}, false},
		{"sned", nil, true},
	} {
		cmd := &Command{Prog: "bench"}
		var f flags
		fs := cmd.flagSet(io.Discard, &f)
		if err := fs.Parse([]string{"-modes", c.arg}); err != nil {
			t.Fatal(err)
		}
		cfg, err := cmd.config(fs, &f)
		if (err != nil) != c.err || !reflect.DeepEqual(cfg.Modes, c.want) {
			t.Errorf("-modes %q: %v, %v; want %v (error: %v)", c.arg, cfg.Modes, err, c.want, c.err)
		}
	}
}
