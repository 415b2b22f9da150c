package reliability

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/postbox-ipc/postbox"
)

// Message IDs the suite's receiver understands.
const (
	idLoad  = postbox.App + 1 // W client, L sequence: answer the tag and CRC, echo the data
	idPost  = postbox.App + 2 // W stream, L sequence: count, and check the order
	idBlock = postbox.App + 3 // announce L, then wait for the context to end
	idHold  = postbox.App + 4 // wait for the context to end, quietly
	idStats = postbox.App + 5 // answer the counters as JSON
	idSleep = postbox.App + 6 // sleep W milliseconds whatever the context says, answer L
	idEcho  = postbox.App + 7 // answer L and the data
	idNap   = postbox.App + 8 // sleep W milliseconds or until the context ends
	idWho   = postbox.App + 9 // answer the receiver's incarnation number
)

// stats are the receiver's counters, as idStats returns them.
type stats struct {
	Sends       int64   `json:"sends"`             // idLoad messages handled
	Duplicates  int64   `json:"duplicates"`        // idLoad (client, seq) pairs seen before
	Posts       int64   `json:"posts"`             // idPost messages handled
	OutOfOrder  int64   `json:"out_of_order"`      // posts whose sequence was not the next of their stream
	Held        int64   `json:"held"`              // idHold/idBlock handlers whose context ended
	Naps        int64   `json:"naps"`              // idNap handlers
	NapsCut     int64   `json:"naps_cut"`          // idNap handlers whose context ended first
	NapLagMax   int64   `json:"nap_lag_max"`       // ns from a nap's deadline to its context ending, at most
	SleepsCut   int64   `json:"sleeps_cut"`        // idSleep handlers whose context ended while they slept
	SleepLagMax int64   `json:"sleep_lag_max"`     // ns from a sleeper's deadline to its context ending, at most
	Handled     []int64 `json:"handled,omitempty"` // with W=1 in the request: every idLoad tag, in order
}

// server is the suite's handler, in a child process or in the test's own.
type server struct {
	id       int64           // this incarnation's random number
	announce func(seq int64) // called when an idBlock message starts
	wake     chan struct{}   // closed to end every idSleep early

	mu   sync.Mutex
	st   stats
	seen map[int64]struct{}
	tags []int64
	next map[int64]int64 // per post stream: the sequence expected next
}

func newServer(announce func(int64)) *server {
	return &server{id: rand.Int64N(1 << 62), announce: announce, wake: make(chan struct{}), seen: make(map[int64]struct{}), next: make(map[int64]int64)}
}

// tag packs a client number and a sequence number into one int64.
func tag(client, seq int64) int64 { return client<<40 | seq }

func (s *server) ServeMessage(ctx context.Context, m *postbox.Message) (postbox.Reply, error) {
	switch m.ID {
	case idLoad:
		return s.load(m), nil
	case idPost:
		s.post(m)
		return postbox.Reply{}, nil
	case idBlock, idHold:
		if m.ID == idBlock && s.announce != nil {
			s.announce(m.L)
		}
		<-ctx.Done()
		s.mu.Lock()
		s.st.Held++
		s.mu.Unlock()
		return postbox.Reply{}, ctx.Err()
	case idNap:
		return s.nap(ctx, time.Duration(m.W)*time.Millisecond)
	case idWho:
		return postbox.Reply{Result: s.id}, nil
	case idStats:
		return s.stats(m.W == 1, int(m.L)), nil
	case idSleep:
		return s.sleep(ctx, time.Duration(m.W)*time.Millisecond, m.L), nil
	case idEcho:
		return postbox.Reply{Result: m.L, Data: m.Data}, nil
	}
	return postbox.Reply{}, fmt.Errorf("reliability: unknown message %#x", m.ID)
}

// load answers Result = CRC-32 of the data and Data = the 16-byte tag
// followed by the data, so the sender can check all three.
func (s *server) load(m *postbox.Message) postbox.Reply {
	t := tag(m.W, m.L)
	s.mu.Lock()
	if _, dup := s.seen[t]; dup {
		s.st.Duplicates++
	}
	s.seen[t] = struct{}{}
	s.tags = append(s.tags, t)
	s.st.Sends++
	s.mu.Unlock()
	out := make([]byte, 16+len(m.Data))
	binary.LittleEndian.PutUint64(out, uint64(m.W))
	binary.LittleEndian.PutUint64(out[8:], uint64(m.L))
	copy(out[16:], m.Data)
	return postbox.Reply{Result: int64(crc32.ChecksumIEEE(m.Data)), Data: out}
}

// sleep sleeps d whatever the context says (until the test wakes it), and
// counts whether the context ended meanwhile.
func (s *server) sleep(ctx context.Context, d time.Duration, result int64) postbox.Reply {
	stop := context.AfterFunc(ctx, func() {
		var lag time.Duration
		if dl, ok := ctx.Deadline(); ok {
			lag = time.Since(dl)
		}
		s.mu.Lock()
		s.st.SleepsCut++
		s.st.SleepLagMax = max(s.st.SleepLagMax, int64(lag))
		s.mu.Unlock()
	})
	defer stop()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-s.wake:
	}
	return postbox.Reply{Result: result}
}

// nap sleeps d unless the context ends first, and counts which came.
func (s *server) nap(ctx context.Context, d time.Duration) (postbox.Reply, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		s.mu.Lock()
		s.st.Naps++
		s.mu.Unlock()
		return postbox.Reply{}, nil
	case <-ctx.Done():
	}
	var lag time.Duration
	if dl, ok := ctx.Deadline(); ok {
		lag = time.Since(dl)
	}
	s.mu.Lock()
	s.st.Naps++
	s.st.NapsCut++
	s.st.NapLagMax = max(s.st.NapLagMax, int64(lag))
	s.mu.Unlock()
	return postbox.Reply{}, ctx.Err()
}

func (s *server) post(m *postbox.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Posts++
	if m.L != s.next[m.W] {
		s.st.OutOfOrder++
	}
	s.next[m.W] = m.L + 1
}

func (s *server) stats(withTags bool, from int) postbox.Reply {
	s.mu.Lock()
	st := s.st
	if withTags && from >= 0 && from < len(s.tags) {
		st.Handled = append([]int64(nil), s.tags[from:min(len(s.tags), from+tagsPerReply)]...)
	}
	s.mu.Unlock()
	b, _ := json.Marshal(st)
	return postbox.Reply{Data: b}
}

// tagsPerReply bounds the tags one stats reply carries (about 400 KB of
// JSON), under the smallest largest message of any transport (NATS: 1 MiB).
const tagsPerReply = 20000

// fetchStats asks the receiver at c for its counters. Messages are handled
// in order per connection, so everything c sent before is counted.
func fetchStats(ctx context.Context, c *postbox.Conn, withTags bool) (stats, error) {
	var st stats
	var w int64
	if withTags {
		w = 1
	}
	var tags []int64
	for {
		rep, err := c.Send(ctx, postbox.Message{ID: idStats, W: w, L: int64(len(tags))})
		if err != nil {
			return st, err
		}
		var page stats
		if err := json.Unmarshal(rep.Data, &page); err != nil {
			return st, err
		}
		if len(tags) == 0 {
			st = page
		}
		tags = append(tags, page.Handled...)
		if len(page.Handled) < tagsPerReply {
			break
		}
	}
	st.Handled = tags
	return st, nil
}
