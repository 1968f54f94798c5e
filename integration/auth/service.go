// Package auth is the Authentication service of the integration
// services (seed 001 chapter 3): integrating sites with their secret
// keys, users authenticated with their XMPP account credentials, and the
// tokens both obtain (createSession, requestToken, requestMultipleTokens,
// requestTokenForCredentials, endSession, getTokenStatus). The other
// services resolve the token a caller passes with Resolve (or ByID for
// the presence URL, which names a token by its ID).
//
// A token string is "<TOKENID>_<random>" (random: 40 characters from
// crypto/rand). Tokens are stored, so they survive a restart; a token
// derived from another (a child, obtained with a SESSION token) expires
// no later than its parent and is ended with it, transitively. Expired
// tokens are refused at once and purged by Run.
//
// A site may obtain a policy when its setting for it is on (PRESENCE:
// auth_presence_enabled, GUESTCHAT: auth_chat_enabled, PROXY:
// auth_proxy_enabled, SESSION: auth_session_enabled, PRECONFERENCE,
// POSTCONFERENCE and REPORTING: scheduling_access_enabled); a user may
// obtain the policies of Options.UserPolicies, never a PROXY token for
// someone else, and other services limit a user's token to the user's
// own data (Token.MayActFor).
//
// Site keys are high-entropy random strings shown once; the store keeps
// a salted HMAC-SHA-256 of each, compared in constant time. Passwords
// are checked against the account's stored SCRAM credential, never
// stored. Error messages never contain a secret.
//
// Failed password and key checks are limited per client address and
// per entity ID and address, an attempt being reserved before it is
// checked; an ID that fails often from everywhere is slowed down, never
// locked, so that an attacker cannot lock the real user or site out
// (limit.go). Password checks (PBKDF2) run a bounded number at a time. A
// token obtained with a password or key is kept only if that credential
// is still the stored one once the token is stored, so a key rotation
// or password change that ends the entity's tokens cannot miss one
// being issued concurrently.
//
// Concurrency: a Service is safe for concurrent use; its only mutable
// state is the three failure limiters (a mutex each, no calls out while
// held), the check slots (a channel) and the purge loop's handle
// (runMu).
package auth

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/sasl"
)

// Store is what the service persists: sites and tokens, and the
// accounts whose credentials users authenticate with.
type Store interface {
	store.Users
	store.Sites
	store.Tokens
}

// DefaultUserPolicies are the policies a user may obtain unless
// Options.UserPolicies says otherwise: their own sessions, presence and
// conferences, not PROXY nor GUESTCHAT (which are for sites).
var DefaultUserPolicies = []string{PolicySession, PolicyPresence, PolicyPreconference, PolicyPostconference, PolicyReporting}

// Options configure a Service.
type Options struct {
	Store Store
	// TokenLife is how long a token lives (rtc.application.token_life);
	// 0 means one hour.
	TokenLife time.Duration
	// MaxRequestSize bounds the tokens of one requestMultipleTokens
	// (rtc.application.max_request_size); 0 means 100.
	MaxRequestSize int
	// UserPolicies are the policies a USER entity may obtain; nil means
	// DefaultUserPolicies.
	UserPolicies []string
	// DefaultDomain completes a user ID given without '@' ("alice" →
	// "alice@<DefaultDomain>") where the entity type says USER; "" leaves
	// such IDs invalid.
	DefaultDomain string
	// FailuresPerMinute limits failed authentications (beyond a burst of
	// as many) per entity ID and client address: over it, that address's
	// attempts for that ID fail without being checked. The same budget
	// for the ID from every address together puts the ID "under attack"
	// when it runs out: attempts from addresses without a recent failure
	// for it are then checked after AttackDelay, never refused; those
	// from addresses that failed are refused (limit.go). 0 means no
	// limit.
	FailuresPerMinute float64
	// FailuresPerMinutePerAddr limits failed authentications per client
	// address (an IPv4 address or an IPv6 /64, as recorded by
	// WithClientAddr), whatever the IDs tried: password spraying across
	// many accounts. Over it, the address's attempts fail unchecked. 0
	// means no limit.
	FailuresPerMinutePerAddr float64
	// AttackDelay is how long an attempt for an ID under attack waits
	// before it is checked; 0 means none.
	AttackDelay time.Duration
	// Sleep waits for a duration or until ctx ends; nil means a timer.
	// Tests inject their own.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxConcurrentChecks bounds the password checks (PBKDF2
	// derivations) running at once; others wait for a slot or for their
	// context. 0 means GOMAXPROCS.
	MaxConcurrentChecks int
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
	// PurgeInterval is how often Run purges expired tokens; 0 means one
	// minute.
	PurgeInterval time.Duration
	Logger        *slog.Logger
}

// Service is the Authentication service. Create it with New.
type Service struct {
	st            Store
	life          time.Duration
	maxRequest    int
	userSettings  Settings
	defaultDomain string
	now           func() time.Time
	purgeEvery    time.Duration
	log           *slog.Logger
	limit         *limiter      // failures per entity ID, from every address
	pairLimit     *limiter      // failures per entity ID and client address
	addrLimit     *limiter      // failures per client address
	attackDelay   time.Duration // before checking an ID under attack
	sleep         func(ctx context.Context, d time.Duration) error
	checks        chan struct{} // slots for password checks

	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Service. Unknown names in o.UserPolicies are
// ErrInvalidInput.
func New(o Options) (*Service, error) {
	s := &Service{st: o.Store, life: o.TokenLife, maxRequest: o.MaxRequestSize,
		defaultDomain: o.DefaultDomain, now: o.Now, purgeEvery: o.PurgeInterval, log: o.Logger}
	if s.life <= 0 {
		s.life = time.Hour
	}
	if s.maxRequest <= 0 {
		s.maxRequest = 100
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.purgeEvery <= 0 {
		s.purgeEvery = time.Minute
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	policies := o.UserPolicies
	if policies == nil {
		policies = DefaultUserPolicies
	}
	s.userSettings = Settings{}
	for _, n := range SettingNames {
		s.userSettings[n] = false
	}
	for _, p := range policies {
		ps, err := ParsePolicy(p)
		if err != nil {
			return nil, err
		}
		s.userSettings[policySetting[ps[0]]] = true
	}
	if o.FailuresPerMinute > 0 {
		s.limit = newLimiter(o.FailuresPerMinute, s.now)
		s.pairLimit = newLimiter(o.FailuresPerMinute, s.now)
	}
	s.attackDelay, s.sleep = o.AttackDelay, o.Sleep
	if s.sleep == nil {
		s.sleep = sleepCtx
	}
	if o.FailuresPerMinutePerAddr > 0 {
		s.addrLimit = newLimiter(o.FailuresPerMinutePerAddr, s.now)
	}
	n := o.MaxConcurrentChecks
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	s.checks = make(chan struct{}, n)
	return s, nil
}

// TokenLife is the life of a new token.
func (s *Service) TokenLife() time.Duration { return s.life }

// UserSettings are the settings every USER entity has.
func (s *Service) UserSettings() Settings {
	out := Settings{}
	for k, v := range s.userSettings {
		out[k] = v
	}
	return out
}

// EntitySettings returns the current settings of the entity a token was
// issued to: the site's own, or UserSettings for a user.
func (s *Service) EntitySettings(ctx context.Context, t Token) (Settings, error) {
	if t.EntityType == EntityUser {
		return s.UserSettings(), nil
	}
	st, err := s.st.Site(ctx, t.EntityID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalidToken // the site went after the token was resolved
	}
	if err != nil {
		return nil, err
	}
	return siteFromStore(st).Settings, nil
}

// principal is an authenticated entity.
type principal struct {
	entityType string
	entityID   string
	settings   Settings
	parent     *Token // the SESSION token it authenticated with; nil for a password or key
	// verifier is the stored credential a password or key matched (the
	// SCRAM StoredKey, the key's HMAC); confirm checks it is still the
	// stored one after a token was issued.
	verifier []byte
}

// normalizeUser turns a user ID into a bare JID.
func (s *Service) normalizeUser(id string) (string, error) {
	id = strings.TrimSpace(id)
	if !strings.Contains(id, "@") && s.defaultDomain != "" && id != "" {
		id += "@" + s.defaultDomain
	}
	j, err := jid.Parse(id)
	if err != nil || j.Local() == "" || !j.IsBare() {
		return "", fmt.Errorf("%w: user ID %q is not a bare JID (user@domain)", ErrInvalidInput, id)
	}
	return j.String(), nil
}

func parseEntityType(t string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(t)) {
	case EntityUser:
		return EntityUser, nil
	case EntitySite:
		return EntitySite, nil
	}
	return "", fmt.Errorf("%w: entity type %q (want USER or SITE)", ErrInvalidInput, t)
}

// inferEntityType: the operations that take only an ID tell users
// (bare JIDs, with '@') from sites (whose IDs never have one).
func inferEntityType(id string) string {
	if strings.Contains(id, "@") {
		return EntityUser
	}
	return EntitySite
}

// sameEntity reports whether id names the entity a token was issued to.
func (s *Service) sameEntity(t Token, id string) bool {
	if t.EntityType == EntityUser {
		j, err := s.normalizeUser(id)
		return err == nil && j == t.EntityID
	}
	return strings.TrimSpace(id) == t.EntityID
}

// authPassword authenticates an entity by password (user) or key (site).
// The attempt is reserved from the failure limiters first (see
// reserveAttempt).
func (s *Service) authPassword(ctx context.Context, entityType, id, secret string) (principal, error) {
	var key string
	if entityType == EntityUser {
		j, err := s.normalizeUser(id)
		if err != nil {
			return principal{}, err
		}
		id, key = j, EntityUser+" "+j
	} else {
		id = strings.TrimSpace(id)
		if id == "" {
			return principal{}, fmt.Errorf("%w: empty site ID", ErrInvalidInput)
		}
		key = EntitySite + " " + id
	}
	a, ok := s.reserveAttempt(ctx, key)
	if !ok {
		s.log.Debug("integration: authentication refused unchecked: too many failures", "entity", key)
		return principal{}, ErrAuthFailed
	}
	if a.slowed {
		s.log.Debug("integration: authentication slowed: the ID is under attack", "entity", key, "delay", a.delay)
	}
	if err := a.wait(ctx); err != nil {
		a.done(false)
		return principal{}, err
	}
	var p principal
	var err error
	if entityType == EntityUser {
		var verifier []byte
		verifier, err = s.verifyUser(ctx, id, secret)
		p = principal{entityType: EntityUser, entityID: id, settings: s.UserSettings(), verifier: verifier}
	} else {
		var st store.Site
		st, err = s.verifySite(ctx, id, secret)
		p = principal{entityType: EntitySite, entityID: id, settings: siteFromStore(st).Settings, verifier: st.KeyHash}
	}
	a.done(errors.Is(err, ErrAuthFailed))
	if err != nil {
		return principal{}, err
	}
	return p, nil
}

// verifyUser checks a password against the account's stored SCRAM
// credential (SHA-256, or SHA-1 for an account that only has that) and
// returns the StoredKey it matched. At most MaxConcurrentChecks run at
// once.
func (s *Service) verifyUser(ctx context.Context, j, password string) ([]byte, error) {
	release, err := s.acquireCheck(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	u, err := s.st.User(ctx, j)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	found := err == nil
	cred := userCredential(u)
	h := sha256.New
	if found && len(u.SHA256.StoredKey) == 0 {
		h = func() hash.Hash { return sha1.New() }
	}
	if !found || cred.Iterations < 1 {
		// Spend the same work as for a real account.
		cred = store.SCRAMCredential{Salt: make([]byte, sasl.SaltLen), Iterations: sasl.DefaultIterations, StoredKey: make([]byte, sha256.Size)}
		found = false
	}
	prepared, perr := sasl.PreparePassword(password)
	if perr != nil {
		prepared = ""
	}
	d := sasl.DeriveCredential(h, prepared, cred.Salt, cred.Iterations)
	if subtle.ConstantTimeCompare(d.StoredKey, cred.StoredKey) != 1 || !found || perr != nil || password == "" {
		return nil, ErrAuthFailed
	}
	return cred.StoredKey, nil
}

// userCredential is the credential a user's password is checked
// against: SHA-256, or SHA-1 for an account that only has that.
func userCredential(u store.User) store.SCRAMCredential {
	if len(u.SHA256.StoredKey) == 0 {
		return u.SHA1
	}
	return u.SHA256
}

// confirm reports whether the password or key p authenticated with is
// still the entity's: a token issued after a concurrent RotateKey or
// password change ended the entity's tokens must not outlive the check.
// The change stores the new credential before it ends the tokens, so a
// token created after that ending sees the new credential here.
func (s *Service) confirm(ctx context.Context, p principal) error {
	if p.parent != nil || p.verifier == nil {
		return nil
	}
	var cur []byte
	if p.entityType == EntityUser {
		u, err := s.st.User(ctx, p.entityID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrAuthFailed
		}
		if err != nil {
			return err
		}
		cur = userCredential(u).StoredKey
	} else {
		st, err := s.st.Site(ctx, p.entityID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrAuthFailed
		}
		if err != nil {
			return err
		}
		cur = st.KeyHash
	}
	if subtle.ConstantTimeCompare(cur, p.verifier) != 1 {
		return ErrAuthFailed
	}
	return nil
}

// authToken authenticates an entity by a SESSION token issued to it.
func (s *Service) authToken(ctx context.Context, entityType, id, token string) (principal, error) {
	t, err := s.Resolve(ctx, token)
	if err != nil {
		return principal{}, err
	}
	if (entityType != "" && entityType != t.EntityType) || !s.sameEntity(t, id) {
		return principal{}, fmt.Errorf("%w: the token was not issued to %s", ErrNotAuthorized, strings.TrimSpace(id))
	}
	if !t.HasPolicy(PolicySession) {
		return principal{}, fmt.Errorf("%w: only a SESSION token can obtain tokens", ErrNotAuthorized)
	}
	settings, err := s.EntitySettings(ctx, t)
	if err != nil {
		return principal{}, err
	}
	return principal{entityType: t.EntityType, entityID: t.EntityID, settings: settings, parent: &t}, nil
}

// authenticate accepts a password/key or a SESSION token. credType ""
// tries a credential of token form as a token first, then as a
// password; entityType "" infers it from the ID.
func (s *Service) authenticate(ctx context.Context, credType, entityType, id, credential string) (principal, error) {
	switch credType {
	case CredentialToken:
		return s.authToken(ctx, entityType, id, credential)
	case CredentialPassword:
	case "":
		if looksLikeToken(credential) {
			p, err := s.authToken(ctx, entityType, id, credential)
			if !errors.Is(err, ErrInvalidToken) {
				return p, err
			}
			if p, perr := s.authPassword(ctx, orInfer(entityType, id), id, credential); perr == nil {
				return p, nil
			}
			return principal{}, err
		}
	default:
		return principal{}, fmt.Errorf("%w: credential type %q (want TOKEN or PASSWORD)", ErrInvalidInput, credType)
	}
	return s.authPassword(ctx, orInfer(entityType, id), id, credential)
}

func orInfer(entityType, id string) string {
	if entityType != "" {
		return entityType
	}
	return inferEntityType(id)
}

// request is one token to grant.
type request struct {
	policies  []string
	proxyUser string
}

// parseRequest reads a token request from the properties and an
// optional PolicyObject, and checks it against the principal's rights.
func (s *Service) parseRequest(p principal, props TokenProperties, pol *PolicyObject) (request, error) {
	policy := props.TokenPolicy
	proxy, hasProxy := "", false
	// Attributes without a name or value (what some SOAP clients send
	// for an empty array element) are ignored; unknown names are not.
	for _, a := range props.TokenAttributes {
		if n := strings.TrimSpace(a.Name); n != "" && !strings.EqualFold(n, AttrProxyUser) {
			return request{}, fmt.Errorf("%w: unknown token attribute %q (only PROXY_USER)", ErrInvalidInput, a.Name)
		}
	}
	if v, _ := integration.LookupAttr(props.TokenAttributes, AttrProxyUser); strings.TrimSpace(v) != "" {
		proxy, hasProxy = v, true
	}
	if pol != nil {
		for _, a := range pol.PolicyArray {
			n := strings.TrimSpace(a.Name)
			if n != "" && !strings.EqualFold(n, AttrProxyUser) && !strings.EqualFold(n, AttrPolicy) {
				return request{}, fmt.Errorf("%w: unknown policy attribute %q (only TOKEN_POLICY, PROXY_USER)", ErrInvalidInput, a.Name)
			}
		}
		if v, _ := integration.LookupAttr(pol.PolicyArray, AttrPolicy); strings.TrimSpace(v) != "" {
			policy = v
		}
		if v, _ := integration.LookupAttr(pol.PolicyArray, AttrProxyUser); strings.TrimSpace(v) != "" {
			proxy, hasProxy = v, true
		}
	}
	policies, err := ParsePolicy(policy)
	if err != nil {
		return request{}, err
	}
	proxy = strings.TrimSpace(proxy)
	isProxy := false
	for _, pl := range policies {
		isProxy = isProxy || pl == PolicyProxy
	}
	switch {
	case isProxy && proxy == "":
		return request{}, fmt.Errorf("%w: a PROXY policy needs the PROXY_USER attribute", ErrInvalidInput)
	case !isProxy && hasProxy:
		return request{}, fmt.Errorf("%w: PROXY_USER is only for a PROXY policy", ErrInvalidInput)
	case len(proxy) > 1023:
		return request{}, fmt.Errorf("%w: PROXY_USER longer than 1023 bytes", ErrInvalidInput)
	}
	for _, pl := range policies {
		if !p.settings.Authorizes(pl) {
			return request{}, fmt.Errorf("%w: %s %s may not obtain %s tokens (%s is off)", ErrNotAuthorized,
				strings.ToLower(p.entityType), p.entityID, pl, policySetting[pl])
		}
	}
	if isProxy && p.entityType == EntityUser {
		if j, err := s.normalizeUser(proxy); err != nil || j != p.entityID {
			return request{}, fmt.Errorf("%w: a user may only obtain PROXY tokens for themselves", ErrNotAuthorized)
		}
	}
	return request{policies: policies, proxyUser: proxy}, nil
}

// CreateSession authenticates a user by password or a site by its key
// and returns a SESSION token (seed: createSession(param0 ID, param1
// password or key, param2 "USER" or "SITE")).
func (s *Service) CreateSession(ctx context.Context, entityID, credential, entityType string) (TokenObject, error) {
	et, err := parseEntityType(entityType)
	if err != nil {
		return TokenObject{}, err
	}
	p, err := s.authPassword(ctx, et, entityID, credential)
	if err != nil {
		return TokenObject{}, err
	}
	if !p.settings.Authorizes(PolicySession) {
		return TokenObject{}, fmt.Errorf("%w: %s %s may not open sessions (%s is off)", ErrNotAuthorized, strings.ToLower(p.entityType), p.entityID, SettingSession)
	}
	t, err := s.issue(ctx, p, []string{PolicySession}, "")
	if err != nil {
		return TokenObject{}, err
	}
	return t.Object(), nil
}

// RequestToken returns a token for props' policy (seed: requestToken(
// param0 ID, param1 password, key or SESSION token, param2
// TokenProperties, param3 PolicyObject)). Obtained with a SESSION token,
// it is that token's child.
func (s *Service) RequestToken(ctx context.Context, entityID, credential string, props TokenProperties, policy *PolicyObject) (TokenObject, error) {
	p, err := s.authenticate(ctx, "", "", entityID, credential)
	if err != nil {
		return TokenObject{}, err
	}
	return s.grant(ctx, p, props, policy)
}

func (s *Service) grant(ctx context.Context, p principal, props TokenProperties, policy *PolicyObject) (TokenObject, error) {
	r, err := s.parseRequest(p, props, policy)
	if err != nil {
		return TokenObject{}, err
	}
	t, err := s.issue(ctx, p, r.policies, r.proxyUser)
	if err != nil {
		return TokenObject{}, err
	}
	return t.Object(), nil
}

// RequestMultipleTokens returns one token per PolicyObject, in order,
// each with TokenIndex set (seed: requestMultipleTokens(param0 ID,
// param1 password, key or SESSION token, param2 TokenProperties, param3
// PolicyObject[])). Either every token is issued or none is. More than
// MaxRequestSize objects is ErrRequestSizeExceeded.
func (s *Service) RequestMultipleTokens(ctx context.Context, entityID, credential string, props TokenProperties, policies []PolicyObject) ([]TokenObject, error) {
	if len(policies) == 0 {
		return nil, fmt.Errorf("%w: no PolicyObject: one per token requested", ErrInvalidInput)
	}
	if len(policies) > s.maxRequest {
		return nil, fmt.Errorf("%w: %d tokens requested, at most %d", ErrRequestSizeExceeded, len(policies), s.maxRequest)
	}
	p, err := s.authenticate(ctx, "", "", entityID, credential)
	if err != nil {
		return nil, err
	}
	reqs := make([]request, len(policies))
	for i := range policies {
		if reqs[i], err = s.parseRequest(p, props, &policies[i]); err != nil {
			return nil, fmt.Errorf("PolicyObject %d: %w", i, err)
		}
	}
	out := make([]TokenObject, 0, len(reqs))
	var issued []int64
	for i, r := range reqs {
		t, err := s.issue(ctx, p, r.policies, r.proxyUser)
		if err != nil {
			for _, id := range issued {
				s.st.DeleteToken(context.WithoutCancel(ctx), id)
			}
			return nil, err
		}
		issued = append(issued, t.ID)
		obj := t.Object()
		obj.TokenIndex = strconv.Itoa(i)
		out = append(out, obj)
	}
	return out, nil
}

// RequestTokenForCredentials returns a token for props' policy to the
// entity a CredentialObject names and proves (seed:
// requestTokenForCredentials(param0 CredentialObject, param1
// TokenProperties, param2 PolicyObject)).
func (s *Service) RequestTokenForCredentials(ctx context.Context, cred CredentialObject, props TokenProperties, policy *PolicyObject) (TokenObject, error) {
	et, err := parseEntityType(cred.EntityType)
	if err != nil {
		return TokenObject{}, err
	}
	ct := strings.ToUpper(strings.TrimSpace(cred.CredentialType))
	if ct != CredentialToken && ct != CredentialPassword {
		return TokenObject{}, fmt.Errorf("%w: credential type %q (want TOKEN or PASSWORD)", ErrInvalidInput, cred.CredentialType)
	}
	p, err := s.authenticate(ctx, ct, et, cred.EntityID, cred.EntityCredential)
	if err != nil {
		return TokenObject{}, err
	}
	return s.grant(ctx, p, props, policy)
}

// EndSession ends a token issued to the entity, and every token derived
// from it, transitively, and returns the ended token (seed:
// endSession(param0 ID, param1 token)).
func (s *Service) EndSession(ctx context.Context, entityID, token string) (TokenObject, error) {
	t, err := s.Resolve(ctx, token)
	if err != nil {
		return TokenObject{}, err
	}
	if !s.sameEntity(t, entityID) {
		return TokenObject{}, fmt.Errorf("%w: the token was not issued to %s", ErrNotAuthorized, strings.TrimSpace(entityID))
	}
	if _, err := s.st.DeleteToken(ctx, t.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return TokenObject{}, ErrInvalidToken // ended meanwhile
		}
		return TokenObject{}, err
	}
	return t.Object(), nil
}

// GetTokenStatus reports on a token issued to the entity (seed:
// getTokenStatus(param0 ID, param1 token)): a live token comes back with
// TOKENID, EXPIRY_TIME, STATUS=VALID and TOKEN_POLICY; a malformed,
// unknown, ended or expired one with STATUS=INVALID (and its TOKENID if
// the string has one). A live token of another entity is
// ErrNotAuthorized.
func (s *Service) GetTokenStatus(ctx context.Context, entityID, token string) (TokenObject, error) {
	t, err := s.Resolve(ctx, token)
	if errors.Is(err, ErrInvalidToken) {
		obj := TokenObject{Token: token}
		if id, _, ok := splitToken(strings.TrimSpace(token)); ok {
			obj.TokenAttributes = append(obj.TokenAttributes, integration.Attr(AttrTokenID, formatID(id)))
		}
		obj.TokenAttributes = append(obj.TokenAttributes, integration.Attr(AttrStatus, StatusInvalid))
		return obj, nil
	}
	if err != nil {
		return TokenObject{}, err
	}
	if !s.sameEntity(t, entityID) {
		return TokenObject{}, fmt.Errorf("%w: the token was not issued to %s", ErrNotAuthorized, strings.TrimSpace(entityID))
	}
	obj := t.Object()
	obj.TokenAttributes = append(obj.TokenAttributes, integration.Attr(AttrStatus, StatusValid), integration.Attr(AttrPolicy, t.Policy()))
	return obj, nil
}

// endEntityTokens ends every token of an entity.
func (s *Service) endEntityTokens(ctx context.Context, entityType, id string) error {
	_, err := s.st.DeleteEntityTokens(ctx, entityType, id)
	return err
}

// IssuedTo reports whether entityID (a site ID, or a user ID as the
// operations accept it) names the entity token t was issued to. The
// services whose requests carry entityID and entityToken check it.
func (s *Service) IssuedTo(t Token, entityID string) bool { return s.sameEntity(t, entityID) }
