package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parley-im/parley/store"
)

const itemColumns = `contact, name, subscription, ask_out, pending_in, approved, groups_json`

func scanItem(sc interface{ Scan(...any) error }) (store.RosterItem, error) {
	var it store.RosterItem
	var groups string
	if err := sc.Scan(&it.Contact, &it.Name, &it.Subscription, &it.AskOut, &it.PendingIn, &it.Approved, &groups); err != nil {
		return it, err
	}
	if groups != "" && groups != "[]" {
		if err := json.Unmarshal([]byte(groups), &it.Groups); err != nil {
			return it, fmt.Errorf("groups of %s: %w", it.Contact, err)
		}
	}
	return it, nil
}

// Roster implements store.Rosters.
func (s *Store) Roster(ctx context.Context, owner string) ([]store.RosterItem, int64, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: roster %s: %w", owner, err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+itemColumns+` FROM roster_items WHERE owner = ? ORDER BY contact`, owner)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: roster %s: %w", owner, err)
	}
	defer rows.Close()
	var items []store.RosterItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: roster %s: %w", owner, err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlite: roster %s: %w", owner, err)
	}
	var ver int64
	err = tx.QueryRowContext(ctx, `SELECT version FROM roster_versions WHERE owner = ?`, owner).Scan(&ver)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("sqlite: roster version %s: %w", owner, err)
	}
	return items, ver, nil
}

// RosterItem implements store.Rosters.
func (s *Store) RosterItem(ctx context.Context, owner, contact string) (store.RosterItem, error) {
	it, err := scanItem(s.r.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM roster_items WHERE owner = ? AND contact = ?`, owner, contact))
	if errors.Is(err, sql.ErrNoRows) {
		return it, store.ErrNotFound
	}
	if err != nil {
		return it, fmt.Errorf("sqlite: roster item %s/%s: %w", owner, contact, err)
	}
	return it, nil
}

// bumpVersion increments owner's roster version inside tx.
func bumpVersion(ctx context.Context, tx *sql.Tx, owner string) (int64, error) {
	var ver int64
	err := tx.QueryRowContext(ctx, `INSERT INTO roster_versions (owner, version) VALUES (?, 1)
		ON CONFLICT (owner) DO UPDATE SET version = version + 1 RETURNING version`, owner).Scan(&ver)
	return ver, err
}

// PutRosterItem implements store.Rosters.
func (s *Store) PutRosterItem(ctx context.Context, owner string, it store.RosterItem) (int64, error) {
	var ver int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO roster_items (owner, `+itemColumns+`) VALUES (?,?,?,?,?,?,?,?)
			ON CONFLICT (owner, contact) DO UPDATE SET name=excluded.name, subscription=excluded.subscription,
			ask_out=excluded.ask_out, pending_in=excluded.pending_in, approved=excluded.approved, groups_json=excluded.groups_json`,
			owner, it.Contact, it.Name, it.Subscription, it.AskOut, it.PendingIn, it.Approved, encodeGroups(it.Groups))
		if isForeignKey(err) {
			return store.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("sqlite: put roster item %s/%s: %w", owner, it.Contact, err)
		}
		ver, err = bumpVersion(ctx, tx, owner)
		return err
	})
	return ver, err
}

// DeleteRosterItem implements store.Rosters.
func (s *Store) DeleteRosterItem(ctx context.Context, owner, contact string) (int64, error) {
	var ver int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM roster_items WHERE owner = ? AND contact = ?`, owner, contact)
		if err := affected(res, err, "delete roster item "+owner+"/"+contact); err != nil {
			return err
		}
		ver, err = bumpVersion(ctx, tx, owner)
		return err
	})
	return ver, err
}

// StoreOffline implements store.Offline. The count and the insert share
// one write transaction, so concurrent stores cannot pass max.
func (s *Store) StoreOffline(ctx context.Context, owner string, stanza []byte, max int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if max > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM offline_messages WHERE owner = ?`, owner).Scan(&n); err != nil {
				return fmt.Errorf("sqlite: count offline %s: %w", owner, err)
			}
			if n >= max {
				return store.ErrQuotaExceeded
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO offline_messages (owner, stanza, stored_at) VALUES (?,?,?)`, owner, stanza, ms(time.Now()))
		if isForeignKey(err) {
			return store.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("sqlite: store offline %s: %w", owner, err)
		}
		return nil
	})
}

// OfflineMessages implements store.Offline.
func (s *Store) OfflineMessages(ctx context.Context, owner string) ([]store.OfflineMessage, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, stanza, stored_at FROM offline_messages WHERE owner = ? ORDER BY id`, owner)
	if err != nil {
		return nil, fmt.Errorf("sqlite: offline %s: %w", owner, err)
	}
	defer rows.Close()
	var out []store.OfflineMessage
	for rows.Next() {
		var m store.OfflineMessage
		var at int64
		if err := rows.Scan(&m.ID, &m.Stanza, &at); err != nil {
			return nil, fmt.Errorf("sqlite: offline %s: %w", owner, err)
		}
		m.Stored = fromMS(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// DeleteOffline implements store.Offline.
func (s *Store) DeleteOffline(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `DELETE FROM offline_messages WHERE owner = ? AND id = ?`, owner, id); err != nil {
				return fmt.Errorf("sqlite: delete offline %s/%d: %w", owner, id, err)
			}
		}
		return nil
	})
}

// CountOffline implements store.Offline.
func (s *Store) CountOffline(ctx context.Context, owner string) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM offline_messages WHERE owner = ?`, owner).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count offline %s: %w", owner, err)
	}
	return n, nil
}

// PutSubscriptionRequest implements store.Presence.
func (s *Store) PutSubscriptionRequest(ctx context.Context, owner string, req store.SubscriptionRequest) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO subscription_requests (owner, from_jid, stanza, created_at) VALUES (?,?,?,?)
		ON CONFLICT (owner, from_jid) DO UPDATE SET stanza = excluded.stanza`, owner, req.From, req.Stanza, ms(time.Now()))
	if isForeignKey(err) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: put subscription request %s<-%s: %w", owner, req.From, err)
	}
	return nil
}

// DeleteSubscriptionRequest implements store.Presence.
func (s *Store) DeleteSubscriptionRequest(ctx context.Context, owner, from string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM subscription_requests WHERE owner = ? AND from_jid = ?`, owner, from); err != nil {
		return fmt.Errorf("sqlite: delete subscription request %s<-%s: %w", owner, from, err)
	}
	return nil
}

// SubscriptionRequests implements store.Presence.
func (s *Store) SubscriptionRequests(ctx context.Context, owner string) ([]store.SubscriptionRequest, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT from_jid, stanza FROM subscription_requests WHERE owner = ? ORDER BY created_at, from_jid`, owner)
	if err != nil {
		return nil, fmt.Errorf("sqlite: subscription requests %s: %w", owner, err)
	}
	defer rows.Close()
	var out []store.SubscriptionRequest
	for rows.Next() {
		var r store.SubscriptionRequest
		if err := rows.Scan(&r.From, &r.Stanza); err != nil {
			return nil, fmt.Errorf("sqlite: subscription requests %s: %w", owner, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetLastPresence implements store.Presence.
func (s *Store) SetLastPresence(ctx context.Context, owner string, stanza []byte, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO last_presence (owner, stanza, at) VALUES (?,?,?)
		ON CONFLICT (owner) DO UPDATE SET stanza = excluded.stanza, at = excluded.at`, owner, stanza, ms(at))
	if isForeignKey(err) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: set last presence %s: %w", owner, err)
	}
	return nil
}

// LastPresence implements store.Presence.
func (s *Store) LastPresence(ctx context.Context, owner string) ([]byte, time.Time, error) {
	var b []byte
	var at int64
	err := s.r.QueryRowContext(ctx, `SELECT stanza, at FROM last_presence WHERE owner = ?`, owner).Scan(&b, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, store.ErrNotFound
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("sqlite: last presence %s: %w", owner, err)
	}
	return b, fromMS(at), nil
}
