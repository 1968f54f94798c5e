// Package adhoc is ad-hoc commands (XEP-0050) on the server, and the
// service administration commands of XEP-0133 that an operator needs
// (admin.go): add and delete users, change a password, list online
// users, announce, user statistics. Every command here is for the
// accounts listed as admins in the configuration; anyone else sees no
// commands and is refused with <forbidden/>.
//
// A command with a form runs in two steps: execute returns the form
// with a session id, the submission runs it. Sessions live in memory,
// at most a few minutes and a bounded number at once.
//
// Locking: mu guards sessions; commands run without it.
package adhoc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/disco"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/dataform"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Command is one ad-hoc command.
type Command struct {
	Node, Name string
	// Form is the first step's form; nil runs the command at once.
	Form func(ctx context.Context, host string) dataform.Form
	// Run executes the command for host with the submitted form.
	Run func(ctx context.Context, host string, requester jid.JID, f dataform.Form) (Result, error)
}

// Result is what a command ends with.
type Result struct {
	Note string         // shown to the user
	Form *dataform.Form // a result form, or nil
}

// InputError is a submission the command refuses; its text is shown.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// Config wires a Service.
type Config struct {
	// Allowed reports whether requester may run the commands.
	Allowed  func(requester jid.JID) bool
	Commands []Command
	Now      func() time.Time // default time.Now
	Logger   *slog.Logger
}

// Service answers XEP-0050 on the server's domains.
type Service struct {
	cfg   Config
	log   *slog.Logger
	nodes map[string]Command

	mu       sync.Mutex
	sessions map[string]session
}

type session struct {
	node    string
	owner   jid.JID
	expires time.Time
}

const (
	sessionLife = 10 * time.Minute
	maxSessions = 1000
)

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Service{cfg: cfg, log: log, nodes: make(map[string]Command), sessions: make(map[string]session)}
	for _, c := range cfg.Commands {
		s.nodes[c.Node] = c
	}
	return s
}

// Register installs the command handler and its disco nodes.
func (s *Service) Register(mux *im.Mux, d *disco.Service) {
	mux.Handle(ns.Commands, "command", im.ToServer, s.HandleIQ)
	mux.AddFeature(im.ToServer, ns.Commands)
	d.HandleNodes(s.discoNodes)
}

// discoNodes lists the commands (XEP-0050 §2.2) to admins, and
// describes each command node (§2.3).
func (s *Service) discoNodes(_ context.Context, requester, entity jid.JID, node string) (*disco.Info, []disco.Item, bool) {
	if entity.Local() != "" || !entity.IsBare() {
		return nil, nil, false
	}
	if node == ns.Commands {
		if !s.cfg.Allowed(requester.Bare()) {
			return &disco.Info{}, nil, true
		}
		items := make([]disco.Item, 0, len(s.cfg.Commands))
		for _, c := range s.cfg.Commands {
			items = append(items, disco.Item{JID: entity.String(), Node: c.Node, Name: c.Name})
		}
		sort.Slice(items, func(i, j int) bool { return items[i].Node < items[j].Node })
		return &disco.Info{Identities: []im.Identity{{Category: "automation", Type: "command-list"}}}, items, true
	}
	c, ok := s.nodes[node]
	if !ok || !s.cfg.Allowed(requester.Bare()) {
		return nil, nil, false
	}
	return &disco.Info{Identities: []im.Identity{{Category: "automation", Type: "command-node", Name: c.Name}},
		Features: []string{ns.Commands, ns.DataForms}}, nil, true
}

func commandError(iq *xml.Element, cond stanza.Condition, app, text string) *xml.Element {
	reply := stanza.Error(iq, cond, text)
	if app != "" {
		reply.Child(ns.Client, "error").AddChild(xml.NewElement(ns.Commands, app))
	}
	return reply
}

// HandleIQ runs a command step (XEP-0050 §3).
func (s *Service) HandleIQ(ctx context.Context, sess router.Session, iq *xml.Element) {
	cmd := iq.Children[0]
	requester := sess.JID()
	if iq.Attr("type") != "set" {
		sess.Deliver(stanza.Error(iq, stanza.BadRequest, "commands are run with iq set"))
		return
	}
	c, ok := s.nodes[cmd.Attr("node")]
	if !ok {
		sess.Deliver(stanza.Error(iq, stanza.ItemNotFound, "no such command"))
		return
	}
	if !s.cfg.Allowed(requester.Bare()) {
		s.log.Warn("admin command refused", "from", requester.String(), "node", c.Node)
		sess.Deliver(stanza.Error(iq, stanza.Forbidden, "only the server's administrators run this command"))
		return
	}
	to, _ := jid.Parse(iq.Attr("to"))
	host := to.Domain()
	action := cmd.Attr("action")
	id := cmd.Attr("sessionid")
	if id != "" {
		if !s.takeSession(id, c.Node, requester) {
			sess.Deliver(commandError(iq, stanza.BadRequest, "bad-sessionid", "unknown or expired session"))
			return
		}
		switch action {
		case "cancel":
			sess.Deliver(stanza.Result(iq, reply(c.Node, id, "canceled")))
			return
		case "", "execute", "complete":
		default:
			sess.Deliver(commandError(iq, stanza.BadRequest, "malformed-action", "use complete or cancel"))
			return
		}
		f, ok := dataform.Find(cmd)
		if !ok || f.Type != dataform.TypeSubmit {
			sess.Deliver(commandError(iq, stanza.BadRequest, "bad-payload", "submit the command's form"))
			return
		}
		s.run(ctx, sess, iq, c, host, id, f)
		return
	}
	switch action {
	case "", "execute":
	case "cancel":
		sess.Deliver(stanza.Result(iq, reply(c.Node, "", "canceled")))
		return
	default:
		sess.Deliver(commandError(iq, stanza.BadRequest, "malformed-action", "start a command with execute"))
		return
	}
	id = s.newSession(c.Node, requester)
	if c.Form == nil {
		s.takeSession(id, c.Node, requester)
		s.run(ctx, sess, iq, c, host, id, dataform.Form{Type: dataform.TypeSubmit})
		return
	}
	out := reply(c.Node, id, "executing")
	out.AddChild(xml.NewElement(ns.Commands, "actions", xml.Attr{Name: "execute", Value: "complete"}).
		AddChild(xml.NewElement(ns.Commands, "complete")))
	form := c.Form(ctx, host)
	form.Type = dataform.TypeForm
	out.AddChild(form.Element())
	sess.Deliver(stanza.Result(iq, out))
}

func (s *Service) run(ctx context.Context, sess router.Session, iq *xml.Element, c Command, host, id string, f dataform.Form) {
	res, err := c.Run(ctx, host, sess.JID(), f)
	var in *InputError
	switch {
	case errors.As(err, &in):
		sess.Deliver(commandError(iq, stanza.BadRequest, "bad-payload", in.Msg))
		return
	case err != nil:
		s.log.Error("admin command", "node", c.Node, "from", sess.JID().String(), "err", err)
		sess.Deliver(stanza.Error(iq, stanza.InternalServerError, ""))
		return
	}
	s.log.Info("admin command", "node", c.Node, "from", sess.JID().String())
	out := reply(c.Node, id, "completed")
	if res.Note != "" {
		out.AddChild(xml.NewElement(ns.Commands, "note", xml.Attr{Name: "type", Value: "info"}).SetText(res.Note))
	}
	if res.Form != nil {
		res.Form.Type = dataform.TypeResult
		out.AddChild(res.Form.Element())
	}
	sess.Deliver(stanza.Result(iq, out))
}

func reply(node, id, status string) *xml.Element {
	el := xml.NewElement(ns.Commands, "command", xml.Attr{Name: "node", Value: node}, xml.Attr{Name: "status", Value: status})
	if id != "" {
		el.SetAttr("sessionid", id)
	}
	return el
}

func (s *Service) newSession(node string, owner jid.JID) string {
	var b [12]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) >= maxSessions {
		for k, v := range s.sessions {
			if now.After(v.expires) {
				delete(s.sessions, k)
			}
		}
		if len(s.sessions) >= maxSessions {
			for k := range s.sessions {
				delete(s.sessions, k)
				break
			}
		}
	}
	s.sessions[id] = session{node: node, owner: owner, expires: now.Add(sessionLife)}
	return id
}

// takeSession ends a session if it is owner's, for node, and alive.
func (s *Service) takeSession(id, node string, owner jid.JID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.sessions[id]
	if !ok || v.node != node || v.owner != owner || s.cfg.Now().After(v.expires) {
		return false
	}
	delete(s.sessions, id)
	return true
}
