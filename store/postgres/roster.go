package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store"
)

// Groups are stored as a JSON array of strings, as in SQLite: the
// roster is always read and written whole per item, never queried by
// group.
const itemColumns = `contact, name, subscription, ask_out, pending_in, approved, groups_json`

func encodeGroups(g []string) string {
	if len(g) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(g) // a []string always marshals
	return string(b)
}

func decodeGroups(it *store.RosterItem, groups string) error {
	if groups == "" || groups == "[]" {
		return nil
	}
	if err := json.Unmarshal([]byte(groups), &it.Groups); err != nil {
		return fmt.Errorf("groups of %s: %w", it.Contact, err)
	}
	return nil
}

// Roster implements store.Rosters in one statement (one snapshot, so
// items and version match, and one round trip): the version row joined
// with the items, at least one row even for an empty roster.
func (s *Store) Roster(ctx context.Context, owner string) ([]store.RosterItem, int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT v.version, i.contact, i.name, i.subscription, i.ask_out, i.pending_in, i.approved, i.groups_json
		FROM (SELECT COALESCE((SELECT version FROM roster_versions WHERE owner = $1), 0) AS version) v
		LEFT JOIN roster_items i ON i.owner = $1 ORDER BY i.contact`, owner)
	if err != nil {
		return nil, 0, wrap(err, "roster of %s", owner)
	}
	defer rows.Close()
	var items []store.RosterItem
	var ver int64
	for rows.Next() {
		var contact, name, sub, groups *string
		var ask, pending, approved *bool
		if err := rows.Scan(&ver, &contact, &name, &sub, &ask, &pending, &approved, &groups); err != nil {
			return nil, 0, wrap(err, "roster of %s", owner)
		}
		if contact == nil {
			continue // no items: the version row alone
		}
		it := store.RosterItem{Contact: *contact, Name: *name, Subscription: *sub, AskOut: *ask, PendingIn: *pending, Approved: *approved}
		if err := decodeGroups(&it, *groups); err != nil {
			return nil, 0, wrap(err, "roster of %s", owner)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap(err, "roster of %s", owner)
	}
	return items, ver, nil
}

// RosterItem implements store.Rosters.
func (s *Store) RosterItem(ctx context.Context, owner, contact string) (store.RosterItem, error) {
	var it store.RosterItem
	var groups string
	err := s.pool.QueryRow(ctx, `SELECT `+itemColumns+` FROM roster_items WHERE owner = $1 AND contact = $2`, owner, contact).
		Scan(&it.Contact, &it.Name, &it.Subscription, &it.AskOut, &it.PendingIn, &it.Approved, &groups)
	if err == nil {
		err = decodeGroups(&it, groups)
	}
	if err != nil {
		return store.RosterItem{}, wrap(err, "roster item %s of %s", contact, owner)
	}
	return it, nil
}

const putItem = `INSERT INTO roster_items (owner, ` + itemColumns + `) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
	ON CONFLICT (owner, contact) DO UPDATE SET name = excluded.name, subscription = excluded.subscription,
	ask_out = excluded.ask_out, pending_in = excluded.pending_in, approved = excluded.approved,
	groups_json = excluded.groups_json`

// bumpVersion increments owner's roster version and returns it. The
// upsert locks the version row until commit, so concurrent changes of
// one roster each get their own version, in commit order.
const bumpVersion = `INSERT INTO roster_versions (owner, version) VALUES ($1, 1)
	ON CONFLICT (owner) DO UPDATE SET version = roster_versions.version + 1 RETURNING version`

// PutRosterItem implements store.Rosters; ErrNotFound if owner has no
// account. The change and the version bump go as one pipelined batch,
// which PostgreSQL runs as one transaction.
func (s *Store) PutRosterItem(ctx context.Context, owner string, it store.RosterItem) (int64, error) {
	b := &pgx.Batch{}
	b.Queue(putItem, owner, it.Contact, it.Name, it.Subscription, it.AskOut, it.PendingIn, it.Approved, encodeGroups(it.Groups))
	var ver int64
	b.Queue(bumpVersion, owner).QueryRow(func(r pgx.Row) error { return r.Scan(&ver) })
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return 0, wrap(err, "put roster item %s of %s", it.Contact, owner)
	}
	return ver, nil
}

// DeleteRosterItem implements store.Rosters. A missing item leaves the
// version unchanged: the bump runs only if the delete removed a row.
func (s *Store) DeleteRosterItem(ctx context.Context, owner, contact string) (int64, error) {
	var ver int64
	err := s.pool.QueryRow(ctx, `WITH d AS (DELETE FROM roster_items WHERE owner = $1 AND contact = $2 RETURNING owner)
		INSERT INTO roster_versions (owner, version) SELECT owner, 1 FROM d
		ON CONFLICT (owner) DO UPDATE SET version = roster_versions.version + 1 RETURNING version`, owner, contact).Scan(&ver)
	if err != nil {
		return 0, wrap(err, "delete roster item %s of %s", contact, owner)
	}
	return ver, nil
}
