package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/parley-im/parley/store"
)

// bulkStatements are the statements ImportAccounts prepares once per call.
var bulkStatements = map[string]string{
	"exists": `SELECT 1 FROM users WHERE jid = ?`,
	"user": `INSERT INTO users (jid, sha1_salt, sha1_iter, sha1_stored, sha1_server,
		sha256_salt, sha256_iter, sha256_stored, sha256_server, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
	"item": `INSERT INTO roster_items (owner, ` + itemColumns + `) VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (owner, contact) DO UPDATE SET name = excluded.name, subscription = excluded.subscription,
		ask_out = excluded.ask_out, pending_in = excluded.pending_in, approved = excluded.approved,
		groups_json = excluded.groups_json`,
	"request": `INSERT INTO subscription_requests (owner, from_jid, stanza, created_at) VALUES (?,?,?,?)
		ON CONFLICT (owner, from_jid) DO UPDATE SET stanza = excluded.stanza`,
	"offline": `INSERT INTO offline_messages (owner, stanza, stored_at) VALUES (?,?,?)`,
	"vcard":   `INSERT INTO vcards (owner, vcard) VALUES (?,?)`,
	"version": `SELECT version FROM roster_versions WHERE owner = ?`,
	"setver": `INSERT INTO roster_versions (owner, version) VALUES (?, ?)
		ON CONFLICT (owner) DO UPDATE SET version = excluded.version`,
}

// ImportAccounts implements store.Importer: the whole call is one write
// transaction with statements prepared once, which is what makes a bulk
// import fast (each single-row method pays for its own transaction).
func (s *Store) ImportAccounts(ctx context.Context, accts []store.Account, replace bool) (skipped []string, err error) {
	if err := s.flushArchiveUsage(ctx); err != nil { // replace deletes archives: see DeleteUser
		return nil, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		st := make(map[string]*sql.Stmt, len(bulkStatements))
		defer func() {
			for _, p := range st {
				p.Close()
			}
		}()
		for name, q := range bulkStatements {
			p, err := tx.PrepareContext(ctx, q)
			if err != nil {
				return wrap(err, "import: prepare %s", name)
			}
			st[name] = p
		}
		for i := range accts {
			ok, err := importAccount(ctx, tx, st, &accts[i], replace)
			if err != nil {
				return err
			}
			if !ok {
				skipped = append(skipped, accts[i].User.JID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return skipped, nil
}

// importAccount writes one account inside ImportAccounts' transaction;
// false if it exists and replace is off.
func importAccount(ctx context.Context, tx *sql.Tx, st map[string]*sql.Stmt, a *store.Account, replace bool) (bool, error) {
	u := a.User
	var one int
	err := st["exists"].QueryRowContext(ctx, u.JID).Scan(&one)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, wrap(err, "import %s", u.JID)
	}
	var ver int64
	if exists {
		if !replace {
			return false, nil
		}
		if err := st["version"].QueryRowContext(ctx, u.JID).Scan(&ver); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, wrap(err, "import %s: roster version", u.JID)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE jid = ?`, u.JID); err != nil {
			return false, wrap(err, "import %s: delete old account", u.JID)
		}
		for _, table := range ownedTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE owner = ?`, u.JID); err != nil {
				return false, wrap(err, "import %s: delete old %s", u.JID, table)
			}
		}
	}
	if _, err := st["user"].ExecContext(ctx, u.JID, blob(u.SHA1.Salt), u.SHA1.Iterations, blob(u.SHA1.StoredKey), blob(u.SHA1.ServerKey),
		blob(u.SHA256.Salt), u.SHA256.Iterations, blob(u.SHA256.StoredKey), blob(u.SHA256.ServerKey), ms(u.CreatedAt)); err != nil {
		return false, wrap(err, "import user %s", u.JID)
	}
	for _, it := range a.Roster {
		if _, err := st["item"].ExecContext(ctx, u.JID, it.Contact, it.Name, it.Subscription, it.AskOut, it.PendingIn,
			it.Approved, encodeGroups(it.Groups)); err != nil {
			return false, wrap(err, "import roster item %s of %s", it.Contact, u.JID)
		}
	}
	if _, err := st["setver"].ExecContext(ctx, u.JID, ver+1); err != nil {
		return false, wrap(err, "import roster version of %s", u.JID)
	}
	// Requests keep their order through created_at (all the same here)
	// and then rowid, as SubscriptionRequests reads them.
	now := ms(u.CreatedAt)
	for _, r := range a.Requests {
		if _, err := st["request"].ExecContext(ctx, u.JID, r.From, blob(r.Stanza), now); err != nil {
			return false, wrap(err, "import subscription request from %s to %s", r.From, u.JID)
		}
	}
	for _, m := range a.Offline {
		if _, err := st["offline"].ExecContext(ctx, u.JID, blob(m.Stanza), ms(m.Stored)); err != nil {
			return false, wrap(err, "import offline message for %s", u.JID)
		}
	}
	if len(a.VCard) > 0 {
		if _, err := st["vcard"].ExecContext(ctx, u.JID, a.VCard); err != nil {
			return false, wrap(err, "import vcard of %s", u.JID)
		}
	}
	return true, nil
}
