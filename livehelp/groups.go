package livehelp

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

// GroupStore is what group administration needs.
type GroupStore interface {
	store.SupportGroups
	User(ctx context.Context, jid string) (store.User, error)
}

// Groups administers support groups (`parley group`, the seed's rtcctl
// addGroup). The server reads groups and members from the store at every
// decision, so changes made while it runs apply at once.
type Groups struct {
	Store           GroupStore
	Hosts           []string // served domains
	GroupsSubdomain string   // "groups": groups live on groups.<host>
	Now             func() time.Time
}

// GroupOptions are a group's settable options; nil leaves one as it is
// (or at its default, for a new group).
type GroupOptions struct {
	Name         *string
	Strategy     *string        // Broadcast, RoundRobin, LeastBusy; "" for the server's default
	OfferTimeout *time.Duration // 0 for the server's default
	MaxChats     *int           // 0 for the server's default
	Sites        *[]string      // site IDs whose visitors may come; empty for every site
	Email        *string        // left messages are mailed here too; "" for none
}

// ParseGroup checks a group JID: NAME@<groups>.<host> for a served host.
func (g Groups) ParseGroup(s string) (string, error) {
	j, err := jid.Parse(strings.TrimSpace(s))
	if err != nil || j.Local() == "" || !j.IsBare() {
		return "", fmt.Errorf("%w: %q is not a group JID (NAME@%s.DOMAIN)", ErrInvalidGroup, s, g.sub())
	}
	for _, h := range g.Hosts {
		if j.Domain() == g.sub()+"."+h {
			return j.String(), nil
		}
	}
	for _, h := range g.Hosts {
		if j.Domain() == h {
			return "", fmt.Errorf("%w: groups live on %s.%s: use %s@%s.%s", ErrInvalidGroup, g.sub(), h, j.Local(), g.sub(), h)
		}
	}
	domains := make([]string, len(g.Hosts))
	for i, h := range g.Hosts {
		domains[i] = g.sub() + "." + h
	}
	return "", fmt.Errorf("%w: %s is not a group domain of this server (%s)", ErrInvalidGroup, j.Domain(), strings.Join(domains, ", "))
}

func (g Groups) sub() string {
	if g.GroupsSubdomain == "" {
		return "groups"
	}
	return g.GroupsSubdomain
}

func (g Groups) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// apply checks options and sets them on sg.
func apply(sg *store.SupportGroup, o GroupOptions) error {
	if o.Name != nil {
		n := strings.TrimSpace(*o.Name)
		if len(n) > 100 || !printable(n) {
			return fmt.Errorf("%w: a name of at most 100 printable characters", ErrInvalidGroup)
		}
		sg.Name = n
	}
	if o.Strategy != nil {
		if *o.Strategy != "" && !slices.Contains(Strategies, *o.Strategy) {
			return fmt.Errorf("%w: strategy %q (want %s)", ErrInvalidGroup, *o.Strategy, strings.Join(Strategies, ", "))
		}
		sg.Strategy = *o.Strategy
	}
	if o.OfferTimeout != nil {
		if *o.OfferTimeout < 0 || (*o.OfferTimeout > 0 && *o.OfferTimeout < time.Second) || *o.OfferTimeout > 24*time.Hour {
			return fmt.Errorf("%w: an offer timeout between 1s and 24h (0 for the default)", ErrInvalidGroup)
		}
		sg.OfferTimeout = *o.OfferTimeout
	}
	if o.MaxChats != nil {
		if *o.MaxChats < 0 || *o.MaxChats > 100 {
			return fmt.Errorf("%w: at most 100 chats per agent (0 for the default)", ErrInvalidGroup)
		}
		sg.MaxChats = *o.MaxChats
	}
	if o.Sites != nil {
		sites := []string{}
		for _, s := range *o.Sites {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(sites, s) {
				if len(s) > 64 || !printable(s) {
					return fmt.Errorf("%w: site ID %q", ErrInvalidGroup, s)
				}
				sites = append(sites, s)
			}
		}
		slices.Sort(sites)
		sg.Sites = sites
	}
	if o.Email != nil {
		e := strings.TrimSpace(*o.Email)
		if e != "" {
			a, err := mail.ParseAddress(e)
			if err != nil || a.Address != e {
				return fmt.Errorf("%w: %q is not an e-mail address", ErrInvalidGroup, e)
			}
		}
		sg.Email = e
	}
	return nil
}

// Add creates a group.
func (g Groups) Add(ctx context.Context, group string, o GroupOptions) (store.SupportGroup, error) {
	j, err := g.ParseGroup(group)
	if err != nil {
		return store.SupportGroup{}, err
	}
	sg := store.SupportGroup{JID: j, CreatedAt: g.now()}
	if err := apply(&sg, o); err != nil {
		return store.SupportGroup{}, err
	}
	if err := g.Store.CreateGroup(ctx, sg); err != nil {
		if errors.Is(err, store.ErrExists) {
			return store.SupportGroup{}, fmt.Errorf("%w: %s", ErrGroupExists, j)
		}
		return store.SupportGroup{}, err
	}
	return sg, nil
}

// Set changes a group's options.
func (g Groups) Set(ctx context.Context, group string, o GroupOptions) (store.SupportGroup, error) {
	sg, err := g.Get(ctx, group)
	if err != nil {
		return store.SupportGroup{}, err
	}
	if err := apply(&sg, o); err != nil {
		return store.SupportGroup{}, err
	}
	return sg, g.notFound(g.Store.UpdateGroup(ctx, sg), sg.JID)
}

// Get returns a group.
func (g Groups) Get(ctx context.Context, group string) (store.SupportGroup, error) {
	j, err := g.ParseGroup(group)
	if err != nil {
		return store.SupportGroup{}, err
	}
	sg, err := g.Store.Group(ctx, j)
	return sg, g.notFound(err, j)
}

// Remove deletes a group (its transcripts stay).
func (g Groups) Remove(ctx context.Context, group string) error {
	j, err := g.ParseGroup(group)
	if err != nil {
		return err
	}
	return g.notFound(g.Store.DeleteGroup(ctx, j), j)
}

// List returns every group.
func (g Groups) List(ctx context.Context) ([]store.SupportGroup, error) {
	return g.Store.ListGroups(ctx)
}

// Members returns a group's members.
func (g Groups) Members(ctx context.Context, group string) ([]store.GroupMember, error) {
	j, err := g.ParseGroup(group)
	if err != nil {
		return nil, err
	}
	m, err := g.Store.GroupMembers(ctx, j)
	return m, g.notFound(err, j)
}

// AddMember adds an account of this server to a group, as an agent (is
// offered chats) or a supervisor (watches and transfers them); adding a
// member again changes its role.
func (g Groups) AddMember(ctx context.Context, group, user, role string) error {
	j, err := g.ParseGroup(group)
	if err != nil {
		return err
	}
	u, err := jid.Parse(strings.TrimSpace(user))
	if err != nil || u.Local() == "" || !u.IsBare() || !slices.Contains(g.Hosts, u.Domain()) {
		return fmt.Errorf("%w: %q is not a user of this server (USER@%s)", ErrNoUser, user, strings.Join(g.Hosts, "|"))
	}
	if role == "" {
		role = store.RoleAgent
	}
	if role != store.RoleAgent && role != store.RoleSupervisor {
		return fmt.Errorf("%w: role %q (want agent or supervisor)", ErrInvalidGroup, role)
	}
	if _, err := g.Store.Group(ctx, j); err != nil {
		return g.notFound(err, j)
	}
	if _, err := g.Store.User(ctx, u.String()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %s (create it with parley user add)", ErrNoUser, u)
		}
		return err
	}
	return g.notFound(g.Store.PutGroupMember(ctx, j, store.GroupMember{JID: u.String(), Role: role}), j)
}

// RemoveMember removes a member from a group.
func (g Groups) RemoveMember(ctx context.Context, group, user string) error {
	j, err := g.ParseGroup(group)
	if err != nil {
		return err
	}
	u, err := jid.Parse(strings.TrimSpace(user))
	if err != nil {
		return fmt.Errorf("%w: %q", ErrNotMember, user)
	}
	if _, err := g.Store.Group(ctx, j); err != nil {
		return g.notFound(err, j)
	}
	err = g.Store.RemoveGroupMember(ctx, j, u.Bare().String())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s is not a member of %s", ErrNotMember, u.Bare(), j)
	}
	return err
}

func (g Groups) notFound(err error, group string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNoGroup, group)
	}
	return err
}
