package stats

import "time"

// Local are one connection's counters as plain fields, for a writer that
// already holds a lock (the endpoint loop's): on the hot path they cost a
// few ordinary additions where Counters cost atomic ones. The caller guards
// every method with its lock.
type Local struct {
	sends    uint64
	posts    uint64
	bytesIn  uint64
	bytesOut uint64
	errs     [numKinds]uint64
	buckets  [numBuckets]uint64
	sum      int64
}

// Received counts a message accepted into the queue.
func (c *Local) Received(send bool, size int) {
	if send {
		c.sends++
	} else {
		c.posts++
	}
	c.bytesIn += uint64(size)
}

// Handled counts a message the handler ran for; see Counters.Handled.
func (c *Local) Handled(d time.Duration, replySize int, kind Kind) {
	c.buckets[bucket(d)]++
	c.sum += int64(d)
	c.bytesOut += uint64(replySize)
	c.errs[kind]++ // kind 0, no error, is never reported
}

// Error counts one error of kind k.
func (c *Local) Error(k Kind) {
	if k > 0 && k < numKinds {
		c.errs[k]++
	}
}

// AddTo adds c's values to s.
func (c *Local) AddTo(s *Counts) {
	s.Sends += c.sends
	s.Posts += c.posts
	s.BytesIn += c.bytesIn
	s.BytesOut += c.bytesOut
	for k := Kind(1); k < numKinds; k++ {
		if n := c.errs[k]; n > 0 {
			if s.Errors == nil {
				s.Errors = make(map[string]uint64)
			}
			s.Errors[k.String()] += n
		}
	}
	if s.Latency.Counts == nil {
		s.Latency.Counts = make([]uint64, numBuckets)
	}
	for i, n := range c.buckets {
		s.Latency.Counts[i] += n
	}
	s.Latency.Sum += time.Duration(c.sum)
	s.Handled = s.Latency.Count()
}

// Fold adds c's values into dst, for a connection that is gone.
func (c *Local) Fold(dst *Local) {
	dst.sends += c.sends
	dst.posts += c.posts
	dst.bytesIn += c.bytesIn
	dst.bytesOut += c.bytesOut
	for k := range c.errs {
		dst.errs[k] += c.errs[k]
	}
	for i := range c.buckets {
		dst.buckets[i] += c.buckets[i]
	}
	dst.sum += c.sum
}
