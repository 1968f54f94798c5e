package account

import (
	"context"
	"errors"
	"testing"

	"github.com/parley-im/parley/store/memory"
)

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	m := &Manager{Users: st, IsLocal: func(d string) bool { return d == "example.com" }}
	if err := m.Add(ctx, "Alice@Example.com", "pw"); err != nil {
		t.Fatal(err)
	}
	u, err := st.User(ctx, "alice@example.com")
	if err != nil {
		t.Fatalf("stored under the normalized JID: %v", err)
	}
	if len(u.SHA256.StoredKey) != 32 || len(u.SHA1.StoredKey) != 20 || u.SHA256.Iterations < 4096 || len(u.SHA256.Salt) < 16 {
		t.Fatalf("credentials: %+v", u)
	}
	if err := m.Add(ctx, "alice@example.com", "pw"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := m.SetPassword(ctx, "alice@example.com", "new"); err != nil {
		t.Fatal(err)
	}
	u2, _ := st.User(ctx, "alice@example.com")
	if string(u2.SHA256.StoredKey) == string(u.SHA256.StoredKey) {
		t.Fatal("password not changed")
	}
	if err := m.Remove(ctx, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove(ctx, "alice@example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove twice: %v", err)
	}
	if err := m.SetPassword(ctx, "ghost@example.com", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("passwd of unknown: %v", err)
	}
}

func TestValidation(t *testing.T) {
	m := &Manager{Users: memory.New(), IsLocal: func(d string) bool { return d == "example.com" }}
	ctx := context.Background()
	for addr, want := range map[string]error{
		"example.com":       ErrInvalidJID,
		"a@example.com/res": ErrInvalidJID,
		"a@@example.com":    ErrInvalidJID,
		"a@elsewhere.org":   ErrUnknownDomain,
	} {
		if err := m.Add(ctx, addr, "pw"); !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", addr, err, want)
		}
	}
	if err := m.Add(ctx, "a@example.com", ""); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("empty password: %v", err)
	}
}
