// Package manage holds the administration operations that the command
// line (cmd/parley), the admin console (webui/console) and the running
// server's control channel (control/) share, so that an action does the
// same thing whichever way an operator takes:
//
//   - Accounts: add, remove, change a password, list; a user's opt-ins
//     (presence on the web, calendar reminders). A running server plugs
//     in what only it can do (end the account's sessions, delete its
//     uploads) through the Accounts hooks.
//   - Sessions: the bound client sessions of a running server, listed
//     and kicked (the console, and `parley session` through the control
//     channel).
//   - Rooms: persistent conference rooms, created, listed and destroyed
//     (occupants are told when a running server's MUC service does it).
//   - EndConference: ends a web conference now.
//
// Sites (integration/auth), support groups (livehelp.Groups) and
// conferences (conference.Manager) already live in their own packages,
// which the CLI and the console both call.
package manage
