package pages

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed templates assets
var files embed.FS

// Config configures Pages.
type Config struct {
	// Secure reports whether a request reached the server over HTTPS,
	// directly or through a trusted proxy; cookies are then Secure and
	// __Host- prefixed. nil means r.TLS != nil.
	Secure func(*http.Request) bool
	// Key signs CSRF tokens. Nodes of one deployment should share it; nil
	// means a random key for this process (tokens end with it).
	Key    []byte
	Logger *slog.Logger
}

// Pages serves the web pages' shared assets and renders their templates.
type Pages struct {
	cfg    Config
	key    []byte
	log    *slog.Logger
	layout *template.Template
	errors *Template
	cop    *http.CrossOriginProtection

	mu     sync.RWMutex
	assets map[string]*asset // URL path under /assets/ -> file
}

// asset is one static file, read once with its validator.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// New returns Pages with the shared assets (/assets/js/xmpp.js,
// /assets/js/page.js, /assets/css/parley.css) and the layout.
func New(cfg Config) *Pages {
	p := &Pages{cfg: cfg, key: cfg.Key, log: cfg.Logger, assets: make(map[string]*asset), cop: http.NewCrossOriginProtection()}
	if p.log == nil {
		p.log = slog.Default()
	}
	if len(p.key) == 0 {
		p.key = make([]byte, 32)
		rand.Read(p.key)
	}
	if p.cfg.Secure == nil {
		p.cfg.Secure = func(r *http.Request) bool { return r.TLS != nil }
	}
	shared, err := fs.Sub(files, "assets")
	if err != nil {
		panic(err) // embedded at build time
	}
	if err := p.AddAssets("", shared); err != nil {
		panic(err)
	}
	p.layout = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html"))
	errs, err := p.Parse(files, "templates/error.html")
	if err != nil {
		panic(err)
	}
	p.errors = errs
	return p
}

var funcs = template.FuncMap{
	// join joins strings, for class lists.
	"join": strings.Join,
}

// AddAssets serves every file of fsys under /assets/<dir>/ ("" for
// /assets/ itself). Files are read now; a later file of the same path
// replaces an earlier one.
func (p *Pages) AddAssets(dir string, fsys fs.FS) error {
	dir = strings.Trim(dir, "/")
	found := make(map[string]*asset)
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".js", ".mjs":
			ctype = "text/javascript; charset=utf-8" // what module scripts need, whatever the host's mime.types says
		case ".css":
			ctype = "text/css; charset=utf-8"
		}
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		found[path.Join(dir, name)] = &asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pages: assets %s: %w", dir, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range found {
		p.assets[k] = v
	}
	return nil
}

// Register mounts GET /assets/ on mux.
func (p *Pages) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /assets/{path...}", p.serveAsset)
}

// serveAsset answers an asset with a validator and a short public cache;
// any origin may load it (a site embeds /livehelp.js; a page of another
// origin may import xmpp.js), since assets carry no secret.
func (p *Pages) serveAsset(w http.ResponseWriter, r *http.Request) {
	p.mu.RLock()
	a := p.assets[r.PathValue("path")]
	p.mu.RUnlock()
	if a == nil {
		p.Error(w, r, http.StatusNotFound, "Not found", "There is no such file.")
		return
	}
	ServeStatic(w, r, a.body, a.ctype, a.etag)
}

// ServeStatic answers a static body with the security headers, a public
// five-minute cache, an ETag (304 when the client has it) and
// Access-Control-Allow-Origin: *. etag "" computes one.
func ServeStatic(w http.ResponseWriter, r *http.Request, body []byte, ctype, etag string) {
	if etag == "" {
		sum := sha256.Sum256(body)
		etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	}
	h := w.Header()
	SetHeaders(w, r)
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", etag)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", ctype)
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

// Template is the layout together with one page's templates.
type Template struct {
	t    *template.Template
	name string
}

// Parse returns the layout with the templates of fsys matching patterns
// added: they define "main" (and optionally "head") for one page.
func (p *Pages) Parse(fsys fs.FS, patterns ...string) (*Template, error) {
	t, err := p.layout.Clone()
	if err != nil {
		return nil, err
	}
	if _, err := t.ParseFS(fsys, patterns...); err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	name := ""
	if len(patterns) > 0 {
		name = path.Base(patterns[0])
	}
	return &Template{t: t, name: name}, nil
}

// View is what the layout shows around a page.
type View struct {
	Title string // the document title (" · Parley" is appended)
	Lang  string // the document language; "" means "en"
	// Scripts are module scripts the page loads, server paths such as
	// "/assets/livehelp/chat.js".
	Scripts []string
	// Config is given to the page's scripts as JSON (data-config on
	// <body>); nil for none.
	Config any
	// CSRF is the token forms carry (csrf_token); Render fills it.
	CSRF string
	// Class is added to <body>'s class list.
	Class string
	// Data is the page's own data, for its templates.
	Data any
}

// layoutView is View as the layout template reads it.
type layoutView struct {
	View
	ConfigJSON string
}

// Render writes a page with the security headers and status.
func (p *Pages) Render(w http.ResponseWriter, r *http.Request, t *Template, status int, v View) {
	if v.Lang == "" {
		v.Lang = "en"
	}
	if v.CSRF == "" {
		v.CSRF = p.CSRFToken(w, r)
	}
	lv := layoutView{View: v}
	if v.Config != nil {
		b, err := json.Marshal(v.Config)
		if err != nil {
			p.log.Error("pages: page config", "page", t.name, "err", err)
			p.Error(w, r, http.StatusInternalServerError, "Something went wrong", "The page could not be shown. Please try again later.")
			return
		}
		lv.ConfigJSON = string(b)
	}
	var buf bytes.Buffer
	if err := t.t.ExecuteTemplate(&buf, "layout.html", lv); err != nil {
		p.log.Error("pages: render", "page", t.name, "err", err)
		if t != p.errors {
			p.Error(w, r, http.StatusInternalServerError, "Something went wrong", "The page could not be shown. Please try again later.")
		}
		return
	}
	SetHeaders(w, r)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Link is a link an error page offers.
type Link struct {
	Text string
	Href string
}

// ErrorData is what the error page shows.
type ErrorData struct {
	Status  int
	Title   string
	Message string
	Links   []Link
}

// Error answers with a short page: a title, what happened and what to
// do. The message is shown to the visitor as written: never put a secret
// or an internal error in it.
func (p *Pages) Error(w http.ResponseWriter, r *http.Request, status int, title, message string, links ...Link) {
	p.Render(w, r, p.errors, status, View{Title: title, Class: "error-page", Data: ErrorData{Status: status, Title: title, Message: message, Links: links}})
}
