// Package session runs the Postbox wire protocol (internal/wire) over any
// stream — a Unix socket, a named pipe, a TCP connection. Client is the
// sending side of one connection; Serve runs the receiving side and feeds an
// endpoint's dispatch loop. Stream transports are thin wrappers around it.
package session
