package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Issue 19 item 6: what the server acknowledged (XEP-0198 <a/>) survives
// `kill -9`. Senders with stream management chat to recipients that are
// online but read nothing, and to a user who is offline; the server
// process is killed with SIGKILL in the middle of it and restarted on
// the same data. Every message acknowledged before the kill must then
// be in its sender's and its recipient's archive (XEP-0313, where a
// recipient whose session died catches up), and those for the offline
// user must come out of offline storage at their login.
func TestAcknowledgedMessagesSurviveKill9(t *testing.T) {
	const pairs, rounds, perRound = 5, 40, 10
	dataDir := t.TempDir()
	var users []string
	for i := range pairs {
		users = append(users, fmt.Sprintf("s%d", i), fmt.Sprintf("r%d", i))
	}
	addUsers(t, dataDir, append(users, "away")...)
	srv := startServer(t, "parley", dataDir, "--allow-plaintext")

	// Recipients: online, resumable stream management, reading nothing.
	for i := range pairs {
		c := xmpptest.DialAddr(t, srv.c2s, "localhost")
		c.Login(fmt.Sprintf("r%d", i), "secret", "phone")
		c.Send("<enable xmlns='%s' resume='true'/><presence/>", ns.SM)
	}
	// Senders: stream management; rounds of messages, each round asking
	// for an acknowledgement and waiting for it. Every fifth message goes
	// to the offline user.
	type sender struct {
		name  string
		conn  *xmpptest.Conn
		acked int // messages acknowledged (h minus the initial presence)
		to    []string
	}
	senders := make([]*sender, pairs)
	for i := range senders {
		s := &sender{name: fmt.Sprintf("s%d", i), conn: xmpptest.DialAddr(t, srv.c2s, "localhost")}
		s.conn.Login(s.name, "secret", "laptop")
		s.conn.Send("<enable xmlns='%s'/><presence/>", ns.SM)
		for n := range rounds * perRound {
			to := fmt.Sprintf("r%d@localhost", i)
			if n%5 == 4 {
				to = "away@localhost"
			}
			s.to = append(s.to, to)
		}
		senders[i] = s
	}
	// Each sender writes all its rounds without waiting (a client with a
	// backlog), each round followed by <r/>, and reads the acks as they
	// come: when the server dies, messages are in flight.
	acks := make(chan int, pairs*rounds)
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for round := range rounds {
				var b strings.Builder
				for k := range perRound {
					n := round*perRound + k
					fmt.Fprintf(&b, "<message to='%s' type='chat' id='%s-%d'><body>%s-%d</body></message>", s.to[n], s.name, n, s.name, n)
				}
				fmt.Fprintf(&b, "<r xmlns='%s'/>", ns.SM)
				s.conn.Net().SetWriteDeadline(time.Now().Add(xmpptest.Timeout))
				if _, err := s.conn.Net().Write([]byte(b.String())); err != nil {
					return // the server is gone
				}
			}
		}()
		go func() {
			defer wg.Done()
			for {
				el, err := s.conn.NextErr(xmpptest.Timeout)
				if err != nil {
					return // the server is gone
				}
				if el.Space == ns.SM && el.Name == "a" {
					h, _ := strconv.Atoi(el.Attr("h"))
					acks <- h - 1 - s.acked
					s.acked = h - 1
				}
			}
		}()
	}
	// Kill the server once a third of the messages are acknowledged,
	// while the rest are being sent and handled.
	deadline := time.After(time.Minute)
	for total := 0; total < pairs*rounds*perRound/3; {
		select {
		case n := <-acks:
			total += n
		case <-deadline:
			t.Fatalf("only %d messages acknowledged within a minute", total)
		}
	}
	srv.kill()
	wg.Wait()

	srv = startServer(t, "parley (restarted)", dataDir, "--allow-plaintext")
	archives := map[string]map[string]bool{}
	archive := func(user string, c *xmpptest.Conn) map[string]bool {
		if archives[user] == nil {
			archives[user] = archivedBodies(t, c)
		}
		return archives[user]
	}
	conns := map[string]*xmpptest.Conn{}
	for _, u := range users {
		c := xmpptest.DialAddr(t, srv.c2s, "localhost")
		c.Login(u, "secret", "check")
		conns[u] = c
	}
	// The offline user logs in: stored messages arrive, in order.
	away := xmpptest.DialAddr(t, srv.c2s, "localhost")
	away.Login("away", "secret", "back")
	away.Send("<presence/>")
	stored := map[string]bool{}
	total, lost := 0, 0
	for _, s := range senders {
		for n := range s.acked {
			total++
			b := fmt.Sprintf("%s-%d", s.name, n)
			to := strings.TrimSuffix(s.to[n], "@localhost")
			if to == "away" {
				for !stored[b] {
					el := away.ExpectMatch("stored message "+b, func(el *xml.Element) bool { return el.Name == "message" }, func(el *xml.Element) bool {
						return el.Name == "presence"
					})
					stored[el.Child(ns.Client, "body").Text] = true
				}
			}
			if to == "away" {
				to = "" // its archive is checked below, with the rest
			}
			inSender := archive(s.name, conns[s.name])[b]
			inRecipient := true
			if to != "" {
				inRecipient = archive(to, conns[to])[b]
			}
			if !inSender || !inRecipient {
				lost++
				if lost <= 10 {
					t.Errorf("%s was acknowledged, but is missing from an archive (sender's: %v, recipient's: %v)", b, inSender, inRecipient)
				}
			}
		}
	}
	awayArchive := archivedBodies(t, away)
	for b := range stored {
		if !awayArchive[b] {
			t.Errorf("%s came from offline storage but is not in away's archive", b)
		}
	}
	t.Logf("%d messages acknowledged before the kill; %d missing after the restart", total, lost)
	if total < pairs*rounds*perRound/3 {
		t.Fatalf("only %d messages acknowledged before the kill", total)
	}
}

// archivedBodies pages through c's user's whole archive (XEP-0313) and
// returns the bodies it holds.
func archivedBodies(t *testing.T, c *xmpptest.Conn) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	after := ""
	for q := 0; ; q++ {
		set := "<max>250</max>"
		if after != "" {
			set += "<after>" + after + "</after>"
		}
		id := fmt.Sprintf("mam%d", q)
		c.Send("<iq type='set' id='%s'><query xmlns='%s'><set xmlns='%s'>%s</set></query></iq>", id, ns.MAM, ns.RSM, set)
		for {
			el := c.ExpectMatch("archive results", func(el *xml.Element) bool {
				return el.Name == "iq" && el.Attr("id") == id || el.Name == "message" && el.Child(ns.MAM, "result") != nil
			}, func(el *xml.Element) bool { return el.Name == "presence" || el.Name == "message" })
			if el.Name == "message" {
				m := el.Child(ns.MAM, "result").Child(ns.Forward, "forwarded").Child(ns.Client, "message")
				out[m.Child(ns.Client, "body").Text] = true
				continue
			}
			fin := el.Child(ns.MAM, "fin")
			if el.Attr("type") != "result" || fin == nil {
				t.Fatalf("archive query: %s", el)
			}
			if fin.Attr("complete") == "true" {
				return out
			}
			after = fin.Child(ns.RSM, "set").Child(ns.RSM, "last").Text
			break
		}
	}
}
