package memory

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/parley-im/parley/store"
)

// liveHelp holds support groups, guests and transcripts. Its zero value
// is usable (maps are made on first write); Store.mu guards it.
type liveHelp struct {
	groups   map[string]store.SupportGroup
	members  map[string]map[string]string // group -> member -> role
	guests   map[string]store.Guest       // by JID
	used     map[usedRequest]time.Time    // -> expiry
	chats    map[int64]store.Chat
	lines    map[int64][]store.ChatLine
	lastChat int64 // chat ids are never reused
}

type usedRequest struct {
	token  int64
	digest string
}

func cloneGroup(g store.SupportGroup) store.SupportGroup {
	g.Sites = slices.Clone(g.Sites)
	g.CreatedAt = msUTC(g.CreatedAt)
	return g
}

// CreateGroup implements store.SupportGroups.
func (s *Store) CreateGroup(_ context.Context, g store.SupportGroup) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lh.groups == nil {
		s.lh.groups = make(map[string]store.SupportGroup)
		s.lh.members = make(map[string]map[string]string)
	}
	if _, ok := s.lh.groups[g.JID]; ok {
		return store.ErrExists
	}
	s.lh.groups[g.JID] = cloneGroup(g)
	return nil
}

// Group implements store.SupportGroups.
func (s *Store) Group(_ context.Context, jid string) (store.SupportGroup, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.lh.groups[jid]
	if !ok {
		return store.SupportGroup{}, store.ErrNotFound
	}
	return cloneGroup(g), nil
}

// UpdateGroup implements store.SupportGroups.
func (s *Store) UpdateGroup(_ context.Context, g store.SupportGroup) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.lh.groups[g.JID]
	if !ok {
		return store.ErrNotFound
	}
	g = cloneGroup(g)
	g.CreatedAt = old.CreatedAt
	s.lh.groups[g.JID] = g
	return nil
}

// DeleteGroup implements store.SupportGroups.
func (s *Store) DeleteGroup(_ context.Context, jid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.lh.groups[jid]; !ok {
		return store.ErrNotFound
	}
	delete(s.lh.groups, jid)
	delete(s.lh.members, jid)
	return nil
}

// ListGroups implements store.SupportGroups.
func (s *Store) ListGroups(_ context.Context) ([]store.SupportGroup, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]store.SupportGroup, 0, len(s.lh.groups))
	for _, g := range s.lh.groups {
		out = append(out, cloneGroup(g))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JID < out[j].JID })
	return out, nil
}

// PutGroupMember implements store.SupportGroups.
func (s *Store) PutGroupMember(_ context.Context, group string, m store.GroupMember) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.lh.groups[group]; !ok {
		return store.ErrNotFound
	}
	if _, ok := s.users[m.JID]; !ok {
		return store.ErrNotFound
	}
	if s.lh.members[group] == nil {
		s.lh.members[group] = make(map[string]string)
	}
	s.lh.members[group][m.JID] = m.Role
	return nil
}

// RemoveGroupMember implements store.SupportGroups.
func (s *Store) RemoveGroupMember(_ context.Context, group, member string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.lh.members[group][member]; !ok {
		return store.ErrNotFound
	}
	delete(s.lh.members[group], member)
	return nil
}

// GroupMembers implements store.SupportGroups.
func (s *Store) GroupMembers(_ context.Context, group string) ([]store.GroupMember, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.lh.groups[group]; !ok {
		return nil, store.ErrNotFound
	}
	out := make([]store.GroupMember, 0, len(s.lh.members[group]))
	for j, role := range s.lh.members[group] {
		out = append(out, store.GroupMember{JID: j, Role: role})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JID < out[j].JID })
	return out, nil
}

// deleteMemberships removes a deleted user from every group (s.mu held).
func (s *Store) deleteMemberships(jid string) {
	for _, m := range s.lh.members {
		delete(m, jid)
	}
}

func cloneGuest(g store.Guest) store.Guest {
	g.CreatedAt = msUTC(g.CreatedAt)
	g.ExpiresAt = msUTC(g.ExpiresAt)
	return g
}

// PutGuest implements store.Guests.
func (s *Store) PutGuest(_ context.Context, g store.Guest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lh.guests == nil {
		s.lh.guests = make(map[string]store.Guest)
	}
	for _, o := range s.lh.guests {
		if o.JID != g.JID && o.SiteID == g.SiteID && o.FromUserJID == g.FromUserJID {
			return store.ErrExists
		}
	}
	g = cloneGuest(g)
	if old, ok := s.lh.guests[g.JID]; ok {
		old.DisplayName, old.ExpiresAt = g.DisplayName, g.ExpiresAt
		g = old
	}
	s.lh.guests[g.JID] = g
	return nil
}

// Guest implements store.Guests.
func (s *Store) Guest(_ context.Context, jid string) (store.Guest, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.lh.guests[jid]
	if !ok {
		return store.Guest{}, store.ErrNotFound
	}
	return g, nil
}

// GuestOf implements store.Guests.
func (s *Store) GuestOf(_ context.Context, siteID, fromUserJID string) (store.Guest, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, g := range s.lh.guests {
		if g.SiteID == siteID && g.FromUserJID == fromUserJID {
			return g, nil
		}
	}
	return store.Guest{}, store.ErrNotFound
}

// DeleteExpiredGuests implements store.Guests.
func (s *Store) DeleteExpiredGuests(_ context.Context, t time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for j, g := range s.lh.guests {
		if !g.ExpiresAt.After(t) {
			delete(s.lh.guests, j)
			n++
		}
	}
	return n, nil
}

// UseChatRequest implements store.Guests.
func (s *Store) UseChatRequest(_ context.Context, tokenID int64, digest string, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lh.used == nil {
		s.lh.used = make(map[usedRequest]time.Time)
	}
	k := usedRequest{tokenID, digest}
	if _, ok := s.lh.used[k]; ok {
		return store.ErrExists
	}
	s.lh.used[k] = expires
	return nil
}

// DeleteUsedChatRequests implements store.Guests.
func (s *Store) DeleteUsedChatRequests(_ context.Context, t time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for k, exp := range s.lh.used {
		if !exp.After(t) {
			delete(s.lh.used, k)
			n++
		}
	}
	return n, nil
}

func cloneChat(c store.Chat) store.Chat {
	c.StartedAt = msUTC(c.StartedAt)
	if !c.EndedAt.IsZero() {
		c.EndedAt = msUTC(c.EndedAt)
	}
	return c
}

// CreateChat implements store.Transcripts.
func (s *Store) CreateChat(_ context.Context, c store.Chat) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lh.chats == nil {
		s.lh.chats = make(map[int64]store.Chat)
		s.lh.lines = make(map[int64][]store.ChatLine)
	}
	s.lh.lastChat++
	c = cloneChat(c)
	c.ID = s.lh.lastChat
	s.lh.chats[c.ID] = c
	return c.ID, nil
}

// UpdateChat implements store.Transcripts.
func (s *Store) UpdateChat(_ context.Context, c store.Chat) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.lh.chats[c.ID]
	if !ok {
		return store.ErrNotFound
	}
	c = cloneChat(c)
	old.Group, old.Agent, old.State, old.EndedAt = c.Group, c.Agent, c.State, c.EndedAt
	s.lh.chats[c.ID] = old
	return nil
}

// AppendChatLines implements store.Transcripts.
func (s *Store) AppendChatLines(_ context.Context, chatID int64, lines []store.ChatLine) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.lh.chats[chatID]; !ok {
		return store.ErrNotFound
	}
	for _, l := range lines {
		l.At = msUTC(l.At)
		s.lh.lines[chatID] = append(s.lh.lines[chatID], l)
	}
	return nil
}

// Chat implements store.Transcripts.
func (s *Store) Chat(_ context.Context, id int64) (store.Chat, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.lh.chats[id]
	if !ok {
		return store.Chat{}, store.ErrNotFound
	}
	return c, nil
}

// ChatLines implements store.Transcripts.
func (s *Store) ChatLines(_ context.Context, chatID int64) ([]store.ChatLine, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.lh.lines[chatID]), nil
}

// ListChats implements store.Transcripts.
func (s *Store) ListChats(_ context.Context, q store.ChatQuery) ([]store.Chat, error) {
	if q.Max < 1 {
		return nil, store.ErrInvalid
	}
	// Bounds compare at the stores' millisecond precision.
	if !q.Since.IsZero() {
		q.Since = msUTC(q.Since)
	}
	if !q.Until.IsZero() {
		q.Until = msUTC(q.Until)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.Chat
	for _, c := range s.lh.chats {
		if c.SiteID != q.SiteID || (q.FromUserJID != "" && c.FromUserJID != q.FromUserJID) ||
			(q.GuestJID != "" && c.GuestJID != q.GuestJID) || (q.Group != "" && c.Group != q.Group) ||
			(!q.Since.IsZero() && c.StartedAt.Before(q.Since)) || (!q.Until.IsZero() && !c.StartedAt.Before(q.Until)) {
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].StartedAt.Equal(out[j].StartedAt) {
			return out[i].StartedAt.After(out[j].StartedAt)
		}
		return out[i].ID > out[j].ID
	})
	if len(out) > q.Max {
		out = out[:q.Max]
	}
	return out, nil
}

// EndOpenChats implements store.Transcripts.
func (s *Store) EndOpenChats(_ context.Context, t time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for id, c := range s.lh.chats {
		if c.State == store.ChatOpen {
			c.State, c.EndedAt = store.ChatEnded, msUTC(t)
			s.lh.chats[id] = c
			n++
		}
	}
	return n, nil
}

// PruneChats implements store.Transcripts.
func (s *Store) PruneChats(_ context.Context, before time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for id, c := range s.lh.chats {
		if c.StartedAt.Before(before) {
			delete(s.lh.chats, id)
			delete(s.lh.lines, id)
			n++
		}
	}
	return n, nil
}
