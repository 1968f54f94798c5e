package manage

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/store"
)

// AccountStore is what Accounts reads and writes besides the account
// itself.
type AccountStore interface {
	store.Users
	store.PresenceSharing
	CalendarPrefs(ctx context.Context, owner string) (store.CalendarPrefs, error)
	SetCalendarPrefs(ctx context.Context, owner string, p store.CalendarPrefs) error
}

// Accounts manages user accounts.
type Accounts struct {
	Store   AccountStore
	IsLocal func(domain string) bool // nil accepts any domain
	// MinPasswordLength is the shortest password accepted, in
	// characters (0: any non-empty one).
	MinPasswordLength int
	// Iterations of the SCRAM keys (0: the default).
	Iterations int

	// Hooks of a running server (nil without one).
	//
	// BeforeRemove deletes what the server keeps for the account outside
	// the store's account rows (uploaded files); it fails the removal.
	BeforeRemove func(ctx context.Context, user string) error
	// Removed ends what a running server holds for a removed account
	// (its sessions, cached state).
	Removed func(ctx context.Context, user string)
	// PasswordChanged ends the account's XMPP sessions after its
	// password changed (integration tokens and web sign-ins are ended
	// with the change itself).
	PasswordChanged func(ctx context.Context, user string)
}

func (a *Accounts) manager() *account.Manager {
	return &account.Manager{Users: a.Store, IsLocal: a.IsLocal, Iterations: a.Iterations}
}

// Parse validates a bare account address of a served domain.
func (a *Accounts) Parse(address string) (string, error) {
	j, err := a.manager().Parse(address)
	if err != nil {
		return "", err
	}
	return j.String(), nil
}

func (a *Accounts) checkPassword(pw string) error {
	if a.MinPasswordLength > 0 && utf8.RuneCountInString(pw) < a.MinPasswordLength {
		return errorf(ErrShortPassword, "the password is too short: at least %d characters", a.MinPasswordLength)
	}
	return nil
}

// Add creates an account.
func (a *Accounts) Add(ctx context.Context, address, password string) (string, error) {
	user, err := a.Parse(address)
	if err != nil {
		return "", err
	}
	if err := a.checkPassword(password); err != nil {
		return "", err
	}
	return user, a.manager().Add(ctx, user, password)
}

// SetPassword replaces an account's password: its integration tokens and
// web sign-ins end with it, and a running server ends its sessions.
func (a *Accounts) SetPassword(ctx context.Context, address, password string) (string, error) {
	user, err := a.Parse(address)
	if err != nil {
		return "", err
	}
	if err := a.checkPassword(password); err != nil {
		return "", err
	}
	if err := a.manager().SetPassword(ctx, user, password); err != nil {
		return "", err
	}
	if a.PasswordChanged != nil {
		a.PasswordChanged(ctx, user)
	}
	return user, nil
}

// Remove deletes an account and everything it owns; a running server
// also deletes its uploads and ends its sessions.
func (a *Accounts) Remove(ctx context.Context, address string) (string, error) {
	user, err := a.Parse(address)
	if err != nil {
		return "", err
	}
	if _, err := a.Store.User(ctx, user); errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: %s", account.ErrNotFound, user)
	} else if err != nil {
		return "", err
	}
	if a.BeforeRemove != nil {
		if err := a.BeforeRemove(ctx, user); err != nil {
			return "", fmt.Errorf("remove %s: %w", user, err)
		}
	}
	err = a.manager().Remove(ctx, user)
	if err != nil && !errors.Is(err, account.ErrNotFound) {
		return "", err
	}
	if a.Removed != nil {
		a.Removed(ctx, user)
	}
	return user, err
}

// List returns the accounts of domain ("" for all), sorted.
func (a *Accounts) List(ctx context.Context, domain string) ([]string, error) {
	return a.Store.ListUsers(ctx, domain)
}

// Exists reports whether an account exists.
func (a *Accounts) Exists(ctx context.Context, user string) (bool, error) {
	_, err := a.Store.User(ctx, user)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// OnOff parses the "on" or "off" of the CLI.
func OnOff(s string) (bool, error) {
	switch s {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, errorf(ErrInvalid, "the second argument must be on or off, not %q", s)
}

// SetSharePresence records a user's opt-in to publishing their presence
// on the web (the presence endpoints and the widget's anonymous view).
func (a *Accounts) SetSharePresence(ctx context.Context, address string, on bool) (string, error) {
	user, err := a.Parse(address)
	if err != nil {
		return "", err
	}
	if err := a.Store.SetPresenceSharing(ctx, user, on); errors.Is(err, store.ErrNotFound) {
		return "", errorf(ErrNotFound, "no account %s", user)
	} else if err != nil {
		return "", err
	}
	return user, nil
}

// SetReminders turns a user's calendar reminders on or off.
func (a *Accounts) SetReminders(ctx context.Context, address string, on bool) (string, error) {
	user, err := a.Parse(address)
	if err != nil {
		return "", err
	}
	if ok, err := a.Exists(ctx, user); err != nil {
		return "", err
	} else if !ok {
		return "", errorf(ErrNotFound, "no account %s", user)
	}
	p, err := a.Store.CalendarPrefs(ctx, user)
	if err != nil {
		return "", err
	}
	p.Reminders = store.RemindersOff
	if on {
		p.Reminders = store.RemindersOn
	}
	if err := a.Store.SetCalendarPrefs(ctx, user, p); errors.Is(err, store.ErrNotFound) {
		return "", errorf(ErrNotFound, "no account %s", user)
	} else if err != nil {
		return "", err
	}
	return user, nil
}

// Preferences are a user's web-visible opt-ins.
type Preferences struct {
	SharePresence bool
	// Reminders is store.RemindersOn, RemindersOff or "" (never chosen:
	// the server's calendar.reminders_default applies).
	Reminders string
}

// Preferences reads a user's opt-ins.
func (a *Accounts) Preferences(ctx context.Context, user string) (Preferences, error) {
	share, err := a.Store.PresenceShared(ctx, user)
	if err != nil {
		return Preferences{}, err
	}
	cal, err := a.Store.CalendarPrefs(ctx, user)
	if err != nil {
		return Preferences{}, err
	}
	return Preferences{SharePresence: share, Reminders: cal.Reminders}, nil
}
