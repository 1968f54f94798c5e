package bench

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/xdg-go/scram"
)

// conn is one load-generator connection: a bare-bones XMPP client that
// logs in with SCRAM-SHA-256 over plaintext and then only writes raw
// stanzas and counts what it reads. It is deliberately not a general
// client: the generator must never be the bottleneck.
type conn struct {
	net.Conn
	r   *bufio.Reader
	jid string
}

// dial connects and logs in (stream, SASL, restart, bind, presence).
func dial(addr, domain, user, password string, d time.Duration) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(d))
	c := &conn{Conn: nc, r: bufio.NewReaderSize(nc, 16<<10)}
	if err := c.login(domain, user, password); err != nil {
		nc.Close()
		return nil, fmt.Errorf("%s: %w", user, err)
	}
	nc.SetDeadline(time.Time{})
	return c, nil
}

func (c *conn) open(domain string) error {
	if _, err := fmt.Fprintf(c, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>", domain); err != nil {
		return err
	}
	_, err := c.until("</stream:features>")
	return err
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

func (c *conn) login(domain, user, password string) error {
	if err := c.open(domain); err != nil {
		return err
	}
	client, err := scram.SHA256.NewClient(user, password, "")
	if err != nil {
		return err
	}
	conv := client.NewConversation()
	first, _ := conv.Step("")
	fmt.Fprintf(c, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>%s</auth>", b64(first))
	challenge, err := c.until("</challenge>")
	if err != nil {
		return err
	}
	resp, err := conv.Step(unb64(between(challenge, ">", "</challenge>")))
	if err != nil {
		return err
	}
	fmt.Fprintf(c, "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>%s</response>", b64(resp))
	success, err := c.until("</success>")
	if err != nil {
		return err
	}
	if _, err := conv.Step(unb64(between(success, ">", "</success>"))); err != nil {
		return fmt.Errorf("server signature: %w", err)
	}
	if err := c.open(domain); err != nil {
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
	_, err = io.WriteString(c, "<presence/>")
	return err
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

// readMessages counts messages that carry a send timestamp in their
// body ("t=<unix nanos>") and records their latency, until the
// connection ends.
func (c *conn) readMessages(h *histogram) {
	buf := make([]byte, 32<<10)
	var carry []byte
	marker := []byte("<body>t=")
	for {
		n, err := c.Conn.Read(buf)
		if n > 0 {
			data := append(carry, buf[:n]...)
			now := time.Now().UnixNano()
			for {
				i := bytes.Index(data, marker)
				if i < 0 {
					break
				}
				j := bytes.IndexByte(data[i+len(marker):], '<')
				if j < 0 {
					break
				}
				var ts int64
				for _, d := range data[i+len(marker) : i+len(marker)+j] {
					ts = ts*10 + int64(d-'0')
				}
				h.record(time.Duration(now - ts))
				data = data[i+len(marker)+j:]
			}
			keep := min(len(data), len(marker)+24)
			carry = append(carry[:0], data[len(data)-keep:]...)
		}
		if err != nil {
			return
		}
	}
}
