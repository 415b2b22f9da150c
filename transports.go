package postbox

import (
	"github.com/postbox-ipc/postbox/driver"

	// The default transports register themselves.
	_ "github.com/postbox-ipc/postbox/transport/inproc"
	_ "github.com/postbox-ipc/postbox/transport/shm"
	_ "github.com/postbox-ipc/postbox/transport/tcp"
	_ "github.com/postbox-ipc/postbox/transport/unix"
)

// Transport carries messages for one address scheme ("unix", "tcp", …).
// Transports register themselves by scheme; a program names one only to
// give an endpoint or a dialer its own configured instance, through
// ListenConfig.Transports or Dialer.Transports — for example a *tcp.Transport
// with TLS settings. Package driver explains how to write one.
type Transport = driver.Transport
