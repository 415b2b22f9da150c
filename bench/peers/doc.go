// Package peers adds other Go IPC libraries to the Postbox benchmark, in a
// module of its own so that the core module never depends on them. Importing
// it registers one bench case per library; cmd/peerbench runs them beside
// every Postbox transport and the raw baselines, in one run.
//
// Each peer is used the way its documentation shows, over a Unix socket
// (or its own shared memory, or loopback TCP for NATS), and answers a round
// trip with an echo of the request, like every other case:
//
//	shmipc      github.com/cloudwego/shmipc-go v0.2.0, streams from a SessionManager
//	golang-ipc  github.com/james-barrow/golang-ipc v1.2.4, encryption off
//	grpc        google.golang.org/grpc v1.85.0, unary calls over a Unix socket, a bytes codec
//	net-rpc     the standard library's net/rpc over a Unix socket (gob)
//	mangos      go.nanomsg.org/mangos/v3 v3.4.2, REQ/REP over ipc://
//	nats        github.com/nats-io/nats.go v1.55.0 request/reply through an embedded nats-server v2.15.2
package peers
