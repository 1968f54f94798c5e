package conference

import (
	"bytes"
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
	pmail "github.com/parley-im/parley/mail"
)

// invitation is what a test reads from a received message.
type invitation struct {
	to, subject, text string
	method            string // of the text/calendar part
	cal               *ical.Calendar
	attachment        *ical.Calendar // invite.ics
}

func readInvitation(t *testing.T, m smtptest.Message) invitation {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	inv := invitation{to: strings.Join(m.To, ","), subject: msg.Header.Get("Subject")}
	var walk func(ct, enc, disp string, r io.Reader)
	walk = func(ct, enc, disp string, r io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatal(err)
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
		switch strings.ToLower(enc) {
		case "base64":
			r = newB64(r)
		case "quoted-printable":
			r = quotedprintable.NewReader(r)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(disp, "attachment"):
			inv.attachment = parseCal(t, data)
		case mt == "text/plain":
			inv.text = string(data)
		case mt == "text/calendar":
			inv.method = params["method"]
			inv.cal = parseCal(t, data)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
	if inv.cal == nil || inv.attachment == nil {
		t.Fatalf("invitation to %s without calendar data:\n%s", inv.to, m.Data)
	}
	return inv
}

func parseCal(t *testing.T, data []byte) *ical.Calendar {
	t.Helper()
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("iCalendar data does not parse: %v\n%s", err, data)
	}
	return cal
}

func event(t *testing.T, cal *ical.Calendar) *ical.Event {
	t.Helper()
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	return &evs[0]
}

func text(t *testing.T, props ical.Props, name string) string {
	t.Helper()
	p := props.Get(name)
	if p == nil {
		t.Fatalf("no %s", name)
	}
	return p.Value
}

// byRecipient indexes received invitations by envelope recipient.
func byRecipient(t *testing.T, msgs []smtptest.Message) map[string]invitation {
	out := map[string]invitation{}
	for _, m := range msgs {
		inv := readInvitation(t, m)
		out[inv.to] = inv
	}
	return out
}

// Invitations go over a real SMTP relay: a REQUEST with each one's own
// join link and the conference's UID, times and SEQUENCE 0; an update
// sends SEQUENCE 1 to everyone and a CANCEL to whoever was taken off; a
// delete sends a CANCEL with a higher SEQUENCE still.
func TestInvitations(t *testing.T) {
	relay := smtptest.Start(t, smtptest.Options{Username: "parley", Password: "pw"})
	sender, err := pmail.New(pmail.Config{Relay: relay.Addr, From: "Parley <parley@example.com>", Username: "parley",
		Password: "pw", CAFile: relay.CAFile, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(o *Options) { o.Mail = sender })
	s := spec()
	s.SendInvitations, s.Key, s.DialIn = ptr(true), ptr("k3y"), "+1 555 0100"
	s.Attendees = []Person{{FirstName: "Bob", Email: "bob@mail.example.com", UserID: bob}, {UserID: carol}} // carol: no address
	r := f.schedule(site, s)
	if r.InviteErr != nil {
		t.Fatal(r.InviteErr)
	}
	c := r.Conference
	got := byRecipient(t, relay.Wait(t, 2, 10*time.Second))
	hostInv, bobInv := got["alice@mail.example.com"], got["bob@mail.example.com"]
	if hostInv.cal == nil || bobInv.cal == nil {
		t.Fatalf("invitations went to %v", got)
	}
	uid := "conference-" + c.ID + "@" + domain
	for who, inv := range map[string]invitation{"host": hostInv, "bob": bobInv} {
		ev := event(t, inv.cal)
		start, err := ev.DateTimeStart(time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		end, _ := ev.DateTimeEnd(time.UTC)
		if inv.method != "REQUEST" || text(t, inv.cal.Props, ical.PropMethod) != "REQUEST" || text(t, ev.Props, ical.PropUID) != uid ||
			text(t, ev.Props, ical.PropSequence) != "0" || !start.Equal(c.StartAt) || !end.Equal(c.EndAt) ||
			text(t, ev.Props, ical.PropSummary) != "Review" || inv.subject != "Invitation: Review" {
			t.Fatalf("%s's invitation: method %q subject %q\n%+v", who, inv.method, inv.subject, ev.Props)
		}
		if org := ev.Props.Get(ical.PropOrganizer); org.Value != "mailto:alice@mail.example.com" || org.Params.Get(ical.ParamCommonName) != "Alice Liddell" {
			t.Fatalf("organizer %+v", org)
		}
		if a := event(t, inv.attachment); text(t, a.Props, ical.PropUID) != uid {
			t.Fatal("invite.ics is another event")
		}
	}
	bobKey := JoinKey(c.Participants[1])
	if !strings.Contains(bobInv.text, base+"/conference/"+c.ID+"#key="+bobKey) || !strings.Contains(bobInv.text, "Conference key: k3y") ||
		!strings.Contains(bobInv.text, "Dial-in: +1 555 0100") || !strings.Contains(bobInv.text, "log in as "+bob) {
		t.Fatalf("bob's text:\n%s", bobInv.text)
	}
	if strings.Contains(hostInv.text, "k3y") || !strings.Contains(hostInv.text, "#key="+JoinKey(c.Participants[0])) {
		t.Fatalf("the host's text:\n%s", hostInv.text)
	}
	// Without publishAttendees each sees only themselves as attendee.
	if atts := event(t, bobInv.cal).Props.Values(ical.PropAttendee); len(atts) != 1 || atts[0].Value != "mailto:bob@mail.example.com" ||
		atts[0].Params.Get(ical.ParamRSVP) != "TRUE" {
		t.Fatalf("bob's attendees: %+v", atts)
	}

	// Update: bob off, dave on, everyone listed.
	res, err := f.m.Update(f.ctx, site, Spec{ID: c.ID, Title: "Review 2", PublishAttendees: ptr(true),
		Attendees: []Person{{FirstName: "Dave", Email: "dave@mail.example.com", UserID: dave}}}, base)
	if err != nil || res.InviteErr != nil {
		t.Fatal(err, res.InviteErr)
	}
	got = byRecipient(t, relay.Wait(t, 3, 10*time.Second))
	for _, to := range []string{"alice@mail.example.com", "dave@mail.example.com"} {
		inv := got[to]
		ev := event(t, inv.cal)
		if inv.method != "REQUEST" || text(t, ev.Props, ical.PropSequence) != "1" || text(t, ev.Props, ical.PropUID) != uid ||
			inv.subject != "Updated invitation: Review 2" || len(ev.Props.Values(ical.PropAttendee)) != 2 {
			t.Fatalf("%s's update: %q %q %+v", to, inv.method, inv.subject, ev.Props)
		}
	}
	if cancel := got["bob@mail.example.com"]; cancel.method != "CANCEL" || text(t, event(t, cancel.cal).Props, ical.PropStatus) != "CANCELLED" ||
		text(t, event(t, cancel.cal).Props, ical.PropUID) != uid || !strings.HasPrefix(cancel.subject, "Cancelled:") {
		t.Fatalf("bob's cancellation: %q %q", cancel.method, cancel.subject)
	}

	// Delete: a cancellation to everyone left, SEQUENCE 2.
	if err := f.m.Delete(f.ctx, site, c.ID, base); err != nil {
		t.Fatal(err)
	}
	got = byRecipient(t, relay.Wait(t, 2, 10*time.Second))
	for _, to := range []string{"alice@mail.example.com", "dave@mail.example.com"} {
		inv := got[to]
		if inv.method != "CANCEL" || text(t, event(t, inv.cal).Props, ical.PropSequence) != "2" {
			t.Fatalf("%s's cancellation: %q %+v", to, inv.method, event(t, inv.cal).Props)
		}
	}
	if p := relay.Pending(); len(p) != 0 {
		t.Fatalf("%d more messages", len(p))
	}
}

// Without a relay the conference is still made, and the invitations'
// failure is reported (ERROR_SENDING_EMAIL_INVITES); a relay refusing a
// recipient is a failure too.
func TestInvitationFailures(t *testing.T) {
	f := newFixture(t)
	s := spec()
	s.SendInvitations = ptr(true)
	r, err := f.m.Schedule(f.ctx, site, s, base)
	if err != nil || !errors.Is(r.InviteErr, pmail.ErrNoRelay) || !IsNoRelay(r.InviteErr) {
		t.Fatalf("no relay: %v, invite error %v", err, r.InviteErr)
	}
	f.stored(r.Conference.ID)

	relay := smtptest.Start(t, smtptest.Options{Reject: func(rcpt string) error {
		if strings.HasPrefix(rcpt, "bob@") {
			return errors.New("mailbox unavailable")
		}
		return nil
	}})
	sender, _ := pmail.New(pmail.Config{Relay: relay.Addr, From: "parley@example.com", CAFile: relay.CAFile, Timeout: 10 * time.Second})
	f = newFixture(t, func(o *Options) { o.Mail = sender })
	r, err = f.m.Schedule(f.ctx, site, s, base)
	if err != nil || r.InviteErr == nil || !strings.Contains(r.InviteErr.Error(), "bob@mail.example.com") {
		t.Fatalf("a refused recipient: %v, invite error %v", err, r.InviteErr)
	}
	// Without sendEmailNotification nothing is sent.
	s.SendInvitations = nil
	r, _ = f.m.Schedule(f.ctx, site, s, base)
	if r.InviteErr != nil {
		t.Fatal(r.InviteErr)
	}
	relay.Wait(t, 1, 10*time.Second) // the host's, from the first schedule
	if p := relay.Pending(); len(p) != 0 {
		t.Fatalf("messages without sendEmailNotification: %d", len(p))
	}
}

func newB64(r io.Reader) io.Reader { return base64.NewDecoder(base64.StdEncoding, r) }
