package presence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/xmpp/jid"
)

// Entity types of a token (the seed's entityType).
const (
	EntityUser = "USER"
	EntitySite = "SITE"
)

// Token is what the presence services need to know of a live
// authentication token.
type Token struct {
	ID         string   // decimal token ID (the presence URL's TID)
	Value      string   // the whole token string ("<ID>_<random>"), K1's key
	EntityType string   // EntityUser or EntitySite
	EntityID   string   // the user's bare JID or the site ID
	Policies   []string // e.g. SESSION, PRESENCE
}

// Has reports whether the token carries a policy.
func (t Token) Has(policy string) bool {
	for _, p := range t.Policies {
		if p == policy {
			return true
		}
	}
	return false
}

// Tokens resolves authentication tokens; the server adapts the
// Authentication service (integration/auth) to it.
type Tokens interface {
	// TokenByID returns the live token with this decimal token ID; an
	// error if there is none or it expired.
	TokenByID(ctx context.Context, id string) (Token, error)
	// Token returns the live token whose string is value; an error if
	// there is none or it expired.
	Token(ctx context.Context, value string) (Token, error)
	// PresenceAllowed reports whether the token's entity may read
	// presence: for a site its auth_presence_enabled setting.
	PresenceAllowed(ctx context.Context, t Token) bool
	// IssuedTo reports whether entityID (a site ID, or a user ID as the
	// Authentication service accepts it) names the token's entity.
	IssuedTo(t Token, entityID string) bool
}

// Store is what the presence services read from storage.
type Store interface {
	// PresenceShared reports whether a user opted in to HTTP presence.
	PresenceShared(ctx context.Context, owner string) (bool, error)
	// Subscribed reports whether viewer receives owner's presence (a
	// subscription "from" or "both" in owner's roster).
	Subscribed(ctx context.Context, owner, viewer string) bool
}

// Groups are presentities that are not users: live help's support
// groups, whose presence is their agents' (available, away, offline).
type Groups interface {
	// GroupPresence returns a group's presence; ok is false when bare is
	// not a group.
	GroupPresence(ctx context.Context, bare string) (snap Snapshot, ok bool)
}

// Config configures a Service.
type Config struct {
	Sessions Sessions // the live session table
	// Groups, if set, answers for support groups (public presentities:
	// anyone with a valid token or proof, or none on the seed-004
	// endpoint, may read them).
	Groups Groups
	// Network, if set, answers for users who point their presence at an
	// account on another network (seed 000).
	Network Network
	Tokens  Tokens
	Store   Store
	// IsLocal reports whether a domain is served here.
	IsLocal func(domain string) bool
	// PublicDomains are served domains whose users' presence anyone may
	// read on the seed-004 endpoint.
	PublicDomains []string
	// ImageHosts are the hosts custom images may redirect to.
	ImageHosts []string
	// ErrorAsOffline draws the presence URL's failures with the offline
	// icon instead of the error icon.
	ErrorAsOffline bool
	// MaxRequestSize and MaxResponseSize bound getBulkPresence
	// (rtc.application.max_request_size / max_response_size).
	MaxRequestSize  int
	MaxResponseSize int
	Logger          *slog.Logger
}

// Service is the presence service layer, shared by the SOAP and JSON
// bindings and the HTTP endpoints.
type Service struct {
	cfg    Config
	public map[string]bool
	hosts  map[string]bool
	log    *slog.Logger
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{cfg: cfg, public: make(map[string]bool), hosts: make(map[string]bool), log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	for _, d := range cfg.PublicDomains {
		s.public[strings.ToLower(d)] = true
	}
	for _, h := range cfg.ImageHosts {
		s.hosts[strings.ToLower(h)] = true
	}
	if s.cfg.IsLocal == nil {
		s.cfg.IsLocal = func(string) bool { return true }
	}
	return s
}

// PresentityResource is one online resource of a presentity (seed Table
// 3-45).
type PresentityResource struct {
	LastModifiedDate time.Time
	Priority         int64
	ResourceName     string
	Show             string // AVAILABLE, AWAY, DND (OFFLINE never appears: offline resources are not listed)
	Status           string // the status message; "" if none
}

// PresentityStatus is the presence of one JID (seed Table 3-44): its
// online resources as asked for; none means offline (or, for a named
// resource, that resource is not online).
type PresentityStatus struct {
	AllResources []PresentityResource
	UserJID      string
}

// GetPresenceRequest is getPresence's parameters (seed Table 3-43).
type GetPresenceRequest struct {
	EntityID     string // param0: the calling site ID or user ID
	EntityToken  string // param1: the caller's token
	JID          string // param2: the presentity
	Resource     string // param3: optional resource; "" for the default
	AllResources bool   // param4: all resources (only when Resource is "")
}

// BulkPresenceRequest is getBulkPresence's param0 (seed Table 3-47).
type BulkPresenceRequest struct {
	EntityID    string
	EntityToken string
	EntityJIDs  []string
	// Resources, when not nil, names a resource per JID (same length as
	// EntityJIDs); "" asks for that JID's default resource.
	Resources []string
	// AllResources, when set and true, asks for all resources of the
	// JIDs without a named resource.
	AllResources *bool
}

// BulkPresenceResponse is getBulkPresence's result (seed Table 3-48).
type BulkPresenceResponse struct {
	Status               integration.Status
	StatusDetails        string
	PresentityStatusList []PresentityStatus
}

// authorize checks the caller's token: live, issued to entityID (which
// is required: ErrInvalidInput), with the SESSION or PRESENCE policy;
// ErrNotAuthorized if the entity may not read presence at all.
func (s *Service) authorize(ctx context.Context, entityID, value string) (Token, error) {
	if value == "" {
		return Token{}, ErrInvalidToken
	}
	tok, err := s.cfg.Tokens.Token(ctx, value)
	if err != nil {
		return Token{}, ErrInvalidToken
	}
	if strings.TrimSpace(entityID) == "" {
		return Token{}, fmt.Errorf("%w: the calling entity's ID is missing", ErrInvalidInput)
	}
	if !s.cfg.Tokens.IssuedTo(tok, entityID) {
		return Token{}, ErrInvalidToken
	}
	if !tok.Has("SESSION") && !tok.Has("PRESENCE") {
		return Token{}, ErrNotAuthorized
	}
	if !s.cfg.Tokens.PresenceAllowed(ctx, tok) {
		return Token{}, ErrNotAuthorized
	}
	return tok, nil
}

// mayRead reports whether an authorized token may read bare's presence:
// a site (with presence enabled) any local user's, a user only their own;
// anyone a support group's.
func (s *Service) mayRead(ctx context.Context, tok Token, bare string) bool {
	if tok.EntityType != EntityUser || tok.EntityID == bare {
		return true
	}
	_, group := s.group(ctx, bare)
	return group
}

// group returns a support group's presence, if bare is one.
func (s *Service) group(ctx context.Context, bare string) (Snapshot, bool) {
	if s.cfg.Groups == nil {
		return Snapshot{}, false
	}
	return s.cfg.Groups.GroupPresence(ctx, bare)
}

// lookup is the presence of a local user or a support group; served is
// false for anything else.
func (s *Service) lookup(ctx context.Context, bare string) (snap Snapshot, served bool) {
	if g, ok := s.group(ctx, bare); ok {
		return g, true
	}
	if !s.cfg.IsLocal(domainOf(bare)) {
		return Snapshot{JID: bare}, false
	}
	return s.user(ctx, bare), true
}

// user is a local user's presence: their network presence when they
// set one, else their own.
func (s *Service) user(ctx context.Context, bare string) Snapshot {
	if s.cfg.Network != nil {
		if snap, ok := s.cfg.Network.NetworkPresence(ctx, bare); ok {
			snap.JID = bare
			return snap
		}
	}
	return Lookup(s.cfg.Sessions, bare)
}

// parseTarget normalizes a presentity JID to its bare form.
func parseTarget(s string) (string, error) {
	j, err := jid.Parse(strings.TrimSpace(s))
	if err != nil || j.Local() == "" {
		return "", fmt.Errorf("%w: %q is not a user JID", ErrInvalidInput, s)
	}
	return j.Bare().String(), nil
}

// GetPresence returns the presence of one presentity (seed "Get Presence
// SOAP Service"): the named resource, all resources, or the default
// resource.
func (s *Service) GetPresence(ctx context.Context, req GetPresenceRequest) (PresentityStatus, error) {
	tok, err := s.authorize(ctx, req.EntityID, req.EntityToken)
	if err != nil {
		return PresentityStatus{}, err
	}
	bare, err := parseTarget(req.JID)
	if err != nil {
		return PresentityStatus{}, err
	}
	if !s.mayRead(ctx, tok, bare) {
		return PresentityStatus{}, ErrNotAuthorized
	}
	return s.presentity(ctx, bare, req.Resource, req.AllResources), nil
}

func (s *Service) presentity(ctx context.Context, bare, resource string, all bool) PresentityStatus {
	out := PresentityStatus{UserJID: bare, AllResources: []PresentityResource{}}
	snap, served := s.lookup(ctx, bare)
	if !served {
		return out
	}
	conv := func(r ResourcePresence) PresentityResource {
		return PresentityResource{LastModifiedDate: r.Changed.UTC(), Priority: int64(r.Priority),
			ResourceName: r.Resource, Show: r.State.Show(), Status: r.Status}
	}
	switch {
	case resource != "":
		if r, ok := snap.Resource(resource); ok {
			out.AllResources = append(out.AllResources, conv(r))
		}
	case all:
		for _, r := range snap.Resources {
			out.AllResources = append(out.AllResources, conv(r))
		}
	default:
		if r, ok := snap.Default(); ok {
			out.AllResources = append(out.AllResources, conv(r))
		}
	}
	return out
}

func domainOf(bare string) string {
	if i := strings.LastIndexByte(bare, '@'); i >= 0 {
		return bare[i+1:]
	}
	return bare
}

// GetBulkPresence returns the presence of several presentities (seed
// "Bulk Presence SOAP Service", status codes of Table 3-49):
//
//   - an invalid token is ErrInvalidToken (a fault, like every service);
//   - no entityID, no JIDs, a malformed JID, or a Resources array whose length is not
//     that of EntityJIDs: SERVICE_INPUT_ERROR, no data;
//   - more JIDs than MaxRequestSize: REQUEST_SIZE_EXCEEDED, no data;
//   - an entity that may not read presence, or a user asking for anyone
//     but themself: NOT_AUTHORIZED, no data;
//   - more JIDs than MaxResponseSize: the first MaxResponseSize, in
//     request order, and ADDITIONAL_DATA_AVAILABLE.
func (s *Service) GetBulkPresence(ctx context.Context, req BulkPresenceRequest) (BulkPresenceResponse, error) {
	tok, err := s.authorize(ctx, req.EntityID, req.EntityToken)
	notAuthorized := errors.Is(err, ErrNotAuthorized)
	fail := func(st integration.Status, details string) (BulkPresenceResponse, error) {
		return BulkPresenceResponse{Status: st, StatusDetails: details, PresentityStatusList: []PresentityStatus{}}, nil
	}
	if errors.Is(err, ErrInvalidInput) {
		return fail(integration.ServiceInputError, "entityID is empty")
	}
	if err != nil && !notAuthorized {
		return BulkPresenceResponse{}, err
	}
	if len(req.EntityJIDs) == 0 {
		return fail(integration.ServiceInputError, "entityJIDs is empty")
	}
	if req.Resources != nil && len(req.Resources) != len(req.EntityJIDs) {
		return fail(integration.ServiceInputError, fmt.Sprintf("resources has %d entries for %d entityJIDs", len(req.Resources), len(req.EntityJIDs)))
	}
	if len(req.EntityJIDs) > s.cfg.MaxRequestSize {
		return fail(integration.RequestSizeExceeded, fmt.Sprintf("%d entityJIDs; at most %d per request", len(req.EntityJIDs), s.cfg.MaxRequestSize))
	}
	bares := make([]string, len(req.EntityJIDs))
	for i, j := range req.EntityJIDs {
		if bares[i], err = parseTarget(j); err != nil {
			return fail(integration.ServiceInputError, fmt.Sprintf("entityJIDs[%d]: %q is not a user JID", i, j))
		}
	}
	if notAuthorized {
		return fail(integration.NotAuthorized, "the entity may not obtain presence")
	}
	for i, b := range bares {
		if !s.mayRead(ctx, tok, b) {
			return fail(integration.NotAuthorized, fmt.Sprintf("entityJIDs[%d]: a user may obtain only their own presence", i))
		}
	}
	all := req.AllResources != nil && *req.AllResources
	resp := BulkPresenceResponse{Status: integration.NoError, PresentityStatusList: make([]PresentityStatus, 0, min(len(bares), s.cfg.MaxResponseSize))}
	for i, b := range bares {
		if i == s.cfg.MaxResponseSize {
			resp.Status = integration.AdditionalDataAvailable
			resp.StatusDetails = fmt.Sprintf("answered the first %d of %d entityJIDs", i, len(bares))
			break
		}
		res := ""
		if req.Resources != nil {
			res = req.Resources[i]
		}
		resp.PresentityStatusList = append(resp.PresentityStatusList, s.presentity(ctx, b, res, all))
	}
	return resp, nil
}
