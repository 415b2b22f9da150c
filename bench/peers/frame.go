package peers

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// Stream-shaped peers (shmipc streams) carry the same framing as the raw
// baselines: an 8-byte header (kind, length) and the payload.
const (
	kindPing = 1 // echo me
	kindOne  = 2 // one way: count me
	kindSync = 3 // answer once everything before me is read
	hdrSize  = 8
)

func putHdr(b []byte, kind uint32, n int) {
	binary.LittleEndian.PutUint32(b, kind)
	binary.LittleEndian.PutUint32(b[4:], uint32(n))
}

func getHdr(b []byte) (kind uint32, n int) {
	return binary.LittleEndian.Uint32(b), int(binary.LittleEndian.Uint32(b[4:]))
}

// checkEcho fails a round trip whose answer has the wrong length.
func checkEcho(got, want int) error {
	if got != want {
		return fmt.Errorf("peers: echo of %d bytes for a %d-byte request", got, want)
	}
	return nil
}

// sendOnly is embedded by clients of cases without a one-way mode.
type sendOnly struct{}

func (sendOnly) Post(context.Context, []byte) error { return errors.ErrUnsupported }
func (sendOnly) Flush(context.Context) error        { return nil }
