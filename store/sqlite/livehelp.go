package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

const groupColumns = `jid, name, strategy, offer_timeout_ms, max_chats, sites_json, email, created_at`

func scanGroup(r scanner) (store.SupportGroup, error) {
	var g store.SupportGroup
	var timeout, created int64
	var sites string
	if err := r.Scan(&g.JID, &g.Name, &g.Strategy, &timeout, &g.MaxChats, &sites, &g.Email, &created); err != nil {
		return store.SupportGroup{}, err
	}
	g.OfferTimeout = time.Duration(timeout) * time.Millisecond
	g.CreatedAt = fromMS(created)
	if err := json.Unmarshal([]byte(sites), &g.Sites); err != nil {
		return store.SupportGroup{}, err
	}
	if len(g.Sites) == 0 {
		g.Sites = nil
	}
	return g, nil
}

func groupArgs(g store.SupportGroup) ([]any, error) {
	sites := g.Sites
	if sites == nil {
		sites = []string{}
	}
	b, err := json.Marshal(sites)
	if err != nil {
		return nil, err
	}
	return []any{g.Name, g.Strategy, g.OfferTimeout.Milliseconds(), g.MaxChats, string(b), g.Email}, nil
}

// CreateGroup implements store.SupportGroups.
func (s *Store) CreateGroup(ctx context.Context, g store.SupportGroup) error {
	args, err := groupArgs(g)
	if err != nil {
		return wrap(err, "create group %s", g.JID)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO support_groups (`+groupColumns+`) VALUES (?,?,?,?,?,?,?,?)`,
		append(append([]any{g.JID}, args...), ms(g.CreatedAt))...)
	return wrap(err, "create group %s", g.JID)
}

// Group implements store.SupportGroups.
func (s *Store) Group(ctx context.Context, jid string) (store.SupportGroup, error) {
	g, err := scanGroup(s.r.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM support_groups WHERE jid = ?`, jid))
	if errors.Is(err, sql.ErrNoRows) {
		return store.SupportGroup{}, store.ErrNotFound
	}
	return g, wrap(err, "group %s", jid)
}

// UpdateGroup implements store.SupportGroups.
func (s *Store) UpdateGroup(ctx context.Context, g store.SupportGroup) error {
	args, err := groupArgs(g)
	if err != nil {
		return wrap(err, "update group %s", g.JID)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE support_groups SET name = ?, strategy = ?, offer_timeout_ms = ?, max_chats = ?,
		sites_json = ?, email = ? WHERE jid = ?`, append(args, g.JID)...)
	return affected(res, err, "update group %s", g.JID)
}

// DeleteGroup implements store.SupportGroups. Memberships are deleted
// explicitly (see DeleteUser for why).
func (s *Store) DeleteGroup(ctx context.Context, jid string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM support_groups WHERE jid = ?`, jid)
		if err := affected(res, err, "delete group %s", jid); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM support_group_members WHERE group_jid = ?`, jid)
		return wrap(err, "delete group %s: members", jid)
	})
}

// ListGroups implements store.SupportGroups.
func (s *Store) ListGroups(ctx context.Context) ([]store.SupportGroup, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+groupColumns+` FROM support_groups ORDER BY jid`)
	if err != nil {
		return nil, wrap(err, "list groups")
	}
	defer rows.Close()
	var out []store.SupportGroup
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, wrap(err, "list groups")
		}
		out = append(out, g)
	}
	return out, wrap(rows.Err(), "list groups")
}

// PutGroupMember implements store.SupportGroups; a missing group or
// account is a foreign-key violation, ErrNotFound.
func (s *Store) PutGroupMember(ctx context.Context, group string, m store.GroupMember) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO support_group_members (group_jid, owner, role) VALUES (?,?,?)
		ON CONFLICT (group_jid, owner) DO UPDATE SET role = excluded.role`, group, m.JID, m.Role)
	return wrap(err, "add %s to group %s", m.JID, group)
}

// RemoveGroupMember implements store.SupportGroups.
func (s *Store) RemoveGroupMember(ctx context.Context, group, member string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM support_group_members WHERE group_jid = ? AND owner = ?`, group, member)
	return affected(res, err, "remove %s from group %s", member, group)
}

// GroupMembers implements store.SupportGroups.
func (s *Store) GroupMembers(ctx context.Context, group string) ([]store.GroupMember, error) {
	var exists int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM support_groups WHERE jid = ?`, group).Scan(&exists)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, wrap(err, "members of %s", group)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT owner, role FROM support_group_members WHERE group_jid = ? ORDER BY owner`, group)
	if err != nil {
		return nil, wrap(err, "members of %s", group)
	}
	defer rows.Close()
	out := []store.GroupMember{}
	for rows.Next() {
		var m store.GroupMember
		if err := rows.Scan(&m.JID, &m.Role); err != nil {
			return nil, wrap(err, "members of %s", group)
		}
		out = append(out, m)
	}
	return out, wrap(rows.Err(), "members of %s", group)
}

const guestColumns = `jid, site_id, from_user_jid, display_name, created_at, expires_at`

func scanGuest(r scanner) (store.Guest, error) {
	var g store.Guest
	var created, expires int64
	if err := r.Scan(&g.JID, &g.SiteID, &g.FromUserJID, &g.DisplayName, &created, &expires); err != nil {
		return store.Guest{}, err
	}
	g.CreatedAt, g.ExpiresAt = fromMS(created), fromMS(expires)
	return g, nil
}

// PutGuest implements store.Guests.
func (s *Store) PutGuest(ctx context.Context, g store.Guest) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO livehelp_guests (`+guestColumns+`) VALUES (?,?,?,?,?,?)
		ON CONFLICT (jid) DO UPDATE SET display_name = excluded.display_name, expires_at = excluded.expires_at`,
		g.JID, g.SiteID, g.FromUserJID, g.DisplayName, ms(g.CreatedAt), ms(g.ExpiresAt))
	return wrap(err, "put guest %s", g.JID)
}

// Guest implements store.Guests.
func (s *Store) Guest(ctx context.Context, jid string) (store.Guest, error) {
	g, err := scanGuest(s.r.QueryRowContext(ctx, `SELECT `+guestColumns+` FROM livehelp_guests WHERE jid = ?`, jid))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Guest{}, store.ErrNotFound
	}
	return g, wrap(err, "guest %s", jid)
}

// GuestOf implements store.Guests.
func (s *Store) GuestOf(ctx context.Context, siteID, fromUserJID string) (store.Guest, error) {
	g, err := scanGuest(s.r.QueryRowContext(ctx, `SELECT `+guestColumns+` FROM livehelp_guests WHERE site_id = ? AND from_user_jid = ?`, siteID, fromUserJID))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Guest{}, store.ErrNotFound
	}
	return g, wrap(err, "guest of site %s", siteID)
}

// DeleteExpiredGuests implements store.Guests.
func (s *Store) DeleteExpiredGuests(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM livehelp_guests WHERE expires_at <= ?`, ms(t))
	if err != nil {
		return 0, wrap(err, "delete expired guests")
	}
	n, err := res.RowsAffected()
	return n, wrap(err, "delete expired guests")
}

// UseChatRequest implements store.Guests: the primary key makes the
// second use of a request fail (ErrExists), atomically.
func (s *Store) UseChatRequest(ctx context.Context, tokenID int64, digest string, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO livehelp_used_requests (token_id, digest, expires_at) VALUES (?,?,?)`,
		tokenID, digest, ms(expires))
	return wrap(err, "use chat request of token %d", tokenID)
}

// DeleteUsedChatRequests implements store.Guests.
func (s *Store) DeleteUsedChatRequests(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM livehelp_used_requests WHERE expires_at <= ?`, ms(t))
	if err != nil {
		return 0, wrap(err, "delete used chat requests")
	}
	n, err := res.RowsAffected()
	return n, wrap(err, "delete used chat requests")
}

const chatColumns = `id, site_id, guest_jid, from_user_jid, display_name, group_jid, target, subject, agent, state, email, started_at, ended_at`

func scanChat(r scanner) (store.Chat, error) {
	var c store.Chat
	var started, ended int64
	if err := r.Scan(&c.ID, &c.SiteID, &c.GuestJID, &c.FromUserJID, &c.DisplayName, &c.Group, &c.Target, &c.Subject,
		&c.Agent, &c.State, &c.Email, &started, &ended); err != nil {
		return store.Chat{}, err
	}
	c.StartedAt = fromMS(started)
	if ended != 0 {
		c.EndedAt = fromMS(ended)
	}
	return c, nil
}

// msOrZero stores the zero time as 0.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// CreateChat implements store.Transcripts.
func (s *Store) CreateChat(ctx context.Context, c store.Chat) (int64, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO livehelp_chats (site_id, guest_jid, from_user_jid, display_name, group_jid,
		target, subject, agent, state, email, started_at, ended_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		c.SiteID, c.GuestJID, c.FromUserJID, c.DisplayName, c.Group, c.Target, c.Subject, c.Agent, c.State, c.Email,
		ms(c.StartedAt), msOrZero(c.EndedAt))
	if err != nil {
		return 0, wrap(err, "create chat of %s", c.GuestJID)
	}
	id, err := res.LastInsertId()
	return id, wrap(err, "create chat of %s", c.GuestJID)
}

// UpdateChat implements store.Transcripts.
func (s *Store) UpdateChat(ctx context.Context, c store.Chat) error {
	res, err := s.w.ExecContext(ctx, `UPDATE livehelp_chats SET group_jid = ?, agent = ?, state = ?, ended_at = ? WHERE id = ?`,
		c.Group, c.Agent, c.State, msOrZero(c.EndedAt), c.ID)
	return affected(res, err, "update chat %d", c.ID)
}

// AppendChatLines implements store.Transcripts.
func (s *Store) AppendChatLines(ctx context.Context, chatID int64, lines []store.ChatLine) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var next int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(seq) FROM livehelp_chat_lines WHERE chat_id = ?), 0) + 1
			FROM livehelp_chats WHERE id = ?`, chatID, chatID).Scan(&next)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return wrap(err, "append to chat %d", chatID)
		}
		for i, l := range lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO livehelp_chat_lines (chat_id, seq, at, sender, jid, name, body) VALUES (?,?,?,?,?,?,?)`,
				chatID, next+int64(i), ms(l.At), l.From, l.JID, l.Name, l.Body); err != nil {
				return wrap(err, "append to chat %d", chatID)
			}
		}
		return nil
	})
}

// Chat implements store.Transcripts.
func (s *Store) Chat(ctx context.Context, id int64) (store.Chat, error) {
	c, err := scanChat(s.r.QueryRowContext(ctx, `SELECT `+chatColumns+` FROM livehelp_chats WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Chat{}, store.ErrNotFound
	}
	return c, wrap(err, "chat %d", id)
}

// ChatLines implements store.Transcripts.
func (s *Store) ChatLines(ctx context.Context, chatID int64) ([]store.ChatLine, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at, sender, jid, name, body FROM livehelp_chat_lines WHERE chat_id = ? ORDER BY seq`, chatID)
	if err != nil {
		return nil, wrap(err, "lines of chat %d", chatID)
	}
	defer rows.Close()
	var out []store.ChatLine
	for rows.Next() {
		var l store.ChatLine
		var at int64
		if err := rows.Scan(&at, &l.From, &l.JID, &l.Name, &l.Body); err != nil {
			return nil, wrap(err, "lines of chat %d", chatID)
		}
		l.At = fromMS(at)
		out = append(out, l)
	}
	return out, wrap(rows.Err(), "lines of chat %d", chatID)
}

// ListChats implements store.Transcripts.
func (s *Store) ListChats(ctx context.Context, q store.ChatQuery) ([]store.Chat, error) {
	if q.Max < 1 {
		return nil, store.ErrInvalid
	}
	where, args := []string{"site_id = ?"}, []any{q.SiteID}
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if q.FromUserJID != "" {
		add("from_user_jid = ?", q.FromUserJID)
	}
	if q.GuestJID != "" {
		add("guest_jid = ?", q.GuestJID)
	}
	if q.Group != "" {
		add("group_jid = ?", q.Group)
	}
	if !q.Since.IsZero() {
		add("started_at >= ?", ms(q.Since))
	}
	if !q.Until.IsZero() {
		add("started_at < ?", ms(q.Until))
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+chatColumns+` FROM livehelp_chats WHERE `+strings.Join(where, " AND ")+
		` ORDER BY started_at DESC, id DESC LIMIT ?`, append(args, q.Max)...)
	if err != nil {
		return nil, wrap(err, "chats of site %s", q.SiteID)
	}
	defer rows.Close()
	var out []store.Chat
	for rows.Next() {
		c, err := scanChat(rows)
		if err != nil {
			return nil, wrap(err, "chats of site %s", q.SiteID)
		}
		out = append(out, c)
	}
	return out, wrap(rows.Err(), "chats of site %s", q.SiteID)
}

// EndOpenChats implements store.Transcripts.
func (s *Store) EndOpenChats(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE livehelp_chats SET state = ?, ended_at = ? WHERE state = ?`, store.ChatEnded, ms(t), store.ChatOpen)
	if err != nil {
		return 0, wrap(err, "end open chats")
	}
	n, err := res.RowsAffected()
	return n, wrap(err, "end open chats")
}

// PruneChats implements store.Transcripts; lines go explicitly (see
// DeleteUser for why).
func (s *Store) PruneChats(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM livehelp_chat_lines WHERE chat_id IN (SELECT id FROM livehelp_chats WHERE started_at < ?)`, ms(before)); err != nil {
			return wrap(err, "prune chat lines")
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM livehelp_chats WHERE started_at < ?`, ms(before))
		if err != nil {
			return wrap(err, "prune chats")
		}
		n, err = res.RowsAffected()
		return wrap(err, "prune chats")
	})
	return n, err
}
