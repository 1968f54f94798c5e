package presence

import (
	"context"
	"strings"
)

// The presence widget (webui/widget) shows presence to three kinds of
// viewer, each under the rules the other presence surfaces follow:
//
//   - anonymous pages: users who share their presence publicly (opted
//     in, or their domain is public) and support groups (Public);
//   - signed-in viewers: in addition, themselves and the users whose
//     presence they receive by subscription (Visible);
//   - a page a site signed: whatever the site's presence URL shows
//     (CheckPresenceURL), which is K1-checked as on /imtapp/Presence.

// Presentity is the presence of a local user or support group, if
// served is true (otherwise bare is nobody this server answers for).
func (s *Service) Presentity(ctx context.Context, bare string) (snap Snapshot, served bool) {
	return s.lookup(ctx, bare)
}

// ParseJID normalizes a presentity's JID to its bare form, or fails
// with ErrInvalidInput.
func ParseJID(s string) (string, error) { return parseTarget(s) }

// Public reports whether anyone may see bare's presence: a support
// group, a user of a public domain, or a user who opted in.
func (s *Service) Public(ctx context.Context, bare string) bool {
	if _, ok := s.group(ctx, bare); ok {
		return true
	}
	if !s.cfg.IsLocal(domainOf(bare)) {
		return false
	}
	if s.public[domainOf(bare)] {
		return true
	}
	shared, err := s.cfg.Store.PresenceShared(ctx, bare)
	if err != nil {
		s.log.Warn("presence sharing lookup failed", "jid", bare, "err", err)
		return false
	}
	return shared
}

// Visible reports whether viewer (a bare JID; "" for an anonymous
// viewer) may see bare's presence: what is public, the viewer's own, and
// that of users who share it with the viewer by subscription.
func (s *Service) Visible(ctx context.Context, viewer, bare string) bool {
	if viewer != "" && s.cfg.IsLocal(domainOf(bare)) {
		if viewer == bare || s.cfg.Store.Subscribed(ctx, bare, viewer) {
			return true
		}
	}
	return s.Public(ctx, bare)
}

// CheckPresenceURL checks the query of a presence URL as /imtapp/Presence
// does (query rules, a live PRESENCE token of an entity allowed to read
// presence, K1, the presentity) and returns the presentity it names with
// its state and status message (of the named resource, if any). ok is
// false when any check failed; the caller answers every failure alike.
func (s *Service) CheckPresenceURL(ctx context.Context, rawQuery string) (bare string, st State, status string, ok bool) {
	p, reason := parseURLParams(rawQuery)
	if reason == "" {
		st, status, reason = s.presenceURL(ctx, p)
	}
	if reason != "" {
		s.log.Debug("signed presence URL refused", "reason", reason, "tid", p.tid)
		return "", Error, "", false
	}
	bare, _ = parseTarget(strings.TrimSpace(p.uid))
	return bare, st, status, true
}
