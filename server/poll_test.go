package server_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
)

// TestManyConnectionsEveryMessageArrives sends messages between many
// bound sessions, one stanza per write (the regime where connections
// park in the poller between messages), some split over two writes (a
// partial stanza waits in the decoder while the connection is parked),
// some several per write, over plaintext, STARTTLS and direct TLS, with
// parked connections (the default) and with a goroutine per connection.
// Every message must arrive once, in order per sender and recipient.
func TestManyConnectionsEveryMessageArrives(t *testing.T) {
	for _, park := range []bool{true, false} {
		t.Run(fmt.Sprintf("park_idle=%v", park), func(t *testing.T) {
			srv := xmpptest.RunServer(t, func(c *config.Config) { c.C2S.ParkIdle = park })
			const users, perUser = 60, 40
			conns := make([]*xmpptest.Conn, users)
			for i := range users {
				name := "u" + strconv.Itoa(i)
				srv.AddUser(name+"@localhost", "secret")
				var c *xmpptest.Conn
				switch i % 3 {
				case 0:
					c = srv.Dial()
					c.Login(name, "secret", "r")
				case 1:
					c = srv.Dial()
					c.Open()
					c.StartTLS()
					c.Login(name, "secret", "r")
				case 2:
					c = srv.DialTLS()
					c.Login(name, "secret", "r")
				}
				conns[i] = c
			}
			// got[to][from] is the sequence numbers received, in order.
			var mu sync.Mutex
			got := make([]map[int][]int, users)
			done := make(chan error, users)
			for i, c := range conns {
				got[i] = make(map[int][]int)
				go func() {
					n := 0
					for n < perUser {
						el, err := c.NextErr(30 * time.Second)
						if err != nil {
							done <- fmt.Errorf("user %d after %d messages: %v", i, n, err)
							return
						}
						if el.Name != "message" {
							continue
						}
						var from, seq int
						body := el.Child(ns.Client, "body")
						if body == nil {
							done <- fmt.Errorf("user %d: message without body: %s", i, el)
							return
						}
						if _, err := fmt.Sscanf(body.Text, "%d:%d", &from, &seq); err != nil {
							done <- fmt.Errorf("user %d: body %q", i, body.Text)
							return
						}
						mu.Lock()
						got[i][from] = append(got[i][from], seq)
						mu.Unlock()
						n++
					}
					done <- nil
				}()
			}
			// Each user sends perUser messages; recipients are a
			// permutation so that each user receives perUser too.
			rng := rand.New(rand.NewPCG(1, 2))
			plan := make([][]int, users) // plan[from] = recipients in order
			for round := range perUser {
				perm := rng.Perm(users)
				for from := range users {
					plan[from] = append(plan[from], perm[(from+round)%users])
				}
			}
			stanza := func(from, seq int) string {
				return fmt.Sprintf("<message to='u%d@localhost/r' type='chat'><body>%d:%d</body></message>", plan[from][seq], from, seq)
			}
			for seq := 0; seq < perUser; {
				for from, c := range conns {
					switch {
					case seq%5 == 1:
						s := stanza(from, seq)
						c.Send("%s", s[:len(s)/2])
						c.Send("%s", s[len(s)/2:])
					case seq%5 == 3 && seq+1 < perUser:
						c.Send("%s", stanza(from, seq)+stanza(from, seq+1))
					default:
						c.Send("%s", stanza(from, seq))
					}
				}
				if seq%5 == 3 && seq+1 < perUser {
					seq += 2
				} else {
					seq++
				}
			}
			for range users {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			for to := range users {
				total := 0
				for from, seqs := range got[to] {
					for k := 1; k < len(seqs); k++ {
						if seqs[k] <= seqs[k-1] {
							t.Fatalf("u%d got u%d's messages out of order: %v", to, from, seqs)
						}
					}
					total += len(seqs)
				}
				if total != perUser {
					t.Fatalf("u%d got %d messages, want %d", to, total, perUser)
				}
			}
		})
	}
}
