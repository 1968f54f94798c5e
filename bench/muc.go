package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The muc scenario (XEP-0045): o.Rooms rooms of o.Occupants users each,
// one connection per occupant. The first occupant of a room creates it
// and unlocks it as an instant room; the others join after, asking for
// no history. Each paced step sends groupchat messages, from every
// occupant in turn, at the step's rate in total; the room reflects each
// one to all its occupants, the sender included, so a step expects
// messages × Occupants deliveries, timed from the send time in the body.

const nsMUC = "http://jabber.org/protocol/muc"

// mucSteps joins the rooms, lets the join presence settle and runs the
// paced steps of groupchat messages.
func mucSteps(ctx context.Context, o Options, conns []*conn, base Result) ([]Result, error) {
	sc := newScanner(chatMarker, false)
	rooms, err := joinRooms(ctx, o, conns, sc)
	if err != nil {
		return nil, err
	}
	// Every join was announced to the occupants already in: let those
	// presence broadcasts drain before the first step.
	sleepCtx(ctx, time.Second)
	return runSteps(ctx, o, conns, base, sc, func(ctx context.Context, o Options, conns []*conn, rate int, h *histogram, r *Result) {
		groupchat(ctx, o, conns, rooms, rate, h, r)
	}), nil
}

// roomNames returns the room of each connection: conns[k*Occupants ..
// (k+1)*Occupants-1] are in room k. Names carry a run tag, so every run
// gets new rooms even if a previous run's rooms still exist.
func roomNames(o Options, n int) []string {
	service := o.MUCService
	if service == "" {
		service = "conference." + o.Domain
	}
	run := strconv.FormatInt(time.Now().UnixNano()/int64(time.Millisecond)%(36*36*36*36*36), 36)
	rooms := make([]string, n)
	for i := range rooms {
		rooms[i] = o.UserPrefix + "room" + strconv.Itoa(i/o.Occupants) + "-" + run + "@" + service
	}
	return rooms
}

// joinRooms puts every connection into its room (roomNames), the
// creators first, o.Concurrency joins at a time, and starts sc's reader
// on each connection as soon as it is in (it must read the presence of
// those who join after it). It returns each connection's room.
func joinRooms(ctx context.Context, o Options, conns []*conn, sc *scanner) ([]string, error) {
	rooms := roomNames(o, len(conns))
	join := func(i int) error {
		c := conns[i]
		nick, _, _ := strings.Cut(c.bare, "@")
		c.SetDeadline(time.Now().Add(30 * time.Second))
		created, err := c.joinRoom(rooms[i], nick)
		if err == nil && created {
			err = c.unlockRoom(rooms[i])
		}
		c.SetDeadline(time.Time{})
		if err != nil {
			return fmt.Errorf("%s joining %s: %w", c.bare, rooms[i], err)
		}
		go sc.read(c, readerBuf)
		return nil
	}
	// Creators (the first occupant of each room), then everyone else.
	err := parallel(ctx, o.Concurrency, o.Rooms, func(k int) error { return join(k * o.Occupants) })
	if err != nil {
		return nil, err
	}
	others := o.Occupants - 1
	err = parallel(ctx, o.Concurrency, o.Rooms*others, func(j int) error {
		// Interleaved over the rooms, so that all of them fill at once.
		return join(j%o.Rooms*o.Occupants + 1 + j/o.Rooms)
	})
	return rooms, err
}

// joinRoom enters room as nick, asking for no history, and waits for
// the end of its own presence (status 110); created reports status 201,
// a new room that stays locked until its owner configures it.
func (c *conn) joinRoom(room, nick string) (created bool, err error) {
	if _, err := fmt.Fprintf(c, "<presence to='%s/%s'><x xmlns='%s'><history maxstanzas='0'/></x></presence>", room, nick, nsMUC); err != nil {
		return false, err
	}
	self := false
	for {
		// One tag per read: text is escaped, so '<' starts the tag.
		tag, err := c.r.ReadString('>')
		if err != nil {
			return false, err
		}
		switch {
		case strings.Contains(tag, "<presence ") && hasAttr(tag, "type", "error"):
			rest, _ := c.until("</presence>")
			return false, fmt.Errorf("server said %s%s", tag, rest)
		case strings.Contains(tag, "<stream:error"):
			rest, _ := c.until("</stream:error>")
			return false, fmt.Errorf("server said %s%s", tag, rest)
		case hasAttr(tag, "code", "110"):
			self = true
		case hasAttr(tag, "code", "201"):
			created = true
		case self && strings.Contains(tag, "</presence>"):
			return created, nil
		}
	}
}

// unlockRoom accepts the default configuration of a room just created
// (an instant room, XEP-0045 §10.1.2) and waits for the answer.
func (c *conn) unlockRoom(room string) error {
	if _, err := fmt.Fprintf(c, "<iq type='set' to='%s' id='unlock'><query xmlns='%s#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>", room, nsMUC); err != nil {
		return err
	}
	for {
		tag, err := c.r.ReadString('>')
		if err != nil {
			return err
		}
		if strings.Contains(tag, "<iq ") && hasAttr(tag, "id", "unlock") {
			if hasAttr(tag, "type", "result") {
				return nil
			}
			rest, _ := c.until("</iq>")
			return fmt.Errorf("unlocking: server said %s%s", tag, rest)
		}
	}
}

// hasAttr reports whether tag holds name='value' in either quote style.
func hasAttr(tag, name, value string) bool {
	return strings.Contains(tag, name+"='"+value+"'") || strings.Contains(tag, name+`="`+value+`"`)
}

// groupchat sends rate groupchat messages per second in total for
// o.Duration, every occupant in turn, consecutive messages to different
// rooms, then waits for the reflections to arrive.
func groupchat(ctx context.Context, o Options, conns []*conn, rooms []string, rate int, h *histogram, r *Result) {
	workers := min(len(conns), 4)
	turn := newRotation(len(conns), workers)
	sent, active := pace(ctx, workers, rate, o.Duration, func(w int, buf []byte) ([]byte, bool) {
		j := turn.pick(w)
		i := j%o.Rooms*o.Occupants + j/o.Rooms
		buf = appendTimedMessage(buf[:0], "groupchat", rooms[i])
		_, err := conns[i].Write(buf)
		return buf, err == nil
	})
	expected := sent * int64(o.Occupants)
	drain(ctx, h, uint64(expected))
	r.Rate = rate
	fill(r, h, sent, expected, active)
}
