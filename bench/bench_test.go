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
	if len(rs) != 2 {
		t.Fatalf("want 2 steps, got %d: %+v", len(rs), rs)
	}
	for _, r := range rs {
		if r.Logins != 10 || r.Sent == 0 || r.Lost != 0 || r.Delivered != uint64(r.Sent) || r.P99ms <= 0 || r.Server != "parley" {
			t.Fatalf("result %+v", r)
		}
	}
	if !strings.Contains(out.String(), "delivered") || strings.Count(js.String(), "\n") != 2 {
		t.Fatalf("table: %s\njson: %s", out.String(), js.String())
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
