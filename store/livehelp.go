package store

import (
	"context"
	"time"
)

// SupportGroup is a live-help support group (seed 001 chapter 4): a JID
// of its own, members who answer web visitors, and how chats are routed
// to them. Zero option values mean "the server's default".
type SupportGroup struct {
	JID          string // e.g. support@groups.example.com
	Name         string
	Strategy     string        // "broadcast", "round-robin", "least-busy"; "" for the default
	OfferTimeout time.Duration // how long an offer waits for a reply before it is made again
	MaxChats     int           // concurrent chats per agent
	// Sites are the site IDs whose visitors may be routed here; none
	// means every site with guest chat.
	Sites     []string
	Email     string // where left messages are also mailed; "" for none
	CreatedAt time.Time
}

// Member roles in a support group.
const (
	RoleAgent      = "agent"      // is offered chats
	RoleSupervisor = "supervisor" // is not offered chats; watches and transfers the group's chats
)

// GroupMember is one member of a support group.
type GroupMember struct {
	JID  string // the member's bare JID, a local account
	Role string // RoleAgent or RoleSupervisor
}

// SupportGroups stores live-help support groups and their members.
type SupportGroups interface {
	// CreateGroup adds a group; ErrExists if its JID is taken.
	CreateGroup(ctx context.Context, g SupportGroup) error
	// Group returns a group or ErrNotFound.
	Group(ctx context.Context, jid string) (SupportGroup, error)
	// UpdateGroup replaces a group's name and options (CreatedAt is
	// kept); ErrNotFound if absent.
	UpdateGroup(ctx context.Context, g SupportGroup) error
	// DeleteGroup removes a group and its memberships; ErrNotFound if
	// absent. Transcripts of its chats stay.
	DeleteGroup(ctx context.Context, jid string) error
	// ListGroups returns every group sorted by JID.
	ListGroups(ctx context.Context) ([]SupportGroup, error)
	// PutGroupMember adds a member or changes its role. ErrNotFound if
	// the group does not exist or the member has no account.
	PutGroupMember(ctx context.Context, group string, m GroupMember) error
	// RemoveGroupMember removes a member; ErrNotFound if not a member.
	RemoveGroupMember(ctx context.Context, group, member string) error
	// GroupMembers returns a group's members sorted by JID; ErrNotFound
	// if the group does not exist.
	GroupMembers(ctx context.Context, group string) ([]GroupMember, error)
}

// Guest is a restricted temporary user of live help: a web visitor of a
// site, known to the site as FromUserJID and to XMPP as JID.
type Guest struct {
	JID         string // the guest's bare JID on the guest domain, e.g. g4x...@guest.example.com
	SiteID      string
	FromUserJID string // the site's r_fromUserJID
	DisplayName string
	CreatedAt   time.Time
	ExpiresAt   time.Time // pushed back at every visit
}

// Guests stores live help's guests and the chat requests already used.
type Guests interface {
	// PutGuest adds a guest, or updates the guest of the same JID
	// (display name, expiry). ErrExists if another guest has the same
	// site and FromUserJID.
	PutGuest(ctx context.Context, g Guest) error
	// Guest returns a guest by JID, or ErrNotFound.
	Guest(ctx context.Context, jid string) (Guest, error)
	// GuestOf returns the guest a site knows as fromUserJID, or
	// ErrNotFound.
	GuestOf(ctx context.Context, siteID, fromUserJID string) (Guest, error)
	// DeleteExpiredGuests removes guests that expire at or before t and
	// returns how many went. Their transcripts stay (the site's).
	DeleteExpiredGuests(ctx context.Context, t time.Time) (int64, error)
	// UseChatRequest records that the chat request (tokenID, digest) was
	// used, until expires; ErrExists if it already was (a replay).
	UseChatRequest(ctx context.Context, tokenID int64, digest string, expires time.Time) error
	// DeleteUsedChatRequests forgets used requests that expire at or
	// before t (their tokens have expired: they cannot be used again).
	DeleteUsedChatRequests(ctx context.Context, t time.Time) (int64, error)
}

// Chat states.
const (
	ChatOpen    = "open"    // waiting, offered or taken
	ChatEnded   = "ended"   // over
	ChatMessage = "message" // a message left while nobody was available
)

// Chat is one live-help conversation, its transcript's header.
type Chat struct {
	ID          int64 // assigned by the store
	SiteID      string
	GuestJID    string
	FromUserJID string
	DisplayName string
	Group       string // the group it was routed to last ("" for a chat with a user)
	Target      string // the guest's target: r_groupJID or r_toJID
	Subject     string
	Agent       string // the agent who has (or last had) it; "" if none yet
	State       string // ChatOpen, ChatEnded, ChatMessage
	Email       string // the visitor's address of a left message
	StartedAt   time.Time
	EndedAt     time.Time // zero while open
}

// Message senders in a transcript.
const (
	FromGuest  = "guest"
	FromAgent  = "agent"
	FromSystem = "system"
)

// ChatLine is one line of a transcript.
type ChatLine struct {
	At   time.Time
	From string // FromGuest, FromAgent or FromSystem
	JID  string // the agent's bare JID for FromAgent; "" otherwise
	Name string // the name shown: the guest's display name, the agent's name
	Body string
}

// ChatQuery selects chats for a site; set fields narrow it.
type ChatQuery struct {
	SiteID      string // required
	FromUserJID string
	GuestJID    string
	Group       string
	Since       time.Time // started at or after
	Until       time.Time // started before
	Max         int       // most chats returned (newest first); at least 1
}

// Transcripts stores live-help chats and their lines.
type Transcripts interface {
	// CreateChat stores a new chat (ID ignored) and returns its ID.
	CreateChat(ctx context.Context, c Chat) (int64, error)
	// UpdateChat replaces a chat's group, agent, state and end; ErrNotFound
	// if absent.
	UpdateChat(ctx context.Context, c Chat) error
	// AppendChatLines adds lines to a chat's transcript, in order;
	// ErrNotFound if the chat does not exist.
	AppendChatLines(ctx context.Context, chatID int64, lines []ChatLine) error
	// Chat returns a chat, or ErrNotFound.
	Chat(ctx context.Context, id int64) (Chat, error)
	// ChatLines returns a chat's transcript, oldest first.
	ChatLines(ctx context.Context, chatID int64) ([]ChatLine, error)
	// ListChats returns a site's chats, newest first.
	ListChats(ctx context.Context, q ChatQuery) ([]Chat, error)
	// EndOpenChats marks every open chat ended at t (after a restart: the
	// conversations did not survive it) and returns how many.
	EndOpenChats(ctx context.Context, t time.Time) (int64, error)
	// PruneChats deletes chats (with their lines) started before t and
	// returns how many went.
	PruneChats(ctx context.Context, before time.Time) (int64, error)
}

// LiveHelp is everything live help persists.
type LiveHelp interface {
	SupportGroups
	Guests
	Transcripts
}
