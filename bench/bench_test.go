package bench_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/bench"
	"github.com/parley-im/parley/internal/xmpptest"
)

// The generator logs users in, delivers every message it sends and
// reports what it measured. Rates here are tiny: this checks the tool,
// not the server's speed.
func TestChatScenario(t *testing.T) {
	srv := xmpptest.RunServer(t)
	for i := range 10 {
		srv.AddUser(fmt.Sprintf("load%d@localhost", i), "pw")
	}
	var out strings.Builder
	r, err := bench.Run(context.Background(), "chat", bench.Options{
		Addr: srv.Addr("c2s").String(), Domain: "localhost", Users: 10, UserPrefix: "load", Password: "pw",
		Concurrency: 5, Rate: 200, Duration: 500 * time.Millisecond, Out: &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Logins != 10 || r.Sent == 0 || r.Lost != 0 || r.Delivered != uint64(r.Sent) || r.P99ms <= 0 {
		t.Fatalf("result %+v", r)
	}
	if !strings.Contains(out.String(), "delivered") {
		t.Fatalf("table: %s", out.String())
	}
}

func TestLoginFailureIsReported(t *testing.T) {
	srv := xmpptest.RunServer(t)
	_, err := bench.Run(context.Background(), "login", bench.Options{
		Addr: srv.Addr("c2s").String(), Domain: "localhost", Users: 1, UserPrefix: "missing", Password: "pw", Concurrency: 1,
	})
	if err == nil || !strings.Contains(err.Error(), "not-authorized") {
		t.Fatalf("want a not-authorized error, got %v", err)
	}
}
