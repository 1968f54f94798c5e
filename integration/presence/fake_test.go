package presence

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/stream"
	"github.com/parley-im/parley/xmpp/xml"
)

// fakeTokens is an in-memory token table.
type fakeTokens struct {
	mu       sync.Mutex
	byID     map[string]Token
	noAccess map[string]bool // entity IDs without presence enabled
}

func newFakeTokens() *fakeTokens {
	return &fakeTokens{byID: make(map[string]Token), noAccess: make(map[string]bool)}
}

func (f *fakeTokens) add(id, entityType, entityID string, policies ...string) Token {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := Token{ID: id, Value: id + "_QAHnRTN3L8E1DVEHL3UFKYuxHcW8ce7p" + id, EntityType: entityType, EntityID: entityID, Policies: policies}
	f.byID[id] = t
	return t
}

func (f *fakeTokens) kill(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.byID, id)
}

func (f *fakeTokens) TokenByID(_ context.Context, id string) (Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.byID[id]; ok {
		return t, nil
	}
	return Token{}, errors.New("no such token")
}

func (f *fakeTokens) Token(_ context.Context, value string) (Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.byID {
		if t.Value == value {
			return t, nil
		}
	}
	return Token{}, errors.New("no such token")
}

func (f *fakeTokens) PresenceAllowed(_ context.Context, t Token) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.noAccess[t.EntityID]
}

func (f *fakeTokens) IssuedTo(t Token, id string) bool {
	if t.EntityType == EntityUser {
		j, err := jid.Parse(id)
		return err == nil && j.Bare().String() == t.EntityID
	}
	return t.EntityID == id
}

// fakeStore holds opt-ins and subscriptions.
type fakeStore struct {
	shared map[string]bool
	subs   map[[2]string]bool // {owner, viewer}
}

func (f *fakeStore) PresenceShared(_ context.Context, owner string) (bool, error) {
	return f.shared[owner], nil
}

func (f *fakeStore) Subscribed(_ context.Context, owner, viewer string) bool {
	return f.subs[[2]string{owner, viewer}]
}

// session is a bound session that ignores what it is sent.
type session struct{ j jid.JID }

func (s *session) JID() jid.JID         { return s.j }
func (s *session) Deliver(*xml.Element) {}
func (s *session) Close(*stream.Error)  {}
func (s *session) String() string       { return s.j.String() }
func (s *session) presence(r router.Router, prio int, inner string) {
	el, err := xml.ParseElement([]byte(fmt.Sprintf("<presence>%s<priority>%d</priority></presence>", inner, prio)), "jabber:client", xml.DefaultLimits)
	if err != nil {
		panic(err)
	}
	r.SetPresence(s, true, prio, el)
}

type fixture struct {
	svc    *Service
	router router.Router
	tokens *fakeTokens
	store  *fakeStore
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{router: router.New(), tokens: newFakeTokens(), store: &fakeStore{shared: map[string]bool{}, subs: map[[2]string]bool{}}}
	f.svc = New(Config{
		Sessions:        f.router,
		Tokens:          f.tokens,
		Store:           f.store,
		IsLocal:         func(d string) bool { return d == "example.com" || d == "public.example.com" },
		PublicDomains:   []string{"public.example.com"},
		ImageHosts:      []string{"img.example.net"},
		MaxRequestSize:  5,
		MaxResponseSize: 3,
	})
	return f
}

// bind binds a resource and returns its session.
func (f *fixture) bind(full string) *session {
	s := &session{j: jid.MustParse(full)}
	f.router.Bind(s)
	return s
}
