// Package cluster makes several Parley nodes one service. The nodes
// share one PostgreSQL (package store/postgres) and one NATS; this
// package is everything they tell each other over NATS, and Router, the
// cluster's implementation of router.Router.
//
// What each node knows:
//
//   - its own sessions, in a router.Table (the same table a single node
//     uses; Router embeds it, so components and the local fast path are
//     unchanged);
//   - a replica of every other node's sessions: full JID, availability,
//     priority, last broadcast presence, carbons and interest flags. A
//     node announces each change of its own table on the cluster subject
//     (numbered, in order); a node that sees a gap in a peer's numbers,
//     or meets a peer for the first time, fetches that peer's whole
//     table (a snapshot, request and reply in chunks);
//   - which peers are alive: each node sends a heartbeat every
//     Config.Heartbeat; a peer silent for Config.PeerTimeout is dead, its
//     sessions vanish from the replica (OnSessionsLost tells the server,
//     which sends their unavailable presence to local contacts) and the
//     services it held move.
//
// Routing: Resources and Resource return local and remote resources
// alike; a remote resource's Session forwards what is delivered to it
// to its node, on that node's subject (parley.<cluster>.node.<node>),
// batched with whatever else goes there (outbox). The receiving node
// hands the stanza to its local session, or, if the session is gone,
// to OnUndeliverable (a message then goes to offline storage, whose
// notice makes the node with the user's best resource deliver it). So
// package im and package roster route across the cluster without
// knowing it: presence broadcast, carbons, resource conflicts (the
// newest bind wins, compared by bind time and node name) and the
// "online" answers of the integration services all read the same
// table.
//
// Owned services (owned.go): a conference room, a live-help desk, a web
// conference has one owner node (live help and conferences reach theirs
// with Call, call.go, which picks the same node). Own wraps such a service: a stanza for
// one of its keys (a room's bare JID) goes to the node that claims the
// key, or, unclaimed, to the node rendezvous hashing picks among the
// live nodes that are not draining; that node claims it while the
// service holds it. Claims travel with the session table, so they
// vanish with a dead node; a key whose claim vanished is claimed again
// by the next stanza for it, and each node replays its sessions' joins
// of that room to the new owner (rooms keep their occupants across a
// move).
//
// Wire format: wire.go. Subjects: parley.<cluster>.all (heartbeats,
// table changes, claims, offline notices), parley.<cluster>.node.<node>
// (stanzas for that node's sessions and services),
// parley.<cluster>.snap.<node> (snapshot requests).
//
// Concurrency and lock order: pubMu (this node's announcements: a change
// to the local table and its numbered frame are made together), then
// the router.Table's own lock, then the outbox's mu. regMu guards the
// replica, the peers and the claims; it is never held while calling a
// session, a service or a hook, nor while taking pubMu. One goroutine
// reads everything that arrives (in order: NATS keeps each publisher's
// order), applies table changes and delivers stanzas to local sessions
// (Deliver never blocks); work that may block (a room, offline storage)
// goes to a few workers, sharded by key so one room's stanzas keep
// their order.
package cluster
