// Package livehelp is live help (seed 001 chapter 4): web-site visitors
// chat with an online support group, or one person, as restricted
// guests, and the group's agents answer from any XMPP client.
//
// The flow of the seed's Figure 4-2:
//
//  1. A site's page shows a button whose state follows the group's
//     presence (GroupStatus: every presence surface reads it).
//  2. The site computes the request context and its tokenDigest with a
//     GUESTCHAT token, and the visitor's browser posts it to
//     /imtapp/im/imWebChatClient.jsp. ParseRequest and Admit check it
//     (digest, token, site settings, target, replay) and open the guest's
//     web session; the guest (a restricted temporary user, store.Guest)
//     is the same for the same r_fromUserJID until it expires.
//  3. The chat page (package livehelp/webchat) logs the guest in over
//     XMPP with single-use tickets (Ticket; BearerVerify checks them for
//     SASL OAUTHBEARER on the guest domain, guest.<host>).
//  4. The guest's first message opens a chat on its target's desk (the
//     one type that owns a target's queue): it is offered to the group's
//     agents by the group's strategy (broadcast, round-robin,
//     least-busy), as an ordinary chat message from the guest's JID; the
//     first agent to reply takes it, the others are told. Offers lapse
//     after the group's offer timeout and are made again; an agent takes
//     at most the group's maximum of chats. Waiting visitors see their
//     position and estimated wait; with nobody online they leave a
//     message (LeaveMessage). Agents transfer chats, supervisors watch
//     them and take them over (commands in agent.go). Every line goes to
//     the transcript (store.Transcripts), which the agent, the visitor
//     (History, TranscriptText) and the site (SiteTranscripts, over SOAP
//     and JSON) read.
//
// Guest restrictions (guest.go): GuestStanza takes every stanza of a
// guest session in place of the server's routing: messages only to the
// target, presence only to it, no subscriptions, no rooms, no rosters,
// only ping and the server's disco#info; guests get presence only from
// their target, and nobody but their agents may write to them (the guest
// domain is served by Receive).
//
// Concurrency: one goroutine, the loop, owns the desks, chats and
// connected guests (an actor: work reaches it through a bounded queue of
// closures, post, and call for HTTP requests that wait for an answer);
// nothing else touches them, so they need no lock. It calls the store
// synchronously (chats are few and short writes). Timers (offers,
// reconnection grace, maintenance) post to the loop; a generation
// number makes a stale one do nothing. Presence changes arrive through
// PresenceChanged, are collected in a set under dirtyMu and handled in
// batches. The registry (web sessions, contexts, tickets) has its own
// mutex; the failure limiter its own; HTTP readers of the loop's state
// read a published snapshot (atomic pointer). None of these locks is
// held while another is taken or anything is called: no ordering issue.
//
// In a cluster (Options.Placement, placement.go) each desk and its chats
// live on one node, the target's owner: the other nodes forward what
// concerns them to it (a forwarder goroutine, in order, as cluster
// calls) and it hands them over when the owner changes. The forwarder
// takes no lock the loop holds; it only reads the forward queue.
package livehelp
