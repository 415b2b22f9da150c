package transport

import "context"

// Conn is the sending side of a connection to one endpoint. Implementations
// are safe for concurrent use. Messages pass by value so that calling through
// the interface does not move them to the heap.
type Conn interface {
	// Send delivers m and waits for the handler's reply, until ctx ends.
	Send(ctx context.Context, m Message) (Reply, error)
	// SendAsync delivers m and calls done with the outcome, from an
	// internal goroutine; done must not block. It never blocks: without
	// queue space done receives ErrQueueFull at once. ctx's deadline
	// reaches the handler, and when ctx ends before the answer, done
	// receives CtxErr(ctx) and the receiver is told to cancel.
	SendAsync(ctx context.Context, m Message, done func(Reply, error))
	// Post delivers m without waiting for the handler, blocking while the
	// receiver's queue is full until ctx ends.
	Post(ctx context.Context, m Message) error
	// TryPost is Post that fails with ErrQueueFull instead of blocking.
	TryPost(m Message) error
	// Flush waits until the receiver has accepted every posted message.
	Flush(ctx context.Context) error
	// Close flushes within a bounded time, then closes the connection;
	// it reports posts that were not confirmed. Close is idempotent.
	Close() error
	// Peer describes the receiving side, as far as the transport knows.
	Peer() Peer
	// MaxSize is the largest payload the receiver accepts.
	MaxSize() int
}

// Endpoint is what a transport needs from the endpoint it serves.
type Endpoint interface {
	// Name is the endpoint's name.
	Name() string
}

// Lender is implemented by connections that can lend buffers in memory
// they share with the peer (see session.Arena): a payload in one travels
// without a copy. Borrow returns nil when it has none to lend.
type Lender interface {
	Borrow(n int) []byte
	Unborrow(p []byte) bool
}
