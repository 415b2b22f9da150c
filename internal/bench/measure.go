package bench

import (
	"context"
	"errors"
	"sync"
	"time"
)

// cellSlack bounds how long a cell may overrun its planned time before its
// context ends it: a hung peer fails the cell, not the run.
const cellSlack = 30 * time.Second

// sample is what one measuring pass produced.
type sample struct {
	ops     int64
	elapsed time.Duration
	hist    *Histogram // round trips only
}

// measureCell dials, warms up, then measures one cell, filling in its
// results or its error.
func (r *runner) measureCell(ctx context.Context, c Case, p Params, addr string, cell *Cell) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Warmup+r.cfg.Duration+cellSlack)
	defer cancel()
	clients, err := dialClients(ctx, c, p, addr, cell.Callers)
	defer closeAll(clients)
	if err != nil {
		cell.Err = err.Error()
		return
	}
	payload := pattern(cell.Size)
	if _, err := runPass(ctx, clients, cell, payload, r.cfg.Warmup); err != nil {
		cell.Err = "warm-up: " + err.Error()
		return
	}
	cpu0 := r.cpu(c)
	s, err := runPass(ctx, clients, cell, payload, r.cfg.Duration)
	cpu := r.cpu(c) - cpu0
	if err != nil {
		cell.Err = err.Error()
		return
	}
	fill(cell, s, cpu)
}

// fill computes a cell's figures from a sample and the CPU time it cost.
func fill(cell *Cell, s sample, cpu time.Duration) {
	cell.Ops = s.ops
	cell.Seconds = s.elapsed.Seconds()
	if s.ops == 0 || s.elapsed <= 0 {
		return
	}
	cell.OpsPerSec = float64(s.ops) / cell.Seconds
	cell.MBPerSec = cell.OpsPerSec * float64(cell.Size) / 1e6
	cell.CPUPerOp = cpu / time.Duration(s.ops)
	if s.hist != nil {
		cell.Latency = s.hist.Latency()
	}
}

// dialClients returns one shared client, or one per caller.
func dialClients(ctx context.Context, c Case, p Params, addr string, callers int) ([]Client, error) {
	n := callers
	if c.Shared {
		n = 1
	}
	var out []Client
	for range n {
		cl, err := c.Dial(ctx, p, addr)
		if err != nil {
			return out, err
		}
		out = append(out, cl)
	}
	return out, nil
}

func closeAll(cs []Client) {
	for _, c := range cs {
		c.Close()
	}
}

// pattern is an n-byte payload that is not all zeros.
func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + 1)
	}
	return p
}

// runPass measures for d: round trips from the cell's callers, or posts
// followed by a flush.
func runPass(ctx context.Context, clients []Client, cell *Cell, payload []byte, d time.Duration) (sample, error) {
	if cell.Mode == ModePost {
		return postPass(ctx, clients[0], payload, d)
	}
	return sendPass(ctx, clients, cell.Callers, payload, d)
}

// sendPass runs callers goroutines, each making round trips until d has
// passed, and merges their histograms.
func sendPass(ctx context.Context, clients []Client, callers int, payload []byte, d time.Duration) (sample, error) {
	hists := make([]Histogram, callers)
	errs := make([]error, callers)
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			c, p, h := clients[i%len(clients)], append([]byte(nil), payload...), &hists[i]
			// At least one round trip each, even when copying a large
			// payload took the caller past the end: a cell is never empty.
			for t0, n := time.Now(), 0; n == 0 || t0.Before(end); t0, n = time.Now(), n+1 {
				if errs[i] = c.Send(ctx, p); errs[i] != nil {
					return
				}
				h.Record(time.Since(t0))
			}
		})
	}
	wg.Wait()
	s := sample{elapsed: time.Since(start), hist: new(Histogram)}
	for i := range hists {
		s.hist.Merge(&hists[i])
	}
	s.ops = int64(s.hist.Count())
	return s, errors.Join(errs...)
}

// postPass posts until d has passed, then flushes; the flush counts in the
// elapsed time.
func postPass(ctx context.Context, c Client, payload []byte, d time.Duration) (sample, error) {
	start := time.Now()
	end := start.Add(d)
	var n int64
	for ; n&7 != 0 || time.Now().Before(end); n++ {
		if err := c.Post(ctx, payload); err != nil {
			return sample{}, err
		}
	}
	if err := c.Flush(ctx); err != nil {
		return sample{}, err
	}
	return sample{ops: n, elapsed: time.Since(start)}, nil
}
