package postgres

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store"
)

const groupColumns = `jid, name, strategy, offer_timeout_ms, max_chats, sites_json, email, created_at`

func scanGroup(r pgx.Row) (store.SupportGroup, error) {
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

func groupArgs(g store.SupportGroup) []any {
	return []any{g.Name, g.Strategy, g.OfferTimeout.Milliseconds(), g.MaxChats, encodeGroups(g.Sites), g.Email}
}

// CreateGroup implements store.SupportGroups.
func (s *Store) CreateGroup(ctx context.Context, g store.SupportGroup) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO support_groups (`+groupColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
		append(append([]any{g.JID}, groupArgs(g)...), ms(g.CreatedAt))...)
	return wrap(err, "create group %s", g.JID)
}

// Group implements store.SupportGroups.
func (s *Store) Group(ctx context.Context, jid string) (store.SupportGroup, error) {
	g, err := scanGroup(s.pool.QueryRow(ctx, `SELECT `+groupColumns+` FROM support_groups WHERE jid = $1`, jid))
	if err != nil {
		return store.SupportGroup{}, wrap(err, "group %s", jid)
	}
	return g, nil
}

// UpdateGroup implements store.SupportGroups.
func (s *Store) UpdateGroup(ctx context.Context, g store.SupportGroup) error {
	tag, err := s.pool.Exec(ctx, `UPDATE support_groups SET name = $1, strategy = $2, offer_timeout_ms = $3, max_chats = $4,
		sites_json = $5, email = $6 WHERE jid = $7`, append(groupArgs(g), g.JID)...)
	return affected(tag, err, "update group %s", g.JID)
}

// DeleteGroup implements store.SupportGroups; memberships go by cascade.
func (s *Store) DeleteGroup(ctx context.Context, jid string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM support_groups WHERE jid = $1`, jid)
	return affected(tag, err, "delete group %s", jid)
}

// ListGroups implements store.SupportGroups.
func (s *Store) ListGroups(ctx context.Context) ([]store.SupportGroup, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+groupColumns+` FROM support_groups ORDER BY jid`)
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
	_, err := s.pool.Exec(ctx, `INSERT INTO support_group_members (group_jid, owner, role) VALUES ($1,$2,$3)
		ON CONFLICT (group_jid, owner) DO UPDATE SET role = excluded.role`, group, m.JID, m.Role)
	return wrap(err, "add %s to group %s", m.JID, group)
}

// RemoveGroupMember implements store.SupportGroups.
func (s *Store) RemoveGroupMember(ctx context.Context, group, member string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM support_group_members WHERE group_jid = $1 AND owner = $2`, group, member)
	return affected(tag, err, "remove %s from group %s", member, group)
}

// GroupMembers implements store.SupportGroups in one statement: the
// group's row, left-joined with its members.
func (s *Store) GroupMembers(ctx context.Context, group string) ([]store.GroupMember, error) {
	rows, err := s.pool.Query(ctx, `SELECT m.owner, m.role FROM support_groups g
		LEFT JOIN support_group_members m ON m.group_jid = g.jid WHERE g.jid = $1 ORDER BY m.owner`, group)
	if err != nil {
		return nil, wrap(err, "members of %s", group)
	}
	defer rows.Close()
	var out []store.GroupMember
	found := false
	for rows.Next() {
		found = true
		var jid, role *string
		if err := rows.Scan(&jid, &role); err != nil {
			return nil, wrap(err, "members of %s", group)
		}
		if jid != nil {
			out = append(out, store.GroupMember{JID: *jid, Role: *role})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "members of %s", group)
	}
	if !found {
		return nil, wrap(pgx.ErrNoRows, "members of %s", group)
	}
	if out == nil {
		out = []store.GroupMember{}
	}
	return out, nil
}

const guestColumns = `jid, site_id, from_user_jid, display_name, created_at, expires_at`

func scanGuest(r pgx.Row) (store.Guest, error) {
	var g store.Guest
	var created, expires int64
	if err := r.Scan(&g.JID, &g.SiteID, &g.FromUserJID, &g.DisplayName, &created, &expires); err != nil {
		return store.Guest{}, err
	}
	g.CreatedAt, g.ExpiresAt = fromMS(created), fromMS(expires)
	return g, nil
}

// PutGuest implements store.Guests; the (site_id, from_user_jid)
// uniqueness makes a second guest for one visitor ErrExists.
func (s *Store) PutGuest(ctx context.Context, g store.Guest) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO livehelp_guests (`+guestColumns+`) VALUES ($1,$2,$3,$4,$5,$6)
		ON CONFLICT (jid) DO UPDATE SET display_name = excluded.display_name, expires_at = excluded.expires_at`,
		g.JID, g.SiteID, g.FromUserJID, g.DisplayName, ms(g.CreatedAt), ms(g.ExpiresAt))
	return wrap(err, "put guest %s", g.JID)
}

// Guest implements store.Guests.
func (s *Store) Guest(ctx context.Context, jid string) (store.Guest, error) {
	g, err := scanGuest(s.pool.QueryRow(ctx, `SELECT `+guestColumns+` FROM livehelp_guests WHERE jid = $1`, jid))
	if err != nil {
		return store.Guest{}, wrap(err, "guest %s", jid)
	}
	return g, nil
}

// GuestOf implements store.Guests.
func (s *Store) GuestOf(ctx context.Context, siteID, fromUserJID string) (store.Guest, error) {
	g, err := scanGuest(s.pool.QueryRow(ctx, `SELECT `+guestColumns+` FROM livehelp_guests WHERE site_id = $1 AND from_user_jid = $2`,
		siteID, fromUserJID))
	if err != nil {
		return store.Guest{}, wrap(err, "guest of site %s", siteID)
	}
	return g, nil
}

// DeleteExpiredGuests implements store.Guests.
func (s *Store) DeleteExpiredGuests(ctx context.Context, t time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM livehelp_guests WHERE expires_at <= $1`, ms(t))
	if err != nil {
		return 0, wrap(err, "delete expired guests")
	}
	return tag.RowsAffected(), nil
}

// UseChatRequest implements store.Guests: the primary key makes the
// second use of a request fail (ErrExists), atomically, across nodes.
func (s *Store) UseChatRequest(ctx context.Context, tokenID int64, digest string, expires time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO livehelp_used_requests (token_id, digest, expires_at) VALUES ($1,$2,$3)`,
		tokenID, digest, ms(expires))
	return wrap(err, "use chat request of token %d", tokenID)
}

// DeleteUsedChatRequests implements store.Guests.
func (s *Store) DeleteUsedChatRequests(ctx context.Context, t time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM livehelp_used_requests WHERE expires_at <= $1`, ms(t))
	if err != nil {
		return 0, wrap(err, "delete used chat requests")
	}
	return tag.RowsAffected(), nil
}

const chatColumns = `id, site_id, guest_jid, from_user_jid, display_name, group_jid, target, subject, agent, state, email, started_at, ended_at`

func scanChat(r pgx.Row) (store.Chat, error) {
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
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO livehelp_chats (site_id, guest_jid, from_user_jid, display_name, group_jid,
		target, subject, agent, state, email, started_at, ended_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id`,
		c.SiteID, c.GuestJID, c.FromUserJID, c.DisplayName, c.Group, c.Target, c.Subject, c.Agent, c.State, c.Email,
		ms(c.StartedAt), msOrZero(c.EndedAt)).Scan(&id)
	if err != nil {
		return 0, wrap(err, "create chat of %s", c.GuestJID)
	}
	return id, nil
}

// UpdateChat implements store.Transcripts.
func (s *Store) UpdateChat(ctx context.Context, c store.Chat) error {
	tag, err := s.pool.Exec(ctx, `UPDATE livehelp_chats SET group_jid = $1, agent = $2, state = $3, ended_at = $4 WHERE id = $5`,
		c.Group, c.Agent, c.State, msOrZero(c.EndedAt), c.ID)
	return affected(tag, err, "update chat %d", c.ID)
}

// AppendChatLines implements store.Transcripts as one pipelined batch
// (one transaction): the chat's row is locked, so that appends to one
// chat from several nodes take turns, then the lines go in with one
// multi-row insert numbered after the last line (read in the insert's
// own snapshot, taken once the lock is held).
func (s *Store) AppendChatLines(ctx context.Context, chatID int64, lines []store.ChatLine) error {
	n := len(lines)
	ats, froms, jids, names, bodies := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, l := range lines {
		ats[i], froms[i], jids[i], names[i], bodies[i] = ms(l.At), l.From, l.JID, l.Name, l.Body
	}
	b := &pgx.Batch{}
	found := false
	b.Queue(`SELECT 1 FROM livehelp_chats WHERE id = $1 FOR NO KEY UPDATE`, chatID).Query(func(r pgx.Rows) error {
		for r.Next() {
			found = true
		}
		return r.Err()
	})
	if n > 0 {
		b.Queue(`INSERT INTO livehelp_chat_lines (chat_id, seq, at, sender, jid, name, body)
			SELECT $1, last.seq + l.ord, l.at, l.sender, l.jid, l.name, l.body
			FROM (SELECT COALESCE(max(seq), 0) AS seq FROM livehelp_chat_lines WHERE chat_id = $1) last,
			unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS l(at, sender, jid, name, body, ord)`,
			chatID, ats, froms, jids, names, bodies)
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return wrap(err, "append to chat %d", chatID)
	}
	if !found {
		return wrap(pgx.ErrNoRows, "append to chat %d", chatID)
	}
	return nil
}

// Chat implements store.Transcripts.
func (s *Store) Chat(ctx context.Context, id int64) (store.Chat, error) {
	c, err := scanChat(s.pool.QueryRow(ctx, `SELECT `+chatColumns+` FROM livehelp_chats WHERE id = $1`, id))
	if err != nil {
		return store.Chat{}, wrap(err, "chat %d", id)
	}
	return c, nil
}

// ChatLines implements store.Transcripts.
func (s *Store) ChatLines(ctx context.Context, chatID int64) ([]store.ChatLine, error) {
	rows, err := s.pool.Query(ctx, `SELECT at, sender, jid, name, body FROM livehelp_chat_lines WHERE chat_id = $1 ORDER BY seq`, chatID)
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
	var args params
	where := []string{"site_id = " + args.add(q.SiteID)}
	if q.FromUserJID != "" {
		where = append(where, "from_user_jid = "+args.add(q.FromUserJID))
	}
	if q.GuestJID != "" {
		where = append(where, "guest_jid = "+args.add(q.GuestJID))
	}
	if q.Group != "" {
		where = append(where, "group_jid = "+args.add(q.Group))
	}
	if !q.Since.IsZero() {
		where = append(where, "started_at >= "+args.add(ms(q.Since)))
	}
	if !q.Until.IsZero() {
		where = append(where, "started_at < "+args.add(ms(q.Until)))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+chatColumns+` FROM livehelp_chats WHERE `+strings.Join(where, " AND ")+
		` ORDER BY started_at DESC, id DESC LIMIT `+args.add(int64(q.Max)), args...)
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
	tag, err := s.pool.Exec(ctx, `UPDATE livehelp_chats SET state = $1, ended_at = $2 WHERE state = $3`, store.ChatEnded, ms(t), store.ChatOpen)
	if err != nil {
		return 0, wrap(err, "end open chats")
	}
	return tag.RowsAffected(), nil
}

// PruneChats implements store.Transcripts; lines go by cascade.
func (s *Store) PruneChats(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM livehelp_chats WHERE started_at < $1`, ms(before))
	if err != nil {
		return 0, wrap(err, "prune chats")
	}
	return tag.RowsAffected(), nil
}
