package upload

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
)

// Prefix is the path under which files are uploaded and served.
const Prefix = "/upload/"

// inline are the content types a browser may show in place: images,
// audio, video and plain text. Anything else (HTML, SVG, scripts, PDF,
// archives...) is served as an attachment, so an uploaded file can never
// run as a page of the server's origin.
func inline(ctype string) bool {
	mt, _, _ := mime.ParseMediaType(ctype)
	switch mt {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "text/plain":
		return true
	}
	return strings.HasPrefix(mt, "audio/") || strings.HasPrefix(mt, "video/")
}

// Handler serves Prefix: PUT with a slot's signed URL, GET and HEAD of
// uploaded files, and the CORS preflight browser clients send first.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		id, name, ok := s.parsePath(r.URL.EscapedPath())
		if !ok {
			http.Error(w, "no such file", http.StatusNotFound)
			return
		}
		switch r.Method {
		case http.MethodOptions:
			w.Header().Set("Access-Control-Allow-Methods", "PUT, GET, HEAD, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
			w.Header().Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
		case http.MethodPut:
			s.put(w, r, id, name)
		case http.MethodGet, http.MethodHead:
			s.get(w, r, id, name)
		default:
			w.Header().Set("Allow", "PUT, GET, HEAD, OPTIONS")
			http.Error(w, "use PUT to upload, GET to download", http.StatusMethodNotAllowed)
		}
	})
}

// parsePath splits /upload/<id>/<name>.
func (s *Service) parsePath(p string) (id, name string, ok bool) {
	rest, found := strings.CutPrefix(p, Prefix)
	if !found {
		return "", "", false
	}
	id, escName, found := strings.Cut(rest, "/")
	if !found || !validID.MatchString(id) {
		return "", "", false
	}
	name, err := url.PathUnescape(escName)
	if err != nil || name == "" {
		return "", "", false
	}
	return id, name, true
}

// put stores the file of a slot (XEP-0363 §5): the URL must carry a
// valid signature and not have expired, the slot must be unused, and
// the body must be the announced size and type.
func (s *Service) put(w http.ResponseWriter, r *http.Request, id, name string) {
	q := r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("e"), 10, 64)
	if err != nil || !verify(s.cfg.Key, id, name, exp, q.Get("s")) {
		http.Error(w, "this upload URL is not valid: ask for a new slot", http.StatusForbidden)
		return
	}
	now := s.cfg.Now()
	if now.Unix() >= exp {
		http.Error(w, "this upload URL has expired: ask for a new slot", http.StatusForbidden)
		return
	}
	ctx := r.Context()
	u, err := s.cfg.Store.Upload(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.Error(w, "this upload URL is not valid: ask for a new slot", http.StatusForbidden)
		return
	case err != nil:
		s.log.Error("upload: read slot", "id", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	case u.Filename != name:
		http.Error(w, "this upload URL is not valid: ask for a new slot", http.StatusForbidden)
		return
	case u.State != store.UploadPending:
		http.Error(w, "this upload URL was used already: ask for a new slot", http.StatusConflict)
		return
	}
	if r.ContentLength != u.Size {
		http.Error(w, "Content-Length must be "+strconv.FormatInt(u.Size, 10)+", the size the slot was requested for", http.StatusBadRequest)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		got, _, err1 := mime.ParseMediaType(ct)
		want, _, _ := mime.ParseMediaType(u.ContentType)
		if err1 != nil || !strings.EqualFold(got, want) {
			http.Error(w, "Content-Type must be "+u.ContentType+", the type the slot was requested for", http.StatusBadRequest)
			return
		}
	}
	// Single use: only one PUT claims the slot.
	if _, err := s.cfg.Store.ClaimUpload(ctx, id, now); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			http.Error(w, "this upload URL was used already or has expired: ask for a new slot", http.StatusConflict)
			return
		}
		s.log.Error("upload: claim", "id", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	// The body may take as long as the slot lives, whatever deadline the
	// listener sets for ordinary request bodies (an I/O deadline, not
	// the service's clock).
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.SlotLifetime))
	if err := s.cfg.Storage.Put(ctx, id, r.Body, u.Size); err != nil {
		s.abandon(id)
		if errors.Is(err, ErrSize) {
			http.Error(w, "the body is not "+strconv.FormatInt(u.Size, 10)+" bytes", http.StatusBadRequest)
			return
		}
		s.log.Error("upload: store", "id", id, "err", err)
		http.Error(w, "could not store the file", http.StatusInternalServerError)
		return
	}
	var expires time.Time
	if s.cfg.ExpireAfter > 0 {
		expires = s.cfg.Now().Add(s.cfg.ExpireAfter)
	}
	if err := s.cfg.Store.CompleteUpload(ctx, id, expires); err != nil {
		// The slot was cleaned up while the body arrived.
		s.cfg.Storage.Delete(context.WithoutCancel(ctx), id)
		s.log.Warn("upload: slot gone while receiving", "id", id, "err", err)
		http.Error(w, "the upload took longer than the slot lives: ask for a new slot", http.StatusRequestTimeout)
		return
	}
	s.log.Info("upload: stored", "owner", u.Owner, "id", id, "bytes", u.Size, "type", u.ContentType)
	w.WriteHeader(http.StatusCreated)
}

// abandon removes the record of a slot whose upload failed; the client
// asks for a new slot.
func (s *Service) abandon(id string) {
	if err := s.cfg.Store.DeleteUpload(context.Background(), id); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("upload: forget failed slot", "id", id, "err", err)
	}
}

// get serves an uploaded file with its content type; risky types as
// attachments, and never interpreted as something else.
func (s *Service) get(w http.ResponseWriter, r *http.Request, id, name string) {
	ctx := r.Context()
	u, err := s.cfg.Store.Upload(ctx, id)
	if err == nil && (u.State != store.UploadDone || u.Filename != name || (!u.Expires.IsZero() && !u.Expires.After(s.cfg.Now()))) {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no such file (it may have expired)", http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.Error("upload: read", "id", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	f, err := s.cfg.Storage.Open(ctx, id)
	if errors.Is(err, os.ErrNotExist) {
		http.Error(w, "no such file", http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.Error("upload: open", "id", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", u.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox")
	h.Set("Cache-Control", "private, max-age=86400")
	disp := "inline"
	if !inline(u.ContentType) {
		disp = "attachment"
	}
	if cd := mime.FormatMediaType(disp, map[string]string{"filename": u.Filename}); cd != "" {
		h.Set("Content-Disposition", cd)
	} else {
		h.Set("Content-Disposition", disp)
	}
	http.ServeContent(w, r, "", u.Created, f)
}
