package calendar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

// vcardIndexAge is how old the e-mail index may be before a lookup
// that misses it builds it again.
const vcardIndexAge = time.Minute

// owners resolves calendar addresses (mailto:alice@mail.example,
// alice@example.com) to local users, in this order: the configured
// mapping (one address, then the address's mail domain), the user
// whose JID the address is, the user whose vCard lists the address as
// an EMAIL.
//
// The vCard index (e-mail address -> user) is built from every stored
// vCard when a lookup misses it and it is older than vcardIndexAge.
// mu guards it; no other lock is taken while holding mu, and the store
// is read without it.
type owners struct {
	st        store.Store
	isLocal   func(domain string) bool
	addresses map[string]string // lower-case address -> bare JID
	domains   map[string]string // lower-case mail domain -> XMPP domain
	clock     Clock

	build   sync.Mutex // one index build at a time
	mu      sync.Mutex
	index   map[string]string // lower-case e-mail -> bare JID
	builtAt time.Time
}

// resolve returns the bare JID of the local user addr names.
func (o *owners) resolve(ctx context.Context, addr string) (string, error) {
	a := strings.TrimSpace(addr)
	if a == "" {
		return "", ErrNoOwner
	}
	for _, scheme := range []string{"mailto:", "xmpp:"} {
		if len(a) >= len(scheme) && strings.EqualFold(a[:len(scheme)], scheme) {
			a = a[len(scheme):]
			break
		}
	}
	a, _, _ = strings.Cut(a, "?") // mailto:a@b?subject=...
	lower := strings.ToLower(a)
	if to, ok := o.addresses[lower]; ok {
		if o.exists(ctx, to) {
			return to, nil
		}
		return "", fmt.Errorf("%w: %s maps to %s, which has no account", ErrUnknownOwner, addr, to)
	}
	if local, domain, ok := strings.Cut(lower, "@"); ok {
		if to, ok := o.domains[domain]; ok {
			if j, err := jid.New(local, to, ""); err == nil && o.exists(ctx, j.String()) {
				return j.String(), nil
			}
		}
	}
	if j, err := jid.Parse(a); err == nil && j.Local() != "" && o.isLocal(j.Domain()) && o.exists(ctx, j.Bare().String()) {
		return j.Bare().String(), nil
	}
	if to, err := o.byVCard(ctx, lower); err != nil {
		return "", err
	} else if to != "" {
		return to, nil
	}
	return "", fmt.Errorf("%w: %s", ErrUnknownOwner, addr)
}

func (o *owners) exists(ctx context.Context, bare string) bool {
	_, err := o.st.User(ctx, bare)
	return err == nil
}

// byVCard looks addr up in the vCard index, rebuilding a stale index
// once on a miss.
func (o *owners) byVCard(ctx context.Context, addr string) (string, error) {
	o.mu.Lock()
	to, ok := o.index[addr]
	fresh := o.index != nil && o.clock.Now().Sub(o.builtAt) < vcardIndexAge
	o.mu.Unlock()
	if ok && o.exists(ctx, to) {
		return to, nil
	}
	if fresh {
		return "", nil
	}
	o.build.Lock()
	defer o.build.Unlock()
	o.mu.Lock()
	rebuilt := o.index != nil && o.clock.Now().Sub(o.builtAt) < vcardIndexAge
	o.mu.Unlock()
	if !rebuilt {
		idx, err := o.buildIndex(ctx)
		if err != nil {
			return "", err
		}
		o.mu.Lock()
		o.index, o.builtAt = idx, o.clock.Now()
		o.mu.Unlock()
	}
	o.mu.Lock()
	to = o.index[addr]
	o.mu.Unlock()
	return to, nil
}

func (o *owners) buildIndex(ctx context.Context) (map[string]string, error) {
	users, err := o.st.ListUsers(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("calendar: list users for the vCard index: %w", err)
	}
	idx := map[string]string{}
	for _, u := range users {
		raw, err := o.st.VCard(ctx, u)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("calendar: vCard of %s: %w", u, err)
		}
		for _, e := range parseVCard(raw).emails {
			if _, taken := idx[e]; !taken { // the first user (sorted) keeps a shared address
				idx[e] = u
			}
		}
	}
	return idx, nil
}

// vcard is what the agent reads from a vcard-temp vCard.
type vcard struct {
	emails []string // lower-case
	tz     string   // TZ: an IANA name or a UTC offset ("-05:00")
}

var vcardLimits = xml.Limits{MaxStanzaBytes: 1 << 20, MaxDepth: 16, MaxAttrs: 64}

// parseVCard reads EMAIL (<EMAIL><USERID>a@b</USERID></EMAIL>, or the
// address as the element's text) and TZ from a stored vCard; an
// unreadable vCard gives nothing.
func parseVCard(raw []byte) vcard {
	var v vcard
	el, err := xml.ParseElement(raw, "vcard-temp", vcardLimits)
	if err != nil || el == nil {
		return v
	}
	for _, c := range el.Children {
		switch strings.ToUpper(c.Name) {
		case "EMAIL":
			addr := strings.TrimSpace(c.Text)
			for _, u := range c.Children {
				if strings.EqualFold(u.Name, "USERID") {
					addr = strings.TrimSpace(u.Text)
				}
			}
			if strings.Contains(addr, "@") {
				v.emails = append(v.emails, strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(addr, "mailto:"), "MAILTO:")))
			}
		case "TZ":
			v.tz = strings.TrimSpace(c.Text)
		}
	}
	return v
}

// zoneCache keeps the zones parseZone loaded (time.LoadLocation reads
// the zone file each time); bounded, it is simply emptied when full.
var zoneCache struct {
	sync.Mutex
	m map[string]*time.Location
}

// parseZone reads a time zone name: an IANA name, or a UTC offset
// ("+01:00", "-0500", "UTC+2") as vCard TZ gives it.
func parseZone(s string) (*time.Location, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "local") || len(s) > 64 {
		return nil, false
	}
	zoneCache.Lock()
	loc, ok := zoneCache.m[s]
	zoneCache.Unlock()
	if ok {
		return loc, true
	}
	loc, ok = loadZone(s)
	if ok {
		zoneCache.Lock()
		if zoneCache.m == nil || len(zoneCache.m) >= 1024 {
			zoneCache.m = map[string]*time.Location{}
		}
		zoneCache.m[s] = loc
		zoneCache.Unlock()
	}
	return loc, ok
}

func loadZone(s string) (*time.Location, bool) {
	if loc, err := time.LoadLocation(s); err == nil {
		return loc, true
	}
	off := strings.TrimPrefix(strings.TrimPrefix(strings.ToUpper(s), "UTC"), "GMT")
	if off == "" || (off[0] != '+' && off[0] != '-') {
		return nil, false
	}
	sign := 1
	if off[0] == '-' {
		sign = -1
	}
	digits := strings.ReplaceAll(off[1:], ":", "")
	var h, m int
	switch len(digits) {
	case 1, 2:
		if _, err := fmt.Sscanf(digits, "%d", &h); err != nil {
			return nil, false
		}
	case 4:
		if _, err := fmt.Sscanf(digits, "%2d%2d", &h, &m); err != nil {
			return nil, false
		}
	default:
		return nil, false
	}
	if h > 14 || m > 59 {
		return nil, false
	}
	secs := sign * (h*3600 + m*60)
	name := fmt.Sprintf("UTC%c%02d:%02d", off[0], h, m)
	return time.FixedZone(name, secs), true
}
