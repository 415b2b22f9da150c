// Package testcert makes a throwaway certificate authority and certificates
// at run time, for tests of TLS transports. Nothing here is for production.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA is a certificate authority that signs leaf certificates.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
	Pool *x509.CertPool // holds Cert
}

// NewCA returns a fresh CA named name.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := template(pkix.Name{CommonName: name, Organization: []string{"Postbox tests"}})
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, key: key, Pool: pool}, nil
}

// Server issues a server certificate for 127.0.0.1, ::1 and localhost.
func (ca *CA) Server(cn string) (tls.Certificate, error) {
	tmpl := template(pkix.Name{CommonName: cn})
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tmpl.DNSNames = []string{"localhost"}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	return ca.issue(tmpl)
}

// Client issues a client certificate whose subject is CN=cn.
func (ca *CA) Client(cn string) (tls.Certificate, error) {
	tmpl := template(pkix.Name{CommonName: cn})
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return ca.issue(tmpl)
}

func (ca *CA) issue(tmpl *x509.Certificate) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// WriteFiles writes c's certificate and key as PEM files in dir and returns
// their paths.
func WriteFiles(dir, base string, c tls.Certificate) (certFile, keyFile string, err error) {
	kb, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, base+".crt"), filepath.Join(dir, base+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
}

// WriteCA writes the CA certificate as a PEM file in dir.
func (ca *CA) WriteCA(dir string) (string, error) {
	f := filepath.Join(dir, "ca.crt")
	return f, os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o600)
}

func template(name pkix.Name) *x509.Certificate {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      name,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
}

// Set is what a TLS test needs: a CA, a server and a client certificate,
// and the matching configurations.
type Set struct {
	CA     *CA
	Server tls.Certificate
	Client tls.Certificate
}

// NewSet makes a CA, a server certificate and a client certificate CN=client.
func NewSet() (*Set, error) {
	ca, err := NewCA("Postbox test CA")
	if err != nil {
		return nil, err
	}
	srv, err := ca.Server("postbox-server")
	if err != nil {
		return nil, err
	}
	cli, err := ca.Client("client")
	if err != nil {
		return nil, err
	}
	return &Set{CA: ca, Server: srv, Client: cli}, nil
}

// ServerConfig serves the server certificate and, with requireClient,
// requires a client certificate signed by the CA.
func (s *Set) ServerConfig(requireClient bool) *tls.Config {
	c := &tls.Config{Certificates: []tls.Certificate{s.Server}, ClientCAs: s.CA.Pool}
	if requireClient {
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c
}

// ClientConfig trusts the CA and, with cert, presents the client certificate.
func (s *Set) ClientConfig(cert bool) *tls.Config {
	c := &tls.Config{RootCAs: s.CA.Pool}
	if cert {
		c.Certificates = []tls.Certificate{s.Client}
	}
	return c
}

// Save writes the set to dir, for another process to Load.
func (s *Set) Save(dir string) error {
	if err := writePEM(filepath.Join(dir, "ca.pem"), s.CA.Cert.Raw, s.CA.key); err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, "server.pem"), s.Server.Certificate[0], s.Server.PrivateKey.(*ecdsa.PrivateKey)); err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, "client.pem"), s.Client.Certificate[0], s.Client.PrivateKey.(*ecdsa.PrivateKey))
}

// Load reads a set saved by Save.
func Load(dir string) (*Set, error) {
	caDER, caKey, err := readPEM(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	s := &Set{CA: &CA{Cert: caCert, key: caKey, Pool: pool}}
	for _, f := range []struct {
		name string
		dst  *tls.Certificate
	}{{"server.pem", &s.Server}, {"client.pem", &s.Client}} {
		der, key, err := readPEM(filepath.Join(dir, f.name))
		if err != nil {
			return nil, err
		}
		leaf, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		*f.dst = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	}
	return s, nil
}

// writePEM stores a certificate and its key as two PEM blocks.
func writePEM(path string, cert []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})...)
	return os.WriteFile(path, out, 0o600)
}

func readPEM(path string) ([]byte, *ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	cb, rest := pem.Decode(b)
	kb, _ := pem.Decode(rest)
	if cb == nil || kb == nil {
		return nil, nil, errors.New("testcert: " + path + ": want a certificate and a key")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("testcert: " + path + ": not an ECDSA key")
	}
	return cb.Bytes, key, nil
}
