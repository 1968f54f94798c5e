package upload

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// fixture is a service on a memory store and a temporary directory,
// with a clock the test moves.
type fixture struct {
	svc   *Service
	st    *memory.Store
	disk  *Disk
	now   time.Time
	sent  []*xml.Element
	http  *httptest.Server
	owner string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{st: memory.New(), now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC), owner: "alice@localhost"}
	if err := f.st.CreateUser(context.Background(), store.User{JID: f.owner}); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.disk, err = NewDisk(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	f.http = httptest.NewServer(nil)
	t.Cleanup(f.http.Close)
	f.svc = New(Config{
		Domains: []string{"upload.localhost"}, Store: f.st, Storage: f.disk, Key: []byte("0123456789abcdef0123456789abcdef"),
		BaseURL: func(string) string { return f.http.URL }, MaxFileSize: 1 << 20,
		ExpireAfter: time.Hour, SlotLifetime: 5 * time.Minute,
		Send: func(_ context.Context, el *xml.Element) { f.sent = append(f.sent, el) },
		Now:  func() time.Time { return f.now },
	})
	f.http.Config.Handler = f.svc.Handler()
	return f
}

// slot asks for a slot and returns its URLs.
func (f *fixture) slot(t *testing.T, name string, size int) (put, get string) {
	t.Helper()
	req := xml.NewElement(ns.HTTPUpload, "request", xml.Attr{Name: "filename", Value: name},
		xml.Attr{Name: "size", Value: strconv.Itoa(size)}, xml.Attr{Name: "content-type", Value: "application/octet-stream"})
	f.svc.Receive(context.Background(), stanza.NewIQ("get", "s1", f.owner+"/r", "upload.localhost", req))
	res := f.sent[len(f.sent)-1]
	slot := res.Child(ns.HTTPUpload, "slot")
	if slot == nil {
		t.Fatalf("slot answer %s", res)
	}
	return slot.Child(ns.HTTPUpload, "put").Attr("url"), slot.Child(ns.HTTPUpload, "get").Attr("url")
}

func do(t *testing.T, method, u string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// A PUT URL used after the slot's lifetime is refused; a file is served
// until it expires, and cleanup deletes it with its record.
func TestExpiryAndCleanup(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	put, _ := f.slot(t, "late.bin", 3)
	f.now = f.now.Add(5 * time.Minute)
	if code := do(t, http.MethodPut, put, []byte("abc")); code != http.StatusForbidden {
		t.Fatalf("PUT at the slot's expiry: %d, want 403", code)
	}
	put, get := f.slot(t, "ok.bin", 3)
	if code := do(t, http.MethodPut, put, []byte("abc")); code != http.StatusCreated {
		t.Fatalf("PUT: %d", code)
	}
	if code := do(t, http.MethodGet, get, nil); code != http.StatusOK {
		t.Fatalf("GET: %d", code)
	}
	// The unused slot lapsed: cleanup removes its record.
	f.now = f.now.Add(59 * time.Minute)
	n, err := f.svc.Cleanup(ctx)
	if err != nil || n != 1 {
		t.Fatalf("cleanup before the file expires: %d, %v; want the lapsed slot only", n, err)
	}
	if code := do(t, http.MethodGet, get, nil); code != http.StatusOK {
		t.Fatalf("GET before expiry: %d", code)
	}
	f.now = f.now.Add(2 * time.Minute)
	if code := do(t, http.MethodGet, get, nil); code != http.StatusNotFound {
		t.Fatalf("GET after expiry: %d, want 404", code)
	}
	if n, err := f.svc.Cleanup(ctx); err != nil || n != 1 {
		t.Fatalf("cleanup after expiry: %d, %v", n, err)
	}
	if files, _ := os.ReadDir(f.disk.Dir); len(files) != 0 {
		t.Fatalf("files left after cleanup: %v", files)
	}
	if used, _ := f.st.UploadUsage(ctx, f.owner); used != 0 {
		t.Fatalf("usage after cleanup: %d", used)
	}
}

// Files no record names (their account was removed by another process)
// are swept once older than a slot's lifetime.
func TestOrphansSwept(t *testing.T) {
	f := newFixture(t)
	const id = "0123456789abcdef0123456789abcdef"
	if err := f.disk.Put(context.Background(), id, strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	old := f.now.Add(-time.Hour)
	os.Chtimes(filepath.Join(f.disk.Dir, id), old, old)
	if n, err := f.svc.Cleanup(context.Background()); err != nil || n != 1 {
		t.Fatalf("cleanup: %d, %v; want the orphan removed", n, err)
	}
	if _, err := os.Stat(filepath.Join(f.disk.Dir, id)); !os.IsNotExist(err) {
		t.Fatalf("orphan still there: %v", err)
	}
}

func TestDiskPutSize(t *testing.T) {
	d, err := NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const id = "00000000000000000000000000000001"
	for _, body := range []string{"ab", "abcd"} {
		if err := d.Put(context.Background(), id, strings.NewReader(body), 3); err != ErrSize {
			t.Fatalf("Put of %d bytes announced as 3: %v, want ErrSize", len(body), err)
		}
	}
	if files, _ := os.ReadDir(d.Dir); len(files) != 0 {
		t.Fatalf("a refused Put left %v", files)
	}
	if err := d.Put(context.Background(), "../../etc/passwd", strings.NewReader("x"), 1); err == nil {
		t.Fatal("a path as id was accepted")
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"photo.jpg":           "photo.jpg",
		"../../etc/passwd":    "passwd",
		`C:\Users\x\file.txt`: "file.txt",
		"a\x00b\nc.txt":       "abc.txt",
		"..":                  "",
		"  ":                  "",
		"très cool.png":       "très cool.png",
	} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
	if n := cleanName(strings.Repeat("é", 150)); len(n) > 200 || !strings.HasPrefix(strings.Repeat("é", 150), n) {
		t.Errorf("a long name was cut badly: %d bytes", len(n))
	}
}

func TestSignature(t *testing.T) {
	k := []byte("k")
	s := sign(k, "id", "name", 42)
	if !verify(k, "id", "name", 42, s) {
		t.Fatal("a signature does not verify")
	}
	for _, bad := range [][3]string{{"id2", "name", "42"}, {"id", "name2", "42"}, {"id", "name", "43"}} {
		exp := int64(42)
		if bad[2] == "43" {
			exp = 43
		}
		if verify(k, bad[0], bad[1], exp, s) {
			t.Errorf("signature verifies for %v", bad)
		}
	}
	if verify([]byte("other"), "id", "name", 42, s) {
		t.Error("signature verifies with another key")
	}
}

func TestInline(t *testing.T) {
	for ct, want := range map[string]bool{"image/png": true, "video/mp4": true, "text/plain; charset=utf-8": true,
		"image/svg+xml": false, "text/html": false, "application/pdf": false, "application/javascript": false} {
		if inline(ct) != want {
			t.Errorf("inline(%s) = %v", ct, !want)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	f.Add("/upload/0123456789abcdef0123456789abcdef/a%20b.png")
	f.Add("/upload/../x")
	s := &Service{}
	f.Fuzz(func(t *testing.T, p string) {
		id, name, ok := s.parsePath(p)
		if ok && (!validID.MatchString(id) || name == "") {
			t.Fatalf("parsePath(%q) = %q, %q", p, id, name)
		}
		cleanName(p)
	})
}
