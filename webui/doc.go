// Package webui holds what Parley's pages for people share: the
// stylesheet of the self-service pages and the admin console
// (/assets/webui/webui.css, beside web/pages' parley.css). The pages
// themselves are its sub-packages:
//
//   - session: sign-in with the XMPP account, server-side sessions,
//     single-use XMPP login tickets for the pages;
//   - me: self-service under /me/ (status, vCard, preferences, password,
//     sessions, the web chat);
//   - console: the admin console under /admin/ for the admins;
//   - widget: the presence widget (/widget/presence.js) and its views.
package webui

import (
	"embed"
	"io/fs"

	"github.com/parley-im/parley/web/pages"
)

//go:embed assets
var files embed.FS

// CSS is the path of the shared stylesheet.
const CSS = "/assets/webui/webui.css"

// AddAssets serves the shared assets under /assets/webui/.
func AddAssets(p *pages.Pages) error {
	sub, err := fs.Sub(files, "assets")
	if err != nil {
		return err
	}
	return p.AddAssets("webui", sub)
}
