// Package webchat serves live help's web side on the foundation of
// web/pages: the guest chat page at /imtapp/im/imWebChatClient.jsp (the
// seed's URL: a site's chat request arrives there by POST, or GET with
// the same query), the visitor's login tickets, leave-a-message, the
// transcript download, and the site's button script /livehelp.js with
// the group status it reads (/livehelp/status).
//
// A valid request answers 200 with the chat page and sets the guest's
// session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS); the page
// then replaces its URL with /imtapp/im/chat, which shows the same chat
// from the cookie (a reload, or the visitor's way back). A request that
// fails answers a page saying what to do: 400 for a malformed request,
// 403 for one refused, replayed, from a site without guest chat or for a
// target the site may not reach, 429 after too many failures; it never
// says which secret was wrong.
//
// The page works without JavaScript for what needs no XMPP (the
// history, the transcript, leaving a message, ending); its module
// (assets/chat.js) logs the guest in with xmpp.js and single-use tickets
// from POST /imtapp/im/chat/ticket (CSRF-protected, like every POST
// after the first).
package webchat

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/parley-im/parley/livehelp"
	"github.com/parley-im/parley/web/pages"
)

//go:embed templates assets
var files embed.FS

// Paths.
const (
	RequestPath    = "/imtapp/im/imWebChatClient.jsp"
	ChatPath       = "/imtapp/im/chat"
	TicketPath     = "/imtapp/im/chat/ticket"
	LeavePath      = "/imtapp/im/chat/leave"
	EndPath        = "/imtapp/im/chat/end"
	TranscriptPath = "/imtapp/im/chat/transcript"
	ButtonPath     = "/livehelp.js"
	StatusPath     = "/livehelp/status"
)

// cookieName holds the guest's web session.
const cookieName = "parley_livehelp"

// maxRequestBody bounds a chat request's or form's body.
const maxRequestBody = 64 << 10

// Config configures the handlers.
type Config struct {
	Service *livehelp.Service
	Pages   *pages.Pages
	// ClientAddr is the client's address (trusted proxies applied), for
	// the limit on failed chat requests.
	ClientAddr func(*http.Request) netip.Addr
	Logger     *slog.Logger
}

// Handler serves live help's pages.
type Handler struct {
	cfg   Config
	lh    *livehelp.Service
	p     *pages.Pages
	chat  *pages.Template
	ended *pages.Template
	log   *slog.Logger
}

// New parses the templates and adds the page's assets to p.
func New(cfg Config) (*Handler, error) {
	h := &Handler{cfg: cfg, lh: cfg.Service, p: cfg.Pages, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	assets, err := fs.Sub(files, "assets")
	if err != nil {
		return nil, err
	}
	if err := h.p.AddAssets("livehelp", assets); err != nil {
		return nil, err
	}
	if h.chat, err = h.p.Parse(files, "templates/chat.html"); err != nil {
		return nil, err
	}
	if h.ended, err = h.p.Parse(files, "templates/ended.html"); err != nil {
		return nil, err
	}
	return h, nil
}

// Register mounts the handlers on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+RequestPath, h.request)
	mux.HandleFunc("POST "+RequestPath, h.request)
	mux.HandleFunc("GET "+ChatPath, h.reload)
	mux.Handle("POST "+TicketPath, h.p.Protect(1024, http.HandlerFunc(h.ticket)))
	mux.Handle("POST "+LeavePath, h.p.Protect(maxRequestBody, http.HandlerFunc(h.leave)))
	mux.Handle("POST "+EndPath, h.p.Protect(1024, http.HandlerFunc(h.end)))
	mux.HandleFunc("GET "+TranscriptPath, h.transcript)
	mux.HandleFunc("GET "+ButtonPath, h.button)
	mux.HandleFunc("GET "+StatusPath, h.status)
}

// request takes a site's chat request (seed: POST; GET with the same
// query works too) and answers the chat page, or a page saying why not.
func (h *Handler) request(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		h.p.Error(w, r, http.StatusBadRequest, "This live-help request is incomplete",
			"The request could not be read. Go back to the site and press the Live Help button again.")
		return
	}
	req, err := livehelp.ParseRequest(r.Form)
	if err != nil {
		h.refused(w, r, err)
		return
	}
	addr := netip.Addr{}
	if h.cfg.ClientAddr != nil {
		addr = h.cfg.ClientAddr(r)
	}
	adm, err := h.lh.Admit(r.Context(), req, addr)
	if err != nil {
		h.refused(w, r, err)
		return
	}
	h.p.SetCookie(w, r, cookieName, adm.Cookie, adm.Session.Expires.Sub(adm.Session.Created), http.SameSiteLaxMode)
	h.page(w, r, adm.Session)
}

// refused answers a request that failed, saying what to do and nothing
// about which secret was wrong.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, err error) {
	back := " Go back to the site and press the Live Help button again."
	switch {
	case errors.Is(err, livehelp.ErrMalformed):
		msg := strings.TrimPrefix(err.Error(), livehelp.ErrMalformed.Error()+": ")
		h.p.Error(w, r, http.StatusBadRequest, "This live-help request is incomplete",
			"The site sent a request Parley cannot use ("+msg+")."+back+" If it happens again, tell the site: its live-help set-up needs fixing.")
	case errors.Is(err, livehelp.ErrReplayed):
		h.p.Error(w, r, http.StatusForbidden, "This live-help link was already used",
			"Each link starts one chat, once."+back)
	case errors.Is(err, livehelp.ErrRefused):
		h.p.Error(w, r, http.StatusForbidden, "This live-help link is not valid",
			"It may have expired, or been changed on the way."+back)
	case errors.Is(err, livehelp.ErrSiteDisabled):
		h.p.Error(w, r, http.StatusForbidden, "Live help is not available for this site",
			"This site may not start chats here at the moment. Please contact the site another way.")
	case errors.Is(err, livehelp.ErrNotTarget):
		h.p.Error(w, r, http.StatusForbidden, "This support team cannot be reached from here",
			"The site asked for a team or person that does not take its visitors' chats."+back)
	case errors.Is(err, livehelp.ErrTooMany):
		w.Header().Set("Retry-After", "60")
		h.p.Error(w, r, http.StatusTooManyRequests, "Too many attempts",
			"Too many live-help requests from your network failed. Wait a minute, then go back to the site and try again.")
	default:
		h.log.Error("livehelp: chat request", "err", err)
		h.p.Error(w, r, http.StatusInternalServerError, "Something went wrong",
			"The chat could not be started. Please try again in a moment.")
	}
}

// session is the request's guest web session, or nil after an answer.
func (h *Handler) session(w http.ResponseWriter, r *http.Request) *livehelp.GuestSession {
	gs, ok := h.lh.Session(h.p.Cookie(r, cookieName))
	if !ok {
		h.p.Error(w, r, http.StatusForbidden, "This chat is over",
			"Your chat session has ended or expired. Go back to the site and press the Live Help button to start a new chat.")
		return nil
	}
	return gs
}

// reload shows the chat of the cookie's session (after a reload).
func (h *Handler) reload(w http.ResponseWriter, r *http.Request) {
	if gs := h.session(w, r); gs != nil {
		h.page(w, r, gs)
	}
}

// chatView is what the chat page shows.
type chatView struct {
	DisplayName string
	TargetName  string
	Subject     string
	History     []livehelp.Transcript
	Open        *livehelp.Transcript // the chat still open, if any (its lines are shown as current)
	Offline     bool                 // the group has nobody online: the page starts with the leave-a-message form
}

// pageConfig is what the page's module needs.
type pageConfig struct {
	Guest       string `json:"guest"`
	Domain      string `json:"domain"`
	Target      string `json:"target"`
	TargetName  string `json:"targetName"`
	DisplayName string `json:"displayName"`
	TicketURL   string `json:"ticketURL"`
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request, gs *livehelp.GuestSession) {
	c := gs.Context
	history, err := h.lh.History(r.Context(), gs)
	if err != nil {
		h.log.Error("livehelp: history", "guest", c.Guest, "err", err)
	}
	v := chatView{DisplayName: c.DisplayName, TargetName: c.TargetName, Subject: c.Subject}
	for i := range history {
		if history[i].State == "open" && i == len(history)-1 {
			v.Open = &history[i]
			history = history[:i]
			break
		}
	}
	v.History = history
	if c.IsGroup {
		if st, ok := h.lh.GroupStatus(r.Context(), c.Target); ok && st.State == "offline" && v.Open == nil {
			v.Offline = true
		}
	}
	domain := c.Guest[strings.LastIndexByte(c.Guest, '@')+1:]
	h.p.Render(w, r, h.chat, http.StatusOK, pages.View{
		Title:   "Live help: " + c.TargetName,
		Scripts: []string{"/assets/livehelp/chat.js"},
		Class:   "livehelp",
		Config: pageConfig{Guest: c.Guest, Domain: domain, Target: c.Target, TargetName: c.TargetName,
			DisplayName: c.DisplayName, TicketURL: TicketPath},
		Data: v,
	})
}

// ticket mints a single-use login ticket for the page's module.
func (h *Handler) ticket(w http.ResponseWriter, r *http.Request) {
	gs, ok := h.lh.Session(h.p.Cookie(r, cookieName))
	if !ok {
		jsonError(w, http.StatusForbidden, "the chat session is over")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"ticket": h.lh.Ticket(gs), "jid": gs.Context.Guest})
}

// leave takes the leave-a-message form.
func (h *Handler) leave(w http.ResponseWriter, r *http.Request) {
	gs := h.session(w, r)
	if gs == nil {
		return
	}
	err := h.lh.LeaveMessage(r.Context(), gs, r.PostFormValue("message"), r.PostFormValue("email"))
	switch {
	case errors.Is(err, livehelp.ErrMalformed):
		h.p.Error(w, r, http.StatusBadRequest, "The message was not sent",
			strings.TrimPrefix(err.Error(), livehelp.ErrMalformed.Error()+": ")+". Go back and correct it.",
			pages.Link{Text: "Back to the chat", Href: ChatPath})
	case err != nil:
		h.log.Error("livehelp: leave a message", "guest", gs.Context.Guest, "err", err)
		h.p.Error(w, r, http.StatusServiceUnavailable, "The message was not sent", "Please try again in a moment.",
			pages.Link{Text: "Back to the chat", Href: ChatPath})
	default:
		h.p.Render(w, r, h.ended, http.StatusOK, pages.View{Title: "Message sent", Class: "livehelp",
			Data: endedView{Title: "Thank you, your message was sent",
				Message: "The team will read it as soon as someone is available" + ifEmail(r.PostFormValue("email")) + "."}})
	}
}

func ifEmail(e string) string {
	if strings.TrimSpace(e) == "" {
		return ""
	}
	return ", and answer by e-mail"
}

type endedView struct {
	Title   string
	Message string
}

// end ends the chat and the web session.
func (h *Handler) end(w http.ResponseWriter, r *http.Request) {
	cookie := h.p.Cookie(r, cookieName)
	if err := h.lh.EndSession(r.Context(), cookie); err != nil {
		h.log.Warn("livehelp: end a chat", "err", err)
	}
	h.p.ClearCookie(w, r, cookieName)
	h.p.Render(w, r, h.ended, http.StatusOK, pages.View{Title: "Chat ended", Class: "livehelp",
		Data: endedView{Title: "The chat has ended", Message: "Thank you. You can close this window."}})
}

// transcript downloads the visitor's chats as text.
func (h *Handler) transcript(w http.ResponseWriter, r *http.Request) {
	gs := h.session(w, r)
	if gs == nil {
		return
	}
	ts, err := h.lh.History(r.Context(), gs)
	if err != nil {
		h.log.Error("livehelp: transcript", "guest", gs.Context.Guest, "err", err)
		h.p.Error(w, r, http.StatusServiceUnavailable, "The transcript is not available", "Please try again in a moment.")
		return
	}
	pages.SetHeaders(w, r)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="live-help-transcript.txt"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(livehelp.TranscriptText(ts)))
}

// status answers /livehelp/status?group=G: the group's state for
// /livehelp.js (any origin may read it, like the seed-004 endpoint).
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	group := r.URL.Query().Get("group")
	st, ok := h.lh.GroupStatus(r.Context(), group)
	if !ok {
		jsonError(w, http.StatusNotFound, "no such support group")
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=10")
	writeJSON(w, http.StatusOK, map[string]any{"group": group, "name": st.Name, "state": st.State, "ready": st.Ready,
		"online": st.Online, "waiting": st.Waiting, "wait": int(st.Wait / time.Second)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// button serves /livehelp.js.
func (h *Handler) button(w http.ResponseWriter, r *http.Request) {
	body, err := files.ReadFile("assets/livehelp.js")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	pages.ServeStatic(w, r, body, "text/javascript; charset=utf-8", "")
}
