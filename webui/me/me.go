// Package me is self-service: the pages under /me/ where a signed-in
// user (webui/session) sees and changes their own account:
//
//	/me/             an overview
//	/me/status       status and status message (this page is one of the
//	                 user's XMPP sessions while it is open: xmpp.js,
//	                 logged in with a single-use ticket)
//	/me/profile      the vCard: name, e-mail, phone, picture
//	/me/preferences  presence on the web (`parley user share-presence`),
//	                 calendar reminders (`parley user reminders`)
//	/me/password     password change (ends the other sessions, tokens and
//	                 web sign-ins: manage.Accounts, as `parley user passwd`)
//	/me/sessions     connected devices and web sign-ins, each ended on its
//	                 own, or all at once ("sign out everywhere")
//	/me/chat?with=J  the web chat the presence widget opens for signed-in
//	                 viewers
//
// Every form is a plain POST (CSRF-protected by web/pages) that works
// without JavaScript and answers with a redirect back to its page
// (post/redirect/get) saying what happened; only the status and chat
// pages need script, for their XMPP session. Changes go through the same
// code as the command line (package manage) and the XMPP side (im/vcard),
// so they take effect over XMPP at once.
package me

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parley-im/parley/c2s"
	"github.com/parley-im/parley/integration/presence"
	"github.com/parley-im/parley/manage"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/web/pages"
	"github.com/parley-im/parley/webui"
	"github.com/parley-im/parley/webui/session"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/xml"
)

//go:embed templates assets
var files embed.FS

// VCards reads and writes users' vCards with everything that goes with
// a change (photo hashes in presence, the PEP avatar, caches).
type VCards interface {
	Get(ctx context.Context, owner string) (*xml.Element, error) // store.ErrNotFound-wrapped if none
	Set(ctx context.Context, owner string, v *xml.Element) error
}

// Config configures the pages.
type Config struct {
	Pages    *pages.Pages
	Sessions *session.Manager
	// Accounts is account management with the running server's hooks.
	Accounts *manage.Accounts
	// Online lists and ends the user's XMPP sessions.
	Online manage.Sessions
	// Presence is a user's current presence (presence.Lookup on the
	// router).
	Presence func(bare string) presence.Snapshot
	VCards   VCards
	// PublicDomain reports a domain in presence.public_domains.
	PublicDomain func(domain string) bool
	// Calendar: the calendar agent runs (the reminders choice is shown).
	Calendar         bool
	RemindersDefault bool
	// MaxPhotoBytes bounds an uploaded picture (the vCard's size limit
	// leaves room for the rest after base64).
	MaxPhotoBytes int
	Logger        *slog.Logger
}

// Handler serves the pages.
type Handler struct {
	cfg  Config
	p    *pages.Pages
	s    *session.Manager
	log  *slog.Logger
	tmpl map[string]*pages.Template
}

var pageNames = []string{"home", "status", "profile", "preferences", "password", "sessions", "chat"}

// New parses the templates and adds the assets to the page foundation.
func New(cfg Config) (*Handler, error) {
	h := &Handler{cfg: cfg, p: cfg.Pages, s: cfg.Sessions, log: cfg.Logger, tmpl: make(map[string]*pages.Template)}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.cfg.PublicDomain == nil {
		h.cfg.PublicDomain = func(string) bool { return false }
	}
	assets, err := fs.Sub(files, "assets")
	if err != nil {
		return nil, err
	}
	if err := h.p.AddAssets("me", assets); err != nil {
		return nil, err
	}
	if err := webui.AddAssets(h.p); err != nil {
		return nil, err
	}
	for _, name := range pageNames {
		t, err := h.p.Parse(files, "templates/"+name+".html", "templates/nav.html")
		if err != nil {
			return nil, err
		}
		h.tmpl[name] = t
	}
	return h, nil
}

// Register mounts the pages on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	get := func(path string, fn func(http.ResponseWriter, *http.Request, session.Session)) {
		mux.Handle("GET "+path, h.s.Require(fn))
	}
	post := func(path string, max int64, fn func(http.ResponseWriter, *http.Request, session.Session)) {
		mux.Handle("POST "+path, h.p.Protect(max, h.s.Require(fn)))
	}
	mux.Handle("GET /me", http.RedirectHandler("/me/", http.StatusMovedPermanently))
	get("/me/{$}", h.home)
	get("/me/status", h.status)
	get("/me/profile", h.profile)
	post("/me/profile", int64(h.cfg.MaxPhotoBytes)+64<<10, h.saveProfile)
	get("/me/avatar", h.avatar)
	get("/me/preferences", h.preferences)
	post("/me/preferences", 8<<10, h.savePreferences)
	get("/me/password", h.password)
	post("/me/password", 8<<10, h.savePassword)
	get("/me/sessions", h.sessions)
	post("/me/sessions/end", 8<<10, h.endWebSession)
	post("/me/sessions/end-device", 8<<10, h.endDevice)
	post("/me/sessions/everywhere", 8<<10, h.everywhere)
	get("/me/chat", h.chat)
}

// NavLink is one tab of the navigation.
type NavLink struct {
	Text, Href string
	Current    bool
}

// data is what every page's templates get.
type data struct {
	User    string
	Admin   bool
	Nav     []NavLink
	Flash   string
	Problem string
	Page    any
}

var tabs = []NavLink{
	{Text: "Overview", Href: "/me/"}, {Text: "Status", Href: "/me/status"}, {Text: "Profile", Href: "/me/profile"},
	{Text: "Preferences", Href: "/me/preferences"}, {Text: "Password", Href: "/me/password"}, {Text: "Sessions", Href: "/me/sessions"},
}

// flashes are the outcomes a redirect names (?done=...): fixed texts, so
// nothing from the query reaches the page.
var flashes = map[string]string{
	"profile":     "Your profile is saved.",
	"preferences": "Your preferences are saved.",
	"password":    "Your password is changed. Your devices and other web sign-ins were signed out.",
	"ended":       "That browser is signed out.",
	"device":      "That device is disconnected.",
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, s session.Session, name, title, current string, status int, page any, problem string, scripts []string, cfg any) {
	nav := make([]NavLink, len(tabs))
	copy(nav, tabs)
	for i := range nav {
		nav[i].Current = nav[i].Href == current
	}
	d := data{User: s.User, Admin: s.Admin, Nav: nav, Flash: flashes[r.URL.Query().Get("done")], Problem: problem, Page: page}
	h.p.Render(w, r, h.tmpl[name], status, pages.View{Title: title, Class: "me", Scripts: scripts, Config: cfg, Data: d})
}

func done(w http.ResponseWriter, r *http.Request, path, what string) {
	http.Redirect(w, r, path+"?done="+what, http.StatusSeeOther)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("self-service", "path", r.URL.Path, "err", err)
	h.p.Error(w, r, http.StatusInternalServerError, "Something went wrong", "Your change could not be saved. Please try again later.",
		pages.Link{Text: "Back to your account", Href: "/me/"})
}

// ---- overview and status ----

type stateView struct {
	State, StateLabel, Status string
	Online                    int
}

var portalLabels = map[string]string{"online": "Online", "busy": "Busy", "away": "Away", "offline": "Offline"}

func (h *Handler) current(user string) stateView {
	snap := h.cfg.Presence(user)
	v := stateView{State: snap.State().Portal(), Online: len(h.cfg.Online.List(user))}
	v.StateLabel = portalLabels[v.State]
	if rp, ok := snap.Default(); ok {
		v.Status = rp.Status
	}
	return v
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, s session.Session) {
	h.render(w, r, s, "home", "Your account", "/me/", http.StatusOK, h.current(s.User), "", nil, nil)
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request, s session.Session) {
	v := h.current(s.User)
	if v.State == "offline" {
		v.State = "online"
	}
	h.render(w, r, s, "status", "Your status", "/me/status", http.StatusOK, v, "", []string{"/assets/me/status.js"},
		map[string]string{"jid": s.User, "domain": s.Domain(), "ticket": session.TicketPath})
}

// ---- profile (vCard) ----

type profileView struct {
	Name, Email, Tel string
	HasPhoto         bool
	PhotoHash        string
	MaxPhotoKB       int
}

const vcardNS = "vcard-temp"

// field returns the text of the first child path of v ("" if none).
func field(v *xml.Element, names ...string) string {
	el := v
	for _, n := range names {
		if el = el.Child(vcardNS, n); el == nil {
			return ""
		}
	}
	return strings.TrimSpace(el.Text)
}

// preferred returns v's preferred (PREF) child named name, else its
// first.
func preferred(v *xml.Element, name string) *xml.Element {
	var first *xml.Element
	for _, c := range v.Children {
		if c.Space != vcardNS || c.Name != name {
			continue
		}
		if c.Child(vcardNS, "PREF") != nil {
			return c
		}
		if first == nil {
			first = c
		}
	}
	return first
}

func (h *Handler) card(ctx context.Context, user string) (*xml.Element, error) {
	v, err := h.cfg.VCards.Get(ctx, user)
	if errors.Is(err, store.ErrNotFound) {
		return xml.NewElement(vcardNS, "vCard"), nil
	}
	return v, err
}

func (h *Handler) profileView(v *xml.Element) profileView {
	pv := profileView{Name: field(v, "FN"), MaxPhotoKB: h.cfg.MaxPhotoBytes / 1024}
	if e := preferred(v, "EMAIL"); e != nil {
		pv.Email = field(e, "USERID")
	}
	if t := preferred(v, "TEL"); t != nil {
		pv.Tel = field(t, "NUMBER")
	}
	if _, data, err := photo(v); err == nil {
		pv.HasPhoto = true
		pv.PhotoHash = hashShort(data)
	}
	return pv
}

func (h *Handler) profile(w http.ResponseWriter, r *http.Request, s session.Session) {
	v, err := h.card(r.Context(), s.User)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, s, "profile", "Your profile", "/me/profile", http.StatusOK, h.profileView(v), "", nil, nil)
}

func (h *Handler) saveProfile(w http.ResponseWriter, r *http.Request, s session.Session) {
	v, err := h.card(r.Context(), s.User)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := r.ParseMultipartForm(int64(h.cfg.MaxPhotoBytes) + 32<<10); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		h.profileProblem(w, r, s, v, "The form could not be read (is the picture too large?).")
		return
	}
	name := oneLine(r.FormValue("fn"), 200)
	email := strings.TrimSpace(r.FormValue("email"))
	tel := strings.TrimSpace(r.FormValue("tel"))
	if email != "" && !validEmail(email) {
		h.profileProblem(w, r, s, v, "That e-mail address does not look right.")
		return
	}
	if tel != "" && !validTel(tel) {
		h.profileProblem(w, r, s, v, "Give the phone as a number (digits, spaces, + - ( ) .) or a sip: address.")
		return
	}
	setText(v, "FN", name)
	setEntry(v, "EMAIL", "USERID", email, "INTERNET")
	setEntry(v, "TEL", "NUMBER", tel, "VOICE")
	if r.FormValue("remove_photo") != "" {
		v.RemoveChildren(vcardNS, "PHOTO")
	}
	if f, _, err := r.FormFile("photo"); err == nil {
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, int64(h.cfg.MaxPhotoBytes)+1))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if len(data) > h.cfg.MaxPhotoBytes {
			h.profileProblem(w, r, s, v, fmt.Sprintf("The picture is too large: at most %d KB.", h.cfg.MaxPhotoBytes/1024))
			return
		}
		typ := imageType(data)
		if typ == "" {
			h.profileProblem(w, r, s, v, "The picture must be a PNG, JPEG, GIF or WebP image.")
			return
		}
		setPhoto(v, typ, data)
	}
	if err := h.cfg.VCards.Set(r.Context(), s.User, v); err != nil {
		if strings.Contains(err.Error(), "too large") {
			h.profileProblem(w, r, s, v, "Your profile is too large for this server. Try a smaller picture.")
			return
		}
		h.fail(w, r, err)
		return
	}
	h.log.Info("profile changed on the web", "user", s.User)
	done(w, r, "/me/profile", "profile")
}

func (h *Handler) profileProblem(w http.ResponseWriter, r *http.Request, s session.Session, v *xml.Element, problem string) {
	h.render(w, r, s, "profile", "Your profile", "/me/profile", http.StatusBadRequest, h.profileView(v), problem, nil, nil)
}

func (h *Handler) avatar(w http.ResponseWriter, r *http.Request, s session.Session) {
	v, err := h.card(r.Context(), s.User)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	typ, data, err := photo(v)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if imageType(data) != typ {
		typ = imageType(data) // never serve what the bytes are not
	}
	if typ == "" {
		http.NotFound(w, r)
		return
	}
	pages.SetHeaders(w, r)
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("Content-Type", typ)
	w.Write(data)
}

// ---- preferences ----

type preferencesView struct {
	Share, PublicDomain, Calendar, RemindersOn bool
	RemindersDefault                           string // "on"/"off" when the user never chose, else ""
}

func (h *Handler) preferencesView(ctx context.Context, s session.Session) (preferencesView, error) {
	p, err := h.cfg.Accounts.Preferences(ctx, s.User)
	if err != nil {
		return preferencesView{}, err
	}
	v := preferencesView{Share: p.SharePresence, PublicDomain: h.cfg.PublicDomain(s.Domain()), Calendar: h.cfg.Calendar}
	switch p.Reminders {
	case store.RemindersOn:
		v.RemindersOn = true
	case "":
		v.RemindersOn = h.cfg.RemindersDefault
		v.RemindersDefault = map[bool]string{true: "on", false: "off"}[h.cfg.RemindersDefault]
	}
	return v, nil
}

func (h *Handler) preferences(w http.ResponseWriter, r *http.Request, s session.Session) {
	v, err := h.preferencesView(r.Context(), s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, s, "preferences", "Preferences", "/me/preferences", http.StatusOK, v, "", nil, nil)
}

func (h *Handler) savePreferences(w http.ResponseWriter, r *http.Request, s session.Session) {
	ctx := r.Context()
	if _, err := h.cfg.Accounts.SetSharePresence(ctx, s.User, r.PostFormValue("share") == "on"); err != nil {
		h.fail(w, r, err)
		return
	}
	if h.cfg.Calendar {
		switch r.PostFormValue("reminders") {
		case "on", "off":
			if _, err := h.cfg.Accounts.SetReminders(ctx, s.User, r.PostFormValue("reminders") == "on"); err != nil {
				h.fail(w, r, err)
				return
			}
		}
	}
	h.log.Info("preferences changed on the web", "user", s.User, "share_presence", r.PostFormValue("share") == "on",
		"reminders", r.PostFormValue("reminders"))
	done(w, r, "/me/preferences", "preferences")
}

// ---- password ----

type passwordView struct{ MinLength int }

func (h *Handler) password(w http.ResponseWriter, r *http.Request, s session.Session) {
	h.render(w, r, s, "password", "Password", "/me/password", http.StatusOK, passwordView{h.cfg.Accounts.MinPasswordLength}, "", nil, nil)
}

func (h *Handler) savePassword(w http.ResponseWriter, r *http.Request, s session.Session) {
	problem := func(status int, msg string) {
		h.render(w, r, s, "password", "Password", "/me/password", status, passwordView{h.cfg.Accounts.MinPasswordLength}, msg, nil, nil)
	}
	cur, next, confirm := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	if next != confirm {
		problem(http.StatusBadRequest, "The two new passwords differ. Type the same one twice.")
		return
	}
	switch err := h.s.Verify(r, s, cur); {
	case errors.Is(err, c2s.ErrThrottled):
		problem(http.StatusTooManyRequests, "Too many wrong passwords. Wait a few minutes, then try again.")
		return
	case errors.Is(err, c2s.ErrBadCredentials):
		problem(http.StatusUnauthorized, "Your current password is wrong.")
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	if _, err := h.cfg.Accounts.SetPassword(r.Context(), s.User, next); err != nil {
		if errors.Is(err, manage.ErrShortPassword) {
			problem(http.StatusBadRequest, "The new password is too short: "+strings.TrimPrefix(err.Error(), "the password is too short: ")+".")
			return
		}
		problem(http.StatusBadRequest, "The new password cannot be used: "+err.Error()+".")
		return
	}
	// Every sign-in ended with the change; this browser proved the old
	// password and set the new one, so it gets a fresh one.
	if _, err := h.s.Start(w, r, s.User); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("password changed on the web", "user", s.User)
	done(w, r, "/me/password", "password")
}

// ---- sessions ----

type deviceView struct {
	JID, Resource, Presence, Remote, Since string
}

type webView struct {
	ID, Agent, Addr, Created, LastSeen string
	Current                            bool
}

type sessionsView struct {
	XMPP []deviceView
	Web  []webView
}

func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func (h *Handler) sessions(w http.ResponseWriter, r *http.Request, s session.Session) {
	var v sessionsView
	for _, x := range h.cfg.Online.List(s.User) {
		j, _ := jid.Parse(x.JID)
		p := "connected, no status yet"
		if x.Available {
			p = "online"
			if x.Show != "" {
				p = x.Show
			}
			if x.Status != "" {
				p += " (" + x.Status + ")"
			}
		}
		v.XMPP = append(v.XMPP, deviceView{JID: x.JID, Resource: j.Resource(), Presence: p, Remote: x.Remote, Since: utc(x.Connected)})
	}
	list, err := h.s.List(r.Context(), s.User)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, ws := range list {
		agent := ws.Agent
		if agent == "" {
			agent = "(unknown browser)"
		}
		v.Web = append(v.Web, webView{ID: ws.ID, Agent: agent, Addr: ws.Addr, Created: utc(ws.Created), LastSeen: utc(ws.LastSeen), Current: ws.ID == s.ID})
	}
	h.render(w, r, s, "sessions", "Your sessions", "/me/sessions", http.StatusOK, v, "", nil, nil)
}

func (h *Handler) endWebSession(w http.ResponseWriter, r *http.Request, s session.Session) {
	id := r.PostFormValue("id")
	if id == "" || id == s.ID {
		http.Redirect(w, r, "/me/sessions", http.StatusSeeOther)
		return
	}
	if err := h.s.End(r.Context(), s.User, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	done(w, r, "/me/sessions", "ended")
}

func (h *Handler) endDevice(w http.ResponseWriter, r *http.Request, s session.Session) {
	j, err := jid.Parse(r.PostFormValue("jid"))
	if err != nil || j.Bare().String() != s.User || j.IsBare() {
		h.p.Error(w, r, http.StatusBadRequest, "Not your device", "You can disconnect only your own devices.", pages.Link{Text: "Your sessions", Href: "/me/sessions"})
		return
	}
	if _, err := h.cfg.Online.Kick(j.String(), "disconnected by the account's owner"); err != nil && !errors.Is(err, manage.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	done(w, r, "/me/sessions", "device")
}

func (h *Handler) everywhere(w http.ResponseWriter, r *http.Request, s session.Session) {
	h.cfg.Online.Kick(s.User, "signed out everywhere by the account's owner")
	if _, err := h.s.EndAll(r.Context(), s.User); err != nil {
		h.fail(w, r, err)
		return
	}
	h.s.SignOut(w, r)
	h.log.Info("signed out everywhere", "user", s.User)
	http.Redirect(w, r, session.SignInPath+"?next="+url.QueryEscape("/me/sessions"), http.StatusSeeOther)
}

// ---- chat ----

type chatView struct{ With, Name string }

func (h *Handler) chat(w http.ResponseWriter, r *http.Request, s session.Session) {
	with, err := jid.Parse(strings.TrimSpace(r.URL.Query().Get("with")))
	if err != nil || with.Local() == "" {
		h.p.Error(w, r, http.StatusBadRequest, "Whom to chat with?", "The link names nobody to chat with (with=user@domain).",
			pages.Link{Text: "Your account", Href: "/me/"})
		return
	}
	bare := with.Bare().String()
	v := chatView{With: bare}
	if c, err := h.card(r.Context(), bare); err == nil {
		v.Name = field(c, "FN")
	}
	h.render(w, r, s, "chat", "Chat with "+bare, "", http.StatusOK, v, "", []string{"/assets/me/chat.js"},
		map[string]string{"jid": s.User, "domain": s.Domain(), "with": bare, "ticket": session.TicketPath})
}

// ---- vCard helpers ----

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max])
	}
	return s
}

func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return len(s) <= 254 && at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n<>\"(),;:[]\\") && strings.Count(s, "@") == 1
}

func validTel(s string) bool {
	if strings.HasPrefix(strings.ToLower(s), "sip:") || strings.HasPrefix(strings.ToLower(s), "sips:") {
		return len(s) <= 100 && !strings.ContainsAny(s, " \t\r\n<>\"")
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-() ./*#", r):
		default:
			return false
		}
	}
	return digits >= 3
}

// setText replaces v's child name with text (removes it when empty).
func setText(v *xml.Element, name, text string) {
	if el := v.Child(vcardNS, name); el != nil && text != "" {
		el.SetText(text)
		return
	}
	v.RemoveChildren(vcardNS, name)
	if text != "" {
		v.AddChild(xml.NewElement(vcardNS, name).SetText(text))
	}
}

// setEntry sets the value (child valueName) of v's preferred entry name,
// adding one (with a type child and PREF) if there is none, or removing
// it when value is empty; other entries stay.
func setEntry(v *xml.Element, name, valueName, value, typ string) {
	e := preferred(v, name)
	if value == "" {
		if e != nil {
			kept := v.Children[:0]
			for _, c := range v.Children {
				if c != e {
					kept = append(kept, c)
				}
			}
			v.Children = kept
		}
		return
	}
	if e == nil {
		e = xml.NewElement(vcardNS, name)
		e.AddChild(xml.NewElement(vcardNS, typ))
		e.AddChild(xml.NewElement(vcardNS, "PREF"))
		v.AddChild(e)
	}
	if c := e.Child(vcardNS, valueName); c != nil {
		c.SetText(value)
	} else {
		e.AddChild(xml.NewElement(vcardNS, valueName).SetText(value))
	}
}

func setPhoto(v *xml.Element, typ string, data []byte) {
	v.RemoveChildren(vcardNS, "PHOTO")
	p := xml.NewElement(vcardNS, "PHOTO")
	p.AddChild(xml.NewElement(vcardNS, "TYPE").SetText(typ))
	p.AddChild(xml.NewElement(vcardNS, "BINVAL").SetText(b64(data)))
	v.AddChild(p)
}

// imageType is the type of an image the profile accepts, from its first
// bytes ("" for anything else).
func imageType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "image/gif"
	case len(b) > 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return "image/webp"
	}
	return ""
}
