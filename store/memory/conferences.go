package memory

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/parley-im/parley/store"
)

// confs holds conferences, attendance and timelines. Its zero value is
// usable (maps are made on first write); it is guarded by Store.mu like
// everything else.
type confs struct {
	byID       map[string]store.Conference
	attendance map[string][]store.Attendance      // conference → stays, in order of entry
	events     map[string][]store.ConferenceEvent // conference → timeline, oldest first
	lastStay   int64                              // ids are never reused
	lastEvent  int64
}

// msOpt is t truncated like msUTC, the zero time staying zero.
func msOpt(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return msUTC(t)
}

func cloneConference(c store.Conference) store.Conference {
	c.StartAt, c.EndAt = msOpt(c.StartAt), msOpt(c.EndAt)
	c.StartedAt, c.EndedAt = msOpt(c.StartedAt), msOpt(c.EndedAt)
	c.CreatedAt, c.UpdatedAt = msOpt(c.CreatedAt), msOpt(c.UpdatedAt)
	c.Participants = slices.Clone(c.Participants)
	if c.Participants == nil {
		c.Participants = []store.Participant{}
	}
	sortParticipants(c.Participants)
	return c
}

// sortParticipants puts the host first, then everyone by ID (the order
// the sqlite store reads them in).
func sortParticipants(ps []store.Participant) {
	sort.SliceStable(ps, func(i, j int) bool {
		hi, hj := ps[i].Role == store.RoleHost, ps[j].Role == store.RoleHost
		if hi != hj {
			return hi
		}
		return ps[i].ID < ps[j].ID
	})
}

// CreateConference implements store.Conferences.
func (s *Store) CreateConference(_ context.Context, c store.Conference) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.confs.byID == nil {
		s.confs.byID = make(map[string]store.Conference)
	}
	if _, ok := s.confs.byID[c.ID]; ok {
		return store.ErrExists
	}
	if err := checkParticipants(c.Participants); err != nil {
		return err
	}
	s.confs.byID[c.ID] = cloneConference(c)
	return nil
}

// checkParticipants refuses two participants with one ID, as the sqlite
// store's primary key does.
func checkParticipants(ps []store.Participant) error {
	seen := make(map[int64]bool, len(ps))
	for _, p := range ps {
		if seen[p.ID] {
			return store.ErrExists
		}
		seen[p.ID] = true
	}
	return nil
}

// Conference implements store.Conferences.
func (s *Store) Conference(_ context.Context, id string) (store.Conference, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.confs.byID[id]
	if !ok {
		return store.Conference{}, store.ErrNotFound
	}
	return cloneConference(c), nil
}

// UpdateConference implements store.Conferences.
func (s *Store) UpdateConference(_ context.Context, c store.Conference) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.confs.byID[c.ID]
	if !ok {
		return store.ErrNotFound
	}
	if err := checkParticipants(c.Participants); err != nil {
		return err
	}
	c.CreatedAt = old.CreatedAt
	s.confs.byID[c.ID] = cloneConference(c)
	return nil
}

// DeleteConference implements store.Conferences.
func (s *Store) DeleteConference(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.confs.byID[id]; !ok {
		return store.ErrNotFound
	}
	delete(s.confs.byID, id)
	delete(s.confs.attendance, id)
	delete(s.confs.events, id)
	return nil
}

// ListConferences implements store.Conferences.
func (s *Store) ListConferences(_ context.Context, q store.ConferenceQuery) ([]store.Conference, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []store.Conference{}
	for _, c := range s.confs.byID {
		if matchConference(c, q) {
			out = append(out, cloneConference(c))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].StartAt.Equal(out[j].StartAt) {
			return out[i].StartAt.Before(out[j].StartAt)
		}
		return out[i].ID < out[j].ID
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func matchConference(c store.Conference, q store.ConferenceQuery) bool {
	switch {
	case q.SiteID != "" && c.SiteID != q.SiteID,
		q.Owner != "" && c.Owner != q.Owner,
		q.IDs != nil && !slices.Contains(q.IDs, c.ID),
		q.States != nil && !slices.Contains(q.States, c.State),
		!q.StartFrom.IsZero() && c.StartAt.Before(msUTC(q.StartFrom)),
		!q.StartTo.IsZero() && c.StartAt.After(msUTC(q.StartTo)):
		return false
	}
	if !q.EndedFrom.IsZero() || !q.EndedTo.IsZero() {
		if c.State != store.ConferenceEnded ||
			(!q.EndedFrom.IsZero() && c.EndedAt.Before(msUTC(q.EndedFrom))) ||
			(!q.EndedTo.IsZero() && c.EndedAt.After(msUTC(q.EndedTo))) {
			return false
		}
	}
	if q.User != "" {
		return slices.ContainsFunc(c.Participants, func(p store.Participant) bool { return p.UserID == q.User })
	}
	return true
}

// AddAttendance implements store.Conferences.
func (s *Store) AddAttendance(_ context.Context, a store.Attendance) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.confs.byID[a.ConferenceID]; !ok {
		return 0, store.ErrNotFound
	}
	if s.confs.attendance == nil {
		s.confs.attendance = make(map[string][]store.Attendance)
	}
	s.confs.lastStay++
	a.ID = s.confs.lastStay
	a.Entered, a.Exited = msOpt(a.Entered), msOpt(a.Exited)
	s.confs.attendance[a.ConferenceID] = append(s.confs.attendance[a.ConferenceID], a)
	return a.ID, nil
}

// EndAttendance implements store.Conferences.
func (s *Store) EndAttendance(_ context.Context, conferenceID string, id int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	stays := s.confs.attendance[conferenceID]
	for i := range stays {
		if stays[i].ID == id && stays[i].Exited.IsZero() {
			stays[i].Exited = msUTC(at)
			return nil
		}
	}
	return store.ErrNotFound
}

// EndAllAttendance implements store.Conferences.
func (s *Store) EndAllAttendance(_ context.Context, conferenceID string, at time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	stays := s.confs.attendance[conferenceID]
	for i := range stays {
		if stays[i].Exited.IsZero() {
			stays[i].Exited = msUTC(at)
			n++
		}
	}
	return n, nil
}

// Attendance implements store.Conferences.
func (s *Store) Attendance(_ context.Context, conferenceID string) ([]store.Attendance, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := slices.Clone(s.confs.attendance[conferenceID])
	if out == nil {
		out = []store.Attendance{}
	}
	return out, nil
}

// AppendConferenceEvent implements store.Conferences.
func (s *Store) AppendConferenceEvent(_ context.Context, e store.ConferenceEvent) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.confs.byID[e.ConferenceID]; !ok {
		return 0, store.ErrNotFound
	}
	if s.confs.events == nil {
		s.confs.events = make(map[string][]store.ConferenceEvent)
	}
	s.confs.lastEvent++
	e.Seq = s.confs.lastEvent
	e.At = usUTC(e.At)
	s.confs.events[e.ConferenceID] = append(s.confs.events[e.ConferenceID], e)
	return e.Seq, nil
}

// ConferenceEvents implements store.Conferences.
func (s *Store) ConferenceEvents(_ context.Context, conferenceID string, after int64, max int) ([]store.ConferenceEvent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []store.ConferenceEvent{}
	for _, e := range s.confs.events[conferenceID] {
		if e.Seq <= after {
			continue
		}
		out = append(out, e)
		if max > 0 && len(out) == max {
			break
		}
	}
	return out, nil
}
