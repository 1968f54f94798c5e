// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp)
// inside a test, on a loopback port, that keeps every message it
// accepts: the relay that Parley's mail is sent through in tests. It
// offers STARTTLS with a certificate of its own (CAFile trusts it) and,
// when given a user name, requires AUTH PLAIN.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server.
type Options struct {
	NoTLS    bool   // offer no STARTTLS
	Username string // require AUTH PLAIN with this user and Password; "" for no auth
	Password string
	// Reject, when set, is asked for each recipient; an error refuses it
	// (550).
	Reject func(rcpt string) error
}

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte // as received, headers and body
	TLS  bool   // it came over TLS
	User string // the authenticated user, "" for none
}

// Server is a running SMTP server.
type Server struct {
	Addr   string // host:port
	CAFile string // PEM of its certificate, to trust it
	srv    *smtp.Server
	opts   Options
	got    chan Message
}

// Start starts a server on 127.0.0.1:0 and stops it when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{opts: o, got: make(chan Message, 100)}
	cert, pemBytes := selfSigned(t)
	s.CAFile = filepath.Join(t.TempDir(), "smtp-ca.pem")
	if err := os.WriteFile(s.CAFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxMessageBytes = 4 << 20
	if !o.NoTLS {
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Wait returns the next n messages, failing the test if they do not
// all arrive within timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	var out []Message
	for len(out) < n {
		select {
		case m := <-s.got:
			out = append(out, m)
		case <-deadline.C:
			t.Fatalf("smtptest: %d of %d messages within %v", len(out), n, timeout)
		}
	}
	return out
}

// Pending returns the messages received and not yet taken, without
// waiting.
func (s *Server) Pending() []Message {
	var out []Message
	for {
		select {
		case m := <-s.got:
			out = append(out, m)
		default:
			return out
		}
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	mu   sync.Mutex
	user string
	from string
	to   []string
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}

func (se *session) AuthMechanisms() []string {
	if se.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != se.s.opts.Username || password != se.s.opts.Password {
			return errors.New("invalid credentials")
		}
		se.mu.Lock()
		se.user = username
		se.mu.Unlock()
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.mu.Lock()
	defer se.mu.Unlock()
	if se.s.opts.Username != "" && se.user == "" {
		return errAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if r := se.s.opts.Reject; r != nil {
		if err := r(to); err != nil {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: err.Error()}
		}
	}
	se.mu.Lock()
	defer se.mu.Unlock()
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	_, isTLS := se.conn.TLSConnectionState()
	se.mu.Lock()
	m := Message{From: se.from, To: se.to, Data: buf.Bytes(), TLS: isTLS, User: se.user}
	se.mu.Unlock()
	select {
	case se.s.got <- m:
		return nil
	default:
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "test server full"}
	}
}

func (se *session) Reset() {
	se.mu.Lock()
	defer se.mu.Unlock()
	se.from, se.to = "", nil
}

func (se *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost, and its
// PEM.
func selfSigned(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes
}
