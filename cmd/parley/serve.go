package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/server"
	"github.com/parley-im/parley/store"
)

// configFlags are the flags every command that touches the data shares.
type configFlags struct {
	configFile string
	dataDir    string
}

func (f *configFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.configFile, "config", "", "configuration file (parley.toml)")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "data directory (overrides data_dir)")
}

// load reads the configuration: defaults < file < PARLEY_* environment
// < flags.
func (f *configFlags) load(apply func(*config.Config)) (config.Config, error) {
	cfg, err := config.Load(f.configFile)
	if err != nil {
		return cfg, err
	}
	if f.dataDir != "" {
		cfg.DataDir = f.dataDir
	}
	if apply != nil {
		apply(&cfg)
	}
	return cfg, cfg.Validate()
}

// openStore loads the configuration and opens its store, for the
// subcommands that work on the server's data (user, import, export,
// bench --provision); the caller closes the store. The domains they
// accept include those the servers recorded in the data directory and
// in the store (useServedDomains).
func (f *configFlags) openStore(ctx context.Context) (store.Store, config.Config, error) {
	cfg, err := f.load(nil)
	if err != nil {
		return nil, cfg, err
	}
	st, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return nil, cfg, err
	}
	if err := useServedDomains(ctx, &cfg, f.configFile, st); err != nil {
		st.Close()
		return nil, cfg, err
	}
	return st, cfg, nil
}

// storeCommand makes cmd run on the configured store: it adds the
// --config and --data-dir flags, and its RunE opens the store, calls run
// and closes it. For the subcommands that work on the server's data
// (user, room, site), also while it runs.
func storeCommand(cmd *cobra.Command, run func(ctx context.Context, cmd *cobra.Command, st store.Store, cfg config.Config, args []string) error) *cobra.Command {
	var cf configFlags
	cmd.RunE = func(c *cobra.Command, args []string) error {
		ctx := cmdContext(c)
		st, cfg, err := cf.openStore(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		return run(ctx, c, st, cfg, args)
	}
	cf.register(cmd)
	return cmd
}

func serveCmd() *cobra.Command {
	var (
		cf                        configFlags
		domains                   []string
		c2sListen                 string
		c2sTLSListen              string
		httpListen, httpTLSListen string
		s2sListen, s2sTLSListen   string
		allowPlaintext            bool
		logLevel                  string
		pprofAddr                 string
		natsListen                string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := cf.load(func(c *config.Config) {
				fl := cmd.Flags()
				if fl.Changed("domain") {
					c.Hosts = domains
				}
				if fl.Changed("c2s-listen") {
					c.C2S.Listen = c2sListen
				}
				if fl.Changed("c2s-tls-listen") {
					c.C2S.TLSListen = c2sTLSListen
				}
				if fl.Changed("http-listen") {
					c.HTTP.Listen = httpListen
				}
				if fl.Changed("http-tls-listen") {
					c.HTTP.TLSListen = httpTLSListen
				}
				if fl.Changed("s2s-listen") {
					c.S2S.Listen = s2sListen
				}
				if fl.Changed("s2s-tls-listen") {
					c.S2S.TLSListen = s2sTLSListen
				}
				if fl.Changed("allow-plaintext") {
					c.C2S.AllowPlaintext = allowPlaintext
				}
				if fl.Changed("log-level") {
					c.Log.Level = logLevel
				}
				if fl.Changed("nats-listen") {
					c.NATS.Listen = natsListen
				}
			})
			if err != nil {
				return err
			}
			return serve(cfg, pprofAddr)
		},
	}
	cf.register(cmd)
	fl := cmd.Flags()
	fl.StringSliceVar(&domains, "domain", nil, "XMPP domain(s) to serve (repeat or comma-separate; overrides hosts)")
	fl.StringVar(&c2sListen, "c2s-listen", "", "client listener with STARTTLS (host:port, empty disables)")
	fl.StringVar(&c2sTLSListen, "c2s-tls-listen", "", "client listener with direct TLS, XEP-0368 (host:port, empty disables)")
	fl.StringVar(&httpListen, "http-listen", "", "HTTP listener for /healthz, /metrics, WebSocket and BOSH (host:port, empty disables)")
	fl.StringVar(&httpTLSListen, "http-tls-listen", "", "HTTPS listener, same endpoints (host:port, empty disables)")
	fl.StringVar(&s2sListen, "s2s-listen", "", "server-to-server listener with STARTTLS (host:port, empty disables incoming federation on it)")
	fl.StringVar(&s2sTLSListen, "s2s-tls-listen", "", "server-to-server listener with direct TLS, XEP-0368 (host:port, empty disables)")
	fl.BoolVar(&allowPlaintext, "allow-plaintext", false, "allow client streams without TLS (loopback tests and benchmarks only)")
	fl.StringVar(&logLevel, "log-level", "", "debug, info, warn or error")
	fl.StringVar(&natsListen, "nats-listen", "", "embedded NATS server's listener (host:port, port 0 for a free one; empty disables the bus)")
	fl.StringVar(&pprofAddr, "pprof", "", "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060; off by default")
	return cmd
}

func serve(cfg config.Config, pprofAddr string) error {
	log := newLogger(cfg)
	slog.SetDefault(log)
	if pprofAddr != "" {
		if err := startPprof(pprofAddr, log); err != nil {
			return err
		}
	}
	if cfg.C2S.AllowPlaintext {
		log.Warn("plaintext client streams are allowed: passwords and messages may cross the network unencrypted")
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	srv := server.New(cfg, log)
	if err := srv.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	stopCtx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	return srv.Stop(stopCtx)
}

func newLogger(cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
