package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/datadir"
	"github.com/parley-im/parley/xmpp/jid"
)

// useServedDomains makes cfg.Hosts the domains a command working on the
// data directory accepts: those the server recorded there at its last
// start (`parley serve --domain example.com` is enough for `parley user
// add alice@example.com`), plus any that this command's own
// configuration names (a file or PARLEY_HOSTS), so that a domain added
// to the configuration is accepted before the server restarts. With no
// record and no configured hosts, the default (localhost) stays.
func useServedDomains(cfg *config.Config, configFile string) error {
	recorded, err := datadir.ReadDomains(cfg.DataDir)
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

// notServed explains that domain is not one the server serves from the
// data directory, and how to change that.
func notServed(cfg config.Config, domain string) string {
	dataFlag := ""
	if filepath.Clean(cfg.DataDir) != filepath.Clean(config.Default().DataDir) {
		dataFlag = " --data-dir " + cfg.DataDir
	}
	served := strings.Join(cfg.Hosts, ", ")
	all := strings.Join(append(slices.Clone(cfg.Hosts), domain), ",")
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
