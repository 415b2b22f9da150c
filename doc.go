// Package postbox is inter-process communication with one message API over
// every way two processes can talk: Send waits for the receiver's answer,
// Post does not. It follows the Windows message model, so a Win32 or .NET
// programmer finds what they know, with data, across processes, on every OS.
//
// # Concepts
//
//	Windows                                Postbox
//	window + window procedure              Endpoint with a Handler
//	FindWindow, Process.MainWindowHandle   Dial(ctx, "viewer"), FindPID, List
//	UINT msg, WPARAM, LPARAM               Message{ID, W, L, Data}
//	WM_COPYDATA, WM_USER, WM_APP           CopyData, User, App (same numbers)
//	SendMessage / SendMessageTimeout       Conn.Send(ctx, m) — deadline from ctx
//	SendMessageCallback                    Conn.SendAsync(ctx, m, func(Reply, error))
//	PostMessage, SendNotifyMessage         Conn.Post(ctx, m) — with data
//	HWND_BROADCAST                         Broadcast(ctx, m)
//	LRESULT                                Reply{Result, Data}
//	switch (m.Msg) in WndProc              Mux
//
// # Addresses
//
// A bare name ("viewer") is an endpoint in the user's namespace on the
// platform's default transport: Unix sockets on Linux and macOS. Other forms
// name a transport: "unix:viewer", "unix:/run/app/viewer.sock",
// "inproc:viewer" (same process, no system call), "shm:viewer" (Linux: the same
// endpoint's socket, upgraded in the handshake to shared-memory rings — the
// fastest path between two processes; every unix endpoint accepts it).
// Transports() lists those compiled in.
//
// Across hosts: "tcp://host:7000" (package transport/tcp; TLS 1.3 and client
// authentication off loopback), reached by listing the address in
// ListenConfig.Also, and "nats://host:4222/viewer" through a NATS server
// (module github.com/postbox-ipc/postbox/transport/nats, enabled by a blank
// import). ListenConfig.Transports and Dialer.Transports give an endpoint or
// a dialer its own configured transport, such as a *tcp.Transport with TLS.
//
// # Semantics
//
// Messages from one connection are handled in the order sent; an endpoint
// handles one message at a time unless ListenConfig.Concurrency says more.
// Send returns the handler's reply or an error that says which of: no such
// endpoint (ErrNoEndpoint), timed out (ErrTimeout), receiver died
// (ErrPeerGone), handler failed or panicked (*RemoteError), too large
// (ErrTooLarge), denied (ErrDenied). The sender's deadline and cancellation
// reach the handler's context.
//
// Post is asynchronous but never silently lossy: each connection has a
// bounded queue at the receiver (10,000 messages by default); Post waits for
// room until its context ends, TryPost fails with ErrQueueFull at once.
// Flush and Close wait until the receiver has accepted every posted message
// and report, as a *LostError, any it never confirmed.
//
// A panicking handler, a slow handler, or a dead or malicious peer never
// takes the other process down or hangs it: panics are recovered and
// reported, every wait has a context, peers are identified by the kernel
// (Message.From) and by default only the same user may connect.
//
// # Buffers
//
// A caller may reuse what it passed to Send, SendAsync, Post or TryPost as
// soon as the call returns, and what a handler or a caller receives
// (Message.Data, Reply.Data) is its own to keep — on every transport.
// ListenConfig.ReuseBuffers, ListenConfig.InPlace, Dialer.InPlace and
// Dialer.NoCopy trade that for speed, each documenting its contract. Conn.Borrow and Borrow
// lend buffers that travel without a copy over shared memory; passing one
// to a call gives it back.
//
// # Concurrency
//
// Endpoint, Conn and Mux are safe for concurrent use. A Conn multiplexes
// any number of outstanding Sends. A Handler may be called from several
// goroutines when Concurrency > 1, but never with two messages of the same
// connection at once.
package postbox
