package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store"
)

// ImportAccounts implements store.Importer: the whole call is one
// transaction, and each account two round trips: one asks whether it
// exists (and its roster version), one pipelined batch writes it. An
// account replaced is deleted first, and with it, by cascade, everything
// it owned (archive, tokens, ... included).
func (s *Store) ImportAccounts(ctx context.Context, accts []store.Account, replace bool) (skipped []string, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for i := range accts {
			ok, err := importAccount(ctx, tx, &accts[i], replace)
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
func importAccount(ctx context.Context, tx pgx.Tx, a *store.Account, replace bool) (bool, error) {
	u := a.User
	var exists bool
	var ver int64
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE jid = $1),
		COALESCE((SELECT version FROM roster_versions WHERE owner = $1), 0)`, u.JID).Scan(&exists, &ver)
	if err != nil {
		return false, wrap(err, "import %s", u.JID)
	}
	if exists && !replace {
		return false, nil
	}
	b := &pgx.Batch{}
	if exists {
		b.Queue(`DELETE FROM users WHERE jid = $1`, u.JID)
	}
	b.Queue(`INSERT INTO users (jid, sha1_salt, sha1_iter, sha1_stored, sha1_server,
		sha256_salt, sha256_iter, sha256_stored, sha256_server, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		u.JID, blob(u.SHA1.Salt), u.SHA1.Iterations, blob(u.SHA1.StoredKey), blob(u.SHA1.ServerKey),
		blob(u.SHA256.Salt), u.SHA256.Iterations, blob(u.SHA256.StoredKey), blob(u.SHA256.ServerKey), ms(u.CreatedAt))
	for _, it := range a.Roster {
		b.Queue(putItem, u.JID, it.Contact, it.Name, it.Subscription, it.AskOut, it.PendingIn, it.Approved, encodeGroups(it.Groups))
	}
	b.Queue(`INSERT INTO roster_versions (owner, version) VALUES ($1, $2)`, u.JID, ver+1)
	// Requests keep their order through seq, assigned in queue order.
	for _, r := range a.Requests {
		b.Queue(`INSERT INTO subscription_requests (owner, from_jid, stanza, created_at) VALUES ($1,$2,$3,$4)
			ON CONFLICT (owner, from_jid) DO UPDATE SET stanza = excluded.stanza`, u.JID, r.From, blob(r.Stanza), ms(u.CreatedAt))
	}
	for _, m := range a.Offline {
		b.Queue(`INSERT INTO offline_messages (owner, stanza, stored_at) VALUES ($1,$2,$3)`, u.JID, blob(m.Stanza), ms(m.Stored))
	}
	if len(a.VCard) > 0 {
		b.Queue(`INSERT INTO vcards (owner, vcard) VALUES ($1,$2)`, u.JID, a.VCard)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return false, wrap(err, "import %s", u.JID)
	}
	return true, nil
}
