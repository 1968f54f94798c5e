// Package extdisco is external service discovery (XEP-0215): the STUN
// and TURN servers a client uses to set up calls, from the
// configuration. TURN credentials are time-limited and derived from a
// secret shared with the TURN server (the TURN REST convention that
// coturn's use-auth-secret implements): the user name is the expiry
// time and the account, the password an HMAC of it.
package extdisco

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Service answers <services/> and <credentials/>.
type Service struct {
	services []config.ExternalService
	secret   []byte
	lifetime time.Duration
	now      func() time.Time
}

// New returns a Service for the configured URIs (already validated).
func New(c config.ExternalServices, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{secret: []byte(c.TURNSecret), lifetime: c.CredentialLifetime.Duration, now: now}
	for _, u := range c.URIs {
		if svc, err := config.ParseExternalService(u); err == nil {
			s.services = append(s.services, svc)
		}
	}
	return s
}

// Credentials returns TURN REST credentials for user, valid until expires.
func Credentials(secret []byte, user string, expires time.Time) (username, password string) {
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + user
	m := hmac.New(sha1.New, secret)
	m.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (s *Service) element(svc config.ExternalService, user string) *xml.Element {
	el := xml.NewElement(ns.ExtDisco, "service",
		xml.Attr{Name: "type", Value: svc.Type}, xml.Attr{Name: "host", Value: svc.Host})
	port := svc.Port
	if port == 0 {
		port = 3478
		if strings.HasSuffix(svc.Type, "s") {
			port = 5349
		}
	}
	el.SetAttr("port", strconv.Itoa(port))
	if svc.Transport != "" {
		el.SetAttr("transport", svc.Transport)
	}
	if strings.HasPrefix(svc.Type, "turn") && len(s.secret) > 0 {
		expires := s.now().Add(s.lifetime).UTC()
		u, p := Credentials(s.secret, user, expires)
		el.SetAttr("username", u)
		el.SetAttr("password", p)
		el.SetAttr("expires", expires.Format(time.RFC3339))
		el.SetAttr("restricted", "1")
	}
	return el
}

// HandleIQ answers a client (XEP-0215 §3.1, §3.3).
func (s *Service) HandleIQ(_ context.Context, sess router.Session, iq *xml.Element) {
	if iq.Attr("type") != "get" {
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, "external services are only read"))
		return
	}
	user := sess.JID().Bare().String()
	q := iq.Children[0]
	switch q.Name {
	case "services":
		typ := q.Attr("type")
		out := xml.NewElement(ns.ExtDisco, "services")
		if typ != "" {
			out.SetAttr("type", typ)
		}
		for _, svc := range s.services {
			if typ == "" || svc.Type == typ {
				out.AddChild(s.element(svc, user))
			}
		}
		sess.Deliver(stanza.Result(iq, out))
	case "credentials":
		want := q.Child(ns.ExtDisco, "service")
		if want == nil || want.Attr("host") == "" {
			sess.Deliver(stanza.Error(iq, stanza.BadRequest, "name the service by host (and type)"))
			return
		}
		out := xml.NewElement(ns.ExtDisco, "credentials")
		for _, svc := range s.services {
			if svc.Host != want.Attr("host") || (want.Attr("type") != "" && svc.Type != want.Attr("type")) ||
				(want.Attr("port") != "" && want.Attr("port") != strconv.Itoa(svc.Port)) {
				continue
			}
			out.AddChild(s.element(svc, user))
		}
		if len(out.Children) == 0 {
			sess.Deliver(stanza.Error(iq, stanza.ItemNotFound, "no such service"))
			return
		}
		sess.Deliver(stanza.Result(iq, out))
	default:
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, ""))
	}
}
