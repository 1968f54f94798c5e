package session

import (
	"embed"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/parley-im/parley/c2s"
	"github.com/parley-im/parley/web/pages"
)

//go:embed templates
var files embed.FS

// Paths.
const (
	SignInPath  = "/signin"
	SignOutPath = "/signout"
	TicketPath  = "/session/ticket"
)

// Handler serves sign-in, sign-out and tickets.
type Handler struct {
	m      *Manager
	signin *pages.Template
}

// NewHandler parses the sign-in page.
func NewHandler(m *Manager) (*Handler, error) {
	t, err := m.cfg.Pages.Parse(files, "templates/signin.html")
	if err != nil {
		return nil, err
	}
	return &Handler{m: m, signin: t}, nil
}

// Register mounts the handlers on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	p := h.m.cfg.Pages
	mux.HandleFunc("GET "+SignInPath, h.form)
	mux.Handle("POST "+SignInPath, p.Protect(8<<10, http.HandlerFunc(h.post)))
	mux.Handle("POST "+SignOutPath, p.Protect(1024, http.HandlerFunc(h.signOut)))
	mux.Handle("POST "+TicketPath, p.Protect(1024, h.m.Require(h.ticket)))
}

type signinData struct {
	Next, Address, Error, Domain string
}

// safeNext keeps a redirect after sign-in on this site: a path, never
// another host (//evil.example) or scheme.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\\") {
		return "/me/"
	}
	return next
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, d signinData) {
	if len(h.m.cfg.Hosts) > 0 {
		d.Domain = h.m.cfg.Hosts[0]
	}
	h.m.cfg.Pages.Render(w, r, h.signin, status, pages.View{Title: "Sign in", Class: "signin-page", Data: d})
}

func (h *Handler) form(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := h.m.Current(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, signinData{Next: next})
}

func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	address := strings.TrimSpace(r.PostFormValue("address"))
	_, err := h.m.SignIn(w, r, address, r.PostFormValue("password"))
	switch {
	case err == nil:
		http.Redirect(w, r, next, http.StatusSeeOther)
	case errors.Is(err, c2s.ErrThrottled):
		h.render(w, r, http.StatusTooManyRequests, signinData{Next: next, Address: address,
			Error: "Too many failed sign-ins. Wait a few minutes, then try again."})
	case errors.Is(err, c2s.ErrBadCredentials), errors.Is(err, ErrNoSession):
		h.render(w, r, http.StatusUnauthorized, signinData{Next: next, Address: address,
			Error: "The address or the password is wrong. Check both and try again."})
	default:
		h.m.log.Error("sign in", "err", err)
		h.render(w, r, http.StatusInternalServerError, signinData{Next: next, Address: address,
			Error: "Signing in does not work right now. Please try again later."})
	}
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	h.m.SignOut(w, r)
	http.Redirect(w, r, SignInPath, http.StatusSeeOther)
}

func (h *Handler) ticket(w http.ResponseWriter, r *http.Request, s Session) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]string{"ticket": h.m.Ticket(s), "jid": s.User, "domain": s.Domain()})
}

// Require serves h to signed-in users only: a GET without a session is
// sent to the sign-in page (and back after it), anything else gets 401.
func (m *Manager) Require(h func(http.ResponseWriter, *http.Request, Session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := m.Current(r)
		if err != nil {
			if !errors.Is(err, ErrNoSession) {
				m.log.Error("session lookup", "err", err)
				m.cfg.Pages.Error(w, r, http.StatusInternalServerError, "Something went wrong", "Please try again later.")
				return
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, SignInPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			m.cfg.Pages.Error(w, r, http.StatusUnauthorized, "Signed out", "You are not signed in any more. Sign in again, then repeat what you did.",
				pages.Link{Text: "Sign in", Href: SignInPath})
			return
		}
		h(w, r, s)
	})
}

// RequireAdmin serves h to signed-in administrators only; others get 403.
func (m *Manager) RequireAdmin(h func(http.ResponseWriter, *http.Request, Session)) http.Handler {
	return m.Require(func(w http.ResponseWriter, r *http.Request, s Session) {
		if !s.Admin {
			m.cfg.Pages.Error(w, r, http.StatusForbidden, "Administrators only",
				"This page is for the server's administrators (the admins setting). You are signed in as "+s.User+".",
				pages.Link{Text: "Your own settings", Href: "/me/"})
			return
		}
		h(w, r, s)
	})
}
