// Package store declares the records Parley persists and the small
// repository interfaces the server consumes. Implementations live in
// sub-packages: sqlite (the embedded default), memory (tests); a
// PostgreSQL implementation can be added without changing callers.
//
// JIDs passed to a store are already normalized bare JIDs
// ("user@domain"); stores never parse or normalize them.
package store

import (
	"context"
	"time"
)

// SCRAMCredential is the server-side SCRAM state for one hash function
// (RFC 5802 §3): the password itself is never stored.
type SCRAMCredential struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
}

// User is an account.
type User struct {
	JID       string // bare JID, e.g. "alice@example.com"
	SHA1      SCRAMCredential
	SHA256    SCRAMCredential
	CreatedAt time.Time
}

// Subscription values of a roster item (RFC 6121 §2.1.2.5).
const (
	SubNone = "none"
	SubTo   = "to"
	SubFrom = "from"
	SubBoth = "both"
)

// RosterItem is one contact in a user's roster.
type RosterItem struct {
	Contact      string // bare JID of the contact
	Name         string
	Subscription string // SubNone, SubTo, SubFrom, SubBoth
	AskOut       bool   // we sent a subscribe request not yet answered ("pending out")
	PendingIn    bool   // the contact asked to subscribe to us and we have not answered
	Approved     bool   // pre-approved subscription (RFC 6121 §3.4)
	Groups       []string
}

// OfflineMessage is a message stored for a user who was not online.
type OfflineMessage struct {
	ID     int64
	Stanza []byte // the serialized <message/>, with a <delay/> already added
	Stored time.Time
}

// SubscriptionRequest is an inbound presence subscription request kept
// until the user answers it, so it can be re-delivered at each login.
type SubscriptionRequest struct {
	From   string // bare JID of the requester
	Stanza []byte // the <presence type='subscribe'/> as received
}

// Users stores accounts.
type Users interface {
	// CreateUser adds an account; ErrExists if it is already there.
	CreateUser(ctx context.Context, u User) error
	// User returns the account or ErrNotFound.
	User(ctx context.Context, jid string) (User, error)
	// SetCredentials replaces the SCRAM credentials; ErrNotFound if absent.
	SetCredentials(ctx context.Context, jid string, sha1, sha256 SCRAMCredential) error
	// DeleteUser removes the account and everything it owns (roster,
	// offline messages, requests, last presence, vCard); ErrNotFound if
	// absent.
	DeleteUser(ctx context.Context, jid string) error
	// ListUsers returns the bare JIDs of a domain ("" for all), sorted.
	ListUsers(ctx context.Context, domain string) ([]string, error)
}

// Rosters stores rosters (RFC 6121 §2) with a per-user version counter
// for roster versioning (XEP-0237). Every change increments it.
type Rosters interface {
	// Roster returns all items of owner and the current version.
	Roster(ctx context.Context, owner string) ([]RosterItem, int64, error)
	// RosterItem returns one item or ErrNotFound.
	RosterItem(ctx context.Context, owner, contact string) (RosterItem, error)
	// PutRosterItem inserts or replaces an item and returns the new version.
	PutRosterItem(ctx context.Context, owner string, item RosterItem) (int64, error)
	// DeleteRosterItem removes an item and returns the new version;
	// ErrNotFound if absent.
	DeleteRosterItem(ctx context.Context, owner, contact string) (int64, error)
}

// Usage is how much one user stores in an area (offline storage, the
// message archive): the messages and the total size of their stanzas.
type Usage struct {
	Messages int64
	Bytes    int64
}

// OfflineLimits cap one user's offline storage; a field <= 0 is no cap.
type OfflineLimits struct {
	Messages int   // stored messages
	Bytes    int64 // total size of the stored stanzas
}

// Offline stores messages for users who were not online (XEP-0160).
type Offline interface {
	// StoreOffline appends a message; ErrQuotaExceeded when it would take
	// owner past a limit (the count and the check are one atomic step).
	StoreOffline(ctx context.Context, owner string, stanza []byte, limits OfflineLimits) error
	// OfflineMessages returns owner's stored messages, oldest first.
	OfflineMessages(ctx context.Context, owner string) ([]OfflineMessage, error)
	// OfflinePage returns owner's oldest stored messages with an ID above
	// afterID (0: from the first): at most max of them, and no more once
	// their stanzas add up to maxBytes -- but always the first, however
	// large. max or maxBytes <= 0: no such limit. Delivery reads a
	// mailbox a page at a time, so that neither memory nor a session's
	// outbound queue has to hold all of it.
	OfflinePage(ctx context.Context, owner string, afterID int64, max, maxBytes int) ([]OfflineMessage, error)
	// DeleteOffline removes the given messages once they were delivered.
	DeleteOffline(ctx context.Context, owner string, ids []int64) error
	// CountOffline returns how many messages wait for owner.
	CountOffline(ctx context.Context, owner string) (int, error)
	// OfflineUsage returns what owner's offline storage holds.
	OfflineUsage(ctx context.Context, owner string) (Usage, error)
}

// Presence stores what must outlive a session: pending subscription
// requests and the last unavailable presence.
type Presence interface {
	// PutSubscriptionRequest stores (or replaces) a request from req.From.
	PutSubscriptionRequest(ctx context.Context, owner string, req SubscriptionRequest) error
	// DeleteSubscriptionRequest removes a request; no error if absent.
	DeleteSubscriptionRequest(ctx context.Context, owner, from string) error
	// SubscriptionRequests returns owner's pending requests, oldest first.
	SubscriptionRequests(ctx context.Context, owner string) ([]SubscriptionRequest, error)
	// SetLastPresence stores the last unavailable presence of owner.
	SetLastPresence(ctx context.Context, owner string, stanza []byte, at time.Time) error
	// LastPresence returns it, or ErrNotFound.
	LastPresence(ctx context.Context, owner string) ([]byte, time.Time, error)
	// LastPresences returns the last unavailable presence of each of
	// owners that has one, by owner (those without one are absent): a
	// login answers its probes of offline contacts with one query.
	LastPresences(ctx context.Context, owners []string) (map[string]LastPresence, error)
}

// LastPresence is a user's last unavailable presence and when it was sent.
type LastPresence struct {
	Stanza []byte
	At     time.Time
}

// VCards stores each user's vCard (XEP-0054, vcard-temp) as the raw
// serialized <vCard xmlns='vcard-temp'/> element; stores never parse it.
type VCards interface {
	// VCard returns owner's vCard, or ErrNotFound if none is stored.
	VCard(ctx context.Context, owner string) ([]byte, error)
	// PutVCard stores or replaces owner's vCard; an empty vcard deletes
	// it. ErrNotFound if owner has no account.
	PutVCard(ctx context.Context, owner string, vcard []byte) error
}

// Account is one user with everything they own, as a bulk import writes
// it (see Importer).
type Account struct {
	User     User
	Roster   []RosterItem
	Requests []SubscriptionRequest // pending inbound requests, oldest first
	Offline  []OfflineMessage      // oldest first; ID is ignored, Stored kept
	VCard    []byte                // nil or empty: none
}

// Importer writes whole accounts many at a time, for bulk provisioning
// (parley import): one transaction per call instead of one per row.
type Importer interface {
	// ImportAccounts writes accts in order, atomically: on error nothing
	// of the call is stored. An account whose JID already exists (in the
	// store, or earlier in accts) is left alone and its JID returned in
	// skipped, unless replace is set: then the existing account and
	// everything it owns is deleted first. Each imported roster gets a
	// version one above the previous one (1 for a new account); offline
	// quotas do not apply.
	ImportAccounts(ctx context.Context, accts []Account, replace bool) (skipped []string, err error)
}

// ArchivedMessage is one message in a user's archive (XEP-0313). An
// archive is in time order: by At, then by ID for messages archived in
// the same microsecond.
type ArchivedMessage struct {
	ID     string    // stable, unique in all archives, a decimal number
	With   string    // the other party's bare JID
	At     time.Time // when it was archived (UTC; stores keep at least microseconds)
	Stanza []byte    // the message as routed, serialized with xmlns='jabber:client'
}

// ArchiveAppend is one message for AppendArchiveBatch.
type ArchiveAppend struct {
	Owner   string
	Message ArchivedMessage // ID chosen by the caller: canonical decimal, above LastArchiveID
}

// ArchiveQuery selects messages from one archive. Every set field
// narrows the selection; the page is then taken from its start, or from
// its end with Last.
type ArchiveQuery struct {
	With     string    // the other party's bare JID; "" for all
	Start    time.Time // archived at or after; zero for no bound
	End      time.Time // archived at or before; zero for no bound
	AfterID  string    // archived after this message (RSM <after/>)
	BeforeID string    // archived before this message (RSM <before>id</before>)
	IDs      []string  // only these messages (XEP-0313 #extended); unknown ids are ignored
	// RangeAfterID and RangeBeforeID bound the selection itself (and so
	// Count) to messages after / before these (XEP-0313 #extended
	// after-id, before-id); AfterID and BeforeID page within it.
	// ErrNotFound if not a message of the archive.
	RangeAfterID  string
	RangeBeforeID string
	Max           int  // page size, at least 1 (else ErrInvalid)
	Last          bool // take the page from the end of the selection (RSM <before/>)
	// MaxBytes ends the page early once its stanzas add up to this many
	// bytes (the page then has at least one message and is not
	// Complete); <= 0 for no such limit. It bounds the memory a query
	// of large messages takes.
	MaxBytes int
}

// ArchivePage is one page of a query, in archive order (oldest first).
type ArchivePage struct {
	Messages []ArchivedMessage
	// Complete: the selection holds no message beyond this page in the
	// paging direction (after it, or before it with Last) that AfterID
	// and BeforeID admit: a page that reaches BeforeID going forward, or
	// AfterID going back with Last, is complete.
	Complete bool
	Count    int // messages in the whole selection, ignoring AfterID, BeforeID and Max
}

// ArchivePrefs are a user's XEP-0313 archiving preferences.
type ArchivePrefs struct {
	Default string   // "always", "never" or "roster"; "" when never set
	Always  []string // bare JIDs always archived, sorted
	Never   []string // bare JIDs never archived, sorted
}

// Archive stores users' message archives (XEP-0313 MAM).
type Archive interface {
	// AppendArchive adds m (ID ignored) to owner's archive and returns
	// its new ID. ErrNotFound if owner has no account.
	AppendArchive(ctx context.Context, owner string, m ArchivedMessage) (string, error)
	// AppendArchiveBatch adds many messages at once (one transaction)
	// with the IDs the caller chose (so that it can hand them out before
	// the write), and returns each one's error (ErrNotFound if its owner
	// has no account, ErrExists if its ID is taken); err fails the whole
	// batch (nothing stored). Once it returns without err, the stored
	// messages survive a crash of the process.
	AppendArchiveBatch(ctx context.Context, batch []ArchiveAppend) (errs []error, err error)
	// ArchiveUsage returns what owner's archive holds; every write and
	// deletion keeps it up to date.
	ArchiveUsage(ctx context.Context, owner string) (Usage, error)
	// LastArchiveID returns the greatest ID ever stored ("0" if none):
	// callers choosing IDs start above it.
	LastArchiveID(ctx context.Context) (string, error)
	// QueryArchive returns a page of owner's archive. ErrNotFound when
	// AfterID or BeforeID is not a message of that archive; paging
	// after or before a message is in archive order (time, then ID).
	QueryArchive(ctx context.Context, owner string, q ArchiveQuery) (ArchivePage, error)
	// ArchivePrefs returns owner's preferences (zero value if never set).
	ArchivePrefs(ctx context.Context, owner string) (ArchivePrefs, error)
	// SetArchivePrefs replaces them. ErrNotFound if owner has no account.
	SetArchivePrefs(ctx context.Context, owner string, p ArchivePrefs) error
	// PruneArchive deletes every message archived before t, in all
	// archives, and returns how many went.
	PruneArchive(ctx context.Context, before time.Time) (int64, error)
}

// Store is everything a Parley server persists.
type Store interface {
	Users
	Rosters
	Offline
	Presence
	VCards
	Importer
	Archive
	Rooms
	Sites
	Tokens
	PresenceSharing
	NetworkPresence
	Pushes
	LiveHelp
	Calendar
	Conferences
	Nodes
	PersonalData
	WebSessions
	// Close flushes and releases the store.
	Close() error
}
