package manage

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/parley-im/parley/c2s"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stream"
)

// Session is one bound client session as the console and `parley
// session list` show it.
type Session struct {
	JID       string    `json:"jid"`       // full JID
	Available bool      `json:"available"` // sent available presence
	Show      string    `json:"show,omitempty"`
	Status    string    `json:"status,omitempty"`
	Priority  int       `json:"priority"`
	Remote    string    `json:"remote,omitempty"` // client address
	Secure    bool      `json:"secure"`           // TLS, or HTTPS in front
	Connected time.Time `json:"connected,omitzero"`
}

// Sessions lists and ends the bound sessions of a running server.
type Sessions struct {
	Router router.Router
}

// describer is what c2s sessions tell about their connection.
type describer interface{ Info() c2s.SessionInfo }

func describe(res router.Resource) Session {
	s := Session{JID: res.Session.JID().String(), Available: res.Available, Priority: res.Priority}
	if res.Presence != nil {
		if sh := res.Presence.Child("", "show"); sh != nil {
			s.Show = strings.TrimSpace(sh.Text)
		}
		if st := res.Presence.Child("", "status"); st != nil {
			s.Status = strings.TrimSpace(st.Text)
		}
	}
	if d, ok := res.Session.(describer); ok {
		info := d.Info()
		s.Remote, s.Secure, s.Connected = info.Remote, info.Secure, info.Started
	}
	return s
}

// List returns the sessions of user (a bare JID), or of everyone when
// user is "", sorted by JID.
func (m Sessions) List(user string) []Session {
	var out []Session
	if user != "" {
		for _, res := range m.Router.Resources(user) {
			out = append(out, describe(res))
		}
	} else {
		for _, sess := range m.Router.Everyone() {
			if res, ok := m.Router.Resource(sess.JID()); ok {
				out = append(out, describe(res))
			}
		}
	}
	slices.SortFunc(out, func(a, b Session) int { return cmp.Compare(a.JID, b.JID) })
	return out
}

// Kick ends the session of a full JID, or every session of a bare JID,
// with a stream error (policy-violation and reason); it returns the
// JIDs it ended. ErrNotFound when there was none.
func (m Sessions) Kick(address, reason string) ([]string, error) {
	j, err := jid.Parse(strings.TrimSpace(address))
	if err != nil || j.Local() == "" {
		return nil, errorf(ErrInvalid, "%q is not a user's JID", address)
	}
	if reason == "" {
		reason = "ended by an administrator"
	}
	var ended []string
	for _, res := range m.Router.Resources(j.Bare().String()) {
		if !j.IsBare() && res.Session.JID() != j {
			continue
		}
		res.Session.Close(stream.Errorf(stream.PolicyViolation, reason))
		ended = append(ended, res.Session.JID().String())
	}
	if len(ended) == 0 {
		return nil, errorf(ErrNotFound, "no session of %s is online", j)
	}
	slices.Sort(ended)
	return ended, nil
}
