package account

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/store/sqlite"
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

// TestPasswordChangeEndsTokens: a new password ends the integration
// tokens issued to the account (with the old one), and deleting the
// account ends them too; other accounts' tokens stay. Both stores.
func TestPasswordChangeEndsTokens(t *testing.T) {
	ctx := context.Background()
	sq, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	for name, st := range map[string]store.Store{"memory": memory.New(), "sqlite": sq} {
		t.Run(name, func(t *testing.T) {
			m := &Manager{Users: st, Iterations: 4096}
			for _, a := range []string{"alice@example.com", "bob@example.com"} {
				if err := m.Add(ctx, a, "pw"); err != nil {
					t.Fatal(err)
				}
			}
			now := time.Now()
			token := func(user string) store.Token {
				tok, err := st.CreateToken(ctx, store.Token{Random: "r", EntityType: store.EntityUser, EntityID: user,
					Policy: "SESSION", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
				if err != nil {
					t.Fatal(err)
				}
				return tok
			}
			live := func(tok store.Token) bool {
				_, err := st.Token(ctx, tok.ID)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					t.Fatal(err)
				}
				return err == nil
			}
			a1, b1 := token("alice@example.com"), token("bob@example.com")
			child, err := st.CreateToken(ctx, store.Token{Random: "c", ParentID: a1.ID, EntityType: store.EntityUser,
				EntityID: "alice@example.com", Policy: "PRESENCE", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.SetPassword(ctx, "alice@example.com", "new"); err != nil {
				t.Fatal(err)
			}
			if live(a1) || live(child) {
				t.Fatal("alice's tokens outlived her password change")
			}
			if !live(b1) {
				t.Fatal("bob's token ended with alice's password change")
			}
			a2 := token("alice@example.com")
			if err := m.Remove(ctx, "alice@example.com"); err != nil {
				t.Fatal(err)
			}
			if live(a2) {
				t.Fatal("a token outlived its account")
			}
			if !live(b1) {
				t.Fatal("bob's token ended with alice's account")
			}
		})
	}
}

// TestPasswordChangeEndsWebSessions: a new password ends the account's
// sign-ins on Parley's web pages, not another account's.
func TestPasswordChangeEndsWebSessions(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	m := &Manager{Users: st, Iterations: 4096}
	for _, a := range []string{"alice@example.com", "bob@example.com"} {
		if err := m.Add(ctx, a, "pw"); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if err := st.PutWebSession(ctx, store.WebSession{ID: a, Owner: a, Created: now, LastSeen: now, Expires: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.SetPassword(ctx, "alice@example.com", "new"); err != nil {
		t.Fatal(err)
	}
	if list, _ := st.WebSessions(ctx, "alice@example.com"); len(list) != 0 {
		t.Fatalf("alice's web sessions outlived her password change: %+v", list)
	}
	if list, _ := st.WebSessions(ctx, "bob@example.com"); len(list) != 1 {
		t.Fatalf("bob's web sessions: %+v", list)
	}
}
