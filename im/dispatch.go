// Package im applies the instant-messaging rules of RFC 6121 to the
// stanzas of bound client sessions: it stamps and checks addresses,
// routes messages (§8.5), hands presence and rosters to package roster,
// iq payloads to the handlers registered on its Mux, and stores
// messages for offline users (package offline). It applies block lists
// (XEP-0191) to what it routes, hands clients' answers to the server's
// own requests to Calls, and tells modules of presence changes
// (PresenceChanged).
package im

import (
	"context"
	"errors"
	"log/slog"

	"github.com/parley-im/parley/im/carbons"
	"github.com/parley-im/parley/im/mam"
	"github.com/parley-im/parley/im/offline"
	"github.com/parley-im/parley/im/push"
	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// Dispatcher handles every stanza a bound client sends.
type Dispatcher struct {
	router  router.Router
	roster  *roster.Engine
	offline *offline.Service
	carbons *carbons.Service
	archive *mam.Service
	push    *push.Service
	mux     *Mux
	isLocal func(domain string) bool
	exists  func(ctx context.Context, bare string) bool
	log     *slog.Logger
	metrics Metrics

	offlineStored func(bare string)
	calls         *Calls
	blocks        func(user string, other jid.JID) bool
	stamp         func(ctx context.Context, user string, el *xml.Element) *xml.Element
	onPresence    func(ctx context.Context, ev PresenceChanged)

	onRemotePresence func(ctx context.Context, ev RemotePresence)
}

// PresenceChanged tells modules that a session's broadcast presence
// changed: Presence is the available presence as broadcast, or nil when
// the session became unavailable (it sent unavailable presence or ended).
type PresenceChanged struct {
	Session  router.Session
	Presence *xml.Element
}

// Metrics counts routing outcomes; nil funcs are skipped.
type Metrics struct {
	Routed      func(kind string)
	Stored      func()
	Bounced     func(condition string)
	OfflineFull func() // a message refused: the recipient's offline storage is full
}

// Config wires a Dispatcher.
type Config struct {
	Router  router.Router
	Roster  *roster.Engine
	Offline *offline.Service
	Carbons *carbons.Service // nil: no message carbons
	Archive *mam.Service     // nil: no message archive
	Push    *push.Service    // nil: no push notifications
	Mux     *Mux
	// IsLocal reports whether a domain is a served host. Routing asks
	// the router instead (Router.Route: one lookup decides local,
	// component or remote).
	IsLocal    func(domain string) bool
	UserExists func(ctx context.Context, bare string) bool
	Logger     *slog.Logger
	Metrics    Metrics
	// OfflineStored, when set, is told of every message stored offline,
	// instead of the dispatcher delivering it at once if the user came
	// online meanwhile: in a cluster the user may have come online on
	// any node, and the node with the best resource delivers it.
	OfflineStored func(bare string)

	// Calls gets the clients' answers to iq requests the server sent
	// them (nil: the server sends none).
	Calls *Calls
	// Blocks reports whether the local account user blocks other
	// (XEP-0191); nil: nobody blocks anyone.
	Blocks func(user string, other jid.JID) bool
	// StampPresence may rewrite an available presence a client sends,
	// broadcast or directed, before it goes anywhere (XEP-0153 photo
	// hashes); nil keeps it as sent.
	StampPresence func(ctx context.Context, user string, el *xml.Element) *xml.Element
	// OnPresence hears every change of a session's broadcast presence.
	OnPresence func(ctx context.Context, ev PresenceChanged)
	// OnRemotePresence hears presence that other servers send to local
	// users (network presence); it must not block. nil: nobody listens.
	OnRemotePresence func(ctx context.Context, ev RemotePresence)
}

// New returns a Dispatcher.
func New(c Config) *Dispatcher {
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Dispatcher{router: c.Router, roster: c.Roster, offline: c.Offline, carbons: c.Carbons, archive: c.Archive, push: c.Push, mux: c.Mux,
		isLocal: c.IsLocal, exists: c.UserExists, log: log, metrics: c.Metrics,
		calls: c.Calls, blocks: c.Blocks, stamp: c.StampPresence, onPresence: c.OnPresence, onRemotePresence: c.OnRemotePresence,
		offlineStored: c.OfflineStored}
}

// SessionStarted registers a newly bound session. A session already
// bound to the same full JID is closed with <conflict/>.
func (d *Dispatcher) SessionStarted(ctx context.Context, s router.Session) error {
	if err := d.roster.Acquire(ctx, s.JID().Bare().String()); err != nil {
		return err
	}
	if old := d.router.Bind(s); old != nil {
		old.Close(stream.Errorf(stream.Conflict, "replaced by a new connection"))
	}
	return nil
}

// SessionEnded unregisters a session and broadcasts its unavailable
// presence. It does nothing for a session that was replaced.
func (d *Dispatcher) SessionEnded(ctx context.Context, s router.Session) {
	last, ok := d.router.Unbind(s)
	if !ok {
		// Replaced by a newer session: presence belongs to the new one,
		// but the roster reference taken at bind is still ours.
		d.roster.Release(s.JID().Bare().String())
		return
	}
	d.roster.SessionEnded(ctx, s, last)
	if last.Available && d.onPresence != nil {
		d.onPresence(ctx, PresenceChanged{Session: s})
	}
}

// Unacknowledged treats the stanzas a stream management client never
// acknowledged as sent to an unavailable resource (XEP-0198 §5, RFC 6121
// §8.5.3.2): a message goes to the account's other resources or to
// offline storage (a duplicate is possible, a loss is not), an IQ
// request is answered with an error, presence is dropped.
func (d *Dispatcher) Unacknowledged(ctx context.Context, s router.Session, stanzas []*xml.Element) {
	for _, el := range stanzas {
		switch el.Name {
		case stanza.Message:
			if d.offline != nil && d.offline.Holds(el) {
				continue // still in offline storage: delivered again at the next login
			}
			to, err := jid.Parse(el.Attr("to"))
			if err != nil || to.IsZero() {
				to = s.JID()
			}
			d.route(ctx, el, to, false) // archived when first routed
		case stanza.IQ:
			if t := stanza.Type(el); t == "get" || t == "set" {
				d.bounce(ctx, el, stanza.ServiceUnavailable)
			}
		}
	}
}

// HandleStanza processes one stanza from the bound session s. The
// caller has verified that it is a message, presence or iq and that any
// 'from' it carried was the session's own JID.
func (d *Dispatcher) HandleStanza(ctx context.Context, s router.Session, el *xml.Element) {
	from := s.JID()
	to := el.Attr("to")
	var toJID jid.JID
	if to != "" {
		j, err := jid.Parse(to)
		if err != nil {
			if stanza.CanReplyWithError(el) {
				s.Deliver(stanza.Error(stanza.WithAddress(el, from.String(), ""), stanza.JIDMalformed, "invalid 'to' address"))
			}
			return
		}
		toJID = j
		to = j.String()
	}
	el = stanza.WithAddress(el, from.String(), to)
	if !toJID.IsZero() && d.blockedOutbound(s, el, toJID) {
		return
	}
	switch el.Name {
	case stanza.Presence:
		d.presence(ctx, s, el)
	case stanza.Message:
		if toJID.IsZero() {
			toJID = from.Bare() // RFC 6120 §10.3.1: no 'to' means the sender's account
			el = stanza.WithAddress(el, from.String(), toJID.String())
		}
		d.count("message")
		if d.carbons != nil {
			d.carbons.Sent(el, from)
		}
		if d.archive != nil {
			d.archive.ArchiveSent(ctx, el, from, toJID)
		}
		d.routeMessage(ctx, el, toJID)
	case stanza.IQ:
		d.count("iq")
		d.iq(ctx, s, el, toJID)
	}
}

func (d *Dispatcher) presence(ctx context.Context, s router.Session, el *xml.Element) {
	d.count("presence")
	typ := el.Attr("type")
	if typ == "" && d.stamp != nil {
		el = d.stamp(ctx, s.JID().Bare().String(), el)
	}
	reachable, err := d.roster.HandlePresence(ctx, s, el)
	if err != nil {
		d.log.Error("presence", "from", s.JID().String(), "err", err)
		if stanza.CanReplyWithError(el) {
			s.Deliver(stanza.Error(el, stanza.InternalServerError, ""))
		}
		return
	}
	if reachable != nil && d.offline != nil {
		d.offline.Deliver(ctx, s)
	}
	if d.onPresence != nil && el.Attr("to") == "" {
		switch typ {
		case "":
			d.onPresence(ctx, PresenceChanged{Session: s, Presence: el})
		case "unavailable":
			d.onPresence(ctx, PresenceChanged{Session: s})
		}
	}
}

// iq routes an iq from a local client (RFC 6120 §10.3, RFC 6121 §8.5).
func (d *Dispatcher) iq(ctx context.Context, s router.Session, el *xml.Element, to jid.JID) {
	typ := el.Attr("type")
	if el.Attr("id") == "" || (typ != "get" && typ != "set" && typ != "result" && typ != "error") {
		s.Deliver(stanza.Error(el, stanza.BadRequest, "iq needs an id and a type of get, set, result or error"))
		return
	}
	request := typ == "get" || typ == "set"
	if request && len(el.Children) != 1 {
		s.Deliver(stanza.Error(el, stanza.BadRequest, "an iq get or set carries exactly one payload"))
		return
	}
	if !to.IsZero() {
		if dest, c := d.router.Route(to.Domain()); dest != router.Local {
			d.elsewhere(ctx, el, c)
			return
		}
	}
	self := s.JID().Bare()
	switch {
	case to.IsZero() || to == self:
		if request {
			d.serve(ctx, s, el, ToAccount)
		}
	case to.Local() == "" && to.Resource() == "":
		if request {
			d.serve(ctx, s, el, ToServer)
		} else if d.calls != nil {
			d.calls.Resolve(el)
		}
	case to.IsBare():
		if request {
			d.contactIQ(ctx, s, el, to)
		}
	default:
		if d.blockedInbound(to, s.JID()) {
			if request {
				d.bounce(ctx, el, stanza.ServiceUnavailable)
			}
			return
		}
		if res, ok := d.router.Resource(to); ok {
			res.Session.Deliver(el)
			return
		}
		if request {
			d.bounce(ctx, el, stanza.ServiceUnavailable)
		}
	}
}

func (d *Dispatcher) serve(ctx context.Context, s router.Session, el *xml.Element, target Target) {
	if fn, ok := d.mux.lookup(el.Children[0], target); ok {
		fn(ctx, s, el)
		return
	}
	s.Deliver(stanza.Error(el, stanza.ServiceUnavailable, ""))
}

// contactIQ answers an iq request to another account's bare JID, from
// a local or a remote sender: the server answers on the account's
// behalf (RFC 6120 §10.3.3), with the handlers registered for contacts
// (ToContact: disco, vCard, PEP items...), unless the account blocks the
// sender (XEP-0191).
func (d *Dispatcher) contactIQ(ctx context.Context, s router.Session, el *xml.Element, to jid.JID) {
	if !d.exists(ctx, to.String()) || d.blockedInbound(to, s.JID()) {
		d.bounce(ctx, el, stanza.ServiceUnavailable)
		return
	}
	if fn, ok := d.mux.lookup(el.Children[0], ToContact); ok {
		fn(ctx, s, el)
		return
	}
	d.bounce(ctx, el, stanza.ServiceUnavailable)
}

// elsewhere hands a stanza for a domain that is not a served host to
// its component, or to its server (federation); without federation it
// bounces with <remote-server-not-found/>.
func (d *Dispatcher) elsewhere(ctx context.Context, el *xml.Element, c router.Component) {
	if c == nil {
		d.bounce(ctx, el, stanza.RemoteServerNotFound)
		return
	}
	c.Receive(ctx, el)
}

// routeMessage delivers a message to a local user or bounces it
// (RFC 6121 §8.5.2, §8.5.3), archiving it for the recipient.
func (d *Dispatcher) routeMessage(ctx context.Context, el *xml.Element, to jid.JID) {
	d.route(ctx, el, to, true)
}

// archived returns el as the recipient gets it: archived (with its
// stanza-id) when archive is set and an archive is configured.
func (d *Dispatcher) archived(ctx context.Context, el *xml.Element, to jid.JID, archive bool) *xml.Element {
	if !archive || d.archive == nil {
		return el
	}
	return d.archive.ArchiveReceived(ctx, el, to)
}

func (d *Dispatcher) route(ctx context.Context, el *xml.Element, to jid.JID, archive bool) {
	typ := stanza.Type(el)
	if dest, c := d.router.Route(to.Domain()); dest != router.Local {
		d.elsewhere(ctx, el, c)
		return
	}
	if to.Local() == "" {
		// Messages to the server itself: nothing here handles them.
		d.bounce(ctx, el, stanza.ServiceUnavailable)
		return
	}
	if from, err := jid.Parse(el.Attr("from")); err == nil && d.blockedInbound(to, from) {
		// XEP-0191 §3.3: the user appears offline to those they block.
		d.bounce(ctx, el, stanza.ServiceUnavailable)
		return
	}
	if !to.IsBare() {
		if res, ok := d.router.Resource(to); ok {
			el = d.archived(ctx, el, to, archive)
			res.Session.Deliver(el)
			d.copyReceived(el, to.Bare().String(), res.Session)
			return
		}
		switch typ {
		case "error", "headline":
			return // §8.5.3.2.1: silently ignored
		case "groupchat":
			d.bounce(ctx, el, stanza.ServiceUnavailable)
			return
		}
	}
	if typ == "error" {
		// To the bare JID (or fallen back to it): silently ignored
		// (RFC 6121 §8.5.2.1.1, §8.5.2.2.1), never offered to a resource.
		return
	}
	bare := to.Bare().String()
	if typ == "groupchat" {
		d.bounce(ctx, el, stanza.ServiceUnavailable)
		return
	}
	// Deliver to the available resources with the highest non-negative
	// priority (§8.5.2.1.1); headlines go to every non-negative one.
	var best []router.Resource
	top := -1
	for _, res := range d.router.Resources(bare) {
		if !res.Available || res.Priority < 0 {
			continue
		}
		switch {
		case typ == "headline":
			best = append(best, res)
		case res.Priority > top:
			top, best = res.Priority, append(best[:0], res)
		case res.Priority == top:
			best = append(best, res)
		}
	}
	if len(best) > 0 {
		el = d.archived(ctx, el, to, archive)
		sessions := make([]router.Session, len(best))
		for i, res := range best {
			res.Session.Deliver(el)
			sessions[i] = res.Session
		}
		d.copyReceived(el, bare, sessions...)
		return
	}
	if typ == "headline" {
		return
	}
	if !d.exists(ctx, bare) {
		d.bounce(ctx, el, stanza.ServiceUnavailable)
		return
	}
	if d.offline == nil || !offline.Storable(el) {
		d.archived(ctx, el, to, archive)
		return
	}
	err := d.offline.Store(ctx, bare, d.archived(ctx, el, to, archive))
	switch {
	case errors.Is(err, offline.ErrFull):
		if d.metrics.OfflineFull != nil {
			d.metrics.OfflineFull()
		}
		d.bounce(ctx, el, stanza.ServiceUnavailable)
	case err != nil:
		d.log.Error("offline store", "to", bare, "err", err)
		d.bounce(ctx, el, stanza.InternalServerError)
	default:
		if d.metrics.Stored != nil {
			d.metrics.Stored()
		}
		if d.push != nil {
			d.push.Offline(ctx, bare, el)
		}
		if d.offlineStored != nil {
			d.offlineStored(bare)
			return
		}
		// The recipient may have come online between the check above and
		// the store: its initial presence then found nothing to deliver.
		if res, ok := d.bestResource(bare); ok {
			d.offline.Deliver(ctx, res.Session)
		}
	}
}

// bestResource returns an available resource with a non-negative
// priority, the highest, if bare has one.
func (d *Dispatcher) bestResource(bare string) (router.Resource, bool) {
	var best router.Resource
	found := false
	for _, res := range d.router.Resources(bare) {
		if res.Available && res.Priority >= 0 && (!found || res.Priority > best.Priority) {
			best, found = res, true
		}
	}
	return best, found
}

// copyReceived sends carbons of a delivered message to the recipient's
// other resources.
func (d *Dispatcher) copyReceived(el *xml.Element, bare string, deliveredTo ...router.Session) {
	if d.carbons != nil {
		d.carbons.Received(el, bare, deliveredTo)
	}
}

// bounce answers a stanza with an error, routed back to its sender.
func (d *Dispatcher) bounce(ctx context.Context, el *xml.Element, cond stanza.Condition) {
	if !stanza.CanReplyWithError(el) {
		return
	}
	if d.metrics.Bounced != nil {
		d.metrics.Bounced(cond.Name)
	}
	reply := stanza.Error(el, cond, "")
	from, err := jid.Parse(el.Attr("from"))
	if err != nil {
		return
	}
	if _, ok := d.router.Component(from.Domain()); ok {
		// A component's stanza that cannot be delivered is dropped: a
		// bounce would re-enter the component while it sends (it holds
		// its room's lock), and components do not need them.
		return
	}
	switch reply.Name {
	case stanza.Presence:
		d.roster.DeliverPresence(ctx, reply)
	case stanza.Message:
		d.routeMessage(ctx, reply, from)
	default:
		d.deliverIQ(ctx, reply, from)
	}
}

// deliverIQ routes an iq to a local resource or to another server
// (whose sender bounced it, or asked).
func (d *Dispatcher) deliverIQ(ctx context.Context, el *xml.Element, to jid.JID) {
	if dest, c := d.router.Route(to.Domain()); dest == router.Remote && c != nil {
		c.Receive(ctx, el)
		return
	}
	if res, ok := d.router.Resource(to); ok {
		res.Session.Deliver(el)
	}
}

func (d *Dispatcher) count(kind string) {
	if d.metrics.Routed != nil {
		d.metrics.Routed(kind)
	}
}

// FromComponent delivers a stanza that a component (such as the MUC
// service) sends to a local user, by the rules for stanzas from any
// other entity: messages to a full JID go to that resource (or, but for
// groupchat, the user's best one or offline storage), presence to the
// resource or the available ones, iq to the resource. Stanzas to other
// servers' users (remote occupants) go to federation, which never
// blocks; stanzas to other components are dropped: a component never
// addresses another synchronously.
func (d *Dispatcher) FromComponent(ctx context.Context, el *xml.Element) {
	to, err := jid.Parse(el.Attr("to"))
	if err != nil {
		return
	}
	switch dest, c := d.router.Route(to.Domain()); {
	case dest == router.Remote && c != nil:
		c.Receive(ctx, el)
		return
	case dest != router.Local:
		return
	}
	switch el.Name {
	case stanza.Message:
		d.route(ctx, el, to, true)
	case stanza.Presence:
		d.roster.DeliverPresence(ctx, el)
	case stanza.IQ:
		if from, err := jid.Parse(el.Attr("from")); err == nil && d.blockedInbound(to, from) {
			return
		}
		if res, ok := d.router.Resource(to); ok {
			res.Session.Deliver(el)
		}
	}
}

// blockedInbound reports whether the local account of to blocks from
// (XEP-0191); an account never blocks itself.
func (d *Dispatcher) blockedInbound(to, from jid.JID) bool {
	if d.blocks == nil || to.Local() == "" || to.Bare() == from.Bare() {
		return false
	}
	return d.blocks(to.Bare().String(), from)
}

// blockedOutbound stops a stanza the session's user sends to an entity
// they block (XEP-0191 §3.3): a message or iq comes back with
// <not-acceptable/> and <blocked/>, presence is dropped. Stanzas to the
// user's own account and to the server are never blocked.
func (d *Dispatcher) blockedOutbound(s router.Session, el *xml.Element, to jid.JID) bool {
	user := s.JID().Bare()
	if d.blocks == nil || to.Bare() == user || (to.Local() == "" && to.Resource() == "" && d.isLocal(to.Domain())) {
		return false
	}
	if !d.blocks(user.String(), to) {
		return false
	}
	if el.Name != stanza.Presence && stanza.CanReplyWithError(el) {
		reply := stanza.Error(el, stanza.NotAcceptable, "")
		reply.Child(ns.Client, "error").AddChild(xml.NewElement(ns.BlockingErrors, "blocked"))
		s.Deliver(reply)
	}
	return true
}
