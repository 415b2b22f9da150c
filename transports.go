package postbox

// The default transports register themselves.
import (
	_ "github.com/postbox-ipc/postbox/transport/inproc"
	_ "github.com/postbox-ipc/postbox/transport/shm"
	_ "github.com/postbox-ipc/postbox/transport/unix"
)
