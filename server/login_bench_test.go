package server_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/parley-im/parley/bench"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
)

// BenchmarkLoginStorm measures a whole client login with the default
// configuration (SQLite, archive on) over loopback TCP: stream,
// SCRAM-SHA-256, restart, bind, session, initial presence, with each
// user's 10-contact roster (a ring, as `parley bench provision` writes
// it). Logins run in rounds of up to loginPopulation users, 50 at a
// time, as `parley bench login` does (it is the client); each round's
// connections close when it ends, so the next round also pays for the
// previous one's session ends (unavailable broadcast, last presence
// written). One op is one login; cpu-µs/login is the whole process's
// CPU (server and client: the client's SCRAM key is derived once) per
// login.
func BenchmarkLoginStorm(b *testing.B) {
	const loginPopulation = 2000
	srv := xmpptest.RunServer(b, func(c *config.Config) {
		c.Storage.Driver = "sqlite" // the default (xmpptest uses memory)
		// The limits a load test from one loopback address must lift.
		c.Limits.MaxConnections, c.Limits.MaxConnectionsPerIP = 0, 0
		c.Limits.MaxPreloginConnections, c.Limits.MaxPreloginConnectionsPerIP = 0, 0
	})
	pop := bench.Population{Domain: "localhost", Prefix: "bench", Password: "bench",
		Users: loginPopulation, RosterUsers: loginPopulation, Contacts: 10}
	if err := bench.ProvisionParley(context.Background(), srv.Store(), pop); err != nil {
		b.Fatal(err)
	}
	opts := bench.Options{Addr: srv.Addr("c2s").String(), Domain: "localhost", UserPrefix: "bench",
		Password: "bench", Mechanism: bench.MechSCRAMSHA256, Concurrency: 50}
	// One warm-up round: statements prepared, caches and pools filled.
	opts.Users = min(loginPopulation, 200)
	if _, err := bench.Run(context.Background(), "login", opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	for done := 0; done < b.N; {
		opts.Users = min(loginPopulation, b.N-done)
		if _, err := bench.Run(context.Background(), "login", opts); err != nil {
			b.Fatal(err)
		}
		done += opts.Users
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / time.Duration(b.N)
	b.ReportMetric(float64(cpu.Nanoseconds())/1000, "cpu-µs/login")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
