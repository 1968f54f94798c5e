package mail

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/parley-im/parley/internal/smtptest"
)

const ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:1@x\r\n" +
	"DTSTAMP:20260601T090000Z\r\nDTSTART:20260601T100000Z\r\nSUMMARY:Review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

// parts walks a MIME message and returns each leaf part's media type
// (with its parameters) and decoded body.
func parts(t *testing.T, data []byte) (map[string]string, map[string][]byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	bodies := map[string][]byte{}
	var walk func(ct string, enc string, disp string, r io.Reader)
	walk = func(ct, enc, disp string, r io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(r, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"), p)
			}
		}
		body := decode(t, enc, r)
		key := mt
		if strings.HasPrefix(disp, "attachment") {
			key = "attachment " + mt
		}
		types[key] = ct
		bodies[key] = body
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
	return types, bodies
}

func decode(t *testing.T, enc string, r io.Reader) []byte {
	t.Helper()
	switch strings.ToLower(enc) {
	case "base64":
		r = newBase64(r)
	case "quoted-printable":
		r = newQP(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A message with a calendar goes through a relay that requires
// STARTTLS and AUTH: it arrives over TLS, authenticated, with the text,
// the text/calendar alternative carrying the method, and invite.ics,
// which parses as the calendar that was sent.
func TestSendWithCalendar(t *testing.T) {
	relay := smtptest.Start(t, smtptest.Options{Username: "parley", Password: "relay secret"})
	s, err := New(Config{Relay: relay.Addr, From: "Parley <parley@example.com>", Username: "parley",
		Password: "relay secret", CAFile: relay.CAFile, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Enabled() {
		t.Fatal("a sender with a relay is disabled")
	}
	err = s.Send(context.Background(),
		Message{To: "Bob <bob@example.org>", Subject: "Invitation:\r\nReview", Text: "Join at https://x/j", Calendar: []byte(ics), Method: "request"},
		Message{To: "carol@example.org", Subject: "plain", Text: "no calendar"})
	if err != nil {
		t.Fatal(err)
	}
	got := relay.Wait(t, 2, 10*time.Second)
	first := got[0]
	if !first.TLS || first.User != "parley" || first.From != "parley@example.com" || len(first.To) != 1 || first.To[0] != "bob@example.org" {
		t.Fatalf("envelope: tls %v user %q from %q to %v", first.TLS, first.User, first.From, first.To)
	}
	msg, _ := mail.ReadMessage(bytes.NewReader(first.Data))
	if subj := msg.Header.Get("Subject"); subj != "Invitation: Review" {
		t.Fatalf("subject %q (a header is one line)", subj)
	}
	types, bodies := parts(t, first.Data)
	if !strings.Contains(string(bodies["text/plain"]), "Join at https://x/j") {
		t.Fatalf("text part: %q (parts %v)", bodies["text/plain"], types)
	}
	if _, params, _ := mime.ParseMediaType(types["text/calendar"]); params["method"] != "REQUEST" {
		t.Fatalf("calendar part type %q: want method=REQUEST", types["text/calendar"])
	}
	for _, key := range []string{"text/calendar", "attachment application/ics"} {
		cal, err := ical.NewDecoder(bytes.NewReader(bodies[key])).Decode()
		if err != nil {
			t.Fatalf("%s does not parse: %v\n%s", key, err, bodies[key])
		}
		if ev := cal.Events(); len(ev) != 1 || ev[0].Props.Get(ical.PropUID).Value != "1@x" {
			t.Fatalf("%s: %+v", key, cal)
		}
	}
	if types, _ := parts(t, got[1].Data); len(types) != 1 || types["text/plain"] == "" {
		t.Fatalf("a message without a calendar has parts %v", types)
	}
}

func TestSendFailures(t *testing.T) {
	ctx := context.Background()
	off, err := New(Config{})
	if err != nil || off.Enabled() {
		t.Fatalf("no relay: %v, enabled %v", err, off.Enabled())
	}
	if err := off.Send(ctx, Message{To: "a@b"}); !errors.Is(err, ErrNoRelay) {
		t.Fatalf("sending without a relay: %v", err)
	}
	for _, c := range []Config{
		{Relay: "nohost", From: "a@b"},
		{Relay: "h:0", From: "a@b"},
		{Relay: "h:25", From: "not an address"},
		{Relay: "h:25", From: "a@b", TLS: "maybe"},
		{Relay: "h:25", From: "a@b", CAFile: "/nonexistent.pem"},
	} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v): %v, want ErrConfig", c, err)
		}
	}

	// STARTTLS is required by default: a relay without it is refused.
	plain := smtptest.Start(t, smtptest.Options{NoTLS: true})
	s, _ := New(Config{Relay: plain.Addr, From: "p@example.com", Timeout: 5 * time.Second})
	if err := s.Send(ctx, Message{To: "b@example.org", Text: "x"}); err == nil {
		t.Fatal("sent in the clear to a relay without STARTTLS")
	}
	// tls = none sends in the clear.
	s, _ = New(Config{Relay: plain.Addr, From: "p@example.com", TLS: TLSNone, Timeout: 5 * time.Second})
	if err := s.Send(ctx, Message{To: "b@example.org", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if m := plain.Wait(t, 1, 5*time.Second); m[0].TLS {
		t.Fatal("tls = none used TLS")
	}
	// A wrong password, an untrusted certificate, a refused recipient and
	// a bad address fail, without the password in the error.
	authed := smtptest.Start(t, smtptest.Options{Username: "u", Password: "right", Reject: func(r string) error {
		if strings.HasPrefix(r, "nobody@") {
			return errors.New("no such user")
		}
		return nil
	}})
	s, _ = New(Config{Relay: authed.Addr, From: "p@example.com", Username: "u", Password: "wrong-pw", CAFile: authed.CAFile, Timeout: 5 * time.Second})
	if err := s.Send(ctx, Message{To: "b@example.org", Text: "x"}); err == nil || strings.Contains(err.Error(), "wrong-pw") {
		t.Fatalf("wrong password: %v", err)
	}
	s, _ = New(Config{Relay: authed.Addr, From: "p@example.com", Username: "u", Password: "right", Timeout: 5 * time.Second})
	if err := s.Send(ctx, Message{To: "b@example.org", Text: "x"}); err == nil {
		t.Fatal("trusted the relay's self-signed certificate without ca_file")
	}
	s, _ = New(Config{Relay: authed.Addr, From: "p@example.com", Username: "u", Password: "right", CAFile: authed.CAFile, Timeout: 5 * time.Second})
	if err := s.Send(ctx, Message{To: "nobody@example.org", Text: "x"}); err == nil || !strings.Contains(err.Error(), "nobody@example.org") {
		t.Fatalf("refused recipient: %v", err)
	}
	if err := s.Send(ctx, Message{To: "not an address", Text: "x"}); !errors.Is(err, ErrAddress) {
		t.Fatalf("bad address: %v", err)
	}
	if p := authed.Pending(); len(p) != 0 {
		t.Fatalf("messages got through: %d", len(p))
	}
}

func newBase64(r io.Reader) io.Reader { return base64.NewDecoder(base64.StdEncoding, r) }

func newQP(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }
