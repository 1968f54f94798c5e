package s2s

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidXmppAddr       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 5} // id-on-xmppAddr, RFC 6120 §13.7.1.4
)

// verifyPeer checks that a server's certificate chain (leaf first)
// proves domain (RFC 6120 §13.7.2, XEP-0178): the leaf names it (a DNS
// name, wildcards allowed, or an XmppAddr), is within its validity
// period, and chains to a trusted root. For a trusted domain (or a
// subdomain of one) the chain is not required: self-signed and
// private-CA certificates are accepted there.
func (s *Service) verifyPeer(certs []*x509.Certificate, domain string) error {
	if len(certs) == 0 {
		return fmt.Errorf("%w: %s presented no certificate", ErrCertificate, domain)
	}
	leaf := certs[0]
	if !certNames(leaf, domain) {
		return fmt.Errorf("%w: the certificate does not name %s", ErrCertificate, domain)
	}
	if s.isTrusted(domain) {
		if now := time.Now(); now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
			return fmt.Errorf("%w: the certificate of %s is expired or not yet valid", ErrCertificate, domain)
		}
		return nil
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	// Any key usage: servers present their server certificate as client
	// certificate too, and many no longer carry clientAuth.
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: s.cfg.RootCAs, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCertificate, domain, err)
	}
	return nil
}

// isTrusted reports whether domain is in s2s.trusted_domains or a
// subdomain of one (conference.example.net of example.net).
func (s *Service) isTrusted(domain string) bool {
	for d := domain; d != ""; {
		if s.trusted[d] {
			return true
		}
		_, rest, ok := strings.Cut(d, ".")
		if !ok {
			break
		}
		d = rest
	}
	return false
}

// certNames reports whether a certificate names domain.
func certNames(leaf *x509.Certificate, domain string) bool {
	if leaf.VerifyHostname(domain) == nil {
		return true
	}
	for _, a := range xmppAddrs(leaf) {
		if strings.EqualFold(a, domain) {
			return true
		}
	}
	return false
}

// xmppAddrs returns the XmppAddr identities of a certificate.
func xmppAddrs(cert *x509.Certificate) []string {
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oidSubjectAltName) {
			return parseXmppAddrs(ext.Value)
		}
	}
	return nil
}

// parseXmppAddrs reads the id-on-xmppAddr otherNames of a DER
// subjectAltName extension (GeneralNames); malformed entries are
// skipped. Go's x509 package does not keep otherNames.
func parseXmppAddrs(der []byte) []string {
	var seq asn1.RawValue
	rest, err := asn1.Unmarshal(der, &seq)
	if err != nil || len(rest) > 0 || seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence || !seq.IsCompound {
		return nil
	}
	var out []string
	for in := seq.Bytes; len(in) > 0; {
		var gn asn1.RawValue
		if in, err = asn1.Unmarshal(in, &gn); err != nil {
			return out
		}
		// otherName [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
		if gn.Class != asn1.ClassContextSpecific || gn.Tag != 0 || !gn.IsCompound {
			continue
		}
		var oid asn1.ObjectIdentifier
		r, err := asn1.Unmarshal(gn.Bytes, &oid)
		if err != nil || !oid.Equal(oidXmppAddr) {
			continue
		}
		var val asn1.RawValue
		if _, err := asn1.Unmarshal(r, &val); err != nil || val.Class != asn1.ClassContextSpecific || val.Tag != 0 || !val.IsCompound {
			continue
		}
		// XmppAddr ::= UTF8String (RFC 6120 §13.7.1.4). asn1.Unmarshal
		// into a string would also take a T61String and convert it from
		// Latin-1: an address the certificate does not hold.
		var str asn1.RawValue
		if _, err := asn1.Unmarshal(val.Bytes, &str); err != nil || str.Class != asn1.ClassUniversal ||
			str.Tag != asn1.TagUTF8String || str.IsCompound || !utf8.Valid(str.Bytes) {
			continue
		}
		out = append(out, string(str.Bytes))
	}
	return out
}

// clientTLS is the TLS configuration of a connection to domain's
// server: its certificate is checked by verifyPeer, ours is offered as
// client certificate whatever authorities the server names.
func (s *Service) clientTLS(domain string, directTLS bool) *tls.Config {
	cfg := &tls.Config{
		ServerName: domain,
		MinVersion: tls.VersionTLS12,
		// Verified below, against the XMPP domain (not the SRV target
		// host name), with trusted domains' rules.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return s.verifyPeer(cs.PeerCertificates, domain)
		},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if len(s.cfg.Certificates) == 0 {
				return &tls.Certificate{}, nil
			}
			return &s.cfg.Certificates[0], nil
		},
	}
	if directTLS {
		cfg.NextProtos = []string{"xmpp-server"}
	}
	return cfg
}
