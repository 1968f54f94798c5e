// Package muc is the multi-user chat service of XEP-0045: rooms on a
// component domain such as conference.example.com, their occupants,
// roles and affiliations, configuration forms (XEP-0004), registration
// with reserved nicknames, history on join, the room archive (XEP-0313
// on the room JID), self-ping (XEP-0410) and occupant ids (XEP-0421).
//
// The router hands the service every stanza addressed to its domains
// (Receive); the service answers through the Send function it was given,
// which delivers to local users.
//
// A persistent room is stored as store.Room with State holding the JSON
// of type state (configuration, affiliations, reserved nicknames,
// subject, creator and the occupant-id key). Rooms are loaded when a
// stanza names them and unloaded when empty, so a room created or
// deleted in the store by `parley room` is seen without a restart.
//
// Locking: Service.mu guards the room table and the per-creator index;
// each Room.mu guards that room. A goroutine may take Service.mu while
// holding a Room.mu (a room removing itself), never a Room.mu while
// holding Service.mu, and never two Room.mu. Stanzas are sent while the
// room's lock is held, so every occupant sees a room's events in one
// order; Send never calls back into the service (the dispatcher drops
// bounces addressed to components).
package muc
