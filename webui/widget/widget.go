package widget

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parley-im/parley/integration/presence"
	"github.com/parley-im/parley/web/pages"
	"github.com/parley-im/parley/webui/session"
)

//go:embed assets
var files embed.FS

// Paths.
const (
	ScriptPath   = "/widget/presence.js"
	PresencePath = "/widget/v1/presence"
	SignedPath   = "/widget/v1/signed"
	LivePath     = "/widget/v1/live"
)

// Cache is how long a view may be kept: the seed's 60-second presence
// cache.
const Cache = 60 * time.Second

// Config configures the widget's endpoints.
type Config struct {
	Presence *presence.Service
	// VCard reads a user's stored vCard (store.VCards), for the menu's
	// contact entries.
	VCard func(ctx context.Context, owner string) ([]byte, error)
	// Sessions finds signed-in viewers (nil: no live view).
	Sessions *session.Manager
	// Blocks reports whether owner blocks other (XEP-0191): a blocked
	// viewer sees the owner offline.
	Blocks func(owner, other string) bool
	// Hosts are the served domains: pages on them or their subdomains
	// (and on the host Parley answers on) may use the live view.
	Hosts []string
	// Origins are more Origin host patterns (path.Match on host[:port])
	// whose pages may use the live view.
	Origins []string
	// MaxWatch bounds the JIDs one live connection watches.
	MaxWatch int
	// Base ends the live connections when it ends (the server stops:
	// hijacked connections outlive http.Server.Shutdown).
	Base   context.Context
	Now    func() time.Time
	Logger *slog.Logger
}

// Widget serves the script, the polled and signed views, and the live
// view.
type Widget struct {
	cfg    Config
	log    *slog.Logger
	cards  *cardCache
	hub    *hub
	script []byte
	etag   string
}

// New returns the widget's handlers; Run must run for the live view.
func New(cfg Config) *Widget {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxWatch <= 0 {
		cfg.MaxWatch = 200
	}
	if cfg.Base == nil {
		cfg.Base = context.Background()
	}
	if cfg.Blocks == nil {
		cfg.Blocks = func(string, string) bool { return false }
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	script, err := files.ReadFile("assets/presence.js")
	if err != nil {
		panic(err) // embedded at build time
	}
	sum := sha256.Sum256(script)
	w := &Widget{cfg: cfg, log: log.With("component", "widget"), script: script, etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
		cards: &cardCache{load: cfg.VCard, now: cfg.Now, cards: make(map[string]cachedCard)}}
	w.hub = newHub(w)
	return w
}

// Script is presence.js as served.
func (w *Widget) Script() []byte { return w.script }

// Register mounts the endpoints on mux.
func (w *Widget) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ScriptPath, w.serveScript)
	mux.HandleFunc("GET "+PresencePath, w.servePresence)
	mux.HandleFunc("GET "+SignedPath, w.serveSigned)
	mux.HandleFunc("GET "+LivePath, w.serveLive)
}

// Changed tells the live view that bare's presence may have changed
// (router.OnPresence); it never blocks.
func (w *Widget) Changed(bare string) { w.hub.changed(bare) }

// CardChanged drops a user's cached vCard entries (their vCard changed)
// and refreshes their live views.
func (w *Widget) CardChanged(bare string) {
	w.cards.forget(bare)
	w.hub.changed(bare)
}

// Run runs the live view's fan-out until ctx ends.
func (w *Widget) Run(ctx context.Context) { w.hub.run(ctx) }

func (w *Widget) serveScript(rw http.ResponseWriter, r *http.Request) {
	pages.ServeStatic(rw, r, w.script, "text/javascript; charset=utf-8", w.etag)
}

// View is one presentity as the widget shows it (JSON).
type View struct {
	JID    string `json:"jid"`
	State  string `json:"state"`            // online, busy, away or offline (data-parley-state)
	Show   string `json:"show"`             // the seed-004 name: available, chat, away, xa, dnd, offline
	Status string `json:"status,omitempty"` // the status message
	// Shared is false when the viewer may not see this presence: it is
	// shown as offline, with nothing from the vCard.
	Shared bool   `json:"shared"`
	Name   string `json:"name,omitempty"`
	Email  string `json:"email,omitempty"` // mailto: URI
	Call   string `json:"call,omitempty"`  // tel: or sip: URI
}

// hidden is what a viewer who may not see bare's presence gets.
func hidden(bare string) View {
	return View{JID: bare, State: "offline", Show: string(presence.Offline)}
}

// view is bare's presence and card, for a viewer allowed to see it.
func (w *Widget) view(ctx context.Context, bare string, snap presence.Snapshot) View {
	st := snap.State()
	v := View{JID: bare, State: st.Portal(), Show: string(st), Shared: true}
	if rp, ok := snap.Default(); ok {
		v.Status = rp.Status
	}
	c := w.cards.get(ctx, bare)
	v.Name, v.Email, v.Call = c.Name, c.Email, c.Call
	return v
}

// viewFor is bare's view for viewer ("" anonymous).
func (w *Widget) viewFor(ctx context.Context, viewer, bare string) View {
	snap, served := w.cfg.Presence.Presentity(ctx, bare)
	if !served || !w.cfg.Presence.Visible(ctx, viewer, bare) || (viewer != "" && viewer != bare && w.cfg.Blocks(bare, viewer)) {
		return hidden(bare)
	}
	return w.view(ctx, bare, snap)
}

// servePresence is the anonymous view of one presentity, cacheable for
// a minute by anyone (it carries nothing private), from any origin.
func (w *Widget) servePresence(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if len(r.URL.RawQuery) > 1100 || len(q["jid"]) != 1 {
		jsonError(rw, http.StatusBadRequest, "give exactly one jid=user@domain")
		return
	}
	bare, err := presence.ParseJID(q.Get("jid"))
	if err != nil {
		jsonError(rw, http.StatusBadRequest, "jid must be a user's JID (user@domain)")
		return
	}
	writeView(rw, r, "public", w.viewFor(r.Context(), "", bare))
}

// serveSigned is the view a site's signed presence URL allows: the same
// query as /imtapp/Presence, checked the same way. Every failure gives
// the same answer.
func (w *Widget) serveSigned(rw http.ResponseWriter, r *http.Request) {
	bare, st, status, ok := w.cfg.Presence.CheckPresenceURL(r.Context(), r.URL.RawQuery)
	if !ok {
		writeView(rw, r, "private", View{State: "offline", Show: string(presence.Offline)})
		return
	}
	v := View{JID: bare, State: st.Portal(), Show: string(st), Status: status, Shared: true}
	c := w.cards.get(r.Context(), bare)
	v.Name, v.Email, v.Call = c.Name, c.Email, c.Call
	writeView(rw, r, "private", v)
}

// writeView answers a view with the 60-second cache and an ETag (a 304
// when the client has it), readable from any origin.
func writeView(rw http.ResponseWriter, r *http.Request, scope string, v View) {
	body, _ := json.Marshal(v)
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h := rw.Header()
	h.Set("Cache-Control", scope+", max-age=60")
	h.Set("ETag", tag)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	if match(r.Header.Get("If-None-Match"), tag) {
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	rw.Write(body)
}

func match(inm, tag string) bool {
	for _, t := range strings.Split(inm, ",") {
		if t = strings.TrimSpace(t); t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}

func jsonError(rw http.ResponseWriter, status int, msg string) {
	h := rw.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	rw.WriteHeader(status)
	json.NewEncoder(rw).Encode(map[string]string{"error": msg})
}
