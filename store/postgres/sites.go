package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/parley-im/parley/store"
)

func encodeSettings(m map[string]bool) (string, error) {
	if m == nil {
		m = map[string]bool{}
	}
	b, err := json.Marshal(m)
	return string(b), err
}

const siteColumns = `id, name, key_salt, key_hash, settings_json, created_at`

func scanSite(r pgx.Row) (store.Site, error) {
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

// CreateSite implements store.Sites.
func (s *Store) CreateSite(ctx context.Context, site store.Site) error {
	settings, err := encodeSettings(site.Settings)
	if err != nil {
		return wrap(err, "create site %s", site.ID)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO sites (`+siteColumns+`) VALUES ($1,$2,$3,$4,$5,$6)`,
		site.ID, site.Name, blob(site.KeySalt), blob(site.KeyHash), settings, ms(site.CreatedAt))
	return wrap(err, "create site %s", site.ID)
}

// Site implements store.Sites.
func (s *Store) Site(ctx context.Context, id string) (store.Site, error) {
	site, err := scanSite(s.pool.QueryRow(ctx, `SELECT `+siteColumns+` FROM sites WHERE id = $1`, id))
	if err != nil {
		return store.Site{}, wrap(err, "site %s", id)
	}
	return site, nil
}

// UpdateSite implements store.Sites.
func (s *Store) UpdateSite(ctx context.Context, site store.Site) error {
	settings, err := encodeSettings(site.Settings)
	if err != nil {
		return wrap(err, "update site %s", site.ID)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE sites SET name = $1, key_salt = $2, key_hash = $3, settings_json = $4 WHERE id = $5`,
		site.Name, blob(site.KeySalt), blob(site.KeyHash), settings, site.ID)
	return affected(tag, err, "update site %s", site.ID)
}

// DeleteSite implements store.Sites; the site's tokens, and what derives
// from them, go by cascade.
func (s *Store) DeleteSite(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sites WHERE id = $1`, id)
	return affected(tag, err, "delete site %s", id)
}

// ListSites implements store.Sites.
func (s *Store) ListSites(ctx context.Context) ([]store.Site, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+siteColumns+` FROM sites ORDER BY id`)
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
