package s2s

import "errors"

// Errors of outgoing connections. Each failed attempt is one of them,
// wrapped with what happened.
var (
	// ErrNotFound: the domain has no XMPP server (no static host, SRV
	// or address record): stanzas bounce with remote-server-not-found.
	ErrNotFound = errors.New("s2s: no server found for the domain")
	// ErrTLSRequired: the other server offered no TLS, which is required.
	ErrTLSRequired = errors.New("s2s: the other server does not offer TLS")
	// ErrCertificate: the other server's certificate does not prove its
	// domain (untrusted, expired, or for another name).
	ErrCertificate = errors.New("s2s: certificate not valid for the domain")
	// ErrAuth: no authentication method succeeded (SASL EXTERNAL refused
	// and dialback refused or not offered).
	ErrAuth = errors.New("s2s: authentication failed")
	// ErrStopped: the service is stopping.
	ErrStopped = errors.New("s2s: stopped")
)
