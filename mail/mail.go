// Package mail sends Parley's e-mail (conference invitations) through a
// configured SMTP relay, with github.com/wneessen/go-mail as the SMTP
// client. A Message is plain text with an optional iCalendar part: the
// text/calendar alternative (with its METHOD) that calendar clients act
// on, and the same data as an invite.ics attachment for those that only
// look at attachments.
//
// Without a relay (Config.Relay "") a Sender is disabled and Send
// returns ErrNoRelay at once. A Sender holds no connection between
// calls: each Send dials, sends every message of the call over one
// connection, and quits; it is safe for concurrent use.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sentinel errors.
var (
	// ErrNoRelay: no relay is configured, so nothing can be sent.
	ErrNoRelay = errors.New("mail: no SMTP relay configured")
	// ErrConfig: the configuration is not usable.
	ErrConfig = errors.New("mail: bad configuration")
	// ErrAddress: a message's address is not an e-mail address.
	ErrAddress = errors.New("mail: bad address")
)

// TLS modes of the connection to the relay.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which the relay must offer
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no encryption: a relay on loopback only
)

// Config configures a Sender.
type Config struct {
	Relay    string // host:port of the SMTP relay; "" disables sending
	From     string // the sender address, e.g. "Parley <parley@example.com>"
	Username string // for SMTP AUTH; "" to send without authenticating
	Password string
	TLS      string        // TLSStartTLS (default), TLSImplicit or TLSNone
	CAFile   string        // PEM certificates to trust for the relay instead of the system's
	Timeout  time.Duration // per connection and command; 0 means 30 s
	HELO     string        // the name to greet the relay with; "" for the host name
}

// Message is one e-mail.
type Message struct {
	To      string // an address, optionally with a name ("Bob <bob@example.com>")
	Subject string
	Text    string // the plain-text body
	// Calendar is iCalendar data (RFC 5545) sent as a text/calendar
	// alternative with METHOD Method, and as invite.ics; nil for none.
	Calendar []byte
	Method   string // REQUEST, CANCEL, ...
}

// Sender sends messages through the relay.
type Sender struct {
	cfg  Config
	from *mail.Address
	host string
	port int
	tls  *tls.Config
}

// New checks cfg and returns a Sender; with no relay, a disabled one.
func New(cfg Config) (*Sender, error) {
	s := &Sender{cfg: cfg}
	if cfg.Relay == "" {
		return s, nil
	}
	host, port, err := net.SplitHostPort(cfg.Relay)
	if err != nil || host == "" {
		return nil, fmt.Errorf("%w: relay %q is not host:port", ErrConfig, cfg.Relay)
	}
	s.host = host
	if s.port, err = strconv.Atoi(port); err != nil || s.port < 1 || s.port > 65535 {
		return nil, fmt.Errorf("%w: relay port %q", ErrConfig, port)
	}
	if s.from, err = mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("%w: from %q: %v", ErrConfig, cfg.From, err)
	}
	switch cfg.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("%w: tls %q (want starttls, tls or none)", ErrConfig, cfg.TLS)
	}
	if s.cfg.Timeout <= 0 {
		s.cfg.Timeout = 30 * time.Second
	}
	s.tls = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: ca_file: %v", ErrConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: ca_file %s holds no PEM certificate", ErrConfig, cfg.CAFile)
		}
		s.tls.RootCAs = pool
	}
	return s, nil
}

// Enabled reports whether a relay is configured.
func (s *Sender) Enabled() bool { return s != nil && s.cfg.Relay != "" }

// Send sends msgs over one connection to the relay. The error joins
// every message's failure (each naming its recipient, never the
// credentials); nil means the relay accepted them all.
func (s *Sender) Send(ctx context.Context, msgs ...Message) error {
	if !s.Enabled() {
		return ErrNoRelay
	}
	if len(msgs) == 0 {
		return nil
	}
	built := make([]*gomail.Msg, 0, len(msgs))
	for _, m := range msgs {
		gm, err := s.build(m)
		if err != nil {
			return err
		}
		built = append(built, gm)
	}
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(s.cfg.Timeout), gomail.WithTLSConfig(s.tls)}
	switch s.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HELO))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, built...); err != nil {
		return fmt.Errorf("mail: send through %s: %w", s.cfg.Relay, err)
	}
	return nil
}

// build turns m into a go-mail message.
func (s *Sender) build(m Message) (*gomail.Msg, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrAddress, m.To)
	}
	gm := gomail.NewMsg()
	gm.FromMailAddress(s.from)
	gm.ToMailAddress(to)
	gm.Subject(oneLine(m.Subject))
	gm.SetDate()
	gm.SetMessageID()
	gm.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.Calendar != nil {
		method := strings.ToUpper(oneLine(m.Method))
		if method == "" {
			method = "PUBLISH"
		}
		gm.AddAlternativeString(gomail.ContentType("text/calendar; method="+method), string(m.Calendar))
		if err := gm.AttachReader("invite.ics", bytes.NewReader(m.Calendar),
			gomail.WithFileContentType(gomail.ContentType("application/ics"))); err != nil {
			return nil, fmt.Errorf("mail: attach invite.ics: %w", err)
		}
	}
	return gm, nil
}

// oneLine keeps header values on one line.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// FromAddress is the sender's bare address ("" without a relay).
func (s *Sender) FromAddress() string {
	if s == nil || s.from == nil {
		return ""
	}
	return s.from.Address
}
