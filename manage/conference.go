package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/store"
)

// EndConference ends a conference now (FORCED): with a running server's
// manager its people are let out and its room destroyed; with a manager
// on the store alone, a server started later finds it ended.
func EndConference(ctx context.Context, m *conference.Manager, id string) (store.Conference, error) {
	c, err := m.Lookup(ctx, id)
	if errors.Is(err, conference.ErrNotFound) {
		return store.Conference{}, errorf(ErrNotFound, "no conference %s", id)
	}
	if err != nil {
		return store.Conference{}, err
	}
	if c.State == store.ConferenceEnded {
		return c, fmt.Errorf("conference %s already ended (%s)", c.ID, c.EndCause)
	}
	if err := m.End(ctx, c.ID, conference.EndForced); err != nil {
		return c, err
	}
	return c, nil
}
