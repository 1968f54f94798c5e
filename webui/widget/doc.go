// Package widget is the presence widget of seed 000: a web developer
// adds one script to a page,
//
//	<script src="https://HOST/widget/presence.js" defer></script>
//
// and every element with data-parley-jid="user@domain" gets a presence
// icon (an element with data-parley-state = online, busy, away or
// offline, kept up to date), a tooltip with the status message (or the
// state), and a menu to send an instant message, send mail or call (from
// the user's vCard). The script (assets/presence.js) has no dependency,
// works from any origin, under the page's CSP (no inline style or
// script: the icon is SVG, styles are set through the CSSOM) and stays
// small (a test keeps it under 15 KB gzipped).
//
// What a viewer sees follows the rules of the other presence surfaces
// (integration/presence):
//
//   - an anonymous page polls GET /widget/v1/presence?jid=J for each
//     user at most once per 60 seconds (the seed's presence cache:
//     Cache-Control max-age=60 and an ETag, so a poll of an unchanged
//     presence is a 304); it sees users who share their presence
//     publicly (`parley user share-presence`, presence.public_domains)
//     and support groups, everyone else as offline;
//   - an element may carry the site's signed presence URL
//     (data-parley-presence-url, the K1 presence URL of
//     /imtapp/Presence): the widget asks GET /widget/v1/signed with the
//     same query, checked as the presence URL is, and shows what it
//     allows;
//   - a viewer signed in to Parley's pages (webui/session; the page must
//     be same-site with Parley for the browser to send the cookie, and
//     its origin allowed: Origins) gets live updates for every icon of
//     the page over one WebSocket (GET /widget/v1/live), seeing also
//     themselves and the users whose presence they receive by
//     subscription, unless those block them.
//
// Contact entries of the menu (mail, call) come from the vCard's EMAIL
// and TEL of users whose presence the viewer may see; nobody else's.
//
// Concurrency: the live hub's mu guards its watch table and is never
// held while sending; each live connection has its own writer goroutine
// with a bounded queue (a viewer that does not read is disconnected).
// Lock order: hub.mu before liveConn.mu.
package widget
