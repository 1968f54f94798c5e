package e2e

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPEPAvatarNotify is issue 11's PEP check with a real client:
// slixmpp publishes a PEP avatar (XEP-0084); a contact whose client asks
// for avatar notifications (+notify in its XEP-0115 capabilities) gets
// the notification and the image; a contact whose client does not ask
// gets none.
func TestPEPAvatarNotify(t *testing.T) {
	t.Parallel()
	s := startServer(t, "parley", "")
	addUsers(t, s.dataDir, "alice", "bob", "carol")
	ev := runScript(t, s, startTLS, "pep_avatar.py")
	pub := need(t, ev, "published", "client", "alice")
	need(t, ev, "pep", "client", "bob", "frm", "alice@localhost", "node", "urn:xmpp:avatar:metadata", "id", pub.get("id"))
	need(t, ev, "avatar", "client", "bob", "sha1", pub.get("id"))
	need(t, ev, "no_notification", "client", "carol")
	if e := find(ev, "pep", "client", "carol"); e != nil {
		t.Errorf("carol got a notification her client did not ask for: %v", e)
	}
}

// TestUploadSlixmpp is issue 11's upload check: a file uploaded through
// slixmpp's xep_0363 plugin (service discovery, slot, PUT over aiohttp)
// downloads byte-identical over HTTP, with its content type.
func TestUploadSlixmpp(t *testing.T) {
	t.Parallel()
	s := startServer(t, "parley", "")
	addUsers(t, s.dataDir, "alice")
	data := make([]byte, 300<<10)
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "holiday photo.jpg")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ev := runScript(t, s, startTLS, "upload.py", "--file", path, "--content-type", "image/jpeg")
	up := need(t, ev, "uploaded", "client", "alice")
	if up.get("service") != "upload.localhost" || up.get("max_size") != "104857600" {
		t.Errorf("slixmpp found service %q with max size %q, want upload.localhost and the default 104857600", up.get("service"), up.get("max_size"))
	}
	url := up.get("url")
	if !strings.HasPrefix(url, "http://localhost:"+port(s.http)+"/upload/") {
		t.Fatalf("download URL %q is not on the server's HTTP listener", url)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
		t.Fatalf("GET %s: %d, %d bytes; want 200 and the %d bytes uploaded", url, resp.StatusCode, len(got), len(data))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" {
		t.Errorf("Content-Type %q, want image/jpeg", ct)
	}
}
