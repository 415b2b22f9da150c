package stats

import (
	"sync/atomic"
	"time"
)

// Counters are the live counters of one connection, or of an endpoint as a
// whole. The zero value is ready; every method is safe for concurrent use
// and does not allocate.
type Counters struct {
	sends    atomic.Uint64
	posts    atomic.Uint64
	bytesIn  atomic.Uint64
	bytesOut atomic.Uint64
	errs     [numKinds]atomic.Uint64
	lat      histogram
}

// Received counts a message accepted into the queue.
func (c *Counters) Received(send bool, size int) {
	if send {
		c.sends.Add(1)
	} else {
		c.posts.Add(1)
	}
	if size > 0 {
		c.bytesIn.Add(uint64(size))
	}
}

// Handled counts a message the handler ran for, with how long it took, the
// reply's size and the handler's error kind (0 for none).
func (c *Counters) Handled(d time.Duration, replySize int, kind Kind) {
	c.lat.observe(d) // its count is the handled count
	if replySize > 0 {
		c.bytesOut.Add(uint64(replySize))
	}
	if kind != 0 {
		c.errs[kind].Add(1)
	}
}

// Error counts one error of kind k.
func (c *Counters) Error(k Kind) {
	if k > 0 && k < numKinds {
		c.errs[k].Add(1)
	}
}

// AddTo adds c's current values to s.
func (c *Counters) AddTo(s *Counts) {
	s.Sends += c.sends.Load()
	s.Posts += c.posts.Load()
	s.BytesIn += c.bytesIn.Load()
	s.BytesOut += c.bytesOut.Load()
	for k := Kind(1); k < numKinds; k++ {
		if n := c.errs[k].Load(); n > 0 {
			if s.Errors == nil {
				s.Errors = make(map[string]uint64)
			}
			s.Errors[k.String()] += n
		}
	}
	c.lat.addTo(&s.Latency)
	s.Handled = s.Latency.Count()
}

// Fold adds c's values into dst, for a connection that is gone: its counts
// stay in the endpoint's totals.
func (c *Counters) Fold(dst *Counters) {
	dst.sends.Add(c.sends.Load())
	dst.posts.Add(c.posts.Load())
	dst.bytesIn.Add(c.bytesIn.Load())
	dst.bytesOut.Add(c.bytesOut.Load())
	for k := range c.errs {
		dst.errs[k].Add(c.errs[k].Load())
	}
	c.lat.fold(&dst.lat)
}

// Counts is a snapshot of Counters.
type Counts struct {
	// Sends and Posts count the messages accepted into the endpoint's
	// queue: SendMessage-style and PostMessage-style.
	Sends uint64 `json:"sends"`
	Posts uint64 `json:"posts"`
	// Handled counts the messages the handler ran for (returned or
	// panicked).
	Handled uint64 `json:"handled"`
	// BytesIn and BytesOut are payload bytes: messages received and
	// replies sent.
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
	// Errors counts errors by kind: "handler", "panic", "timeout",
	// "canceled", "too_large", "denied", "closed", "no_endpoint",
	// "queue_full", "protocol", "refused", "dropped", "handshake",
	// "busy", "memory" (ended to stay within the memory budget),
	// "stalled" (a frame stopped arriving). Kinds that never happened are
	// absent.
	Errors map[string]uint64 `json:"errors,omitempty"`
	// Latency is the distribution of handling times: from the handler's
	// start to its return.
	Latency Histogram `json:"latency"`
}

// ErrorCount is the total of Errors.
func (c Counts) ErrorCount() uint64 {
	var n uint64
	for _, v := range c.Errors {
		n += v
	}
	return n
}
