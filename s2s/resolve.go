package s2s

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Resolver is the DNS lookups federation needs; *net.Resolver is one.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (cname string, addrs []*net.SRV, err error)
	LookupHost(ctx context.Context, host string) (addrs []string, err error)
}

// target is one place to try for a domain's server.
type target struct {
	host      string // DNS name or IP literal
	port      int
	directTLS bool // XEP-0368: TLS from the first byte
}

func (t target) String() string {
	s := net.JoinHostPort(t.host, strconv.Itoa(t.port))
	if t.directTLS {
		s += " (direct TLS)"
	}
	return s
}

// targets lists where a domain's server may be found, best first
// (RFC 6120 §3.2, XEP-0368): the static map; else the SRV records of
// _xmpps-server._tcp and _xmpp-server._tcp merged by priority (direct
// TLS first on a tie, weights as the resolver ordered them); else the
// domain itself on port 5269. ErrNotFound when there is nothing at all.
func (s *Service) targets(ctx context.Context, domain string) ([]target, error) {
	if addr, ok := s.cfg.StaticHosts[domain]; ok {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("s2s: static host %q: %w", addr, err)
		}
		p, _ := strconv.Atoi(port)
		return []target{{host: host, port: p}}, nil
	}
	if strings.HasSuffix(domain, ".invalid") || domain == "invalid" {
		return nil, fmt.Errorf("%w: %s is reserved never to exist (RFC 6761)", ErrNotFound, domain)
	}
	type record struct {
		target
		prio uint16
	}
	var records []record
	explicitlyNone := 0
	for _, svc := range []struct {
		name      string
		directTLS bool
	}{{"xmpps-server", true}, {"xmpp-server", false}} {
		_, srvs, err := s.cfg.Resolver.LookupSRV(ctx, svc.name, "tcp", domain)
		if err != nil {
			var de *net.DNSError
			if !errors.As(err, &de) || !de.IsNotFound {
				s.log.Debug("SRV lookup failed", "domain", domain, "service", svc.name, "err", err)
			}
			continue
		}
		// A single record with target "." says the service is not
		// offered at all (RFC 2782).
		if len(srvs) == 1 && (srvs[0].Target == "." || srvs[0].Target == "") {
			explicitlyNone++
			continue
		}
		for _, r := range srvs {
			records = append(records, record{target{host: strings.TrimSuffix(r.Target, "."), port: int(r.Port), directTLS: svc.directTLS}, r.Priority})
		}
	}
	if len(records) > 0 {
		slices.SortStableFunc(records, func(a, b record) int { return int(a.prio) - int(b.prio) })
		out := make([]target, len(records))
		for i, r := range records {
			out[i] = r.target
		}
		return out, nil
	}
	if explicitlyNone == 2 {
		return nil, fmt.Errorf("%w: %s says it offers no XMPP service (SRV target \".\")", ErrNotFound, domain)
	}
	// No SRV records: the domain's own address records (RFC 6120
	// §3.2.2), checked now so that a domain without any is known as not
	// found rather than unreachable.
	if _, err := s.lookupHost(ctx, domain); err != nil {
		return nil, err
	}
	return []target{{host: domain, port: 5269}}, nil
}

// lookupHost returns the addresses of a target host; ErrNotFound when
// the name does not exist or has none.
func (s *Service) lookupHost(ctx context.Context, host string) ([]string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return []string{ip.String()}, nil
	}
	addrs, err := s.cfg.Resolver.LookupHost(ctx, host)
	var de *net.DNSError
	switch {
	case errors.As(err, &de) && de.IsNotFound:
		return nil, fmt.Errorf("%w: %s has no address", ErrNotFound, host)
	case err != nil:
		return nil, fmt.Errorf("s2s: resolve %s: %w", host, err)
	case len(addrs) == 0:
		return nil, fmt.Errorf("%w: %s has no address", ErrNotFound, host)
	}
	return addrs, nil
}
