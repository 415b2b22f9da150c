package shm

import (
	"bytes"
	"fmt"
	"io"
	"net"

	"golang.org/x/sys/unix"

	"github.com/postbox-ipc/postbox/internal/driver"
	"github.com/postbox-ipc/postbox/internal/wire"
)

// maxRights is how many descriptors a Welcome may carry before the set-up
// is refused (it carries one).
const maxRights = 4

// Supported reports whether this OS can carry connections in shared memory.
func Supported() error { return nil }

// Endpoint is the endpoint's side of the upgrade: to a client that asks, it
// sends the Welcome together with a sealed memfd holding two rings of
// ringSize bytes (0: DefaultRingSize; see RingSize) and two arenas of
// arenaSize bytes (see ArenaSize).
func Endpoint(ringSize, arenaSize int) *driver.Upgrade {
	l := layout{sizes: [ringCount]uint64{RingSize(ringSize), RingSize(ringSize)}}
	l.arenas[0], l.arenas[1] = ArenaSize(arenaSize), ArenaSize(arenaSize)
	return &driver.Upgrade{Flag: flag(), Scheme: Scheme,
		Accept: func(c net.Conn, welcome []byte) (net.Conn, error) { return accept(c, welcome, l) }}
}

// Client is the client's side: it asks for the upgrade, and the dial fails
// with ErrUnsupported if the endpoint does not agree.
func Client() *driver.Upgrade {
	return &driver.Upgrade{Flag: flag(), Scheme: Scheme, Receive: receive}
}

// createRegionFunc makes regions; tests replace it to inject failures.
var createRegionFunc = createRegion

// accept creates the region and sends its descriptor with the Welcome, in
// one message so that it cannot arrive without it.
func accept(c net.Conn, welcome []byte, l layout) (net.Conn, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, fmt.Errorf("%w: %T is not a Unix socket", driver.ErrDeclined, c)
	}
	mem, fd, err := createRegionFunc(l)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", driver.ErrDeclined, err)
	}
	n, _, err := uc.WriteMsgUnix(welcome, unix.UnixRights(fd), nil)
	unix.Close(fd)
	if err == nil && n != len(welcome) {
		err = io.ErrShortWrite
	}
	if err != nil {
		unmap(mem)
		return nil, err
	}
	return newConn(uc, mem, l, true), nil
}

// receive reads the Welcome and the descriptor that comes with it, checks
// and maps the region, and returns the shared-memory Conn.
func receive(c net.Conn) (*wire.Welcome, net.Conn, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, nil, fmt.Errorf("%w: %T is not a Unix socket", ErrUnsupported, c)
	}
	head, fds, err := readWithRights(uc, wire.WelcomeSize)
	if err != nil {
		return nil, nil, err
	}
	w, err := wire.ReadWelcome(io.MultiReader(bytes.NewReader(head), c))
	switch {
	case err != nil:
	case w.Status != wire.StatusOK:
		closeAll(fds)
		return w, c, nil
	case w.Flags&uint32(flag()) == 0:
		err = fmt.Errorf("%w: the endpoint does not offer it", ErrUnsupported)
	case len(fds) != 1:
		err = corrupt("the Welcome carried %d descriptors, want 1", len(fds))
	}
	if err != nil {
		closeAll(fds)
		return nil, nil, err
	}
	mem, l, err := openRegion(fds[0])
	unix.Close(fds[0])
	if err != nil {
		return nil, nil, err
	}
	return w, newConn(uc, mem, l, false), nil
}

// readWithRights reads exactly n bytes and any descriptors sent with them.
func readWithRights(uc *net.UnixConn, n int) ([]byte, []int, error) {
	buf := make([]byte, n)
	oob := make([]byte, unix.CmsgSpace(4*maxRights))
	var fds []int
	for got := 0; got < n; {
		k, oobn, flags, _, err := uc.ReadMsgUnix(buf[got:], oob)
		got += k
		more, perr := parseRights(oob[:oobn])
		fds = append(fds, more...)
		switch {
		case err != nil:
		case perr != nil:
			err = perr
		case flags&unix.MSG_CTRUNC != 0:
			err = corrupt("more than %d descriptors with the Welcome", maxRights)
		case k == 0:
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			closeAll(fds)
			return nil, nil, err
		}
	}
	return buf, fds, nil
}

// parseRights extracts the descriptors from control messages.
func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, corrupt("control message: %v", err)
	}
	var fds []int
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_RIGHTS {
			continue
		}
		more, err := unix.ParseUnixRights(&m)
		if err != nil {
			closeAll(fds)
			return nil, corrupt("descriptors: %v", err)
		}
		fds = append(fds, more...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
