package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/bench"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
)

func options(srv *xmpptest.Server, users int) bench.Options {
	return bench.Options{
		Addr: srv.Addr("c2s").String(), Domain: "localhost", Users: users, UserPrefix: "load", Password: "pw",
		Concurrency: 5, Duration: 300 * time.Millisecond, Sources: 2, Label: "parley",
	}
}

func provision(t *testing.T, srv *xmpptest.Server, users, contacts int) {
	t.Helper()
	p := bench.Population{Domain: "localhost", Prefix: "load", Password: "pw", Users: users, RosterUsers: users, Contacts: contacts}
	if err := bench.ProvisionParley(context.Background(), srv.Store(), p); err != nil {
		t.Fatal(err)
	}
}

// The generator logs users in (SCRAM-SHA-256: Parley offers no PLAIN on
// plaintext streams), delivers every message it sends and reports what
// it measured. Rates here are tiny: this checks the tool, not the
// server's speed.
func TestChatScenario(t *testing.T) {
	srv := xmpptest.RunServer(t)
	provision(t, srv, 10, 0)
	var out, js strings.Builder
	o := options(srv, 10)
	o.Rates, o.Out, o.JSON = []int{100, 200}, &out, &js
	rs, err := bench.Run(context.Background(), "chat", o)
	if err != nil {
		t.Fatal(err)
	}
	checkSteps(t, rs, 2)
	for _, r := range rs {
		if r.Logins != 10 || r.Sent == 0 || r.Lost != 0 || r.Delivered != uint64(r.Sent) || r.P99ms <= 0 || r.Server != "parley" {
			t.Fatalf("result %+v", r)
		}
	}
	if !strings.Contains(out.String(), "delivered") || strings.Count(js.String(), "\n") != len(rs) {
		t.Fatalf("table: %s\njson: %s", out.String(), js.String())
	}
}

// checkSteps checks that a stepped run ran all its steps or stopped
// after a saturated one: on a loaded machine (or under the race
// detector) a short step at a tiny rate can miss its rate, so whether
// the second step runs is not the generator's choice.
func checkSteps(t *testing.T, rs []bench.Result, steps int) {
	t.Helper()
	if len(rs) == 0 || len(rs) > steps || len(rs) < steps && !bench.Saturated(rs[len(rs)-1]) {
		t.Fatalf("want %d steps or a saturated last one, got %d: %+v", steps, len(rs), rs)
	}
}

// Every presence broadcast reaches the user's 4 contacts; the copy the
// server sends back to the sender is not counted.
func TestPresenceScenario(t *testing.T) {
	srv := xmpptest.RunServer(t)
	provision(t, srv, 10, 4)
	o := options(srv, 10)
	o.Rate, o.Contacts = 100, 4
	rs, err := bench.Run(context.Background(), "presence", o)
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if r.Sent == 0 || r.Expected != 4*r.Sent || r.Lost != 0 || r.Delivered != uint64(r.Expected) || r.P99ms <= 0 {
		t.Fatalf("result %+v", r)
	}
}

// The server runs in this process, so its RSS is ours: the idle
// scenario must record one point per step and a per-connection figure.
func TestIdleSteps(t *testing.T) {
	srv := xmpptest.RunServer(t)
	provision(t, srv, 8, 0)
	o := options(srv, 8)
	o.Duration, o.ServerPID = 10*time.Millisecond, os.Getpid()
	rs, err := bench.Run(context.Background(), "idle", o)
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if r.Logins != 8 || len(r.Points) != 4 || r.Points[3].Conns != 8 || r.ServerRSSMiB <= 0 || r.IdleRSSMiB <= 0 {
		t.Fatalf("result %+v", r)
	}
}

// Hold is the child of a multi-process idle run: it answers "ready N"
// once logged in and disconnects when its input ends.
func TestHold(t *testing.T) {
	srv := xmpptest.RunServer(t)
	provision(t, srv, 3, 0)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- bench.Hold(context.Background(), options(srv, 3), inR, outW) }()
	line := make([]byte, 64)
	n, _ := outR.Read(line)
	if string(line[:n]) != "ready 3\n" {
		t.Fatalf("got %q", line[:n])
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLoginFailureIsReported(t *testing.T) {
	srv := xmpptest.RunServer(t)
	o := options(srv, 1)
	o.UserPrefix = "missing"
	_, err := bench.Run(context.Background(), "login", o)
	if err == nil || !strings.Contains(err.Error(), "not-authorized") {
		t.Fatalf("want a not-authorized error, got %v", err)
	}
}

func TestPopulationRing(t *testing.T) {
	p := bench.Population{Users: 30, RosterUsers: 20, Contacts: 10}
	seen := map[[2]int]bool{}
	for i := range 20 {
		cs := p.ContactsOf(i)
		if len(cs) != 10 {
			t.Fatalf("user %d: %v", i, cs)
		}
		for _, c := range cs {
			if c == i || seen[[2]int{i, c}] {
				t.Fatalf("user %d: bad or repeated contact %d", i, c)
			}
			seen[[2]int{i, c}] = true
		}
	}
	for k := range seen {
		if !seen[[2]int{k[1], k[0]}] {
			t.Fatalf("%v is not mutual", k)
		}
	}
	if p.ContactsOf(25) != nil {
		t.Fatal("users outside the ring have no contacts")
	}
}

func TestPeerFormats(t *testing.T) {
	p := bench.Population{Domain: "bench.local", Prefix: "u", Password: `p"w`, Users: 12, RosterUsers: 12, Contacts: 2}
	var x bytes.Buffer
	if err := bench.WritePIEFXIS(&x, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(x.String(), "<user name='u0' password='p\"w'><query xmlns='jabber:iq:roster'><item jid='u1@bench.local' subscription='both'/><item jid='u11@bench.local' subscription='both'/></query></user>") {
		t.Fatalf("piefxis:\n%s", x.String())
	}
	dir := t.TempDir()
	if err := bench.WriteProsody(dir, p); err != nil {
		t.Fatal(err)
	}
	acc, err := os.ReadFile(filepath.Join(dir, "bench%2elocal", "accounts", "u3.dat"))
	if err != nil || string(acc) != "return {\n\t[\"password\"] = \"p\\\"w\";\n};\n" {
		t.Fatalf("account file %q %v", acc, err)
	}
	roster, err := os.ReadFile(filepath.Join(dir, "bench%2elocal", "roster", "u3.dat"))
	if err != nil || !strings.Contains(string(roster), "[\"u4@bench.local\"] = {\n\t\t[\"subscription\"] = \"both\";") {
		t.Fatalf("roster file %q %v", roster, err)
	}
}

func TestTable(t *testing.T) {
	lines := ""
	for _, s := range []struct {
		name string
		dps  float64
	}{{"parley", 30000}, {"ejabberd", 15000}, {"prosody", 10000}} {
		lines += fmt.Sprintf(`{"server":%q,"scenario":"chat","users":5000,"rate":40000,"delivered_per_sec":%g,"p99_ms":2}`+"\n", s.name, s.dps)
	}
	rs, err := bench.ReadResults(strings.NewReader("noise\n" + lines))
	if err != nil || len(rs) != 3 {
		t.Fatal(rs, err)
	}
	var out strings.Builder
	bench.Table(&out, rs, []string{"parley", "ejabberd", "prosody"})
	if !strings.Contains(out.String(), "| chat 5000 users @ 40000/s: delivered/s ↑ | 30000 | 15000 | 10000 | 2.00 | 3.00 |") {
		t.Fatalf("table:\n%s", out.String())
	}
}

func mucServer(t *testing.T, maxOccupants int) *xmpptest.Server {
	return xmpptest.RunServer(t, func(c *config.Config) {
		c.MUC.MessagesPerSecond, c.MUC.MaxOccupants, c.MUC.MaxRoomsPerUser = 0, maxOccupants, 0
	})
}

// Every groupchat message is reflected to all occupants of its room,
// the sender included; rooms are created, unlocked and joined first.
func TestMUCScenario(t *testing.T) {
	srv := mucServer(t, 0)
	provision(t, srv, 12, 0)
	var out strings.Builder
	o := options(srv, 0)
	o.Rooms, o.Occupants, o.Rates, o.Out = 3, 4, []int{60, 120}, &out
	rs, err := bench.Run(context.Background(), "muc", o)
	if err != nil {
		t.Fatal(err)
	}
	checkSteps(t, rs, 2)
	for _, r := range rs {
		if r.Users != 12 || r.Rooms != 3 || r.Occupants != 4 || r.Logins != 12 || r.Sent == 0 ||
			r.Expected != 4*r.Sent || r.Lost != 0 || r.Delivered != uint64(r.Expected) || r.P99ms <= 0 {
			t.Fatalf("result %+v", r)
		}
	}
	if !strings.Contains(out.String(), "(3 rooms x 4 occupants)") {
		t.Fatalf("table: %s", out.String())
	}
}

// A join the room refuses (here: full) fails the run with the server's error.
func TestMUCJoinFailureIsReported(t *testing.T) {
	srv := mucServer(t, 2)
	provision(t, srv, 3, 0)
	o := options(srv, 0)
	o.Rooms, o.Occupants, o.Rate = 1, 3, 10
	_, err := bench.Run(context.Background(), "muc", o)
	if err == nil || !strings.Contains(err.Error(), "service-unavailable") {
		t.Fatalf("want a service-unavailable error, got %v", err)
	}
}

// MUC steps get rows per rate and the best unsaturated step per room
// shape (prosody's 2000/s step has a p99 over 500 ms).
func TestTableMUC(t *testing.T) {
	lines := ""
	for _, s := range []struct {
		name      string
		rate, dps int
		p99       float64
	}{{"parley", 1000, 20000, 3}, {"parley", 2000, 39000, 3}, {"prosody", 1000, 19000, 3}, {"prosody", 2000, 30000, 900}} {
		lines += fmt.Sprintf(`{"server":%q,"scenario":"muc","users":200,"rooms":10,"occupants":20,"rate":%d,"sent":%d,"expected":%d,"delivered_per_sec":%d,"p99_ms":%g}`+"\n",
			s.name, s.rate, s.rate, 20*s.rate, s.dps, s.p99)
	}
	rs, err := bench.ReadResults(strings.NewReader(lines))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	bench.Table(&out, rs, []string{"parley", "prosody"})
	for _, want := range []string{
		"| muc 10 rooms x 20 occupants @ 1000 msgs/s: deliveries/s ↑ | 20000 | 19000 | 1.05 |",
		"| muc 10 rooms x 20 occupants @ 2000 msgs/s: deliveries/s ↑ | 39000 | 30000 | 1.30 |",
		"| muc 10 rooms x 20 occupants: best deliveries/s of an unsaturated step ↑ | 39000 | 19000 | 2.05 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("no %q in table:\n%s", want, out.String())
		}
	}
}
