// Package shm carries a Postbox connection through shared memory: two
// single-producer/single-consumer byte rings in one sealed memfd, one ring
// per direction, negotiated over the endpoint's Unix socket (see
// upgrade_linux.go). The rings are wrapped in a net.Conn (Conn), so the
// ordinary session protocol — frames, credit, ordering, Flush accounting,
// errors — runs over them unchanged.
//
// # Layout
//
// The region starts with a 4 KiB control page and two pages of return
// ring for each arena, then ring 0's data (client to endpoint), ring 1's
// data (endpoint to client), arena 0 and arena 1:
//
//	0      8  magic "PBXSHM2\x00"
//	8      8  size of ring 0 in bytes (a power of two)
//	16     8  size of ring 1 in bytes
//	24     8  size of arena 0 in bytes (whole pages; 0 for none)
//	32     8  size of arena 1 in bytes
//	256    4  the endpoint's CPU hint: 1 + the CPU it last ran on
//	384    4  the client's CPU hint
//	1024   512  ring 0 control block
//	1536   512  ring 1 control block
//	4096   8192  arena 0's return ring: head, tail, 992 offsets
//	12288  8192  arena 1's return ring
//	20480  ring 0 data, ring 1 data, arena 0, arena 1
//
// A control block holds four words, each on its own 128-byte line so the
// producer's and the consumer's writes never share a cache line:
//
//	0    head     bytes written so far by the producer (uint64, free-running)
//	128  tail     bytes read so far by the consumer (uint64, free-running)
//	256  dataWait how the consumer sleeps waiting for data: 0 awake,
//	              1 in a futex wait, 2 parked until a doorbell
//	384  roomWait the same for the producer waiting for room
//
// # Trust
//
// The peer can write anything anywhere in the region at any time. Each side
// therefore keeps its own index (the producer its head, the consumer its
// tail) in local memory and only publishes it; the one index it reads from
// the peer is loaded once into a local and checked (0 ≤ head−tail ≤ size,
// in wrapping uint64 arithmetic) before use. The sizes are read once at
// set-up and checked against the sealed file's size. The wait words are
// only hints: a peer that lies about them can cost this side a spurious
// system call or a sleep until its own deadline, never a hang past Close or
// an out-of-bounds access. A broken invariant returns ErrRingCorrupt, which
// matches transport.ErrProtocol.
//
// # Arenas
//
// A payload built in the arena of its direction (Borrow) travels as a
// descriptor instead (Share, Resolve, Return; see arena.go): the lender
// keeps locally which pages it lent, the borrower which pages it holds,
// and each checks what the other publishes — a descriptor outside the
// arena or over pages still held, an offset given back that was not lent
// — returning ErrRingCorrupt. When the Conn closes, pages still borrowed
// or held are moved to private memory at the same addresses (mremap), so
// slices into them stay valid until given back.
//
// # Waiting
//
// A reader or writer that must wait spins for a bounded, adaptive time
// (spin.go), then sleeps on a futex word in the region; after a few
// milliseconds it parks its goroutine instead, to be woken by a doorbell
// byte on the socket, so that idle connections hold no threads
// (doorbell.go). It does not spin at all while the peer's CPU hint names
// its own CPU — the peer cannot run until it stops — and tries to move
// itself to another CPU instead (cpuhint.go, affinity_linux.go). The other
// side wakes a sleeper with at most one system call per sleep: only when
// the word says someone sleeps, and only the first publication after it.
// Deadlines, Close and the peer's death (its socket closing) wake a
// sleeper too.
package shm
