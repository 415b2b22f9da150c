package postbox

import (
	"context"
	"sync"
	"time"
)

// DefaultBroadcastTimeout is how long Broadcast waits for each endpoint.
const DefaultBroadcastTimeout = time.Second

// Result is one endpoint's answer to a Broadcast.
type Result struct {
	Endpoint EndpointInfo
	Reply    Reply
	Err      error
}

// Broadcaster sends one message to every live endpoint (HWND_BROADCAST with
// SendMessageTimeout). The zero value is ready to use.
type Broadcaster struct {
	// Timeout bounds each endpoint's answer on its own, so one hung
	// endpoint costs only its own slot. Zero means DefaultBroadcastTimeout.
	Timeout time.Duration
	// Parallel bounds how many endpoints are asked at once. Zero means 16.
	Parallel int
	// Dialer dials each endpoint.
	Dialer Dialer
}

// Broadcast sends m to every live endpoint and returns one Result per
// endpoint, in List's order, each under its own timeout; see Broadcaster.
func Broadcast(ctx context.Context, m Message) ([]Result, error) {
	var b Broadcaster
	return b.Broadcast(ctx, m)
}

// Broadcast sends m to every live endpoint; see the package function.
func (b *Broadcaster) Broadcast(ctx context.Context, m Message) ([]Result, error) {
	eps, err := List(ctx)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(eps))
	parallel := b.Parallel
	if parallel <= 0 {
		parallel = 16
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, ep := range eps {
		results[i].Endpoint = ep
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i].Reply, results[i].Err = b.one(ctx, ep.Addr(), m)
		}()
	}
	wg.Wait()
	return results, nil
}

func (b *Broadcaster) one(ctx context.Context, addr string, m Message) (Reply, error) {
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = DefaultBroadcastTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := b.Dialer.Dial(ctx, addr)
	if err != nil {
		return Reply{}, err
	}
	defer c.Close()
	return c.Send(ctx, m)
}
