package conference

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Placement says where each conference lives in a cluster: on the node
// that holds its room, where the room's hooks run and so its live state
// (who is present, the lock) is. Operations on that state run there;
// each node's lifecycle checks only the conferences it holds. A single
// server has no Placement: everything is here.
type Placement interface {
	// Here reports whether this node holds room (or would take it now).
	Here(room string) bool
	// Call runs a Manager operation (RunOp's args) on the node that holds
	// room, and returns its error's message.
	Call(ctx context.Context, room string, args ...string) error
}

// Operations RunOp serves.
const (
	opEnd  = "end"  // end ID CAUSE
	opLock = "lock" // lock ID true|false
)

// elsewhere returns the room of conference id when another node holds
// it (and so its live state).
func (m *Manager) elsewhere(ctx context.Context, id string) (string, bool) {
	if m.o.Placement == nil {
		return "", false
	}
	c, err := m.o.Store.Conference(ctx, id)
	if err != nil || c.RoomJID == "" || m.o.Placement.Here(c.RoomJID) {
		return "", false
	}
	return c.RoomJID, true
}

// here reports whether this node holds conference c (always on a single
// server; for one without a room, every node may handle it).
func (m *Manager) here(room string) bool {
	return m.o.Placement == nil || room == "" || m.o.Placement.Here(room)
}

// call runs an operation on the node that holds room, giving back the
// sentinel errors by their messages.
func (m *Manager) call(ctx context.Context, room string, args ...string) error {
	err := m.o.Placement.Call(ctx, room, args...)
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range sentinels {
		if strings.Contains(msg, s.Error()) {
			return fmt.Errorf("%w (on the node holding the conference)", s)
		}
	}
	return err
}

var sentinels = []error{ErrNotFound, ErrIDMissing, ErrNotAllowed, ErrClosed, ErrCannotChange}

// RunOp runs an operation another node of the cluster sent here because
// this node holds the conference's room (Placement.Call).
func (m *Manager) RunOp(ctx context.Context, args []string) error {
	switch {
	case len(args) == 3 && args[0] == opEnd:
		return m.with(ctx, args[1], false, func(l *live) error { return m.end(ctx, l, args[2], m.now()) })
	case len(args) == 3 && args[0] == opLock:
		locked, err := strconv.ParseBool(args[2])
		if err != nil {
			return err
		}
		return m.setLocked(ctx, args[1], locked)
	}
	return errors.New("conference: unknown operation")
}
