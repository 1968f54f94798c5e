// Package account manages user accounts: it turns passwords into the
// SCRAM credentials the store keeps (SHA-1 and SHA-256; the password
// itself is never stored) and validates the addresses.
package account

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/sasl"
)

// Errors callers can test for.
var (
	ErrInvalidJID     = errors.New("account: invalid address: expected user@domain")
	ErrUnknownDomain  = errors.New("account: domain not served by this server")
	ErrEmptyPassword  = errors.New("account: empty password")
	ErrExists         = errors.New("account: already exists")
	ErrNotFound       = errors.New("account: no such account")
	ErrPasswordLength = errors.New("account: password longer than 1023 bytes")
)

// Manager creates and changes accounts in a store.
type Manager struct {
	Users      store.Users
	IsLocal    func(domain string) bool // nil accepts any domain
	Iterations int                      // PBKDF2 iterations; 0 means sasl.DefaultIterations
}

// Parse validates a bare account address.
func (m *Manager) Parse(address string) (jid.JID, error) {
	j, err := jid.Parse(address)
	if err != nil || j.Local() == "" || !j.IsBare() {
		return jid.JID{}, ErrInvalidJID
	}
	if m.IsLocal != nil && !m.IsLocal(j.Domain()) {
		return jid.JID{}, fmt.Errorf("%w: %s", ErrUnknownDomain, j.Domain())
	}
	return j, nil
}

// Add creates an account.
func (m *Manager) Add(ctx context.Context, address, password string) error {
	j, err := m.Parse(address)
	if err != nil {
		return err
	}
	s1, s256, err := m.credentials(password)
	if err != nil {
		return err
	}
	err = m.Users.CreateUser(ctx, store.User{JID: j.String(), SHA1: s1, SHA256: s256, CreatedAt: time.Now().UTC()})
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("%w: %s", ErrExists, j)
	}
	return err
}

// entityTokens is the part of store.Tokens that SetPassword needs; the
// stores implement it alongside store.Users.
type entityTokens interface {
	DeleteEntityTokens(ctx context.Context, entityType, entityID string) (int64, error)
}

// webSessions is the part of store.WebSessions that SetPassword needs.
type webSessions interface {
	DeleteWebSessions(ctx context.Context, owner string) (int64, error)
}

// SetPassword replaces an account's credentials and ends the
// integration tokens issued to the account and its sign-ins on Parley's
// web pages (whoever knew the old password may hold them), if the store
// keeps them. The caller ends the account's XMPP sessions, which only a
// running server holds. The credentials
// are stored first: the authentication service refuses a token whose
// password check saw credentials that are no longer stored, so no token
// obtained with the old password survives, even one being issued
// concurrently.
func (m *Manager) SetPassword(ctx context.Context, address, password string) error {
	j, err := m.Parse(address)
	if err != nil {
		return err
	}
	s1, s256, err := m.credentials(password)
	if err != nil {
		return err
	}
	err = m.Users.SetCredentials(ctx, j.String(), s1, s256)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNotFound, j)
	}
	if err != nil {
		return err
	}
	if tk, ok := m.Users.(entityTokens); ok {
		if _, err := tk.DeleteEntityTokens(ctx, store.EntityUser, j.String()); err != nil {
			return fmt.Errorf("account: password changed, but ending its integration tokens failed: %w", err)
		}
	}
	if ws, ok := m.Users.(webSessions); ok {
		if _, err := ws.DeleteWebSessions(ctx, j.String()); err != nil {
			return fmt.Errorf("account: password changed, but ending its web sign-ins failed: %w", err)
		}
	}
	return nil
}

// Remove deletes an account and everything it owns, its integration
// tokens included (the store's DeleteUser ends them).
func (m *Manager) Remove(ctx context.Context, address string) error {
	j, err := m.Parse(address)
	if err != nil {
		return err
	}
	err = m.Users.DeleteUser(ctx, j.String())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNotFound, j)
	}
	return err
}

func (m *Manager) credentials(password string) (store.SCRAMCredential, store.SCRAMCredential, error) {
	var zero store.SCRAMCredential
	if password == "" {
		return zero, zero, ErrEmptyPassword
	}
	if len(password) > 1023 {
		return zero, zero, ErrPasswordLength
	}
	it := m.Iterations
	if it == 0 {
		it = sasl.DefaultIterations
	}
	c1, err := sasl.NewCredential(sha1.New, password, it)
	if err != nil {
		return zero, zero, err
	}
	c256, err := sasl.NewCredential(sha256.New, password, it)
	if err != nil {
		return zero, zero, err
	}
	return toStore(c1), toStore(c256), nil
}

func toStore(c sasl.Credential) store.SCRAMCredential {
	return store.SCRAMCredential{Salt: c.Salt, Iterations: c.Iterations, StoredKey: c.StoredKey, ServerKey: c.ServerKey}
}
