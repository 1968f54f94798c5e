package livehelp

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// eventQueue bounds the work waiting for the loop. A stanza that finds
// it full is answered with <resource-constraint/> (or dropped, for
// those that take no answer).
const eventQueue = 4096

// maintenanceEvery is how often expired guests, used requests and old
// transcripts are purged.
const maintenanceEvery = time.Minute

// Service is live help: support groups with their queues and routing,
// guests and their chats, the chat requests of sites. Create it with
// New, then Start it.
type Service struct {
	opts     Options
	clock    Clock
	log      *slog.Logger
	hosts    map[string]bool // served domains
	groupDom map[string]bool // <groups>.<host>
	guestDom map[string]bool // <guest>.<host>
	reg      *registry
	failures *failureLimiter

	events  chan func()
	fwd     chan forward // events for desks other nodes keep (placement.go)
	dirtyMu sync.Mutex
	dirty   map[string]struct{} // bare JIDs whose presence changed, not yet looked at
	wake    chan struct{}       // a presence change is waiting (capacity 1)
	snap    atomic.Pointer[snapshot]

	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}

	// Owned by the loop goroutine (no lock): the desks with their queues,
	// the open chats, the connected guests.
	desks   map[string]*desk
	chats   map[string]*chat       // by guest bare JID
	guests  map[string]*guestState // by guest bare JID
	changed bool                   // the snapshot is out of date
	ctx     context.Context        // the loop's, for store calls
}

// snapshot is what HTTP requests read of the loop's state: each agent's
// chats and each target's queue, published after every change.
type snapshot struct {
	loads  map[string]int // agent bare JID -> open chats
	queues map[string]queueInfo
}

type queueInfo struct {
	waiting int
	wait    time.Duration // estimated wait for a new visitor
}

// New returns a Service; FailuresPerMinute limits failed chat requests
// per client address (0: no limit).
func New(o Options, failuresPerMinute float64) *Service {
	o.defaults()
	s := &Service{opts: o, clock: o.Clock, log: o.Logger.With("module", "livehelp"),
		hosts: make(map[string]bool), groupDom: make(map[string]bool), guestDom: make(map[string]bool),
		reg: newRegistry(o.MaxGuestSessions), failures: newFailureLimiter(failuresPerMinute),
		events: make(chan func(), eventQueue), fwd: make(chan forward, forwardQueue), dirty: make(map[string]struct{}), wake: make(chan struct{}, 1),
		desks: make(map[string]*desk), chats: make(map[string]*chat), guests: make(map[string]*guestState)}
	for _, h := range o.Hosts {
		s.hosts[h] = true
		s.groupDom[o.GroupsSubdomain+"."+h] = true
		s.guestDom[o.GuestsSubdomain+"."+h] = true
	}
	s.snap.Store(&snapshot{loads: map[string]int{}, queues: map[string]queueInfo{}})
	return s
}

// GroupDomains are the domains support groups live on, one per host.
func (s *Service) GroupDomains() []string { return sortedKeys(s.groupDom) }

// GuestDomains are the domains guests live on, one per host.
func (s *Service) GuestDomains() []string { return sortedKeys(s.guestDom) }

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// IsGuest reports whether a JID is a guest's (its domain is a guest
// domain).
func (s *Service) IsGuest(j jid.JID) bool { return s.guestDom[j.Domain()] }

func (s *Service) guestDomainFor(target string) string {
	j, _ := jid.Parse(target)
	host := j.Domain()
	if s.groupDom[host] {
		host = strings.TrimPrefix(host, s.opts.GroupsSubdomain+".")
	}
	return s.opts.GuestsSubdomain + "." + host
}

// Start ends the chats a previous run left open (they did not survive
// it) and runs the loop until Stop. On a node of a cluster the other
// nodes' chats are open in the same store: they stay.
func (s *Service) Start(ctx context.Context) error {
	if s.opts.Placement != nil {
		// the store is shared: other nodes' open chats are live
	} else if n, err := s.opts.Store.EndOpenChats(ctx, s.clock.Now()); err != nil {
		return err
	} else if n > 0 {
		s.log.Info("chats left open by the previous run ended", "chats", n)
	}
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.cancel != nil {
		return nil
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done, s.ctx = cancel, make(chan struct{}), runCtx
	go s.loop(runCtx)
	s.post(s.maintain)
	if s.opts.Placement != nil {
		go s.forwarder(runCtx)
		s.rehomeLater()
	}
	return nil
}

// Stop ends the loop and marks the open chats ended.
func (s *Service) Stop(ctx context.Context) {
	s.runMu.Lock()
	cancel, done := s.cancel, s.done
	s.runMu.Unlock()
	if cancel == nil {
		return
	}
	if s.opts.Placement != nil {
		// Only this node's chats end: the store is shared.
		s.call(ctx, func() {
			for _, c := range s.chats {
				s.updateChat(c, store.ChatEnded, s.clock.Now())
			}
		})
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
	}
	if s.opts.Placement != nil {
		return
	}
	if _, err := s.opts.Store.EndOpenChats(context.WithoutCancel(ctx), s.clock.Now()); err != nil {
		s.log.Warn("end open chats at shutdown", "err", err)
	}
}

func (s *Service) loop(ctx context.Context) {
	defer close(s.done)
	for {
		select {
		case fn := <-s.events:
			s.run(fn)
		case <-s.wake:
			s.run(s.presenceBatch)
		case <-ctx.Done():
			return
		}
		if s.changed {
			s.publish()
		}
	}
}

// run calls fn, turning a panic into a log line: one bad stanza must not
// take live help down.
func (s *Service) run(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("livehelp: panic in the loop", "panic", r)
		}
	}()
	fn()
}

// post hands fn to the loop; false if the loop's queue is full.
func (s *Service) post(fn func()) bool {
	select {
	case s.events <- fn:
		return true
	default:
		return false
	}
}

// call runs fn on the loop and waits for it (for HTTP requests that need
// the loop's state), within ctx.
func (s *Service) call(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	if !s.post(func() { defer close(done); fn() }) {
		return ErrBusy
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PresenceChanged is told of every change of a local user's
// availability (the router's presence hook). It never blocks: changes
// are collected and looked at by the loop in batches, so that a flood of
// presence costs live help one pass per batch.
func (s *Service) PresenceChanged(bare string) {
	s.dirtyMu.Lock()
	if len(s.dirty) < 100000 {
		s.dirty[bare] = struct{}{}
	}
	s.dirtyMu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// presenceBatch re-routes the desks whose agents' presence changed.
func (s *Service) presenceBatch() {
	s.dirtyMu.Lock()
	changed := s.dirty
	s.dirty = make(map[string]struct{})
	s.dirtyMu.Unlock()
	for _, d := range s.desks {
		if !d.active(s) {
			continue
		}
		info := s.loadInfo(d)
		touched := false
		for _, a := range info.all {
			if _, ok := changed[a]; ok {
				touched = true
				break
			}
		}
		if touched {
			s.dispatch(d)
			s.sendTargetPresence(d)
		}
	}
}

// publish copies the loop's loads and queues for HTTP readers.
func (s *Service) publish() {
	s.changed = false
	sn := &snapshot{loads: make(map[string]int), queues: make(map[string]queueInfo)}
	for _, c := range s.chats {
		if c.state == stateActive && c.agent != "" {
			sn.loads[c.agent]++
		}
	}
	for k, d := range s.desks {
		if len(d.queue) > 0 {
			sn.queues[k] = queueInfo{waiting: len(d.queue), wait: s.estimate(d, len(d.queue)+1)}
		}
	}
	s.snap.Store(sn)
}

// maintain purges expired guests, used requests and old transcripts, and
// schedules itself again.
func (s *Service) maintain() {
	now := s.clock.Now()
	ctx := s.ctx
	if n, err := s.opts.Store.DeleteExpiredGuests(ctx, now); err != nil {
		s.log.Warn("purge expired guests", "err", err)
	} else if n > 0 {
		s.log.Info("expired guests deleted", "guests", n)
	}
	if _, err := s.opts.Store.DeleteUsedChatRequests(ctx, now); err != nil {
		s.log.Warn("purge used chat requests", "err", err)
	}
	if r := s.opts.TranscriptRetention; r > 0 {
		if n, err := s.opts.Store.PruneChats(ctx, now.Add(-r)); err != nil {
			s.log.Warn("prune transcripts", "err", err)
		} else if n > 0 {
			s.log.Info("old transcripts deleted", "chats", n)
		}
	}
	s.clock.AfterFunc(maintenanceEvery, func() { s.post(s.maintain) })
}

// Receive takes the stanzas addressed to the group and guest domains
// (router.Component). It never blocks: the work goes to the loop.
func (s *Service) Receive(ctx context.Context, el *xml.Element) {
	to, err := jid.Parse(el.Attr("to"))
	from, ferr := jid.Parse(el.Attr("from"))
	if err != nil || ferr != nil {
		return
	}
	if el.Name == "iq" {
		s.answerIQ(ctx, el, to)
		return
	}
	if el.Name != "message" || el.Attr("type") == "error" {
		return // presence to groups and guests is not taken; errors need no answer
	}
	if s.forwarded(from, to, el) {
		return
	}
	var fn func()
	switch {
	case s.guestDom[to.Domain()] && to.Local() != "":
		fn = func() { s.fromAgent(from, to.Bare().String(), el) }
	case s.groupDom[to.Domain()] && to.Local() != "":
		fn = func() { s.toGroup(from, to.Bare().String(), el) }
	default:
		s.replyError(ctx, el, "service-unavailable", "live help takes messages to support groups and visitors only")
		return
	}
	if !s.post(fn) {
		s.replyError(ctx, el, "resource-constraint", "live help is busy; try again")
	}
}

// userExists reports whether a local account exists.
func (s *Service) userExists(ctx context.Context, bare string) bool {
	_, err := s.opts.Store.User(ctx, bare)
	return err == nil
}

func (s *Service) storeErr(what string, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("livehelp: store", "op", what, "err", err)
	}
}
