package portable

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xdg-go/scram"

	"github.com/parley-im/parley/internal/pgtest"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/store/postgres"
	"github.com/parley-im/parley/store/sqlite"
	"github.com/parley-im/parley/xmpp/sasl"
)

var ctx = context.Background()

// stores runs fn on a new memory store, a new sqlite store and a new
// postgres one (internal/pgtest; skipped without PostgreSQL).
func stores(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("memory", func(t *testing.T) { fn(t, memory.New()) })
	t.Run("sqlite", func(t *testing.T) { fn(t, newSQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(ctx, pgtest.Shared(t).NewSchema(t), postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
}

func newSQLite(t testing.TB) store.Store {
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// warnings collects Import's warnings.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) add(s string) { w.mu.Lock(); w.list = append(w.list, s); w.mu.Unlock() }

func (w *warnings) has(sub string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func importFiles(t *testing.T, st store.Store, opt ImportOptions, files ...string) (Summary, *warnings) {
	t.Helper()
	w := &warnings{}
	opt.Warn = w.add
	sum, err := Import(ctx, st, files, opt)
	if err != nil {
		t.Fatalf("Import(%v): %v", files, err)
	}
	return sum, w
}

func importString(t *testing.T, st store.Store, opt ImportOptions, doc string) (Summary, *warnings, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.xml")
	writeFile(t, path, doc)
	w := &warnings{}
	opt.Warn = w.add
	sum, err := Import(ctx, st, []string{path}, opt)
	return sum, w, err
}

func exportString(t *testing.T, st store.Store) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := Export(ctx, st, &b, ExportOptions{}); err != nil {
		t.Fatalf("Export: %v", err)
	}
	return b.String()
}

// login runs a whole SCRAM exchange (our server side, xdg-go/scram as the
// client) or a PLAIN one for user@domain against the credentials in st.
func login(st store.Store, jid, password, mech string) error {
	local, domain := splitJID(jid)
	lookup := func(ctx context.Context, username, m string) (sasl.Credential, error) {
		u, err := st.User(ctx, username+"@"+domain)
		if errors.Is(err, store.ErrNotFound) {
			return sasl.Credential{}, sasl.ErrUnknownUser
		}
		if err != nil {
			return sasl.Credential{}, err
		}
		if m == sasl.SCRAMSHA1 {
			return sasl.Credential(u.SHA1), nil
		}
		return sasl.Credential(u.SHA256), nil
	}
	srv, err := sasl.NewServer(mech, lookup)
	if err != nil {
		return err
	}
	if mech == sasl.Plain {
		_, done, err := srv.Next(ctx, []byte("\x00"+local+"\x00"+password))
		if err == nil && !done {
			err = fmt.Errorf("PLAIN not done")
		}
		return err
	}
	gen := scram.SHA256
	if mech == sasl.SCRAMSHA1 {
		gen = scram.SHA1
	}
	client, err := gen.NewClient(local, password, "")
	if err != nil {
		return err
	}
	conv := client.NewConversation()
	msg := ""
	for i := 0; i < 3; i++ {
		out, err := conv.Step(msg)
		if err != nil {
			return fmt.Errorf("client step %d: %w", i, err)
		}
		if conv.Done() {
			if !conv.Valid() {
				return fmt.Errorf("client rejects the server signature")
			}
			return nil
		}
		in, _, err := srv.Next(ctx, []byte(out))
		if err != nil {
			return err
		}
		msg = string(in)
	}
	return fmt.Errorf("exchange did not finish")
}

func mustLogin(t *testing.T, st store.Store, jid, password string, mechs ...string) {
	t.Helper()
	for _, m := range mechs {
		if err := login(st, jid, password, m); err != nil {
			t.Errorf("%s cannot log in with %s: %v", jid, m, err)
		}
		if err := login(st, jid, password+"x", m); err == nil {
			t.Errorf("%s logs in with %s and a wrong password", jid, m)
		}
	}
}

func roster(t *testing.T, st store.Store, owner string) string {
	t.Helper()
	items, _, err := st.Roster(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, it := range items {
		fmt.Fprintf(&b, "%s name=%q sub=%s ask=%v approved=%v groups=%q\n", it.Contact, it.Name, it.Subscription, it.AskOut, it.Approved, it.Groups)
	}
	return b.String()
}

func offline(t *testing.T, st store.Store, owner string) []store.OfflineMessage {
	t.Helper()
	msgs, err := st.OfflineMessages(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func fixedNow() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }
