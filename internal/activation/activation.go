// Package activation takes over the listening sockets a service manager
// hands to a process it starts: systemd's socket activation protocol
// (sd_listen_fds). The manager listens on the service's socket, starts the
// service on the first connection, and passes the socket as file descriptor
// 3 (and up) with these variables:
//
//	LISTEN_PID      the PID the sockets are meant for: this process, or they are not ours
//	LISTEN_FDS      how many descriptors, from 3
//	LISTEN_FDNAMES  their names, colon-separated (FileDescriptorName=)
//
// The first call reads them, marks the descriptors close-on-exec and unsets
// the variables, so children neither inherit the sockets nor believe they
// were meant for them. An endpoint then takes the socket named after it, or
// the only one passed.
package activation

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// firstFD is the first descriptor passed (SD_LISTEN_FDS_START).
const firstFD = 3

// maxFDs bounds LISTEN_FDS, against a garbled environment.
const maxFDs = 1024

// ErrNone reports that the process was not started with sockets.
var ErrNone = errors.New("no sockets passed by socket activation (LISTEN_PID/LISTEN_FDS)")

// passed is one inherited descriptor.
type passed struct {
	fd    int
	name  string
	taken bool
}

var (
	mu      sync.Mutex
	loaded  bool
	sockets []*passed
	loadErr error
)

// load reads and unsets the environment, once.
func load() {
	if loaded {
		return
	}
	loaded = true
	pid, fds, names := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_FDNAMES")
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	if pid == "" && fds == "" {
		return
	}
	if p, err := strconv.Atoi(pid); err != nil || p != os.Getpid() {
		// Meant for another process (inherited from a parent): not ours.
		return
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 0 || n > maxFDs {
		loadErr = fmt.Errorf("socket activation: LISTEN_FDS=%q is not a count of descriptors", fds)
		return
	}
	var nameList []string
	if names != "" {
		nameList = strings.Split(names, ":")
	}
	for i := range n {
		p := &passed{fd: firstFD + i}
		if i < len(nameList) {
			p.name = nameList[i]
		}
		closeOnExec(p.fd)
		sockets = append(sockets, p)
	}
}

// Count reports how many sockets this process was started with.
func Count() int {
	mu.Lock()
	defer mu.Unlock()
	load()
	return len(sockets)
}

// Listen takes the inherited socket for the endpoint name: the one whose
// FileDescriptorName is name, else the only one passed. It must be a
// listening stream socket of the family the caller wants ("unix");
// anything else fails, naming what was found. The returned listener owns
// a duplicate; the original descriptor is closed.
func Listen(name, network string) (net.Listener, error) {
	mu.Lock()
	defer mu.Unlock()
	load()
	if loadErr != nil {
		return nil, loadErr
	}
	if len(sockets) == 0 {
		return nil, ErrNone
	}
	p := pick(name)
	if p == nil {
		return nil, fmt.Errorf("socket activation: %d socket(s) passed (names %q), none named %q and more than one to choose from (set FileDescriptorName=%s)",
			len(sockets), names(), name, name)
	}
	if p.taken {
		return nil, fmt.Errorf("socket activation: the socket named %q was already taken", p.name)
	}
	if err := check(p.fd, network); err != nil {
		return nil, fmt.Errorf("socket activation: descriptor %d (%q): %w", p.fd, p.name, err)
	}
	f := os.NewFile(uintptr(p.fd), p.name)
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("socket activation: descriptor %d: %w", p.fd, err)
	}
	p.taken = true
	return ln, nil
}

func pick(name string) *passed {
	for _, p := range sockets {
		if p.name == name {
			return p
		}
	}
	if len(sockets) == 1 {
		return sockets[0]
	}
	return nil
}

func names() []string {
	out := make([]string, len(sockets))
	for i, p := range sockets {
		out[i] = p.name
	}
	return out
}

// reset forgets what load found; for tests only.
func reset() {
	mu.Lock()
	defer mu.Unlock()
	loaded, sockets, loadErr = false, nil, nil
}
