// Package session signs people in to Parley's own web pages
// (self-service under /me/, the admin console under /admin/, and the
// presence widget's live view) with their XMPP account.
//
// # Signing in
//
// The sign-in page (/signin) is a plain HTML form that POSTs the address
// and password once, over the same origin (CSRF-protected like every
// POST, so nobody can sign a browser in to someone else's account). The
// server checks the password the way a SASL PLAIN login does, against
// the stored SCRAM keys (the password is never stored, not even hashed
// on its own), under the same failed-login limits as XMPP logins
// (package loginlimit, shared with c2s: failures on the web and over
// XMPP count together), and answers every failure alike.
//
// A sign-in is a server-side session: the browser gets a random 256-bit
// secret in a cookie (HttpOnly, SameSite=Lax, Secure and __Host-
// prefixed over HTTPS, see web/pages); the store keeps only the
// secret's SHA-256 (store.WebSessions), with when and from where the
// user signed in, so a list of them can be shown and each ended. A
// session ends when the user signs out, after Lifetime, after Idle
// without a request, when the password changes (account.Manager ends
// them all), or with "sign out everywhere". Nothing of the password
// stays in the browser: the form posts it once and the page that
// answers holds no trace of it.
//
// # XMPP from the pages
//
// Pages that need an XMPP session (the status page, the web chat) log
// in with xmpp.js and SASL OAUTHBEARER using a single-use ticket the
// signed-in session asks for (POST /session/ticket): 256 random bits,
// valid for TicketLife, good for one login to the session's own account
// (c2s TicketAuth calls VerifyTicket). Tickets live in this process's
// memory only.
//
// Concurrency: a Manager is safe for concurrent use; mu guards the
// ticket table and is never held while calling out.
package session
