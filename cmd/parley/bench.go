package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/bench"
)

func benchCmd() *cobra.Command {
	var (
		cf                           configFlags
		o                            bench.Options
		provision, jsonOut           bool
		rates                        []int
		rosterUsers                  int
		prosodyDir, piefxis, servers string
	)
	cmd := &cobra.Command{
		Use:   "bench login|idle|chat|presence|muc|provision|table",
		Short: "Load generator: log in many users over loopback and measure a scenario",
		Long: `Load generator for Parley (and any XMPP server allowing plaintext logins).

Scenarios:
  login     connect and log in --users accounts (--concurrency at a time)
  idle      log in --users accounts in steps (--procs processes when > 1), hold them for
            --duration; with --server-pid, server RSS per connection and its slope
  chat      send --rate chat messages per second in total between random users for
            --duration (or each of --rates in turn up to saturation); delivered/s, loss,
            latency percentiles from the send time carried in every body
  presence  every user (with --contacts contacts online) broadcasts presence in turn,
            --rate (or --rates) broadcasts per second in total; deliveries/s and latency
  muc       --rooms rooms of --occupants users each (XEP-0045 on --muc-service; the first
            occupant creates and unlocks each room), --rate (or --rates) groupchat messages
            per second in total, every occupant in turn; each is reflected to every occupant
            (sender included): deliveries/s, loss, latency. --users is rooms x occupants

Tools:
  provision  create <prefix>0..N-1 with rosters (a ring: --contacts mutual contacts each,
             for the first --roster-users users) in Parley's store (--data-dir/--config),
             and/or as Prosody data files (--prosody-dir) or a XEP-0227 file (--piefxis)
  table      print the comparison table from JSON lines files (--servers parley,...)

Logins use SASL PLAIN when the server offers it and SCRAM-SHA-256 otherwise
(--mechanism); Parley never offers PLAIN on a plaintext stream. --sources N spreads
the connections over loopback source addresses 127.0.0.2 .. 127.0.0.N+1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer cancel()
			if args[0] == "muc" {
				o.Users = o.Rooms * o.Occupants // also what --provision creates
			}
			pop := bench.Population{Domain: o.Domain, Prefix: o.UserPrefix, Password: o.Password,
				Users: o.Users, RosterUsers: rosterUsers, Contacts: o.Contacts}
			o.Rates = rates
			o.Out = cmd.OutOrStdout()
			if jsonOut {
				o.JSON = cmd.OutOrStdout()
			}
			switch args[0] {
			case "provision":
				return provisionAll(ctx, cf, pop, prosodyDir, piefxis)
			case "table":
				return benchTable(cmd, args[1:], servers)
			case "hold":
				return bench.Hold(ctx, o, os.Stdin, os.Stdout)
			}
			if len(args) != 1 {
				return errors.New("one scenario expected")
			}
			if provision {
				if err := provisionAll(ctx, cf, pop, "", ""); err != nil {
					return err
				}
			}
			if args[0] == "idle" && o.Procs > 1 {
				r, err := bench.Idle(ctx, o, childSpawn(o))
				if err == nil {
					bench.Report(o, r)
				}
				return err
			}
			_, err := bench.Run(ctx, args[0], o)
			return err
		},
	}
	cf.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.Addr, "addr", "127.0.0.1:5222", "server client address")
	fl.StringVar(&o.Domain, "domain", "localhost", "XMPP domain of the accounts")
	fl.IntVar(&o.Users, "users", 100, "number of accounts")
	fl.IntVar(&o.Offset, "offset", 0, "number of the first account")
	fl.StringVar(&o.UserPrefix, "user-prefix", "bench", "accounts are <prefix><n>@<domain>")
	fl.StringVar(&o.Password, "password", "bench", "password of every account")
	fl.StringVar(&o.Mechanism, "mechanism", bench.MechAuto, "SASL mechanism: auto (PLAIN if offered), PLAIN or SCRAM-SHA-256")
	fl.BoolVar(&o.TLS, "tls", false, "STARTTLS before logging in (certificate not checked)")
	fl.IntVar(&o.Sources, "sources", 0, "spread connections over this many loopback source addresses (127.0.0.2, ...)")
	fl.IntVar(&o.Concurrency, "concurrency", 50, "logins in flight at once")
	fl.IntVar(&o.Rate, "rate", 1000, "chat, presence, muc: stanzas per second in total")
	fl.IntSliceVar(&rates, "rates", nil, "chat, presence, muc: run a step at each rate (e.g. 10000,20000,40000), stop after the first saturated one")
	fl.DurationVar(&o.Duration, "duration", 10*time.Second, "chat, presence, muc, idle: how long to run (per step)")
	fl.IntVar(&o.Contacts, "contacts", 10, "presence, provision: contacts per user (even)")
	fl.IntVar(&o.Rooms, "rooms", 10, "muc: number of rooms")
	fl.IntVar(&o.Occupants, "occupants", 20, "muc: occupants per room (one connection each)")
	fl.StringVar(&o.MUCService, "muc-service", "", "muc: the rooms' domain (default conference.<domain>)")
	fl.IntVar(&rosterUsers, "roster-users", 0, "provision: give rosters to the first N users (default all)")
	fl.IntVar(&o.Procs, "procs", 1, "idle: processes holding the connections (each one step)")
	fl.StringVar(&o.Label, "label", "", "server name written into the results (parley, ejabberd, prosody)")
	fl.IntVar(&o.ServerPID, "server-pid", 0, "pid of the server, to report its CPU time and RSS from /proc")
	fl.IntSliceVar(&o.ClusterPIDs, "cluster-pids", nil, "pids of the server's other cluster nodes: their CPU time and RSS add to --server-pid's")
	fl.BoolVar(&provision, "provision", false, "create missing accounts first (with --data-dir or --config of the server)")
	fl.BoolVar(&jsonOut, "json", false, "also print each result as one JSON line")
	fl.StringVar(&prosodyDir, "prosody-dir", "", "provision: write Prosody internal-storage files into this data directory")
	fl.StringVar(&piefxis, "piefxis", "", "provision: write a XEP-0227 file (for ejabberdctl import_piefxis)")
	fl.StringVar(&servers, "servers", "parley,ejabberd,prosody", "table: server columns, the first is compared to the others")
	return cmd
}

// childSpawn runs each idle step in a `parley bench hold` child, so that
// no generator process needs more open files than its limit.
func childSpawn(o bench.Options) bench.Spawn {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return bench.ProcessSpawn(func(offset, n int) []string {
		return []string{exe, "bench", "hold", "--addr", o.Addr, "--domain", o.Domain,
			"--user-prefix", o.UserPrefix, "--password", o.Password, "--mechanism", o.Mechanism,
			"--sources", strconv.Itoa(o.Sources), "--concurrency", strconv.Itoa(o.Concurrency),
			"--offset", strconv.Itoa(offset), "--users", strconv.Itoa(n), "--tls=" + strconv.FormatBool(o.TLS)}
	})
}

// provisionAll writes the population where asked: Parley's store when
// --data-dir or --config is given, Prosody files, a XEP-0227 file.
func provisionAll(ctx context.Context, cf configFlags, p bench.Population, prosodyDir, piefxis string) error {
	if p.RosterUsers == 0 {
		p.RosterUsers = p.Users
	}
	start := time.Now()
	if prosodyDir != "" {
		if err := bench.WriteProsody(prosodyDir, p); err != nil {
			return err
		}
	}
	if piefxis != "" {
		f, err := os.Create(piefxis)
		if err != nil {
			return err
		}
		err = bench.WritePIEFXIS(f, p)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if cf.dataDir != "" || cf.configFile != "" {
		st, _, err := cf.openStore(ctx)
		if err != nil {
			return err
		}
		err = bench.ProvisionParley(ctx, st, p)
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	fmt.Printf("provisioned %d accounts (%d with %d contacts) in %v\n", p.Users, p.RosterUsers, p.Contacts, time.Since(start).Round(time.Millisecond))
	return nil
}

func benchTable(cmd *cobra.Command, files []string, servers string) error {
	var all []bench.Result
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		rs, err := bench.ReadResults(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		all = append(all, rs...)
	}
	bench.Table(cmd.OutOrStdout(), all, strings.Split(servers, ","))
	return nil
}
