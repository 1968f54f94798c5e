// Package page serves the conference pages on the web-page foundation
// (web/pages): the conference page at a conference's join URL, where the
// host and the attendees meet (participants with live presence, chat,
// shared links, raised hands, the host's controls), and the playback
// page that replays a conference's timeline.
//
// The pages are plain ES modules under /assets/conference/: room.js
// speaks the conference's room protocol over the shared XMPP module
// (/assets/js/xmpp.js) and knows nothing of the page, so that audio,
// video and screen sharing can join the same room later; conference.js
// and playback.js are the views. A join key travels in the URL's
// fragment, which browsers never send to a server; the scripts give it
// to the JSON endpoints below in CSRF-protected POSTs:
//
//	POST /conference/{id}/describe   key        → the conference and who the key's holder is
//	POST /conference/{id}/lock       key locked → the host locks or unlocks the conference
//	POST /conference/{id}/end        key        → the host ends it (GRACEFUL)
//	POST /conference/{id}/enrol      token key  → a registered user enrols (enrollmentRequired)
//	POST /conference/{id}/guest      key confkey name → a guest's pass: its JID and login ticket
//	POST /conference/{id}/timeline   t ck after → a page of the timeline (playback)
//
// Joining is entering the conference's room: a registered user logs in
// to XMPP in the page with their own password (SCRAM), and the room
// admits them by the conference's rules (package conference, Admit).
package page

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/web/pages"
	"github.com/parley-im/parley/xmpp/jid"
)

//go:embed templates assets
var files embed.FS

// Options configure a Handler.
type Options struct {
	Pages       *pages.Pages
	Conferences *conference.Manager
	// Domain is the XMPP domain registered users log in to.
	Domain string
	// User resolves a user's authentication token (createSession) to the
	// user's bare JID, for enrolment; nil refuses every enrolment.
	User   func(ctx context.Context, token string) (string, error)
	Logger *slog.Logger
}

// Handler serves the conference and playback pages and their endpoints.
type Handler struct {
	o        Options
	log      *slog.Logger
	page     *pages.Template
	playback *pages.Template
}

// New builds the handler and adds its assets to the pages.
func New(o Options) (*Handler, error) {
	h := &Handler{o: o, log: o.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	assets, err := fs.Sub(files, "assets")
	if err != nil {
		return nil, err
	}
	if err := o.Pages.AddAssets("conference", assets); err != nil {
		return nil, err
	}
	if h.page, err = o.Pages.Parse(files, "templates/conference.html"); err != nil {
		return nil, err
	}
	if h.playback, err = o.Pages.Parse(files, "templates/playback.html"); err != nil {
		return nil, err
	}
	return h, nil
}

// maxForm bounds the endpoints' request bodies.
const maxForm = 8 << 10

// Register mounts the pages and endpoints on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	p := h.o.Pages
	mux.HandleFunc("GET /conference/{id}", h.conferencePage)
	mux.HandleFunc("GET /conference/{id}/playback", h.playbackPage)
	mux.Handle("POST /conference/{id}/describe", p.Protect(maxForm, http.HandlerFunc(h.describe)))
	mux.Handle("POST /conference/{id}/lock", p.Protect(maxForm, http.HandlerFunc(h.lock)))
	mux.Handle("POST /conference/{id}/end", p.Protect(maxForm, http.HandlerFunc(h.end)))
	mux.Handle("POST /conference/{id}/enrol", p.Protect(maxForm, http.HandlerFunc(h.enrol)))
	mux.Handle("POST /conference/{id}/guest", p.Protect(maxForm, http.HandlerFunc(h.guest)))
	mux.Handle("POST /conference/{id}/timeline", p.Protect(maxForm, http.HandlerFunc(h.timeline)))
}

// lookup finds the conference of the request's path; a 404 page when
// there is none.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request, asJSON bool) (store.Conference, bool) {
	c, err := h.o.Conferences.Lookup(r.Context(), r.PathValue("id"))
	if err == nil {
		return c, true
	}
	status, msg := http.StatusNotFound, "There is no such conference: check the link you were given."
	if !errors.Is(err, conference.ErrNotFound) {
		h.log.Error("conference page", "conference", r.PathValue("id"), "err", err)
		status, msg = http.StatusInternalServerError, "The conference could not be looked up. Try again in a moment."
	}
	if asJSON {
		writeJSON(w, r, status, map[string]string{"error": msg})
	} else {
		h.o.Pages.Error(w, r, status, "Conference not found", msg)
	}
	return store.Conference{}, false
}

// pageData is what the conference and playback templates show before
// their scripts run. Only a publicly listed conference shows its title,
// description and times to whoever has its address; the others show them
// once the script has proved a key (describe, timeline).
type pageData struct {
	ID, Title, Description string
	Start, End             time.Time
	Status                 string
	Public                 bool
}

// publicData is what anyone may see of a conference.
func publicData(c store.Conference, status string) pageData {
	d := pageData{ID: c.ID, Title: "Conference", Status: status, Public: c.Flags.PubliclyListed}
	if d.Public {
		d.Title, d.Description, d.Start, d.End = title(c), c.Desc, c.StartAt, c.EndAt
	}
	return d
}

func (h *Handler) conferencePage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.lookup(w, r, false)
	if !ok {
		return
	}
	status, _ := conference.Status(c, time.Now(), h.o.Conferences.EarlyJoin())
	d := publicData(c, status)
	h.o.Pages.Render(w, r, h.page, http.StatusOK, pages.View{
		Title:   d.Title,
		Scripts: []string{"/assets/conference/conference.js"},
		Class:   "conference-page",
		Config:  map[string]any{"id": c.ID},
		Data:    d,
	})
}

func (h *Handler) playbackPage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.lookup(w, r, false)
	if !ok {
		return
	}
	d := publicData(c, "")
	h.o.Pages.Render(w, r, h.playback, http.StatusOK, pages.View{
		Title:   "Playback: " + d.Title,
		Scripts: []string{"/assets/conference/playback.js"},
		Class:   "playback-page",
		Config:  map[string]any{"id": c.ID},
		Data:    d,
	})
}

func title(c store.Conference) string {
	if c.Title != "" {
		return c.Title
	}
	return "Conference " + c.ID
}

// you is what the page learns about the holder of a join key.
type you struct {
	Role   string `json:"role"` // host or attendee
	Name   string `json:"name"`
	UserID string `json:"userID,omitempty"` // a registered user logs in as this account
	Local  string `json:"local,omitempty"`  // its local part, when on this server's domain
	Guest  bool   `json:"guest"`            // no account: joins as a guest
}

// description is the answer of describe.
type description struct {
	ID             string    `json:"id"`
	Title          string    `json:"title"`
	Description    string    `json:"description"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	Status         string    `json:"status"`
	State          string    `json:"state"`
	OpensAt        time.Time `json:"opensAt"`
	Room           string    `json:"room"`
	Domain         string    `json:"domain"`
	KeyRequired    bool      `json:"keyRequired"`
	RegisteredOnly bool      `json:"registeredOnly"`
	InvitedOnly    bool      `json:"invitedOnly"`
	Enrollment     bool      `json:"enrollment"` // the uninvited enrol first (POST enrol)
	// GuestsAllowed: people without an account may join with the
	// conference's link, by display name (POST guest).
	GuestsAllowed bool   `json:"guestsAllowed"`
	You           *you   `json:"you"`
	ExitURL       string `json:"exitURL,omitempty"`
	StartURL      string `json:"startURL,omitempty"`
}

// describe tells the page about the conference and, with a join key,
// about its holder. Without a key it tells only what a visitor needs to
// try to join (its title, description and times too when it is publicly
// listed): the page's address is easily shared. A key that does not fit
// is a 403.
func (h *Handler) describe(w http.ResponseWriter, r *http.Request) {
	c, ok := h.lookup(w, r, true)
	if !ok {
		return
	}
	now := time.Now()
	status, _ := conference.Status(c, now, h.o.Conferences.EarlyJoin())
	d := description{ID: c.ID, Title: title(c), Description: c.Desc, Start: c.StartAt, End: c.EndAt, Status: status, State: c.State,
		OpensAt: c.StartAt.Add(-h.o.Conferences.EarlyJoin()), Room: c.RoomJID, Domain: h.o.Domain, KeyRequired: c.Key != "",
		RegisteredOnly: c.Flags.RegisteredUserOnly, InvitedOnly: c.Flags.HostInvitedOnly, Enrollment: c.Flags.EnrollmentRequired,
		ExitURL:  c.URLs.AttendeeExit,
		StartURL: c.URLs.AttendeeStart}
	d.GuestsAllowed = h.o.Conferences.GuestsWelcome(r.Context(), c)
	key := r.PostFormValue("key")
	if key == "" && !c.Flags.PubliclyListed {
		d.Title, d.Description, d.Start, d.End, d.ExitURL, d.StartURL = "Conference", "", time.Time{}, time.Time{}, "", ""
	}
	if key != "" {
		p, ok := conference.ParticipantByKey(c, key)
		if !ok {
			writeJSON(w, r, http.StatusForbidden, map[string]string{"error": "This link is not valid for this conference: check the link you were given."})
			return
		}
		y := &you{Role: p.Role, Name: conference.Name(p), UserID: p.UserID, Guest: p.UserID == ""}
		if local, dom, found := strings.Cut(p.UserID, "@"); found && dom == h.o.Domain {
			y.Local = local
		}
		d.You = y
		if p.Role == store.RoleHost {
			d.ExitURL, d.StartURL, d.KeyRequired = c.URLs.HostExit, "", false
		}
	}
	writeJSON(w, r, http.StatusOK, d)
}

// hostOnly checks that the request's key is the conference's host's.
func (h *Handler) hostOnly(w http.ResponseWriter, r *http.Request) (store.Conference, bool) {
	c, ok := h.lookup(w, r, true)
	if !ok {
		return c, false
	}
	p, ok := conference.ParticipantByKey(c, r.PostFormValue("key"))
	if !ok || p.Role != store.RoleHost {
		writeJSON(w, r, http.StatusForbidden, map[string]string{"error": "Only the host may do this."})
		return c, false
	}
	return c, true
}

func (h *Handler) lock(w http.ResponseWriter, r *http.Request) {
	c, ok := h.hostOnly(w, r)
	if !ok {
		return
	}
	locked := r.PostFormValue("locked") == "true"
	if err := h.o.Conferences.SetLocked(r.Context(), c.ID, locked); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]bool{"locked": locked})
}

func (h *Handler) end(w http.ResponseWriter, r *http.Request) {
	c, ok := h.hostOnly(w, r)
	if !ok {
		return
	}
	if err := h.o.Conferences.End(r.Context(), c.ID, conference.EndGraceful); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]string{"ended": conference.EndGraceful})
}

// enrol enrols the user a token names (a live token of theirs, from
// createSession) in the conference, with its conference key.
func (h *Handler) enrol(w http.ResponseWriter, r *http.Request) {
	c, ok := h.lookup(w, r, true)
	if !ok {
		return
	}
	user := ""
	if h.o.User != nil {
		user, _ = h.o.User(r.Context(), r.PostFormValue("token"))
	}
	if user == "" {
		writeJSON(w, r, http.StatusForbidden, map[string]string{"error": "The user name or password is wrong."})
		return
	}
	_, err := h.o.Conferences.Enrol(r.Context(), c.ID, user, r.PostFormValue("key"))
	switch {
	case err == nil:
		writeJSON(w, r, http.StatusOK, map[string]string{"enrolled": user})
	case errors.Is(err, conference.ErrBadKey):
		writeJSON(w, r, http.StatusForbidden, map[string]string{"error": "The conference key is wrong, or missing."})
	case errors.Is(err, conference.ErrNotAllowed):
		writeJSON(w, r, http.StatusForbidden, map[string]string{"error": "Only the people the host invited may join this conference."})
	case errors.Is(err, conference.ErrParticipants):
		writeJSON(w, r, http.StatusConflict, map[string]string{"error": "The conference is full."})
	default:
		h.fail(w, r, err)
	}
}

// guest issues a guest's pass: with a guest invitee's (or host's) join
// key, or with the conference's link and a display name where guests
// are welcome. The answer is the guest's JID and its login ticket
// (OAUTHBEARER), which only this page learns.
func (h *Handler) guest(w http.ResponseWriter, r *http.Request) {
	c, ok := h.lookup(w, r, true)
	if !ok {
		return
	}
	pass, err := h.o.Conferences.GuestPass(r.Context(), conference.GuestRequest{ConferenceID: c.ID, JoinKey: r.PostFormValue("key"),
		ConferenceKey: r.PostFormValue("confkey"), Name: r.PostFormValue("name")})
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "conference: ")
		switch {
		case errors.Is(err, conference.ErrBadKey), errors.Is(err, conference.ErrGuestsNotAllowed), errors.Is(err, conference.ErrClosed):
			writeJSON(w, r, http.StatusForbidden, map[string]string{"error": msg})
		case errors.Is(err, conference.ErrParticipants):
			writeJSON(w, r, http.StatusServiceUnavailable, map[string]string{"error": msg})
		default:
			h.fail(w, r, err)
		}
		return
	}
	j, _ := jid.Parse(pass.JID)
	writeJSON(w, r, http.StatusOK, map[string]any{"jid": pass.JID, "domain": j.Domain(), "ticket": pass.Secret, "name": pass.Name,
		"host": pass.Host})
}

// event is one timeline entry as the playback page reads it.
type event struct {
	Seq  int64     `json:"seq"`
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`
	Nick string    `json:"nick,omitempty"`
	Text string    `json:"text,omitempty"`
}

// timelinePage is how many events one timeline answer carries.
const timelinePage = 500

// timeline answers a page of a conference's timeline to the holder of
// its playback link (t) and, where it has one, its conference key (ck:
// as given, or in the playback link's form).
func (h *Handler) timeline(w http.ResponseWriter, r *http.Request) {
	c, ok := h.lookup(w, r, true)
	if !ok {
		return
	}
	if err := conference.CheckPlayback(c, r.PostFormValue("t"), r.PostFormValue("ck")); err != nil {
		msg := "This playback link is not valid: check the link you were given."
		if c.Key != "" && r.PostFormValue("ck") != "" || strings.Contains(err.Error(), "key") {
			msg = "The conference key is needed to play this conference back."
		}
		writeJSON(w, r, http.StatusForbidden, map[string]any{"error": msg, "keyRequired": c.Key != ""})
		return
	}
	after, _ := strconv.ParseInt(r.PostFormValue("after"), 10, 64)
	evs, err := h.o.Conferences.Timeline(r.Context(), c.ID, after, timelinePage+1)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	more := len(evs) > timelinePage
	if more {
		evs = evs[:timelinePage]
	}
	out := make([]event, len(evs))
	for i, e := range evs {
		out[i] = event{Seq: e.Seq, At: e.At.UTC(), Kind: e.Kind, Nick: e.Nick, Text: e.Text}
	}
	started := c.StartedAt
	if started.IsZero() {
		started = c.StartAt
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"title": title(c), "state": c.State, "endCause": c.EndCause,
		"started": started.UTC(), "ended": c.EndedAt.UTC(), "events": out, "more": more})
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, conference.ErrNotFound):
		writeJSON(w, r, http.StatusNotFound, map[string]string{"error": "There is no such conference."})
	case errors.Is(err, conference.ErrClosed):
		writeJSON(w, r, http.StatusConflict, map[string]string{"error": "The conference has ended."})
	default:
		h.log.Error("conference page", "err", err)
		writeJSON(w, r, http.StatusInternalServerError, map[string]string{"error": "Something went wrong; try again in a moment."})
	}
}

// writeJSON answers v as JSON with the pages' security headers, never
// cached.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		body = []byte(fmt.Sprintf(`{"error":%q}`, "internal error"))
		status = http.StatusInternalServerError
	}
	pages.SetHeaders(w, r)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}
