package s2s

import (
	"bytes"
	"crypto/x509"
	"testing"

	"github.com/parley-im/parley/internal/testca"
)

// A certificate may name the domain as an XmppAddr only (RFC 6120
// §13.7.1.4), which Go's x509 package does not read.
func TestXmppAddr(t *testing.T) {
	ca := testca.New(t)
	issued := ca.IssueWith(t, testca.Options{XmppAddrs: []string{"b.test"}, DNSNames: []string{"other.test"}})
	leaf, err := x509.ParseCertificate(issued.TLS.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := xmppAddrs(leaf); len(got) != 1 || got[0] != "b.test" {
		t.Fatalf("xmppAddrs = %q", got)
	}
	if !certNames(leaf, "b.test") || !certNames(leaf, "other.test") || certNames(leaf, "c.test") {
		t.Fatal("certNames with an XmppAddr and a DNS name")
	}
	s := New(Config{Local: func(string) bool { return false }, RootCAs: ca.Pool(), TrustedDomains: []string{"trusted.test"}})
	defer s.Stop(t.Context())
	if err := s.verifyPeer([]*x509.Certificate{leaf}, "b.test"); err != nil {
		t.Fatalf("verifyPeer: %v", err)
	}
	for domain, want := range map[string]bool{"trusted.test": true, "conference.trusted.test": true, "untrusted.test": false, "test": false} {
		if got := s.isTrusted(domain); got != want {
			t.Errorf("isTrusted(%s) = %v", domain, got)
		}
	}
}

// FuzzXmppAddrs: whatever a peer's certificate carries in its
// subjectAltName, reading it never panics and yields only what the
// extension holds.
func FuzzXmppAddrs(f *testing.F) {
	ca := testca.New(f)
	issued := ca.IssueWith(f, testca.Options{XmppAddrs: []string{"b.test", "ü.test"}, DNSNames: []string{"x.test"}})
	leaf, _ := x509.ParseCertificate(issued.TLS.Certificate[0])
	for _, ext := range leaf.Extensions {
		if ext.Id.Equal(oidSubjectAltName) {
			f.Add(ext.Value)
		}
	}
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x03, 0xa0, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		for _, a := range parseXmppAddrs(der) {
			if !bytes.Contains(der, []byte(a)) {
				t.Fatalf("an address its input does not hold: %q", a)
			}
		}
	})
}
