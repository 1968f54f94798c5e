package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/datadir"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

// useServedDomains makes cfg.Hosts the domains a command working on the
// server's data accepts: those the server recorded at its last start
// (`parley serve --domain example.com` is enough for `parley user add
// alice@example.com`), plus any that this command's own configuration
// names (a file or PARLEY_HOSTS), so that a domain added to the
// configuration is accepted before the server restarts. With no record
// and no configured hosts, the default (localhost) stays.
//
// A server records its domains in its data directory and in the store
// (st, nil for none): the nodes of a cluster share the store, so on
// PostgreSQL the commands need no node's data directory.
func useServedDomains(ctx context.Context, cfg *config.Config, configFile string, st store.Nodes) error {
	recorded, err := recordedDomains(ctx, *cfg, st)
	if err != nil {
		return fmt.Errorf("read the served domains: %w", err)
	}
	if len(recorded) == 0 {
		return nil
	}
	hosts := recorded
	if config.HostsSet(configFile) {
		hosts = slices.Clone(cfg.Hosts)
		for _, h := range recorded {
			if !slices.Contains(hosts, h) {
				hosts = append(hosts, h)
			}
		}
	}
	cfg.Hosts = hosts
	return cfg.Validate()
}

// recordedDomains are the domains recorded in the data directory and,
// with st, in the store.
func recordedDomains(ctx context.Context, cfg config.Config, st store.Nodes) ([]string, error) {
	recorded, err := datadir.ReadDomains(cfg.DataDir)
	if err != nil || st == nil {
		return recorded, err
	}
	shared, err := st.ServedDomains(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range shared {
		if !slices.Contains(recorded, d) {
			recorded = append(recorded, d)
		}
	}
	return recorded, nil
}

// notServed explains that domain is not one the server serves from the
// data directory (or, on PostgreSQL, that no node serves), and how to
// change that.
func notServed(cfg config.Config, domain string) string {
	dataFlag := ""
	if filepath.Clean(cfg.DataDir) != filepath.Clean(config.Default().DataDir) {
		dataFlag = " --data-dir " + cfg.DataDir
	}
	served := strings.Join(cfg.Hosts, ", ")
	all := strings.Join(append(slices.Clone(cfg.Hosts), domain), ",")
	if cfg.Storage.Driver == "postgres" {
		return fmt.Sprintf("%s is not served by this server: the servers on this database serve %s (as they recorded in it at their last start).\n"+
			"To serve %s, restart the servers with it: add it to hosts in their configuration (or PARLEY_HOSTS=%s, or parley serve --domain %s); then run this command again.",
			domain, served, domain, all, all)
	}
	if recorded, _ := datadir.ReadDomains(cfg.DataDir); len(recorded) > 0 {
		return fmt.Sprintf("%s is not served by this server: it serves %s (as the server recorded in %s at its last start).\n"+
			"To serve %s, restart the server with it: parley serve%s --domain %s "+
			"(or add it to hosts in the server's configuration file, or PARLEY_HOSTS); then run this command again.",
			domain, served, filepath.Join(cfg.DataDir, datadir.DomainsFile), domain, dataFlag, all)
	}
	return fmt.Sprintf("%s is not served by this server: no server has started on data directory %s yet, and the configuration names %s.\n"+
		"Start the server once with the domain (parley serve%s --domain %s), or name it in this command's configuration "+
		"(--config FILE with hosts = [\"%s\"], or PARLEY_HOSTS=%s); then run this command again.",
		domain, cfg.DataDir, served, dataFlag, domain, domain, domain)
}

// explainDomain replaces an account error about the domain of address
// not being served with notServed's explanation.
func explainDomain(cfg config.Config, address string, err error) error {
	if !errors.Is(err, account.ErrUnknownDomain) {
		return err
	}
	j, perr := jid.Parse(address)
	if perr != nil {
		return err
	}
	return errors.New(notServed(cfg, j.Domain()))
}
