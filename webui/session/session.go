package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/web/pages"
	"github.com/parley-im/parley/xmpp/jid"
)

// Defaults of Config.
const (
	DefaultLifetime   = 12 * time.Hour
	DefaultIdle       = 2 * time.Hour
	DefaultMaxPerUser = 10
	DefaultTicketLife = time.Minute
	// touchEvery: LastSeen is written at most this often per session.
	touchEvery = time.Minute
	// maxTickets bounds the ticket table.
	maxTickets = 10000
	// maxAgent is how much of a User-Agent is kept.
	maxAgent = 200
)

// CookieName is the sign-in cookie (web/pages adds the __Host- prefix
// over HTTPS).
const CookieName = "parley_session"

// Config configures a Manager.
type Config struct {
	Store store.WebSessions
	Pages *pages.Pages
	// CheckPassword checks an account's password under the login limits
	// (c2s.Server.CheckPassword); addr is the client's IP address.
	CheckPassword func(ctx context.Context, addr, domain, local, password string) error
	// Hosts are the served domains; an address without a domain signs in
	// on the first.
	Hosts []string
	// IsAdmin reports an administrator (the admins setting).
	IsAdmin func(bare string) bool
	// ClientAddr is the client's IP address (trusted proxies applied).
	ClientAddr func(*http.Request) string
	Lifetime   time.Duration // DefaultLifetime if 0
	Idle       time.Duration // DefaultIdle if 0
	MaxPerUser int           // DefaultMaxPerUser if 0
	TicketLife time.Duration // DefaultTicketLife if 0
	Now        func() time.Time
	Logger     *slog.Logger
}

// Session is a live sign-in.
type Session struct {
	ID      string // store key (hex SHA-256 of the cookie's secret)
	User    string // bare JID
	Admin   bool   // the user is in admins (checked at every request)
	Created time.Time
	Expires time.Time
}

// Domain is the session user's domain.
func (s Session) Domain() string { return s.User[strings.LastIndexByte(s.User, '@')+1:] }

// Manager signs users in and finds their sessions.
type Manager struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	tickets map[string]ticket // hex SHA-256 of the ticket -> what it is good for
}

type ticket struct {
	user    string
	expires time.Time
}

// New returns a Manager.
func New(cfg Config) *Manager {
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.Idle <= 0 {
		cfg.Idle = DefaultIdle
	}
	if cfg.MaxPerUser <= 0 {
		cfg.MaxPerUser = DefaultMaxPerUser
	}
	if cfg.TicketLife <= 0 {
		cfg.TicketLife = DefaultTicketLife
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IsAdmin == nil {
		cfg.IsAdmin = func(string) bool { return false }
	}
	if cfg.ClientAddr == nil {
		cfg.ClientAddr = func(r *http.Request) string { return r.RemoteAddr }
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Manager{cfg: cfg, log: log.With("component", "websession"), tickets: make(map[string]ticket)}
}

// Pages is the page foundation the manager renders with.
func (m *Manager) Pages() *pages.Pages { return m.cfg.Pages }

func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Parse turns what a person types to sign in into an account address:
// "alice@example.com", or "alice" on the first served domain.
func (m *Manager) Parse(address string) (jid.JID, error) {
	address = strings.TrimSpace(address)
	if !strings.Contains(address, "@") && len(m.cfg.Hosts) > 0 {
		address += "@" + m.cfg.Hosts[0]
	}
	j, err := jid.Parse(address)
	if err != nil || j.Local() == "" || !j.IsBare() {
		return jid.JID{}, fmt.Errorf("%w: not an account address", ErrNoSession)
	}
	return j, nil
}

// SignIn checks address and password and, if they are right, starts a
// session and sets its cookie. It returns c2s.ErrBadCredentials-like
// errors from CheckPassword unchanged.
func (m *Manager) SignIn(w http.ResponseWriter, r *http.Request, address, password string) (Session, error) {
	j, err := m.Parse(address)
	if err != nil {
		// Charged like a wrong password, so a malformed address tells
		// nothing either.
		err = m.cfg.CheckPassword(r.Context(), m.cfg.ClientAddr(r), "invalid.", "invalid", password)
		if err == nil {
			err = ErrNoSession
		}
		return Session{}, err
	}
	if err := m.cfg.CheckPassword(r.Context(), m.cfg.ClientAddr(r), j.Domain(), j.Local(), password); err != nil {
		return Session{}, err
	}
	return m.Start(w, r, j.String())
}

// Start starts a session for user (whose password was just checked) and
// sets its cookie; the user's oldest sessions beyond MaxPerUser end.
func (m *Manager) Start(w http.ResponseWriter, r *http.Request, user string) (Session, error) {
	now := m.cfg.Now().UTC()
	secret := random()
	agent := r.UserAgent()
	if len(agent) > maxAgent {
		agent = agent[:maxAgent]
	}
	ws := store.WebSession{ID: hash(secret), Owner: user, Created: now, LastSeen: now, Expires: now.Add(m.cfg.Lifetime),
		Addr: m.cfg.ClientAddr(r), Agent: strings.ToValidUTF8(agent, "")}
	if err := m.cfg.Store.PutWebSession(r.Context(), ws); err != nil {
		return Session{}, fmt.Errorf("session: sign in %s: %w", user, err)
	}
	m.cfg.Pages.SetCookie(w, r, CookieName, secret, m.cfg.Lifetime, http.SameSiteLaxMode)
	if list, err := m.cfg.Store.WebSessions(r.Context(), user); err == nil && len(list) > m.cfg.MaxPerUser {
		for _, old := range list[m.cfg.MaxPerUser:] {
			m.cfg.Store.DeleteWebSession(r.Context(), user, old.ID)
		}
	}
	m.log.Info("signed in", "user", user, "addr", ws.Addr)
	return m.session(ws), nil
}

func (m *Manager) session(ws store.WebSession) Session {
	return Session{ID: ws.ID, User: ws.Owner, Admin: m.cfg.IsAdmin(ws.Owner), Created: ws.Created, Expires: ws.Expires}
}

// Current returns the request's live session, or ErrNoSession.
func (m *Manager) Current(r *http.Request) (Session, error) {
	secret := m.cfg.Pages.Cookie(r, CookieName)
	if len(secret) != 43 {
		return Session{}, ErrNoSession
	}
	return m.Lookup(r.Context(), hash(secret))
}

// Lookup returns the live session with this ID, or ErrNoSession; it
// records the use (at most once a minute).
func (m *Manager) Lookup(ctx context.Context, id string) (Session, error) {
	ws, err := m.cfg.Store.WebSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	now := m.cfg.Now()
	if !now.Before(ws.Expires) || !now.Before(ws.LastSeen.Add(m.cfg.Idle)) {
		m.cfg.Store.DeleteWebSession(ctx, ws.Owner, ws.ID)
		return Session{}, ErrNoSession
	}
	if now.Sub(ws.LastSeen) >= touchEvery {
		if err := m.cfg.Store.TouchWebSession(ctx, ws.ID, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			m.log.Warn("touch web session", "user", ws.Owner, "err", err)
		}
	}
	return m.session(ws), nil
}

// SignOut ends the request's session and clears its cookie.
func (m *Manager) SignOut(w http.ResponseWriter, r *http.Request) {
	if s, err := m.Current(r); err == nil {
		m.cfg.Store.DeleteWebSession(r.Context(), s.User, s.ID)
		m.log.Info("signed out", "user", s.User)
	}
	m.cfg.Pages.ClearCookie(w, r, CookieName)
}

// List returns user's live sessions, newest first.
func (m *Manager) List(ctx context.Context, user string) ([]store.WebSession, error) {
	list, err := m.cfg.Store.WebSessions(ctx, user)
	if err != nil {
		return nil, err
	}
	now := m.cfg.Now()
	out := list[:0]
	for _, ws := range list {
		if now.Before(ws.Expires) && now.Before(ws.LastSeen.Add(m.cfg.Idle)) {
			out = append(out, ws)
		}
	}
	return out, nil
}

// End ends one of user's sessions.
func (m *Manager) End(ctx context.Context, user, id string) error {
	return m.cfg.Store.DeleteWebSession(ctx, user, id)
}

// EndAll ends every session of user (and forgets their tickets).
func (m *Manager) EndAll(ctx context.Context, user string) (int64, error) {
	m.mu.Lock()
	for k, t := range m.tickets {
		if t.user == user {
			delete(m.tickets, k)
		}
	}
	m.mu.Unlock()
	return m.cfg.Store.DeleteWebSessions(ctx, user)
}

// Ticket returns a new single-use ticket for s's account.
func (m *Manager) Ticket(s Session) string {
	t := random()
	now := m.cfg.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.tickets) >= maxTickets {
		for k, v := range m.tickets {
			if !now.Before(v.expires) {
				delete(m.tickets, k)
			}
		}
		if len(m.tickets) >= maxTickets {
			clear(m.tickets) // a flood: the honest pages ask again
		}
	}
	m.tickets[hash(t)] = ticket{user: s.User, expires: now.Add(m.cfg.TicketLife)}
	return t
}

// VerifyTicket checks a ticket for an XMPP login on domain (c2s
// TicketAuth) and returns the localpart it authenticates; a ticket
// works once.
func (m *Manager) VerifyTicket(_ context.Context, domain, authzid, tk string) (string, error) {
	k := hash(tk)
	m.mu.Lock()
	t, ok := m.tickets[k]
	delete(m.tickets, k)
	m.mu.Unlock()
	if !ok || !m.cfg.Now().Before(t.expires) {
		return "", ErrBadTicket
	}
	at := strings.LastIndexByte(t.user, '@')
	if t.user[at+1:] != domain || (authzid != "" && authzid != t.user) {
		return "", ErrBadTicket
	}
	return t.user[:at], nil
}

// Prune deletes expired sessions and tickets.
func (m *Manager) Prune(ctx context.Context) {
	now := m.cfg.Now()
	if n, err := m.cfg.Store.PruneWebSessions(ctx, now); err != nil {
		m.log.Warn("prune web sessions", "err", err)
	} else if n > 0 {
		m.log.Debug("pruned web sessions", "count", n)
	}
	m.mu.Lock()
	for k, t := range m.tickets {
		if !now.Before(t.expires) {
			delete(m.tickets, k)
		}
	}
	m.mu.Unlock()
}

// Run prunes every interval until ctx ends.
func (m *Manager) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Prune(ctx)
		}
	}
}

// Verify checks the password of the signed-in user (a page that asks
// for it again before a change), under the same login limits.
func (m *Manager) Verify(r *http.Request, s Session, password string) error {
	at := strings.LastIndexByte(s.User, '@')
	return m.cfg.CheckPassword(r.Context(), m.cfg.ClientAddr(r), s.User[at+1:], s.User[:at], password)
}
