package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// loadOrCreateCertificate returns the configured certificate, or a
// self-signed one for hosts kept in dataDir (created on first start,
// re-created when the host list changed or it is about to expire).
func loadOrCreateCertificate(certFile, keyFile, dataDir string, hosts []string) (tls.Certificate, bool, error) {
	if certFile != "" || keyFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return c, false, fmt.Errorf("tls: load %s / %s: %w", certFile, keyFile, err)
		}
		return c, false, nil
	}
	certFile = filepath.Join(dataDir, "selfsigned.crt")
	keyFile = filepath.Join(dataDir, "selfsigned.key")
	if c, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil && certCovers(c, hosts) {
		return c, true, nil
	}
	if err := writeSelfSigned(certFile, keyFile, hosts); err != nil {
		return tls.Certificate{}, true, err
	}
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	return c, true, err
}

func certCovers(c tls.Certificate, hosts []string) bool {
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil || time.Until(leaf.NotAfter) < 30*24*time.Hour {
		return false
	}
	for _, h := range hosts {
		if !slices.Contains(leaf.DNSNames, h) && leaf.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func writeSelfSigned(certFile, keyFile string, hosts []string) error {
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("tls: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return fmt.Errorf("tls: serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0], Organization: []string{"Parley self-signed"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(825 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			// XMPP clients check the domain; the wildcard covers
			// conference.<host> and other service subdomains.
			tmpl.DNSNames = append(tmpl.DNSNames, h, "*."+h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("tls: create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("tls: marshal key: %w", err)
	}
	if err := writePEM(keyFile, "PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(certFile, "CERTIFICATE", der, 0o644)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("tls: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(fmt.Errorf("tls: write %s: %w", path, err), os.Remove(tmp))
	}
	return nil
}
