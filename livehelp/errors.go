package livehelp

import "errors"

// Errors of the live-help service. The HTTP and XMPP edges map them to
// pages and stanza errors; messages never name a secret.
var (
	// ErrMalformed: a chat request that is not well-formed (missing or
	// invalid parameters): HTTP 400.
	ErrMalformed = errors.New("livehelp: malformed chat request")
	// ErrRefused: a chat request whose token or digest does not check
	// out (unknown, expired or ended token, no GUESTCHAT, wrong digest,
	// another site's token); which check failed is not said: HTTP 403.
	ErrRefused = errors.New("livehelp: chat request refused")
	// ErrReplayed: a chat request that was already used: HTTP 403.
	ErrReplayed = errors.New("livehelp: chat request already used")
	// ErrSiteDisabled: the site may not start guest chats
	// (auth_chat_enabled or guest_user_access_enabled is off).
	ErrSiteDisabled = errors.New("livehelp: guest chat is not enabled for this site")
	// ErrNotTarget: r_groupJID or r_toJID is not a support group (or
	// agent) this site's visitors may reach.
	ErrNotTarget = errors.New("livehelp: not a live-help target of this site")
	// ErrTooMany: too many failed chat requests from this address.
	ErrTooMany = errors.New("livehelp: too many failed chat requests")

	// ErrInvalidGroup: a group JID or option that is not acceptable.
	ErrInvalidGroup = errors.New("livehelp: invalid support group")
	// ErrNoGroup: no such support group.
	ErrNoGroup = errors.New("livehelp: no such support group")
	// ErrGroupExists: a group with that JID exists.
	ErrGroupExists = errors.New("livehelp: support group exists")
	// ErrNoUser: the member is not an account of this server.
	ErrNoUser = errors.New("livehelp: no such user")
	// ErrNotMember: the user is not a member of the group.
	ErrNotMember = errors.New("livehelp: not a member of the group")

	// ErrNoSession: the guest's web session is unknown or over.
	ErrNoSession = errors.New("livehelp: no such guest session")
	// ErrBusy: the service's queue of work is full; try again.
	ErrBusy = errors.New("livehelp: busy")
	// ErrInvalidQuery: a transcript query that is not acceptable.
	ErrInvalidQuery = errors.New("livehelp: invalid transcript query")
	// ErrNotAuthorized: a token that may not read transcripts.
	ErrNotAuthorized = errors.New("livehelp: not authorized")
)
