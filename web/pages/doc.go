// Package pages is the foundation of Parley's own web pages (the guest
// chat of live help, and later the conference page, the presence widget,
// self-service and the admin console): html/template pages and plain ES
// modules served from embed.FS, with no build step and no framework, under
// a strict Content-Security-Policy, with safe cookies and CSRF protection,
// and one shared browser module that speaks XMPP for every page.
//
// # Serving pages
//
// A server builds one Pages with New and mounts its assets with Register
// (GET /assets/...). A feature adds its own files and templates:
//
//	//go:embed templates assets
//	var files embed.FS
//
//	p.AddAssets("livehelp", sub(files, "assets"))          // served as /assets/livehelp/...
//	page, err := p.Parse(files, "templates/chat.html")   // the layout plus this page
//	...
//	p.Render(w, r, page, http.StatusOK, pages.View{
//	    Title:   "Live help",
//	    Scripts: []string{"/assets/livehelp/chat.js"},
//	    Config:  map[string]any{"jid": ...},             // read by the page's JS
//	    Data:    data,                                   // what the template shows
//	})
//
// A page template defines "main" (the content of <main>) and may define
// "head" (extra elements of <head>); the layout (templates/layout.html)
// supplies the document, the stylesheet /assets/css/parley.css, a skip
// link, the module scripts of View.Scripts, View.Config as JSON in the
// data-config attribute of <body> and the CSRF token in data-csrf (no
// inline script: the CSP forbids it). Error answers a status with a short page that says what happened
// and what to do.
//
// # Security
//
// Every page and asset carries the headers of SetHeaders: a CSP that
// allows only the server's own scripts, styles, images and connections
// (plus ws:// and wss:// to the same host), no framing, no inline script
// or style, no plug-ins, forms posting only to the server; nosniff, no
// referrer, COOP same-origin, and no-store for pages.
//
// Cookies set with SetCookie are HttpOnly, SameSite (Lax or Strict as
// asked), Secure and __Host- prefixed when the request came over HTTPS
// (Config.Secure decides, trusted proxies included), Path=/. Cookie reads
// the value under either name.
//
// CSRF: CSRFToken returns a token bound to a per-browser random cookie
// (HMAC with the server's key); a state-changing request carries it in
// the X-CSRF-Token header (page.js's post does) or a csrf_token form
// field. Protect wraps a handler: a non-GET/HEAD/OPTIONS request must
// pass net/http's CrossOriginProtection (Sec-Fetch-Site / Origin) and
// carry a valid token, or it gets a 403 page. Endpoints that must take
// cross-site POSTs by design (the seed's guest chat request) do not use
// Protect and guard themselves.
//
// # The browser modules
//
// /assets/js/xmpp.js is the one XMPP client of every page: XMPP over
// WebSocket (RFC 7395) with BOSH (XEP-0206) as fallback, SASL
// SCRAM-SHA-256, SCRAM-SHA-1, PLAIN or OAUTHBEARER (a single-use ticket,
// as live help's guests use), resource binding, automatic reconnection
// with back-off (fresh credentials each time), presence, messages, chat
// states (XEP-0085) and iq requests; see the comment at its top and
// docs/web.md ("Parley's own pages"). /assets/js/page.js has the small
// helpers every page needs: the page's config, CSRF-protected POSTs, an
// element builder and a polite live region for screen readers.
//
// Concurrency: a Pages is safe for concurrent use. AddAssets (meant for
// start-up) takes the assets' lock; Parse clones the layout, which is
// never changed after New; a Template is only executed after that.
package pages
