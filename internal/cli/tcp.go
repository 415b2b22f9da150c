package cli

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/postbox-ipc/postbox"
	"github.com/postbox-ipc/postbox/transport/tcp"
)

// tcpFlags are the TCP security settings of listen (server side) or of
// send and post (client side), and the client's other trust settings.
type tcpFlags struct {
	addr         *string // listen only: --tcp ADDR
	cert, key    *string
	ca, clientCA *string
	tokenFile    *string
	serverName   *string
	trustUIDs    uidList // dial only: --trust-uid
}

// addListenTCPFlags adds listen's flags: --tcp, --tls-cert, --tls-key,
// --tls-client-ca, --token-file.
func addListenTCPFlags(fs *flag.FlagSet) *tcpFlags {
	return &tcpFlags{
		addr:      fs.String("tcp", "", "also listen on TCP at ADDR (host:port); off loopback, TLS and --tls-client-ca or --token-file are required"),
		cert:      fs.String("tls-cert", "", "TLS certificate file (PEM) for --tcp"),
		key:       fs.String("tls-key", "", "TLS private key file (PEM) for --tcp"),
		clientCA:  fs.String("tls-client-ca", "", "require client certificates signed by this CA (PEM) on --tcp"),
		tokenFile: fs.String("token-file", "", "require the token in this file from TCP clients"),
	}
}

// addDialTCPFlags adds the client flags of send and post, used for tcp://
// addresses: --tls-ca, --tls-cert, --tls-key, --token-file; and
// --trust-uid, for explicit Unix socket paths.
func addDialTCPFlags(fs *flag.FlagSet) *tcpFlags {
	f := &tcpFlags{
		ca:         fs.String("tls-ca", "", "for tcp://: trust this CA (PEM) instead of the system's"),
		cert:       fs.String("tls-cert", "", "for tcp://: present this client certificate (PEM)"),
		key:        fs.String("tls-key", "", "for tcp://: the client certificate's key (PEM)"),
		tokenFile:  fs.String("token-file", "", "for tcp://: present the token in this file"),
		serverName: fs.String("tls-server-name", "", "for tcp://: the name the server's certificate must have (default: the host)"),
	}
	fs.Var(&f.trustUIDs, "trust-uid", "for unix:/path.sock: also accept an endpoint run by this user ID (repeatable; by default only\nyour own, root's, or the socket directory owner's)")
	return f
}

// listen applies the flags to lc.
func (f *tcpFlags) listen(lc *postbox.ListenConfig) error {
	if *f.addr == "" {
		if *f.cert != "" || *f.tokenFile != "" || *f.clientCA != "" {
			return usagef("--tls-cert, --tls-client-ca and --token-file need --tcp")
		}
		return nil
	}
	t, err := f.transport()
	if err != nil {
		return err
	}
	if t.TLS == nil && *f.clientCA != "" {
		return usagef("--tls-client-ca needs --tls-cert and --tls-key")
	}
	if *f.clientCA != "" {
		if t.TLS.ClientCAs, err = loadPool(*f.clientCA); err != nil {
			return err
		}
		t.TLS.ClientAuth = tls.RequireAndVerifyClientCert
	}
	lc.Also = append(lc.Also, "tcp://"+strings.TrimPrefix(*f.addr, "tcp://"))
	lc.Transports = append(lc.Transports, t)
	return nil
}

// dialer returns a Dialer configured by the flags.
func (f *tcpFlags) dialer() (*postbox.Dialer, error) {
	t, err := f.transport()
	if err != nil {
		return nil, err
	}
	if *f.ca != "" || *f.serverName != "" {
		if t.TLS == nil {
			t.TLS = &tls.Config{}
		}
		if *f.ca != "" {
			if t.TLS.RootCAs, err = loadPool(*f.ca); err != nil {
				return nil, err
			}
		}
		t.TLS.ServerName = *f.serverName
	}
	return &postbox.Dialer{Transports: []postbox.Transport{t}, TrustUIDs: f.trustUIDs}, nil
}

// transport builds the tcp.Transport the certificate and token flags say.
func (f *tcpFlags) transport() (*tcp.Transport, error) {
	t := &tcp.Transport{}
	if (*f.cert == "") != (*f.key == "") {
		return nil, usagef("--tls-cert and --tls-key go together")
	}
	if *f.cert != "" {
		pair, err := tls.LoadX509KeyPair(*f.cert, *f.key)
		if err != nil {
			return nil, fmt.Errorf("loading the TLS certificate: %w", err)
		}
		t.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	}
	if *f.tokenFile != "" {
		b, err := os.ReadFile(*f.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("reading the token: %w", err)
		}
		t.Token = strings.TrimSpace(string(b))
		if t.Token == "" {
			return nil, fmt.Errorf("the token file %s is empty", *f.tokenFile)
		}
	}
	return t, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}
