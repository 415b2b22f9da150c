package bench

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress is told as cells start and finish. Run calls it from one
// goroutine.
type Progress interface {
	// Begin announces how many cells the run has.
	Begin(total int)
	// Cell says cell number i (from 0) starts; only its identity is set.
	Cell(i int, c Cell)
	// Done says cell i finished, with its figures or error.
	Done(i int, c Cell)
	// End says the run is over.
	End()
}

type nopProgress struct{}

func (nopProgress) Begin(int)      {}
func (nopProgress) Cell(int, Cell) {}
func (nopProgress) Done(int, Cell) {}
func (nopProgress) End()           {}

// NewProgress reports to w: on a terminal, one status line redrawn in
// place (with the running cell's elapsed time); otherwise one plain line
// per finished cell.
func NewProgress(w io.Writer, terminal bool) Progress {
	if terminal {
		return &liveProgress{w: w}
	}
	return &lineProgress{w: w}
}

// cellName is a cell's identity in a line: "unix send 64B ×8".
func cellName(c Cell) string {
	s := fmt.Sprintf("%s %s %s", c.Case, c.Mode, FormatSize(c.Size))
	if c.Callers > 1 {
		s += fmt.Sprintf(" ×%d", c.Callers)
	}
	return s
}

// cellSummary is a finished cell's headline figure.
func cellSummary(c Cell) string {
	switch {
	case c.Err != "":
		return "error: " + c.Err
	case c.Mode == ModeSend && c.Callers == 1 && c.Latency != nil:
		return fmt.Sprintf("p50 %s  p99 %s  %s/s", FormatDur(c.Latency.P50), FormatDur(c.Latency.P99), FormatCount(c.OpsPerSec))
	}
	return fmt.Sprintf("%s msg/s  %s MB/s", FormatCount(c.OpsPerSec), sig3(c.MBPerSec))
}

// lineProgress writes a line per finished cell.
type lineProgress struct {
	w     io.Writer
	total int
}

func (p *lineProgress) Begin(total int) { p.total = total }
func (p *lineProgress) Cell(int, Cell)  {}
func (p *lineProgress) End()            {}
func (p *lineProgress) Done(i int, c Cell) {
	fmt.Fprintf(p.w, "[%*d/%d] %-26s %s\n", width(p.total), i+1, p.total, cellName(c), cellSummary(c))
}

func width(n int) int { return len(fmt.Sprint(n)) }

// liveProgress redraws one line on a terminal, ticking while a cell runs,
// and leaves each finished cell's line above it.
type liveProgress struct {
	w     io.Writer
	total int

	mu    sync.Mutex
	i     int
	cur   Cell
	since time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func (p *liveProgress) Begin(total int) {
	p.total = total
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go p.tick()
}

func (p *liveProgress) tick() {
	defer p.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// draw rewrites the status line. p.mu is held.
func (p *liveProgress) draw() {
	if p.since.IsZero() {
		return
	}
	bar := progressBar(p.i, p.total, 20)
	fmt.Fprintf(p.w, "\r\033[K%s %*d/%d  %s  %.1fs", bar, width(p.total), p.i+1, p.total, cellName(p.cur), time.Since(p.since).Seconds())
}

func progressBar(done, total, n int) string {
	k := 0
	if total > 0 {
		k = done * n / total
	}
	b := make([]rune, n)
	for i := range b {
		b[i] = '·'
		if i < k {
			b[i] = '█'
		}
	}
	return "[" + string(b) + "]"
}

func (p *liveProgress) Cell(i int, c Cell) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.i, p.cur, p.since = i, c, time.Now()
	p.draw()
}

func (p *liveProgress) Done(i int, c Cell) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r\033[K[%*d/%d] %-26s %s\n", width(p.total), i+1, p.total, cellName(c), cellSummary(c))
	p.since = time.Time{}
}

func (p *liveProgress) End() {
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
	}
	fmt.Fprint(p.w, "\r\033[K")
}
