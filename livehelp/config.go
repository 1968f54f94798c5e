package livehelp

import (
	"context"
	"log/slog"
	"time"

	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/xml"
)

// Routing strategies of a support group.
const (
	// Broadcast offers a chat to every available agent at once; the
	// first to reply takes it (the seed's "broadcast to the group").
	Broadcast = "broadcast"
	// RoundRobin offers a chat to one agent at a time, in turn.
	RoundRobin = "round-robin"
	// LeastBusy offers a chat to the available agent with the fewest
	// chats.
	LeastBusy = "least-busy"
)

// Strategies lists the routing strategies.
var Strategies = []string{Broadcast, RoundRobin, LeastBusy}

// Store is what live help persists and reads.
type Store interface {
	store.LiveHelp
	// User tells whether an account exists (members, user targets).
	User(ctx context.Context, jid string) (store.User, error)
	// VCard gives an agent's name to show visitors (FN or NICKNAME).
	VCard(ctx context.Context, owner string) ([]byte, error)
}

// Sessions is the live session table (router.Router).
type Sessions interface {
	Resources(bare string) []router.Resource
}

// Auth is the Authentication service (integration/auth) as live help
// uses it: guest chat digests, the site's current settings, and site
// tokens for the transcript services.
type Auth interface {
	VerifyTokenDigest(ctx context.Context, tokenID int64, digest string, params map[string]string) (auth.Token, error)
	EntitySettings(ctx context.Context, t auth.Token) (auth.Settings, error)
	Resolve(ctx context.Context, token string) (auth.Token, error)
	IssuedTo(t auth.Token, entityID string) bool
}

// Clock is the service's time: real in production, injected in tests.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f (on its own goroutine) after d, unless stopped.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	Stop() bool
}

type realClock struct{}

func (realClock) Now() time.Time                            { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Mailer sends a plain-text mail (left messages to a group's address).
type Mailer func(ctx context.Context, to, subject, body string) error

// Options configure a Service. Zero values take the defaults named.
type Options struct {
	Store    Store
	Sessions Sessions
	// Send delivers a stanza to a local user (the server's
	// dispatcher.FromComponent): offers and relayed messages to agents.
	Send func(ctx context.Context, el *xml.Element)
	Auth Auth
	// Hosts are the served domains: groups live on
	// <GroupsSubdomain>.<host>, guests on <GuestsSubdomain>.<host>.
	Hosts           []string
	GroupsSubdomain string // "groups"
	GuestsSubdomain string // "guest"
	// Group defaults, for groups that set none.
	Strategy     string        // Broadcast
	OfferTimeout time.Duration // 45 s
	MaxChats     int           // 3
	// MaxQueue bounds each group's waiting visitors (100); more are
	// asked to leave a message.
	MaxQueue int
	// GuestLife is how long a guest (and its history) is kept after its
	// last visit (720 h).
	GuestLife time.Duration
	// TicketLife bounds a login ticket's life (60 s).
	TicketLife time.Duration
	// ReconnectGrace is how long a chat waits for a visitor whose
	// connection dropped before it ends (2 min).
	ReconnectGrace time.Duration
	// TranscriptRetention deletes transcripts older than this; 0 keeps
	// them.
	TranscriptRetention time.Duration
	// MaxGuestSessions bounds the guests' web sessions held at once
	// (10000); the oldest goes first.
	MaxGuestSessions int
	// Mail, if set, mails left messages to groups that have an address.
	Mail Mailer
	// Placement, on a node of a cluster, names the node that keeps each
	// target's desk (placement.go); nil on a single server.
	Placement Placement
	Clock     Clock
	Logger    *slog.Logger
}

func (o *Options) defaults() {
	if o.GroupsSubdomain == "" {
		o.GroupsSubdomain = "groups"
	}
	if o.GuestsSubdomain == "" {
		o.GuestsSubdomain = "guest"
	}
	if o.Strategy == "" {
		o.Strategy = Broadcast
	}
	if o.OfferTimeout <= 0 {
		o.OfferTimeout = 45 * time.Second
	}
	if o.MaxChats <= 0 {
		o.MaxChats = 3
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = 100
	}
	if o.GuestLife <= 0 {
		o.GuestLife = 720 * time.Hour
	}
	if o.TicketLife <= 0 {
		o.TicketLife = time.Minute
	}
	if o.ReconnectGrace <= 0 {
		o.ReconnectGrace = 2 * time.Minute
	}
	if o.MaxGuestSessions <= 0 {
		o.MaxGuestSessions = 10000
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}
