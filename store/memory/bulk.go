package memory

import (
	"context"
	"slices"

	"github.com/parley-im/parley/store"
)

// VCard implements store.VCards.
func (s *Store) VCard(_ context.Context, owner string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.vcards[owner]
	if !ok {
		return nil, store.ErrNotFound
	}
	return slices.Clone(v), nil
}

// PutVCard implements store.VCards; ErrNotFound if owner has no account.
func (s *Store) PutVCard(_ context.Context, owner string, vcard []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[owner]; !ok {
		return store.ErrNotFound
	}
	if len(vcard) == 0 {
		delete(s.vcards, owner)
		return nil
	}
	s.vcards[owner] = slices.Clone(vcard)
	return nil
}

// ImportAccounts implements store.Importer under one hold of the lock, so
// readers see all of a call or none of it.
func (s *Store) ImportAccounts(_ context.Context, accts []store.Account, replace bool) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var skipped []string
	for _, a := range accts {
		j := a.User.JID
		if _, ok := s.users[j]; ok {
			if !replace {
				skipped = append(skipped, j)
				continue
			}
			delete(s.rosters, j)
			delete(s.offline, j)
			delete(s.requests, j)
			delete(s.last, j)
			delete(s.vcards, j)
			delete(s.archive, j)
			delete(s.prefs, j)
			delete(s.sharing, j)
			s.cal.forget(j)
			delete(s.network, j)
			s.deleteEntityTokens(store.EntityUser, j)
			s.pers.forget(j)
			s.forgetWebSessions(j)
		}
		u := cloneUser(a.User)
		u.CreatedAt = msUTC(u.CreatedAt)
		s.users[j] = u
		r := make(map[string]store.RosterItem, len(a.Roster))
		for _, it := range a.Roster {
			r[it.Contact] = cloneItem(it)
		}
		s.rosters[j] = r
		s.versions[j]++
		var reqs []store.SubscriptionRequest
		for _, q := range a.Requests {
			q.Stanza = slices.Clone(q.Stanza)
			if i := slices.IndexFunc(reqs, func(o store.SubscriptionRequest) bool { return o.From == q.From }); i >= 0 {
				reqs[i] = q
				continue
			}
			reqs = append(reqs, q)
		}
		if reqs != nil {
			s.requests[j] = reqs
		}
		var msgs []store.OfflineMessage
		for _, m := range a.Offline {
			s.lastID++
			msgs = append(msgs, store.OfflineMessage{ID: s.lastID, Stanza: slices.Clone(m.Stanza), Stored: msUTC(m.Stored)})
		}
		if msgs != nil {
			s.offline[j] = msgs
		}
		if len(a.VCard) > 0 {
			s.vcards[j] = slices.Clone(a.VCard)
		}
	}
	return skipped, nil
}
