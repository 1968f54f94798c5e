package widget

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-im/parley/integration/presence"
	"github.com/parley-im/parley/webui/session"
)

// The live view's protocol: JSON text messages over one WebSocket.
//
//	server: {"type":"hello","viewer":"alice@example.com"}   signed in
//	server: {"type":"anonymous"}, then a normal close        not signed in, or a foreign origin
//	client: {"type":"watch","jids":["bob@example.com",...]} (more may follow)
//	server: {"type":"presence", ...View}                     at once, then at every change
//
// The server closes with 4401 when the sign-in ends, 4408 when the
// client does not read (its queue overflowed), 1008 on a bad message.
const (
	statusSignedOut = 4401
	statusSlow      = 4408

	liveQueue     = 256              // views queued per connection
	liveReadLimit = 64 << 10         // bytes of one client message
	sessionCheck  = time.Minute      // how often the sign-in is checked again
	pingEvery     = 30 * time.Second // keeps idle connections through proxies
	visibleFor    = time.Minute      // a visibility decision is reused this long
)

type liveMsg struct {
	Type   string   `json:"type"`
	Viewer string   `json:"viewer,omitempty"`
	JIDs   []string `json:"jids,omitempty"`
	*View
}

// hub fans presence changes out to the live connections watching them.
type hub struct {
	w       *Widget
	mu      sync.Mutex
	watch   map[string]map[*liveConn]struct{} // bare -> watchers
	pending map[string]struct{}               // changed, not yet sent
	wake    chan struct{}                     // capacity 1
}

func newHub(w *Widget) *hub {
	return &hub{w: w, watch: make(map[string]map[*liveConn]struct{}), pending: make(map[string]struct{}), wake: make(chan struct{}, 1)}
}

func (h *hub) changed(bare string) {
	h.mu.Lock()
	if len(h.watch[bare]) > 0 {
		h.pending[bare] = struct{}{}
	}
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *hub) add(c *liveConn, bare string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.watch[bare]
	if m == nil {
		m = make(map[*liveConn]struct{})
		h.watch[bare] = m
	}
	m[c] = struct{}{}
}

func (h *hub) remove(c *liveConn, jids []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, bare := range jids {
		if m := h.watch[bare]; m != nil {
			delete(m, c)
			if len(m) == 0 {
				delete(h.watch, bare)
			}
		}
	}
}

func (h *hub) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		}
		h.mu.Lock()
		batch := h.pending
		h.pending = make(map[string]struct{})
		type job struct {
			bare  string
			conns []*liveConn
		}
		var jobs []job
		for bare := range batch {
			j := job{bare: bare}
			for c := range h.watch[bare] {
				j.conns = append(j.conns, c)
			}
			jobs = append(jobs, j)
		}
		h.mu.Unlock()
		for _, j := range jobs {
			snap, served := h.w.cfg.Presence.Presentity(ctx, j.bare)
			for _, c := range j.conns {
				c.push(h.w.liveView(ctx, c, j.bare, snap, served))
			}
		}
	}
}

// liveConn is one page's live view.
type liveConn struct {
	ws     *websocket.Conn
	viewer string
	out    chan View
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	watched []string
	visible map[string]visibility
}

type visibility struct {
	ok bool
	at time.Time
}

// push queues a view; a connection whose queue is full is ended.
func (c *liveConn) push(v View) {
	select {
	case c.out <- v:
	default:
		c.cancel(errSlow)
	}
}

var (
	errSlow      = errors.New("widget: live viewer does not read")
	errSignedOut = errors.New("widget: signed out")
	errShutdown  = errors.New("widget: the server stops")
)

// liveView is bare's view for c's viewer. Visibility by subscription
// (a store read) is decided again after visibleFor; blocking (held in
// memory) is checked every time.
func (w *Widget) liveView(ctx context.Context, c *liveConn, bare string, snap presence.Snapshot, served bool) View {
	if !served || (c.viewer != bare && w.cfg.Blocks(bare, c.viewer)) {
		return hidden(bare)
	}
	now := w.cfg.Now()
	c.mu.Lock()
	vis, ok := c.visible[bare]
	c.mu.Unlock()
	if !ok || now.Sub(vis.at) >= visibleFor {
		vis = visibility{ok: w.cfg.Presence.Visible(ctx, c.viewer, bare), at: now}
		c.mu.Lock()
		c.visible[bare] = vis
		c.mu.Unlock()
	}
	if !vis.ok {
		return hidden(bare)
	}
	return w.view(ctx, bare, snap)
}

// liveOrigin reports whether a page of origin may use the live view:
// same host name as Parley's, a served domain or a subdomain of one, or
// an allowed pattern. No Origin (not a browser) is allowed: it has no
// cookie it did not get by itself.
func (w *Widget) liveOrigin(r *http.Request, origin string) bool {
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if rh, _, err := net.SplitHostPort(r.Host); err == nil && strings.EqualFold(rh, host) || strings.EqualFold(r.Host, host) {
		return true
	}
	for _, d := range w.cfg.Hosts {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	for _, p := range w.cfg.Origins {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
			return true
		}
	}
	return false
}

func (w *Widget) serveLive(rw http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(rw, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // Origin checked below
	if err != nil {
		return // Accept has answered
	}
	defer ws.CloseNow()
	ws.SetReadLimit(liveReadLimit)
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	stop := context.AfterFunc(w.cfg.Base, func() { cancel(errShutdown) })
	defer stop()

	var s session.Session
	signedIn := false
	if w.cfg.Sessions != nil && w.liveOrigin(r, r.Header.Get("Origin")) {
		s, err = w.cfg.Sessions.Current(r)
		signedIn = err == nil
	}
	if !signedIn {
		writeJSON(ctx, ws, liveMsg{Type: "anonymous"})
		ws.Close(websocket.StatusNormalClosure, "not signed in")
		return
	}
	c := &liveConn{ws: ws, viewer: s.User, out: make(chan View, liveQueue), cancel: cancel, visible: make(map[string]visibility)}
	defer func() {
		c.mu.Lock()
		watched := c.watched
		c.mu.Unlock()
		w.hub.remove(c, watched)
	}()
	if err := writeJSON(ctx, ws, liveMsg{Type: "hello", Viewer: s.User}); err != nil {
		return
	}
	go w.readLive(ctx, c)
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	check := time.NewTicker(sessionCheck)
	defer check.Stop()
	for {
		select {
		case v := <-c.out:
			if err := writeJSON(ctx, ws, liveMsg{Type: "presence", View: &v}); err != nil {
				return
			}
		case <-ping.C:
			pctx, pc := context.WithTimeout(ctx, pingEvery)
			err := ws.Ping(pctx)
			pc()
			if err != nil {
				return
			}
		case <-check.C:
			if _, err := w.cfg.Sessions.Lookup(ctx, s.ID); err != nil {
				cancel(errSignedOut)
			}
		case <-ctx.Done():
			switch context.Cause(ctx) {
			case errSlow:
				ws.Close(statusSlow, "too slow")
			case errSignedOut:
				ws.Close(statusSignedOut, "signed out")
			case errShutdown:
				ws.Close(websocket.StatusGoingAway, "the server stops")
			}
			return
		}
	}
}

// readLive takes the page's watch lists until the connection ends.
func (w *Widget) readLive(ctx context.Context, c *liveConn) {
	defer c.cancel(nil)
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		var m liveMsg
		if typ != websocket.MessageText || json.Unmarshal(data, &m) != nil || m.Type != "watch" {
			c.ws.Close(websocket.StatusPolicyViolation, `expected {"type":"watch","jids":[...]}`)
			return
		}
		for _, j := range m.JIDs {
			bare, err := presence.ParseJID(j)
			if err != nil {
				continue
			}
			c.mu.Lock()
			dup, full := false, len(c.watched) >= w.cfg.MaxWatch
			for _, x := range c.watched {
				dup = dup || x == bare
			}
			if !dup && !full {
				c.watched = append(c.watched, bare)
			}
			c.mu.Unlock()
			if dup || full {
				continue
			}
			w.hub.add(c, bare)
			snap, served := w.cfg.Presence.Presentity(ctx, bare)
			c.push(w.liveView(ctx, c, bare, snap, served))
		}
	}
}

func writeJSON(ctx context.Context, ws *websocket.Conn, m liveMsg) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return ws.Write(wctx, websocket.MessageText, b)
}
