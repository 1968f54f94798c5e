// Package netpresence implements seed 000's "network presence": a user
// may name an account on another network — another XMPP server, reached
// over federation — whose presence the web surfaces (the presence URL,
// /plugins/presence/status, the widget) show for them instead of their
// own, for when they are away from the enterprise network.
//
// Parley asks for that account's presence on the user's behalf: a
// subscription request from the user's address, which the account's
// owner approves on their network (that approval is the user's consent
// that the two accounts belong together; until then the surfaces show
// offline). The contact joins the user's roster like any other. Once
// approved, the other server sends the account's presence, which this
// package keeps in memory per user; at start, and when a setting is new,
// Parley probes for it.
//
// Settings live in the store (store.NetworkPresence) and change with
// `parley user network-presence`, also while the server runs: Refresh
// reads them again (the server calls it periodically).
//
// Locking: Service.mu guards the links; it is never held while calling
// the roster engine or the store.
package netpresence

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// Approval says where the subscription to the remote account stands.
type Approval string

// The approval states.
const (
	Pending  Approval = "pending"  // requested, not answered yet
	Approved Approval = "approved" // the account shares its presence
	Refused  Approval = "refused"  // the account refused or cancelled
)

// Resource is one available resource of the remote account.
type Resource struct {
	Name     string
	Presence *xml.Element // its last available presence, as it came
	Changed  time.Time
}

// Status is what is known of a user's network presence.
type Status struct {
	Remote    string     // the remote account
	Approval  Approval   // of the subscription
	Resources []Resource // available resources, most recent first; none: offline
}

// Config wires a Service.
type Config struct {
	Store  store.NetworkPresence
	Roster *roster.Engine
	Logger *slog.Logger
	Now    func() time.Time // for tests; time.Now if nil
}

// Service tracks network presence.
type Service struct {
	cfg Config
	log *slog.Logger

	mu    sync.Mutex
	links map[string]*link // by owner
}

type link struct {
	remote    string
	since     time.Time // when it was set
	approval  Approval
	resources map[string]Resource
	asked     time.Time // when it was last asked for presence
}

// askAgain is how long a setting that has no presence yet waits before
// it is asked again: a probe, unless the subscription is pending.
const askAgain = 5 * time.Minute

// New returns a Service; Refresh loads the settings.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, log: cfg.Logger.With("module", "netpresence"), links: make(map[string]*link)}
}

// Refresh reads the settings and acts on what changed: a new or changed
// setting asks the remote account for its presence (a subscription
// request, or a probe when the user already has it), a removed one is
// forgotten (the contact stays in the user's roster). Settings still
// waiting for presence are probed again, which recovers from a remote
// server that was unreachable.
func (s *Service) Refresh(ctx context.Context) error {
	all, err := s.cfg.Store.NetworkPresences(ctx)
	if err != nil {
		return err
	}
	want := make(map[string]store.NetworkPresenceLink, len(all))
	for _, l := range all {
		want[l.Owner] = l
	}
	type task struct{ owner, remote string }
	var ask []task
	now := s.cfg.Now()
	s.mu.Lock()
	for owner, l := range s.links {
		// Set again (even to the same account): start afresh.
		if w, ok := want[owner]; !ok || w.Remote != l.remote || !w.Since.Equal(l.since) {
			delete(s.links, owner)
		}
	}
	for owner, w := range want {
		l := s.links[owner]
		if l == nil {
			l = &link{remote: w.Remote, since: w.Since, approval: Pending, resources: make(map[string]Resource)}
			s.links[owner] = l
		}
		if len(l.resources) == 0 && l.approval != Refused && (l.asked.IsZero() || now.Sub(l.asked) >= askAgain) {
			l.asked = now
			ask = append(ask, task{owner, w.Remote})
		}
	}
	s.mu.Unlock()
	var errs []error
	for _, t := range ask {
		errs = append(errs, s.ask(ctx, t.owner, t.remote))
	}
	return errors.Join(errs...)
}

// ask subscribes owner to remote, or probes when the subscription
// exists.
func (s *Service) ask(ctx context.Context, owner, remote string) error {
	subscribed, err := s.cfg.Roster.SubscribeFor(ctx, owner, remote)
	if err != nil {
		s.log.Warn("network presence: cannot subscribe", "user", owner, "remote", remote, "err", err)
		return err
	}
	if subscribed {
		s.setApproval(owner, remote, Approved)
		s.cfg.Roster.ProbeFor(ctx, owner, remote)
	}
	return nil
}

func (s *Service) setApproval(owner, remote string, a Approval) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.links[owner]; l != nil && l.remote == remote {
		l.approval = a
	}
}

// Wants reports whether ev is presence RemotePresence keeps (from the
// remote account a user named): a node of a cluster shares those with
// the others, so that the presence endpoints of every node show it.
func (s *Service) Wants(ev im.RemotePresence) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.links[ev.To.Bare().String()]
	return l != nil && l.remote == ev.From.Bare().String()
}

// RemotePresence takes presence another server sent to a local user
// (im.Config.OnRemotePresence): what comes from a user's network
// presence account is kept. It never blocks.
func (s *Service) RemotePresence(_ context.Context, ev im.RemotePresence) {
	owner, from := ev.To.Bare().String(), ev.From.Bare().String()
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.links[owner]
	if l == nil || l.remote != from {
		return
	}
	switch ev.Presence.Attr("type") {
	case "":
		l.approval = Approved
		l.resources[ev.From.Resource()] = Resource{Name: ev.From.Resource(), Presence: ev.Presence, Changed: s.cfg.Now()}
	case "unavailable", "error":
		if ev.From.IsBare() {
			clear(l.resources)
		} else {
			delete(l.resources, ev.From.Resource())
		}
	case "subscribed":
		l.approval = Approved
	case "unsubscribed":
		l.approval = Refused
		clear(l.resources)
	}
}

// Status returns what is known of owner's network presence; ok is
// false when owner has none.
func (s *Service) Status(owner string) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.links[owner]
	if l == nil {
		return Status{}, false
	}
	st := Status{Remote: l.remote, Approval: l.approval}
	for _, name := range slices.Sorted(maps.Keys(l.resources)) {
		st.Resources = append(st.Resources, l.resources[name])
	}
	slices.SortStableFunc(st.Resources, func(a, b Resource) int { return b.Changed.Compare(a.Changed) })
	return st, true
}

// Run refreshes every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("network presence refresh", "err", err)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("network presence refresh", "err", err)
			}
		}
	}
}

// Valid checks a remote account for owner: a bare JID with a local
// part, on a domain that local reports is not served here.
func Valid(owner, remote string, local func(domain string) bool) (jid.JID, error) {
	r, err := jid.Parse(remote)
	switch {
	case err != nil || r.Local() == "" || r.Resource() != "":
		return jid.JID{}, ErrNotAccount
	case local(r.Domain()):
		return jid.JID{}, ErrLocal
	case r.String() == owner:
		return jid.JID{}, ErrLocal
	}
	return r, nil
}

// Errors of Valid.
var (
	ErrNotAccount = errors.New("netpresence: not the bare JID of an account (user@domain)")
	ErrLocal      = errors.New("netpresence: an account of this server, not of another network")
)
