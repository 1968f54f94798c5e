package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/parley-im/parley/store"
)

// Groups are stored as a JSON array of strings in one TEXT column: the
// roster is always read and written whole per item, never queried by
// group, so a child table would only add joins.
const itemColumns = `contact, name, subscription, ask_out, pending_in, approved, groups_json`

func scanItem(sc interface{ Scan(...any) error }) (store.RosterItem, error) {
	var it store.RosterItem
	var groups string
	if err := sc.Scan(&it.Contact, &it.Name, &it.Subscription, &it.AskOut, &it.PendingIn, &it.Approved, &groups); err != nil {
		return store.RosterItem{}, err
	}
	if groups != "" && groups != "[]" {
		if err := json.Unmarshal([]byte(groups), &it.Groups); err != nil {
			return store.RosterItem{}, fmt.Errorf("groups of %s: %w", it.Contact, err)
		}
	}
	return it, nil
}

func encodeGroups(g []string) string {
	if len(g) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(g) // a []string always marshals
	return string(b)
}

// Roster implements store.Rosters. Items and version are read by one
// statement (one read transaction, so they match), prepared once: a
// login reads its roster, and an explicit transaction with two
// statements parsed anew each time cost as much as the rest of the
// login's queries together (profiled in a login storm).
func (s *Store) Roster(ctx context.Context, owner string) ([]store.RosterItem, int64, error) {
	ctx, err := uncancelled(ctx)
	if err != nil {
		return nil, 0, wrap(err, "roster of %s", owner)
	}
	rows, err := s.rq.QueryContext(ctx, `SELECT v.version, i.contact, i.name, i.subscription, i.ask_out, i.pending_in, i.approved, i.groups_json
		FROM (SELECT COALESCE((SELECT version FROM roster_versions WHERE owner = ?1), 0) AS version) v
		LEFT JOIN roster_items i ON i.owner = ?1`, owner)
	if err != nil {
		return nil, 0, wrap(err, "roster of %s", owner)
	}
	defer rows.Close()
	// Scanned into variables declared once, not per row, and sized for a
	// typical roster: a login loads one, and per-row allocations were
	// its largest share of a login storm's garbage.
	var items []store.RosterItem
	var ver int64
	var contact, name, sub sql.NullString
	var ask, pending, approved sql.NullBool
	var groups sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&ver, &contact, &name, &sub, &ask, &pending, &approved, &groups); err != nil {
			return nil, 0, wrap(err, "roster of %s", owner)
		}
		if !contact.Valid {
			continue // no items: the version row alone
		}
		if items == nil {
			items = make([]store.RosterItem, 0, 16)
		}
		var g []string
		if len(groups) > 0 && string(groups) != "[]" {
			if err := json.Unmarshal(groups, &g); err != nil {
				return nil, 0, wrap(fmt.Errorf("groups of %s: %w", contact.String, err), "roster of %s", owner)
			}
		}
		items = append(items, store.RosterItem{Contact: contact.String, Name: name.String, Subscription: sub.String,
			AskOut: ask.Bool, PendingIn: pending.Bool, Approved: approved.Bool, Groups: g})
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap(err, "roster of %s", owner)
	}
	// Sorted here, not by the query: its ORDER BY made SQLite sort the
	// rows in a temporary B-tree. Go compares strings bytewise, as
	// SQLite's BINARY collation does.
	slices.SortFunc(items, func(a, b store.RosterItem) int { return strings.Compare(a.Contact, b.Contact) })
	return items, ver, nil
}

// RosterItem implements store.Rosters.
func (s *Store) RosterItem(ctx context.Context, owner, contact string) (store.RosterItem, error) {
	it, err := scanItem(s.rq.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM roster_items WHERE owner = ? AND contact = ?`, owner, contact))
	if err != nil {
		return store.RosterItem{}, wrap(err, "roster item %s of %s", contact, owner)
	}
	return it, nil
}

// bumpVersion increments owner's roster version inside tx and returns it.
func bumpVersion(ctx context.Context, tx *sql.Tx, owner string) (int64, error) {
	var ver int64
	err := tx.QueryRowContext(ctx, `INSERT INTO roster_versions (owner, version) VALUES (?, 1)
		ON CONFLICT (owner) DO UPDATE SET version = roster_versions.version + 1 RETURNING version`, owner).Scan(&ver)
	return ver, wrap(err, "bump roster version of %s", owner)
}

// PutRosterItem implements store.Rosters; ErrNotFound if owner has no
// account.
func (s *Store) PutRosterItem(ctx context.Context, owner string, it store.RosterItem) (int64, error) {
	var ver int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO roster_items (owner, `+itemColumns+`) VALUES (?,?,?,?,?,?,?,?)
			ON CONFLICT (owner, contact) DO UPDATE SET name = excluded.name, subscription = excluded.subscription,
			ask_out = excluded.ask_out, pending_in = excluded.pending_in, approved = excluded.approved,
			groups_json = excluded.groups_json`,
			owner, it.Contact, it.Name, it.Subscription, it.AskOut, it.PendingIn, it.Approved, encodeGroups(it.Groups))
		if err != nil {
			return wrap(err, "put roster item %s of %s", it.Contact, owner)
		}
		ver, err = bumpVersion(ctx, tx, owner)
		return err
	})
	return ver, err
}

// DeleteRosterItem implements store.Rosters. A missing item leaves the
// version unchanged.
func (s *Store) DeleteRosterItem(ctx context.Context, owner, contact string) (int64, error) {
	var ver int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM roster_items WHERE owner = ? AND contact = ?`, owner, contact)
		if err := affected(res, err, "delete roster item %s of %s", contact, owner); err != nil {
			return err
		}
		ver, err = bumpVersion(ctx, tx, owner)
		return err
	})
	return ver, err
}
