package presence

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// Both presence endpoints answer with the seed's 60-second presence
// cache (seed 000: "held in a cache with a default expiry time of 60
// seconds") and an ETag, so a page polling more often revalidates for
// the price of a 304.
const (
	cachePrivate = "private, max-age=60"
	cachePublic  = "public, max-age=60"
)

// etag is a strong validator of a response body.
func etag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// notModified reports whether the request's If-None-Match names tag.
func notModified(r *http.Request, tag string) bool {
	inm := r.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}

// writeBody writes a cacheable response, or 304 when the client holds it.
func writeBody(w http.ResponseWriter, r *http.Request, status int, ctype, cache string, body []byte) {
	h := w.Header()
	tag := etag(body)
	h.Set("Cache-Control", cache)
	h.Set("ETag", tag)
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusOK && notModified(r, tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", ctype)
	w.WriteHeader(status)
	w.Write(body)
}
