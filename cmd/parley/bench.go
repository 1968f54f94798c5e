package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/bench"
	"github.com/parley-im/parley/server"
)

func benchCmd() *cobra.Command {
	var (
		cf        configFlags
		o         bench.Options
		provision bool
		jsonOut   bool
	)
	cmd := &cobra.Command{
		Use:   "bench login|idle|chat",
		Short: "Load generator: log in many users over loopback and measure a scenario",
		Long: `Load generator for Parley (and any XMPP server allowing plaintext SCRAM-SHA-256 logins).

Scenarios:
  login  connect and log in --users accounts (--concurrency at a time)
  idle   log in, stay connected for --duration; with --server-pid, RSS per connection
  chat   log in, then send --rate chat messages per second in total between random
         users for --duration; report delivered/s, loss and latency percentiles

The server must allow plaintext streams on loopback (parley serve --allow-plaintext)
and have the accounts <prefix>0..N-1@domain; --provision creates them in the
server's data directory first (the server may be running).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer cancel()
			if provision {
				if err := provisionUsers(ctx, cf, o); err != nil {
					return err
				}
			}
			o.Out = cmd.OutOrStdout()
			if jsonOut {
				o.JSON = cmd.OutOrStdout()
			}
			_, err := bench.Run(ctx, args[0], o)
			return err
		},
	}
	cf.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.Addr, "addr", "127.0.0.1:5222", "server client address")
	fl.StringVar(&o.Domain, "domain", "localhost", "XMPP domain of the accounts")
	fl.IntVar(&o.Users, "users", 100, "number of accounts to log in")
	fl.StringVar(&o.UserPrefix, "user-prefix", "bench", "accounts are <prefix><n>@<domain>")
	fl.StringVar(&o.Password, "password", "bench", "password of every account")
	fl.IntVar(&o.Concurrency, "concurrency", 50, "logins in flight at once")
	fl.IntVar(&o.Rate, "rate", 1000, "chat: messages per second in total")
	fl.DurationVar(&o.Duration, "duration", 10*time.Second, "chat and idle: how long to run")
	fl.IntVar(&o.ServerPID, "server-pid", 0, "pid of the server, to report its CPU time and RSS from /proc")
	fl.BoolVar(&provision, "provision", false, "create missing accounts first (with --data-dir or --config of the server)")
	fl.BoolVar(&jsonOut, "json", false, "also print the result as one JSON line")
	return cmd
}

// provisionUsers creates the bench accounts that do not exist yet,
// deriving SCRAM keys on every core.
func provisionUsers(ctx context.Context, cf configFlags, o bench.Options) error {
	cfg, err := cf.load(nil)
	if err != nil {
		return err
	}
	st, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	m := &account.Manager{Users: st}
	start := time.Now()
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				err := m.Add(ctx, o.UserPrefix+strconv.Itoa(i)+"@"+o.Domain, o.Password)
				if err != nil && !errors.Is(err, account.ErrExists) {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < o.Users && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	fmt.Printf("provisioned %d accounts in %v\n", o.Users, time.Since(start).Round(time.Millisecond))
	return firstErr
}
