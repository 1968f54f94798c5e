package muc

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/parley-im/parley/im/mam"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Config wires a Service.
type Config struct {
	Domains []string    // the service's domains, e.g. conference.example.com
	Store   store.Rooms // persistent rooms and room archives
	// Send delivers a stanza from the service to a local user. It must
	// not call back into the service.
	Send              func(ctx context.Context, el *xml.Element)
	MaxOccupants      int     // per room; 0 = no limit
	MaxRoomsPerUser   int     // rooms one user may create; 0 = no limit
	MessagesPerSecond float64 // per occupant; 0 = no limit
	HistoryMessages   int     // a new room's history length
	ArchivePageBytes  int     // stanza bytes in one page of a room archive query; 0: mam.DefaultPageBytes
	// Drain, if set, returns once what was sent to the local session to
	// has been written to its connection (nil at once for anyone else):
	// a room archive page is streamed with it, a chunk at a time, as a
	// user's archive page is (mam.Stream).
	Drain  func(ctx context.Context, to jid.JID) error
	Name   string // the service's disco name
	Hooks  Hooks  // another module's say in some rooms (hooks.go)
	Logger *slog.Logger
}

// Service is the multi-user chat service of one or more domains.
type Service struct {
	cfg     Config
	log     *slog.Logger
	domains map[string]bool

	mu      sync.Mutex
	rooms   map[string]*Room           // bare room JID -> live room
	created map[string]map[string]bool // creator's bare JID -> rooms (live or stored)
	stopped bool
	forgets uint64 // rooms taken out of the table so far (room: a load raced with one)

	// Room archive answers being streamed (archive.go): per querier, the
	// jobs waiting; a querier with an entry has a goroutine running them.
	// streamMu is taken alone, never with mu or a room's lock.
	streamMu   sync.Mutex
	streamJobs map[string][]func()
	streams    sync.WaitGroup // goroutines running jobs (Stop waits for them)
}

// New returns a service; it registers nothing by itself.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Name == "" {
		cfg.Name = "Chatrooms"
	}
	if cfg.ArchivePageBytes <= 0 {
		cfg.ArchivePageBytes = mam.DefaultPageBytes
	}
	s := &Service{cfg: cfg, log: cfg.Logger, domains: map[string]bool{}, rooms: map[string]*Room{},
		created: map[string]map[string]bool{}, streamJobs: map[string][]func(){}}
	for _, d := range cfg.Domains {
		s.domains[d] = true
	}
	return s
}

// Domains lists the service's domains.
func (s *Service) Domains() []string { return slices.Clone(s.cfg.Domains) }

func (s *Service) send(ctx context.Context, el *xml.Element) { s.cfg.Send(ctx, el) }

// Receive handles a stanza addressed to one of the service's domains
// (router.Component). The stanza's from is its sender's full JID.
func (s *Service) Receive(ctx context.Context, el *xml.Element) {
	s.receive(ctx, el, false)
}

// receive is Receive; rejoin marks a join replayed after the room moved
// (Rejoin).
func (s *Service) receive(ctx context.Context, el *xml.Element, rejoin bool) {
	from, err := jid.Parse(el.Attr("from"))
	if err != nil || from.IsZero() {
		return
	}
	to, err := jid.Parse(el.Attr("to"))
	if err != nil || !s.domains[to.Domain()] {
		s.reply(ctx, el, errBadRequest, "")
		return
	}
	if to.Local() == "" {
		s.serviceStanza(ctx, el, from, to)
		return
	}
	create := el.Name == stanza.Presence && el.Attr("type") == "" && !to.IsBare()
	for {
		r, err := s.room(ctx, to.Bare(), create)
		if err != nil {
			s.log.Error("load room", "room", to.Bare().String(), "err", err)
			s.reply(ctx, el, errInternal, "")
			return
		}
		if r == nil {
			s.noRoom(ctx, el, to)
			return
		}
		if r.handle(ctx, el, from, to, rejoin) {
			return
		}
		// The room went away between lookup and lock: look again.
	}
}

// noRoom answers a stanza for a room that does not exist.
func (s *Service) noRoom(ctx context.Context, el *xml.Element, to jid.JID) {
	switch el.Name {
	case stanza.Presence:
		// unavailable or error presence for a room that is gone: nothing to do
	case stanza.IQ:
		if to.IsBare() && el.Attr("type") == "get" {
			if q := el.Children; len(q) == 1 && q[0].Space == NSOwner {
				s.reply(ctx, el, errNotFound, "")
				return
			}
		}
		if to.IsBare() || !isPing(el) {
			s.reply(ctx, el, errNotFound, "no such room")
			return
		}
		s.reply(ctx, el, errNotAcceptable, "not an occupant")
	default:
		s.reply(ctx, el, errNotFound, "no such room")
	}
}

// room returns the live room, loading a stored one, or creating it
// (locked, not yet initialized) when create is set. nil: no such room.
// The store is read without Service.mu, so a slow read (a room loaded
// for a disco or archive query) holds up no other room's lookup; a load
// that raced with a room leaving the table (destroyed, unloaded) is
// done again, so a destroyed room is not brought back.
func (s *Service) room(ctx context.Context, j jid.JID, create bool) (*Room, error) {
	key := j.String()
	for {
		s.mu.Lock()
		r, ok := s.rooms[key]
		stopped, forgets := s.stopped, s.forgets
		s.mu.Unlock()
		if ok {
			return r, nil
		}
		if stopped {
			return nil, nil
		}
		var loaded *Room
		stored, err := s.cfg.Store.Room(ctx, key)
		switch {
		case err == nil:
			st, err := decodeState(stored.State)
			if err != nil {
				return nil, err
			}
			loaded = newRoom(s, j, st)
			loaded.loadHistory(ctx)
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
		s.mu.Lock()
		if r, ok := s.rooms[key]; ok { // loaded or created meanwhile
			s.mu.Unlock()
			return r, nil
		}
		if s.forgets != forgets {
			s.mu.Unlock()
			continue
		}
		switch {
		case s.stopped:
			loaded = nil
		case loaded != nil:
			s.rooms[key] = loaded
		case create:
			loaded = newRoom(s, j, nil) // filled by the creator's join
			s.rooms[key] = loaded
		}
		s.mu.Unlock()
		return loaded, nil
	}
}

// claim records that creator creates room, unless creator already has
// as many rooms as allowed (live temporary rooms and stored ones).
func (s *Service) claim(creator, room string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	mine := s.created[creator]
	if max := s.cfg.MaxRoomsPerUser; max > 0 && len(mine) >= max && !mine[room] {
		return false
	}
	if mine == nil {
		mine = map[string]bool{}
		s.created[creator] = mine
	}
	mine[room] = true
	return true
}

// release forgets that creator created room (destroyed or gone).
func (s *Service) release(creator, room string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mine := s.created[creator]; mine != nil {
		delete(mine, room)
		if len(mine) == 0 {
			delete(s.created, creator)
		}
	}
}

// Start indexes the stored rooms by creator, for the rooms-per-user
// limit.
func (s *Service) Start(ctx context.Context) error {
	stored, err := s.cfg.Store.ListRooms(ctx, "")
	if err != nil {
		return err
	}
	for _, r := range stored {
		j, err := jid.Parse(r.JID)
		if err != nil || !s.domains[j.Domain()] {
			continue
		}
		st, err := decodeState(r.State)
		if err != nil {
			s.log.Warn("stored room unreadable", "room", r.JID, "err", err)
			continue
		}
		if st.Creator != "" {
			s.claimStored(st.Creator, r.JID)
		}
	}
	return nil
}

func (s *Service) claimStored(creator, room string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.created[creator] == nil {
		s.created[creator] = map[string]bool{}
	}
	s.created[creator][room] = true
}

// forget removes a room from the table (called with r.mu held).
func (s *Service) forget(r *Room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rooms[r.jid.String()] == r {
		s.forgets++
		delete(s.rooms, r.jid.String())
	}
}

// liveRooms returns the rooms in memory.
func (s *Service) liveRooms() []*Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		out = append(out, r)
	}
	return out
}

// RoomCount is the number of rooms in memory.
func (s *Service) RoomCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rooms)
}

// Stop tells every occupant that the service shuts down (status 332)
// and stops creating or loading rooms. Persistent rooms are already
// stored: every change is written when made.
func (s *Service) Stop(ctx context.Context) {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	for _, r := range s.liveRooms() {
		r.shutdown(ctx)
	}
	// Sessions end at shutdown, which ends their streams' waits.
	done := make(chan struct{})
	go func() { s.streams.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Destroy destroys a room from inside the process (admin tooling): its
// occupants are told, it is removed from the store. (`parley room
// destroy` edits the store directly; a running server notices a room
// deleted that way only when the room is next loaded.)
func (s *Service) Destroy(ctx context.Context, room jid.JID, reason, alternate string) error {
	for {
		r, err := s.room(ctx, room.Bare(), false)
		if err != nil {
			return err
		}
		if r == nil {
			return store.ErrNotFound
		}
		if done, err := r.destroyIfLive(ctx, reason, alternate); done {
			return err
		}
		// The room left the table (its last occupant left and it was
		// unloaded) between lookup and lock: look again, in the store.
	}
}

// destroyIfLive destroys the room unless it is gone; false if it was.
func (r *Room) destroyIfLive(ctx context.Context, reason, alternate string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		return false, nil
	}
	if r.st == nil {
		return true, store.ErrNotFound
	}
	r.destroy(ctx, reason, alternate, "")
	return true, nil
}

func (s *Service) reply(ctx context.Context, el *xml.Element, cond stanza.Condition, text string) {
	if !stanza.CanReplyWithError(el) {
		return
	}
	e := stanza.Error(el, cond, text)
	if el.Name == stanza.Presence {
		e.Children = append([]*xml.Element{xml.NewElement(NS, "x")}, e.Children...)
	}
	s.send(ctx, e)
}

// now is the service's clock.
func now() time.Time { return time.Now().UTC() }
