package server_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

var insecureHTTP = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

// requestSlot asks upload.localhost for a slot and returns the answer.
func requestSlot(t *testing.T, c *xmpptest.Conn, name string, size int, ctype string) *xml.Element {
	t.Helper()
	return iq(t, c, "get", "upload.localhost", fmt.Sprintf("<request xmlns='%s' filename='%s' size='%d' content-type='%s'/>", ns.HTTPUpload, name, size, ctype))
}

func slotURLs(t *testing.T, res *xml.Element) (put, get string) {
	t.Helper()
	slot := mustResult(t, res).Child(ns.HTTPUpload, "slot")
	if slot == nil || slot.Child(ns.HTTPUpload, "put") == nil || slot.Child(ns.HTTPUpload, "get") == nil {
		t.Fatalf("slot answer %s", res)
	}
	return slot.Child(ns.HTTPUpload, "put").Attr("url"), slot.Child(ns.HTTPUpload, "get").Attr("url")
}

func httpDo(t *testing.T, method, u, ctype string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := insecureHTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestUpload (XEP-0363): the service is found through disco with its
// size limit; a slot's PUT URL stores the file once, its GET URL serves
// it byte for byte with its type; risky types come as attachments.
// Reused, forged and mismatched uploads are refused.
func TestUpload(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) { c.Upload.MaxFileSize = 4096 })
	srv.AddUser("alice@localhost", "secret")
	a := online(t, srv, "alice", "laptop")

	items := mustResult(t, iq(t, a, "get", "localhost", "<query xmlns='http://jabber.org/protocol/disco#items'/>"))
	if !xmpptest.Contains(items, "jid='upload.localhost'") {
		t.Fatalf("server disco#items %s lacks upload.localhost", items)
	}
	info := mustResult(t, iq(t, a, "get", "upload.localhost", "<query xmlns='http://jabber.org/protocol/disco#info'/>"))
	if !xmpptest.Contains(info, "category='store'", "type='file'", "var='"+ns.HTTPUpload+"'", "<value>4096</value>") {
		t.Fatalf("upload service disco#info %s", info)
	}

	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 300)...)
	put, get := slotURLs(t, requestSlot(t, a, "très cool.png", len(png), "image/png"))
	if !strings.HasPrefix(get, "https://localhost:") || !strings.Contains(get, "/upload/") || strings.Contains(get, "?") {
		t.Errorf("GET URL %s", get)
	}
	if resp, body := httpDo(t, http.MethodGet, get, "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET before the PUT: %d %s, want 404", resp.StatusCode, body)
	}
	if resp, body := httpDo(t, http.MethodPut, put, "image/gif", png); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("PUT with another content type: %d %s, want 400", resp.StatusCode, body)
	}
	if resp, body := httpDo(t, http.MethodPut, put, "image/png", png[:10]); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("PUT of another size: %d %s, want 400", resp.StatusCode, body)
	}
	// Forged: another signature, another expiry, another id, another name.
	pu, _ := url.Parse(put)
	q := pu.Query()
	forge := func(mut func(u *url.URL, q url.Values)) string {
		u := *pu
		qq := url.Values{}
		for k, v := range q {
			qq[k] = append([]string(nil), v...)
		}
		mut(&u, qq)
		u.RawQuery = qq.Encode()
		return u.String()
	}
	for what, u := range map[string]string{
		"signature": forge(func(_ *url.URL, q url.Values) { q.Set("s", strings.Repeat("A", len(q.Get("s")))) }),
		"expiry":    forge(func(_ *url.URL, q url.Values) { q.Set("e", q.Get("e")+"0") }),
		"no query":  forge(func(_ *url.URL, q url.Values) { q.Del("s"); q.Del("e") }),
		"file name": forge(func(u *url.URL, _ url.Values) { u.Path = strings.Replace(u.Path, "cool", "hot", 1); u.RawPath = "" }),
		"id": forge(func(u *url.URL, _ url.Values) {
			id := u.Path[len("/upload/") : len("/upload/")+32]
			other := strings.Map(func(r rune) rune { return map[bool]rune{true: 'a', false: '0'}[r == '0'] }, id[:1]) + id[1:]
			u.Path, u.RawPath = strings.Replace(u.Path, id, other, 1), ""
		}),
	} {
		if resp, body := httpDo(t, http.MethodPut, u, "image/png", png); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Errorf("PUT with a forged %s: %d %s, want 403", what, resp.StatusCode, body)
		}
	}
	if resp, body := httpDo(t, http.MethodPut, put, "image/png", png); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %d %s, want 201", resp.StatusCode, body)
	}
	if resp, body := httpDo(t, http.MethodPut, put, "image/png", png); resp.StatusCode != http.StatusConflict {
		t.Errorf("the same PUT URL again: %d %s, want 409", resp.StatusCode, body)
	}
	resp, body := httpDo(t, http.MethodGet, get, "", nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, png) {
		t.Fatalf("GET: %d, %d bytes; want 200 and the %d bytes uploaded", resp.StatusCode, len(body), len(png))
	}
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != "image/png" || !strings.HasPrefix(cd, "inline") || !strings.Contains(cd, "filename*=utf-8''tr%C3%A8s%20cool.png") {
		t.Errorf("GET of a PNG: Content-Type %q, Content-Disposition %q", ct, cd)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET without nosniff")
	}

	// A risky type is an attachment.
	html := []byte("<script>alert(1)</script>")
	put, get = slotURLs(t, requestSlot(t, a, "page.html", len(html), "text/html"))
	if resp, body := httpDo(t, http.MethodPut, put, "text/html", html); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT html: %d %s", resp.StatusCode, body)
	}
	resp, body = httpDo(t, http.MethodGet, get, "", nil)
	if cd := resp.Header.Get("Content-Disposition"); !bytes.Equal(body, html) || resp.Header.Get("Content-Type") != "text/html" || !strings.HasPrefix(cd, "attachment") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("GET of HTML: type %q disposition %q CSP %q", resp.Header.Get("Content-Type"), cd, resp.Header.Get("Content-Security-Policy"))
	}
	// A browser's preflight.
	if resp, _ := httpDo(t, http.MethodOptions, put, "", nil); resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Methods") == "" {
		t.Errorf("OPTIONS: %d, methods %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Methods"))
	}

	// Limits.
	tooBig := requestSlot(t, a, "big.bin", 5000, "application/octet-stream")
	wantError(t, tooBig, "not-acceptable", ns.HTTPUpload, "file-too-large")
	if !xmpptest.Contains(tooBig, "<max-file-size>4096</max-file-size>") {
		t.Errorf("file-too-large without the limit: %s", tooBig)
	}
	wantError(t, requestSlot(t, a, "x", 10, "not a type"), "bad-request", "", "")
	wantError(t, iq(t, a, "get", "upload.localhost", fmt.Sprintf("<request xmlns='%s' filename='x' size='-5'/>", ns.HTTPUpload)), "bad-request", "", "")
}

// TestUploadQuotaAndTypes: an account's uploads add up to at most
// upload.quota bytes; only allowed types are accepted.
func TestUploadQuotaAndTypes(t *testing.T) {
	srv := xmpptest.RunServer(t, func(c *config.Config) {
		c.Upload.Quota = 1000
		c.Upload.AllowedTypes = []string{"image/*", "text/plain"}
	})
	srv.AddUser("alice@localhost", "secret")
	srv.AddUser("bob@localhost", "secret")
	a := online(t, srv, "alice", "laptop")
	b := online(t, srv, "bob", "desk")
	data := bytes.Repeat([]byte("a"), 600)
	put, _ := slotURLs(t, requestSlot(t, a, "a.txt", len(data), "text/plain"))
	if resp, body := httpDo(t, http.MethodPut, put, "text/plain", data); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	wantError(t, requestSlot(t, a, "b.txt", 600, "text/plain"), "resource-constraint", "", "")
	slotURLs(t, requestSlot(t, a, "c.png", 400, "image/png")) // fits exactly
	slotURLs(t, requestSlot(t, b, "d.png", 600, "image/png")) // bob has his own quota
	wantError(t, requestSlot(t, b, "e.html", 10, "text/html"), "not-acceptable", "", "")
}
