package shm

import "github.com/postbox-ipc/postbox/internal/wire"

// Scheme names shared-memory connections in Peer.Transport and addresses.
const Scheme = "shm"

// flag is the Hello flag that asks for shared memory.
func flag() uint16 { return wire.HelloWantShm }
