// Package muc is the multi-user chat service of XEP-0045: rooms on a
// component domain such as conference.example.com, their occupants,
// roles and affiliations, configuration forms (XEP-0004), history on
// join, the room archive (XEP-0313 on the room JID), self-ping
// (XEP-0410) and occupant ids (XEP-0421).
//
// The router hands the service every stanza addressed to its domains
// (Receive); the service answers through the Send function it was given,
// which delivers to local users.
//
// Locking: Service.mu guards the room table and the per-creator counts;
// each Room.mu guards that room. A goroutine may take Service.mu while
// holding a Room.mu (a room removing itself), never the reverse. Stanzas
// are sent while the room's lock is held, so every occupant sees a
// room's events in one order; Send never calls back into the service
// (the dispatcher drops bounces addressed to components).
package muc
