package tcp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/postbox-ipc/postbox/internal/transport"
)

// serverTLS returns the listener's TLS configuration (nil for plain TCP),
// refusing an insecure setup on a non-loopback address.
func (t *Transport) serverTLS(loopback bool) (*tls.Config, error) {
	if t.TLS == nil {
		if !loopback {
			return nil, ErrInsecure
		}
		return nil, nil
	}
	tc := t.TLS.Clone()
	tc.MinVersion, tc.MaxVersion = tls.VersionTLS13, 0
	if len(tc.Certificates) == 0 && tc.GetCertificate == nil && tc.GetConfigForClient == nil {
		return nil, fmt.Errorf("%w: tcp: the TLS configuration has no server certificate", transport.ErrBadAddress)
	}
	if !loopback && tc.ClientAuth != tls.RequireAndVerifyClientCert && t.Token == "" {
		return nil, ErrInsecure
	}
	return tc, nil
}

// clientTLS runs the TLS handshake when TLS applies (configured, or a
// non-loopback host) and records the server's identity in peer. It returns
// the connection to speak Postbox on.
func (t *Transport) clientTLS(ctx context.Context, raw net.Conn, host string, peer *transport.Peer) (net.Conn, error) {
	if t.TLS == nil && isLoopback(host) {
		return raw, nil
	}
	tc := &tls.Config{}
	if t.TLS != nil {
		tc = t.TLS.Clone()
	}
	tc.MinVersion, tc.MaxVersion = tls.VersionTLS13, 0
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	c := tls.Client(raw, tc)
	if err := c.HandshakeContext(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, transport.CtxErr(ctx)
		}
		if d := tlsDenied(err); d != err {
			return nil, d
		}
		if gone(err) {
			return nil, fmt.Errorf("%w: the endpoint closed the connection during the TLS handshake: %v", transport.ErrPeerGone, err)
		}
		return nil, fmt.Errorf("%w: %w", transport.ErrProtocol, err)
	}
	peer.Identity = certIdentity(c.ConnectionState())
	return c, nil
}

// tlsDenied turns a TLS refusal — a server certificate that does not
// verify, or an alert from the server (say, rejecting our certificate) —
// into ErrDenied.
func tlsDenied(err error) error {
	var (
		verify *tls.CertificateVerificationError
		op     *net.OpError
	)
	if errors.As(err, &verify) || errors.As(err, &op) && op.Op == "remote error" {
		return fmt.Errorf("%w: %v", transport.ErrDenied, err)
	}
	return err
}

// gone reports an error that means the other end closed or reset the
// connection, rather than spoke something that is not TLS.
func gone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
