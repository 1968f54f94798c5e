package conference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/mail"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

// Store is what the Manager persists and reads: conferences, the
// accounts that make a user registered, and the conferences' rooms.
type Store interface {
	store.Conferences
	store.Users
	store.Rooms
}

// Options configure a Manager.
type Options struct {
	Store Store
	// MUC is the running multi-user chat service, whose rooms the
	// Manager destroys when conferences end; nil outside the server (the
	// CLI), where rooms are only stored and deleted.
	MUC *muc.Service
	// Mail sends invitations; nil or without a relay, sending fails with
	// mail.ErrNoRelay.
	Mail *mail.Sender
	// Domain completes user IDs given without '@'.
	Domain string
	// GuestDomain is where guests' sessions live (guest-<random>@<it>),
	// logging in with their pass's ticket (BearerVerify); "" admits no
	// guest.
	GuestDomain string
	// MUCDomain is the service the conference rooms are on
	// (conference.<Domain>); "" for conferences without a room.
	MUCDomain string
	// EarlyJoin is how long before its start a conference may be joined
	// (rtc.application.early_join_minutes).
	EarlyJoin time.Duration
	// MaxDuration bounds a conference's length; 0 means 24 hours.
	MaxDuration time.Duration
	// MaxAttendees bounds the attendees of one conference; 0 means 500.
	MaxAttendees int
	// MaxOccupants bounds who may be in a conference at once; 0 for the
	// MUC service's limit.
	MaxOccupants int
	// InstantLength is an instant conference's scheduled length; 0 means
	// one hour.
	InstantLength time.Duration
	// CheckInterval is how often Run looks for conferences to end; 0
	// means 30 seconds.
	CheckInterval time.Duration
	// GuestsAllowed reports whether the site (or user) that scheduled a
	// conference lets guests in now (guest_user_access_enabled); nil
	// lets none in without an invitation.
	GuestsAllowed func(ctx context.Context, c store.Conference) bool
	// Placement, in a cluster, says which node holds each conference's
	// room; nil on a single server (placement.go).
	Placement Placement
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Manager schedules and runs conferences. Create it with New.
type Manager struct {
	o   Options
	log *slog.Logger

	mu     sync.Mutex
	lives  map[string]*live  // conference ID → its live state, while in use
	passes map[string]Pass   // guest bare JID → pass (guests.go)
	ticket map[string]string // a pass's secret → its guest's bare JID

	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	bg     sync.WaitGroup // rooms being destroyed after an end seen in a hook
}

// New returns a Manager.
func New(o Options) *Manager {
	if o.MaxDuration <= 0 {
		o.MaxDuration = 24 * time.Hour
	}
	if o.MaxAttendees <= 0 {
		o.MaxAttendees = 500
	}
	if o.InstantLength <= 0 {
		o.InstantLength = time.Hour
	}
	if o.CheckInterval <= 0 {
		o.CheckInterval = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Manager{o: o, log: o.Logger, lives: map[string]*live{}, passes: map[string]Pass{}, ticket: map[string]string{}}
}

// EarlyJoin is how long before its start a conference opens.
func (m *Manager) EarlyJoin() time.Duration { return m.o.EarlyJoin }

func (m *Manager) now() time.Time { return m.o.Now().UTC() }

// live is the live state of one conference: the one owner of its
// record in this process. Every field but refs and busy is guarded by
// mu; refs by Manager.mu.
type live struct {
	id   string
	refs int // holders; guarded by Manager.mu
	// busy: people are present, so the record in memory is current and
	// the value stays in the table (written under mu, read under
	// Manager.mu).
	busy atomic.Bool

	mu      sync.Mutex
	c       store.Conference
	loaded  bool
	present map[string]*stay // room nick → the stay
	locked  bool             // the host let nobody else in
	hands   map[string]bool  // nicks with a raised hand
	// destroy is set when the conference ended under mu; the room is
	// destroyed once mu is released.
	destroy bool
}

// stay is one person present in the conference.
type stay struct {
	attendance int64 // the store's attendance ID
	who        who
	name       string
}

// acquire returns the live value of a conference, holding it.
func (m *Manager) acquire(id string) *live {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.lives[id]
	if l == nil {
		l = &live{id: id, present: map[string]*stay{}, hands: map[string]bool{}}
		m.lives[id] = l
	}
	l.refs++
	return l
}

// release lets go of a live value; it leaves the table when nobody
// holds it and nobody is present (its state is all in the store then).
func (m *Manager) release(l *live) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l.refs--
	if l.refs == 0 && !l.busy.Load() {
		delete(m.lives, l.id)
	}
}

// with runs fn on the conference id under its live mutex. The record is
// read from the store unless people are present (then memory is
// current); ErrNotFound if there is no such conference. A room to
// destroy (the conference ended) is destroyed after the mutex is
// released: at once, or in the background when inHook (the caller holds
// the room's lock).
func (m *Manager) with(ctx context.Context, id string, inHook bool, fn func(*live) error) error {
	l := m.acquire(id)
	defer m.release(l)
	l.mu.Lock()
	if !l.loaded || len(l.present) == 0 {
		c, err := m.o.Store.Conference(ctx, id)
		if err != nil {
			l.mu.Unlock()
			if errors.Is(err, store.ErrNotFound) {
				return ErrNotFound
			}
			return err
		}
		l.c, l.loaded = c, true
	}
	err := fn(l)
	l.busy.Store(len(l.present) > 0)
	room, destroy := l.c.RoomJID, l.destroy
	l.destroy = false
	l.mu.Unlock()
	if destroy && room != "" {
		if inHook {
			m.bg.Add(1)
			go func() {
				defer m.bg.Done()
				m.destroyRoom(context.WithoutCancel(ctx), room)
			}()
		} else {
			m.destroyRoom(ctx, room)
		}
	}
	return err
}

// destroyRoom destroys an ended conference's room: through the MUC
// service (its occupants are told), or in the store when there is none.
func (m *Manager) destroyRoom(ctx context.Context, room string) {
	j, err := jid.Parse(room)
	if err != nil {
		return
	}
	if m.o.MUC != nil {
		err = m.o.MUC.Destroy(ctx, j, "The conference has ended.", "")
		if err == nil || errors.Is(err, store.ErrNotFound) {
			return
		}
	} else if err = m.o.Store.DeleteRoom(ctx, room); err == nil || errors.Is(err, store.ErrNotFound) {
		return
	}
	m.log.Warn("conference room not destroyed", "room", room, "err", err)
}

// save writes the live record.
func (m *Manager) save(ctx context.Context, l *live) error {
	l.c.UpdatedAt = m.now()
	return m.o.Store.UpdateConference(ctx, l.c)
}

// event appends to the conference's timeline; a failure is logged (the
// conference goes on).
func (m *Manager) event(ctx context.Context, l *live, at time.Time, kind, nick, text string) {
	_, err := m.o.Store.AppendConferenceEvent(ctx, store.ConferenceEvent{ConferenceID: l.id, At: at, Kind: kind, Nick: nick, Text: text})
	if err != nil {
		m.log.Error("conference timeline", "conference", l.id, "kind", kind, "err", err)
	}
}

// end ends a conference under its live mutex: the record says ended
// with cause at `at`, open stays close, the timeline says so, and the
// room is to be destroyed. Ending an ended conference does nothing.
func (m *Manager) end(ctx context.Context, l *live, cause string, at time.Time) error {
	if l.c.State == store.ConferenceEnded {
		return nil
	}
	l.c.State, l.c.EndCause, l.c.EndedAt = store.ConferenceEnded, cause, at
	if err := m.save(ctx, l); err != nil {
		return err
	}
	if _, err := m.o.Store.EndAllAttendance(ctx, l.id, at); err != nil {
		m.log.Error("conference attendance", "conference", l.id, "err", err)
	}
	for nick := range l.present {
		m.event(ctx, l, at, EventLeave, nick, "")
	}
	clear(l.present)
	clear(l.hands)
	m.event(ctx, l, at, EventEnd, "", cause)
	l.destroy = true
	m.log.Info("conference ended", "conference", l.id, "cause", cause)
	return nil
}

// End ends a conference now with cause (EndGraceful when its host ends
// it, EndForced for an administrator): everyone is let out and its room
// destroyed. ErrNotFound if there is no such conference; ending an ended
// one does nothing.
func (m *Manager) End(ctx context.Context, id, cause string) error {
	if room, ok := m.elsewhere(ctx, id); ok {
		return m.call(ctx, room, opEnd, id, cause)
	}
	return m.with(ctx, id, false, func(l *live) error { return m.end(ctx, l, cause, m.now()) })
}

// Get returns a conference the caller scheduled; ErrNotFound for
// another's.
func (m *Manager) Get(ctx context.Context, caller Caller, id string) (store.Conference, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return store.Conference{}, ErrIDMissing
	}
	c, err := m.o.Store.Conference(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !caller.owns(c)) {
		return store.Conference{}, ErrNotFound
	}
	return c, err
}

// Lookup returns any conference (for the CLI and the pages, which check
// keys themselves).
func (m *Manager) Lookup(ctx context.Context, id string) (store.Conference, error) {
	c, err := m.o.Store.Conference(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Conference{}, ErrNotFound
	}
	return c, err
}

// Attendance returns a conference's stays, in the order they began.
func (m *Manager) Attendance(ctx context.Context, id string) ([]store.Attendance, error) {
	return m.o.Store.Attendance(ctx, id)
}

// Timeline returns up to max timeline events after seq (max <= 0: all).
func (m *Manager) Timeline(ctx context.Context, id string, after int64, max int) ([]store.ConferenceEvent, error) {
	return m.o.Store.ConferenceEvents(ctx, id, after, max)
}

// Tick does the lifecycle's timed work at the clock's now: a conference
// whose scheduled end passed without its host is ended ABANDONED (at
// its scheduled end); one in progress past its end that nobody is in
// any more is ended GRACEFUL; one that an administrator ended in the
// store meanwhile (parley conference end on a running server whose
// control channel is off) has its room destroyed. Run calls it every CheckInterval.
func (m *Manager) Tick(ctx context.Context) error {
	now := m.now()
	due, err := m.o.Store.ListConferences(ctx, store.ConferenceQuery{
		States: []string{store.ConferenceScheduled, store.ConferenceInProgress}, StartTo: now})
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range due {
		if now.Before(c.EndAt) || !m.here(c.RoomJID) {
			continue // not over, or another node of the cluster holds it
		}
		err := m.with(ctx, c.ID, false, func(l *live) error {
			switch {
			case l.c.State == store.ConferenceScheduled && !now.Before(l.c.EndAt):
				return m.end(ctx, l, EndAbandoned, l.c.EndAt)
			case l.c.State == store.ConferenceInProgress && !now.Before(l.c.EndAt) && len(l.present) == 0:
				return m.end(ctx, l, EndGraceful, now)
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, fmt.Errorf("conference %s: %w", c.ID, err))
		}
	}
	// Live conferences ended or deleted behind our back.
	m.mu.Lock()
	busy := make([]string, 0, len(m.lives))
	for id, l := range m.lives {
		if l.busy.Load() {
			busy = append(busy, id)
		}
	}
	m.mu.Unlock()
	for _, id := range busy {
		stored, err := m.o.Store.Conference(ctx, id)
		if err != nil || stored.State != store.ConferenceEnded {
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, err)
			}
			continue
		}
		m.with(ctx, id, false, func(l *live) error {
			if len(l.present) == 0 {
				return nil // read from the store: nothing live to undo
			}
			l.c = stored
			clear(l.present)
			clear(l.hands)
			l.destroy = true
			return nil
		})
	}
	return errors.Join(errs...)
}

// Start recovers from a stop: stays left open (the server stopped while
// people were in) are closed at the conference's last recorded moment;
// a conference in progress whose end has passed is ended ABORTED then
// (on a single server: a node of a cluster leaves that to the others).
// Then Run does the lifecycle's work until Stop.
func (m *Manager) Start(ctx context.Context) error {
	running, err := m.o.Store.ListConferences(ctx, store.ConferenceQuery{States: []string{store.ConferenceInProgress}})
	if err != nil {
		return err
	}
	if m.o.Placement != nil {
		// In a cluster the other nodes run: their conferences go on. A
		// conference whose node died is ended by its next holder's
		// lifecycle checks (which close its stays with it).
		running = nil
	}
	now := m.now()
	for _, c := range running {
		last := c.StartedAt
		if ev, err := m.lastEvent(ctx, c.ID); err == nil && ev.After(last) {
			last = ev
		}
		if n, err := m.o.Store.EndAllAttendance(ctx, c.ID, last); err != nil {
			return err
		} else if n > 0 {
			m.log.Info("conference: closed stays left open by a stop", "conference", c.ID, "stays", n)
		}
		if !now.Before(c.EndAt) {
			if err := m.with(ctx, c.ID, false, func(l *live) error { return m.end(ctx, l, EndAborted, last) }); err != nil {
				return err
			}
		}
	}
	m.runMu.Lock()
	defer m.runMu.Unlock()
	if m.cancel != nil {
		return nil
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel, m.done = cancel, make(chan struct{})
	go func() {
		defer close(m.done)
		m.run(rctx)
	}()
	return nil
}

func (m *Manager) lastEvent(ctx context.Context, id string) (time.Time, error) {
	var last time.Time
	var after int64
	for {
		evs, err := m.o.Store.ConferenceEvents(ctx, id, after, 1000)
		if err != nil {
			return time.Time{}, err
		}
		if len(evs) == 0 {
			return last, nil
		}
		last, after = evs[len(evs)-1].At, evs[len(evs)-1].Seq
	}
}

func (m *Manager) run(ctx context.Context) {
	t := time.NewTicker(m.o.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.Tick(ctx); err != nil && ctx.Err() == nil {
				m.log.Error("conference lifecycle", "err", err)
			}
		}
	}
}

// Stop ends Run and waits for rooms being destroyed in the background.
func (m *Manager) Stop(ctx context.Context) error {
	m.runMu.Lock()
	cancel, done := m.cancel, m.done
	m.cancel = nil
	m.runMu.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.bg.Wait()
	return nil
}

// Wait waits for rooms being destroyed in the background (tests).
func (m *Manager) Wait() { m.bg.Wait() }

// Finished lists the caller's conferences that ended between from and
// to (inclusive), by scheduled start, at most limit (0: all).
func (m *Manager) Finished(ctx context.Context, caller Caller, from, to time.Time, limit int) ([]store.Conference, error) {
	q := store.ConferenceQuery{EndedFrom: from, EndedTo: to, Limit: limit}
	if caller.Site != "" {
		q.SiteID = caller.Site
	} else {
		q.Owner = caller.User
	}
	if q.SiteID == "" && q.Owner == "" {
		return nil, ErrNotAllowed
	}
	return m.o.Store.ListConferences(ctx, q)
}

// List returns the conferences q selects (administration).
func (m *Manager) List(ctx context.Context, q store.ConferenceQuery) ([]store.Conference, error) {
	return m.o.Store.ListConferences(ctx, q)
}
