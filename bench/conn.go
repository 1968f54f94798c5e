package bench

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// conn is one load-generator connection: a bare-bones XMPP client that
// logs in over plaintext and then only writes raw stanzas and scans
// what it reads for timestamps. It is deliberately not a general
// client: the generator must never be the bottleneck.
type conn struct {
	net.Conn
	r    *bufio.Reader // login only; readers take over what it buffered
	jid  string        // full JID once bound
	bare string
	// fromSelf1/2 recognise a stanza the user's own session sent
	// (presence echoed to the sender), with either quote style.
	fromSelf1, fromSelf2 []byte
}

// dialer opens connections from a rotating set of loopback source
// addresses, so that more connections than one source address has
// ephemeral ports (and no TIME_WAIT reuse trouble) reach one server.
type dialer struct {
	addr    string
	sources []net.IP // empty: let the kernel choose
}

func (d *dialer) dial(i int, timeout time.Duration) (net.Conn, error) {
	nd := net.Dialer{Timeout: timeout}
	if len(d.sources) > 0 {
		nd.LocalAddr = &net.TCPAddr{IP: d.sources[i%len(d.sources)]}
	}
	return nd.Dial("tcp", d.addr)
}

// SourceAddrs returns n loopback source addresses 127.0.0.2,
// 127.0.0.3, ... (Linux routes all of 127/8 to lo without setup).
func SourceAddrs(n int) []net.IP {
	ips := make([]net.IP, 0, n)
	for i := range n {
		ips = append(ips, net.IPv4(127, 0, byte((i+2)>>8), byte((i+2)&0xff)))
	}
	return ips
}

// login connects and logs in (stream, SASL, restart, bind, presence).
func (d *dialer) login(i int, o *Options, user string, timeout time.Duration) (*conn, error) {
	nc, err := d.dial(i, timeout)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(timeout))
	c := &conn{Conn: nc, r: bufio.NewReaderSize(nc, 2048)}
	if err := c.login(o, user); err != nil {
		nc.Close()
		return nil, fmt.Errorf("%s: %w", user, err)
	}
	nc.SetDeadline(time.Time{})
	return c, nil
}

func (c *conn) open(domain string) (string, error) {
	if _, err := fmt.Fprintf(c, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>", domain); err != nil {
		return "", err
	}
	return c.until("</stream:features>")
}

// until reads until marker and returns what was read, marker included.
func (c *conn) until(marker string) (string, error) {
	var b strings.Builder
	for {
		line, err := c.r.ReadString('>')
		b.WriteString(line)
		if strings.Contains(b.String(), marker) {
			return b.String(), nil
		}
		if strings.Contains(line, "<failure") || strings.Contains(line, "<stream:error") {
			rest, _ := c.r.ReadString('>')
			return "", fmt.Errorf("server said %s%s", b.String(), rest)
		}
		if err != nil {
			return "", err
		}
	}
}

// SASL mechanisms the generator speaks.
const (
	MechAuto        = "auto" // PLAIN when offered, else SCRAM-SHA-256
	MechPlain       = "PLAIN"
	MechSCRAMSHA256 = "SCRAM-SHA-256"
)

func (c *conn) login(o *Options, user string) error {
	features, err := c.open(o.Domain)
	if err != nil {
		return err
	}
	if o.TLS {
		if features, err = c.startTLS(o.Domain); err != nil {
			return err
		}
	}
	mech := o.Mechanism
	if mech == "" || mech == MechAuto {
		mech = MechSCRAMSHA256
		if strings.Contains(features, ">PLAIN<") {
			mech = MechPlain
		}
	}
	switch mech {
	case MechPlain:
		fmt.Fprintf(c, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>", b64("\x00"+user+"\x00"+o.Password))
		if _, err := c.until("success"); err != nil {
			return err
		}
	case MechSCRAMSHA256:
		if err := c.scram(o, user); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unsupported SASL mechanism %q", mech)
	}
	if _, err := c.open(o.Domain); err != nil {
		return err
	}
	io.WriteString(c, "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bench</resource></bind></iq>")
	bound, err := c.until("</iq>")
	if err != nil {
		return err
	}
	c.jid = between(bound, "<jid>", "</jid>")
	if c.jid == "" {
		return errors.New("bind failed: " + bound)
	}
	c.bare, _, _ = strings.Cut(c.jid, "/")
	c.fromSelf1 = []byte("from='" + c.bare)
	c.fromSelf2 = []byte(`from="` + c.bare)
	// Some servers (ejabberd) want a session IQ before presence; it is
	// harmless elsewhere. Initial presence makes the session available.
	_, err = io.WriteString(c, "<iq type='set' id='s'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq><presence/>")
	return err
}

// startTLS upgrades the stream (RFC 6120 §5) and returns the features
// of the restarted stream. The certificate is not checked: the
// generator measures servers on loopback, often with self-signed ones.
func (c *conn) startTLS(domain string) (string, error) {
	io.WriteString(c, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	if _, err := c.until("proceed"); err != nil {
		return "", fmt.Errorf("starttls: %w", err)
	}
	tc := tls.Client(c.Conn, &tls.Config{ServerName: domain, InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		return "", fmt.Errorf("tls handshake: %w", err)
	}
	c.Conn, c.r = tc, bufio.NewReaderSize(tc, 2048)
	return c.open(domain)
}

func (c *conn) scram(o *Options, user string) error {
	sc := newSCRAMClient(user, o.Password, o.scramCache)
	fmt.Fprintf(c, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>%s</auth>", b64(sc.first()))
	challenge, err := c.until("</challenge>")
	if err != nil {
		return err
	}
	resp, err := sc.final(unb64(between(challenge, ">", "</challenge>")))
	if err != nil {
		return err
	}
	fmt.Fprintf(c, "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>%s</response>", b64(resp))
	success, err := c.until("success")
	if err != nil {
		return err
	}
	if s := between(success, ">", "</success>"); s != "" {
		return sc.verify(unb64(s))
	}
	return nil
}

// between returns the text between the last start before end and end.
func between(s, start, end string) string {
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	i := strings.LastIndex(s[:j], start)
	if i < 0 {
		return ""
	}
	return s[i+len(start) : j]
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func unb64(s string) string {
	b, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	return string(b)
}

func closeAll(conns []*conn) {
	for _, c := range conns {
		if c != nil {
			io.WriteString(c, "</stream:stream>")
			c.Close()
		}
	}
}
