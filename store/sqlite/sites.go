package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/parley-im/parley/store"
)

func encodeSettings(m map[string]bool) (string, error) {
	if m == nil {
		m = map[string]bool{}
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// CreateSite implements store.Sites.
func (s *Store) CreateSite(ctx context.Context, site store.Site) error {
	settings, err := encodeSettings(site.Settings)
	if err != nil {
		return wrap(err, "create site %s", site.ID)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO sites (id, name, key_salt, key_hash, settings_json, created_at) VALUES (?,?,?,?,?,?)`,
		site.ID, site.Name, blob(site.KeySalt), blob(site.KeyHash), settings, ms(site.CreatedAt))
	return wrap(err, "create site %s", site.ID)
}

// Site implements store.Sites.
func (s *Store) Site(ctx context.Context, id string) (store.Site, error) {
	row := s.rq.QueryRowContext(ctx, `SELECT id, name, key_salt, key_hash, settings_json, created_at FROM sites WHERE id = ?`, id)
	site, err := scanSite(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Site{}, store.ErrNotFound
	}
	return site, wrap(err, "site %s", id)
}

type scanner interface{ Scan(dest ...any) error }

func scanSite(r scanner) (store.Site, error) {
	var site store.Site
	var settings string
	var created int64
	if err := r.Scan(&site.ID, &site.Name, &site.KeySalt, &site.KeyHash, &settings, &created); err != nil {
		return store.Site{}, err
	}
	site.Settings = map[string]bool{}
	if err := json.Unmarshal([]byte(settings), &site.Settings); err != nil {
		return store.Site{}, err
	}
	site.CreatedAt = fromMS(created)
	return site, nil
}

// UpdateSite implements store.Sites.
func (s *Store) UpdateSite(ctx context.Context, site store.Site) error {
	settings, err := encodeSettings(site.Settings)
	if err != nil {
		return wrap(err, "update site %s", site.ID)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE sites SET name = ?, key_salt = ?, key_hash = ?, settings_json = ? WHERE id = ?`,
		site.Name, blob(site.KeySalt), blob(site.KeyHash), settings, site.ID)
	return affected(res, err, "update site %s", site.ID)
}

// DeleteSite implements store.Sites. The site's tokens are deleted
// explicitly too (see DeleteUser for why).
func (s *Store) DeleteSite(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sites WHERE id = ?`, id)
		if err := affected(res, err, "delete site %s", id); err != nil {
			return err
		}
		_, err = deleteTrees(ctx, tx, `SELECT id FROM tokens WHERE entity_type = 'SITE' AND entity_id = ?`, id)
		return wrap(err, "delete site %s: tokens", id)
	})
}

// ListSites implements store.Sites.
func (s *Store) ListSites(ctx context.Context) ([]store.Site, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT id, name, key_salt, key_hash, settings_json, created_at FROM sites ORDER BY id`)
	if err != nil {
		return nil, wrap(err, "list sites")
	}
	defer rows.Close()
	out := []store.Site{}
	for rows.Next() {
		site, err := scanSite(rows)
		if err != nil {
			return nil, wrap(err, "list sites")
		}
		out = append(out, site)
	}
	return out, wrap(rows.Err(), "list sites")
}
