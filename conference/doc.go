// Package conference runs Parley's web conferences (seed 001 chapter
// 3): scheduling with the seed's flags, meeting types and defaults,
// per-participant join keys, who may enter (the conference key,
// registeredUserOnly, hostInvitedOnly, enrolment, guests where the site
// allows them), the lifecycle (scheduled, open for early join, in
// progress once the host is in, ended with one of the seed's causes),
// attendance, the timeline that is the conference's recording (joins,
// leaves, chat, shared links, raised hands), and invitations by e-mail
// with iCalendar data.
//
// Each conference has a chat room in the multi-user chat service
// (im/muc), created when it is scheduled and destroyed when it ends. The
// Manager governs those rooms through the muc hooks: Admit decides who
// enters, Observe records what happens. The room is where a conference
// happens; joining the conference is entering its room, with any XMPP
// client or the conference page.
//
// The Manager knows nothing of SOAP or status codes: its errors are the
// sentinels of errors.go, which integration/conferencing maps to the
// seed's status codes. Time comes from Options.Now, so schedules and the
// lifecycle are tested with a clock the test moves.
//
// # Ownership and locking
//
// The live state of a conference (who is present, whether the host
// locked it, the record as last read or written) is owned by one value,
// its *live, and changed only under that value's mutex: scheduling
// changes, joins and leaves, its start and end all go through it, so
// they happen in one order. The Manager's mutex guards only the table of
// live values and the guest passes; it is a leaf: taken (briefly) inside
// a live mutex, never held while one is taken, nor across a call out.
//
// Lock order: a muc room's lock, then a live conference's mutex (the
// hooks run under the room's lock). The Manager never calls into the
// muc service while holding a live mutex: it ends a conference under
// the mutex, then destroys the room after releasing it, so the room's
// Destroyed event (which takes the mutex again) cannot deadlock.
package conference
