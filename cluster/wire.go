package cluster

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// The wire format of every NATS message between nodes: a header naming
// the sender, then frames until the end of the payload.
//
//	header:  version(1) node(string) epoch(uvarint) queued(int64 µs, 8 bytes)
//	frame:   kind(1) fields...
//	string:  uvarint length, bytes
//	stanza:  uint32 big-endian length, the serialized element
//
// Stanzas have a fixed-width length so that an element is serialized
// straight into the batch (its length patched in afterwards) without a
// copy. Everything is length-checked on decode: a node never trusts a
// peer's bytes (decodeFrames is fuzzed).
const wireVersion = 1

// frameKind says what a frame carries.
type frameKind byte

// Frames broadcast on the cluster subject (kind < 32) and frames sent to
// one node (kind >= 32).
const (
	fHeartbeat frameKind = 1  // seq, flags, sessions, address
	fBind      frameKind = 2  // seq, full JID, bound at (µs)
	fUnbind    frameKind = 3  // seq, full JID
	fPresence  frameKind = 4  // seq, full JID, available, priority, presence stanza (empty when unavailable)
	fFlags     frameKind = 5  // seq, full JID, flags (interested, carbons)
	fClaim     frameKind = 6  // seq, key, claimed at (µs)
	fRelease   frameKind = 7  // seq, key
	fOffline   frameKind = 8  // bare JID: a message was stored offline for it
	fLeaving   frameKind = 9  // the sender stops now: forget it at once
	fSnapEnd   frameKind = 10 // seq: the last frame of a snapshot
	fChanged   frameKind = 11 // what (Data), bare JID: that account data changed
	fRemote    frameKind = 12 // stanza: presence another server sent to a local user

	fDeliver   frameKind = 32 // full JID, stanza: deliver to that local session
	fClose     frameKind = 33 // full JID, condition, text: close that session
	fComponent frameKind = 34 // flags, stanza: for an owned service this node holds
)

// Heartbeat flags.
const (
	hbDraining byte = 1 << iota
)

// Resource flags (fFlags).
const (
	flagInterested byte = 1 << iota
	flagCarbons
)

// Component flags (fComponent).
const (
	compRejoin    byte = 1 << iota // a join replayed after its room moved
	compSecondHop                  // passed on once already: handle it here
	compAtSession                  // for a service at its user's session (AtSession)
	compLastHop                    // passed on by a draining node: handle it here, whatever else
)

// maxFrameString bounds a string field (JIDs, keys, addresses).
const maxFrameString = 3 * 1024

// header writes the message header into b; queued is when its first
// frame was queued (the receiver measures forwarding latency from it).
func header(b *bytes.Buffer, node string, epoch uint64, queued time.Time) {
	b.WriteByte(wireVersion)
	putString(b, node)
	putUvarint(b, epoch)
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], uint64(queued.UnixMicro()))
	b.Write(t[:])
}

func putUvarint(b *bytes.Buffer, v uint64) {
	var tmp [binary.MaxVarintLen64]byte
	b.Write(tmp[:binary.PutUvarint(tmp[:], v)])
}

func putVarint(b *bytes.Buffer, v int64) {
	var tmp [binary.MaxVarintLen64]byte
	b.Write(tmp[:binary.PutVarint(tmp[:], v)])
}

func putString(b *bytes.Buffer, s string) {
	putUvarint(b, uint64(len(s)))
	b.WriteString(s)
}

func putBool(b *bytes.Buffer, v bool) {
	if v {
		b.WriteByte(1)
	} else {
		b.WriteByte(0)
	}
}

// putStanza serializes el into b behind its 4-byte length.
func putStanza(b *bytes.Buffer, el *xml.Element) {
	at := b.Len()
	b.Write([]byte{0, 0, 0, 0})
	if el != nil {
		el.WriteTo(b, ns.Client)
	}
	binary.BigEndian.PutUint32(b.Bytes()[at:], uint32(b.Len()-at-4))
}

// putRaw writes already serialized stanza bytes behind their length.
func putRaw(b *bytes.Buffer, raw []byte) {
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(raw)))
	b.Write(l[:])
	b.Write(raw)
}

// frame is one decoded frame; which fields are set depends on Kind.
type frame struct {
	Kind      frameKind
	Seq       uint64
	JID       string // full JID, bare JID (fOffline) or key (fClaim, fRelease)
	Flags     byte
	Available bool
	Priority  int
	At        time.Time // bound at, claimed at
	Sessions  uint64
	Text      string // address (heartbeat), condition (close)
	Text2     string // text (close)
	Stanza    []byte // serialized element, aliasing the payload
}

// message is a decoded NATS payload.
type message struct {
	Node   string
	Epoch  uint64
	Sent   time.Time // when its first frame was queued
	Frames []frame
}

// reader decodes the payload, recording the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrBadFrame, what)
	}
}

func (r *reader) byte1(what string) byte {
	if r.err != nil || len(r.b) < 1 {
		r.fail(what)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) str(what string) string {
	n := r.uvarint(what)
	if r.err != nil {
		return ""
	}
	if n > maxFrameString || n > uint64(len(r.b)) {
		r.fail(what)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) stanza(what string) []byte {
	if r.err != nil || len(r.b) < 4 {
		r.fail(what)
		return nil
	}
	n := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	if uint64(n) > uint64(len(r.b)) {
		r.fail(what)
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) micros(what string) time.Time {
	v := r.varint(what)
	if r.err != nil {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// decodeMessage parses one payload. Stanza fields alias data.
func decodeMessage(data []byte) (message, error) {
	r := &reader{b: data}
	var m message
	if v := r.byte1("version"); r.err == nil && v != wireVersion {
		return m, fmt.Errorf("%w: version %d", ErrBadFrame, v)
	}
	m.Node = r.str("node")
	m.Epoch = r.uvarint("epoch")
	if r.err == nil && len(r.b) < 8 {
		r.fail("queued")
	}
	if r.err == nil {
		m.Sent = time.UnixMicro(int64(binary.BigEndian.Uint64(r.b))).UTC()
		r.b = r.b[8:]
	}
	if r.err != nil {
		return m, r.err
	}
	if m.Node == "" {
		return m, fmt.Errorf("%w: no node name", ErrBadFrame)
	}
	for len(r.b) > 0 && r.err == nil {
		f := frame{Kind: frameKind(r.byte1("kind"))}
		switch f.Kind {
		case fHeartbeat:
			f.Seq = r.uvarint("seq")
			f.Flags = r.byte1("flags")
			f.Sessions = r.uvarint("sessions")
			f.Text = r.str("address")
		case fBind:
			f.Seq = r.uvarint("seq")
			f.JID = r.str("jid")
			f.At = r.micros("bound at")
		case fUnbind:
			f.Seq = r.uvarint("seq")
			f.JID = r.str("jid")
		case fPresence:
			f.Seq = r.uvarint("seq")
			f.JID = r.str("jid")
			f.Available = r.byte1("available") != 0
			f.Priority = int(r.varint("priority"))
			f.Stanza = r.stanza("presence")
		case fFlags:
			f.Seq = r.uvarint("seq")
			f.JID = r.str("jid")
			f.Flags = r.byte1("flags")
		case fClaim:
			f.Seq = r.uvarint("seq")
			f.JID = r.str("key")
			f.At = r.micros("claimed at")
		case fRelease:
			f.Seq = r.uvarint("seq")
			f.JID = r.str("key")
		case fOffline:
			f.JID = r.str("jid")
		case fChanged:
			f.Flags = r.byte1("what")
			f.JID = r.str("jid")
		case fRemote:
			f.Stanza = r.stanza("presence")
		case fLeaving:
		case fSnapEnd:
			f.Seq = r.uvarint("seq")
		case fDeliver:
			f.JID = r.str("jid")
			f.Stanza = r.stanza("stanza")
		case fClose:
			f.JID = r.str("jid")
			f.Text = r.str("condition")
			f.Text2 = r.str("text")
		case fComponent:
			f.Flags = r.byte1("flags")
			f.Stanza = r.stanza("stanza")
		default:
			r.fail(fmt.Sprintf("unknown frame kind %d", f.Kind))
		}
		if r.err == nil {
			m.Frames = append(m.Frames, f)
		}
	}
	return m, r.err
}

// Frame writers: each appends one frame to b.

func putHeartbeat(b *bytes.Buffer, seq uint64, flags byte, sessions int, address string) {
	b.WriteByte(byte(fHeartbeat))
	putUvarint(b, seq)
	b.WriteByte(flags)
	putUvarint(b, uint64(sessions))
	putString(b, address)
}

func putBind(b *bytes.Buffer, seq uint64, full string, at time.Time) {
	b.WriteByte(byte(fBind))
	putUvarint(b, seq)
	putString(b, full)
	putVarint(b, at.UnixMicro())
}

func putUnbind(b *bytes.Buffer, seq uint64, full string) {
	b.WriteByte(byte(fUnbind))
	putUvarint(b, seq)
	putString(b, full)
}

func putPresence(b *bytes.Buffer, seq uint64, full string, available bool, priority int, presence *xml.Element) {
	b.WriteByte(byte(fPresence))
	putUvarint(b, seq)
	putString(b, full)
	putBool(b, available)
	putVarint(b, int64(priority))
	if !available {
		presence = nil
	}
	putStanza(b, presence)
}

func putFlags(b *bytes.Buffer, seq uint64, full string, flags byte) {
	b.WriteByte(byte(fFlags))
	putUvarint(b, seq)
	putString(b, full)
	b.WriteByte(flags)
}

func putClaim(b *bytes.Buffer, seq uint64, key string, at time.Time) {
	b.WriteByte(byte(fClaim))
	putUvarint(b, seq)
	putString(b, key)
	putVarint(b, at.UnixMicro())
}

func putRelease(b *bytes.Buffer, seq uint64, key string) {
	b.WriteByte(byte(fRelease))
	putUvarint(b, seq)
	putString(b, key)
}

func putOffline(b *bytes.Buffer, bare string) {
	b.WriteByte(byte(fOffline))
	putString(b, bare)
}

func putChanged(b *bytes.Buffer, what Data, bare string) {
	b.WriteByte(byte(fChanged))
	b.WriteByte(byte(what))
	putString(b, bare)
}

func putRemote(b *bytes.Buffer, el *xml.Element) {
	b.WriteByte(byte(fRemote))
	putStanza(b, el)
}

func putSnapEnd(b *bytes.Buffer, seq uint64) {
	b.WriteByte(byte(fSnapEnd))
	putUvarint(b, seq)
}

func putDeliver(b *bytes.Buffer, full string, el *xml.Element) {
	b.WriteByte(byte(fDeliver))
	putString(b, full)
	putStanza(b, el)
}

func putClose(b *bytes.Buffer, full, condition, text string) {
	b.WriteByte(byte(fClose))
	putString(b, full)
	putString(b, condition)
	putString(b, text)
}

func putComponent(b *bytes.Buffer, flags byte, el *xml.Element) {
	b.WriteByte(byte(fComponent))
	b.WriteByte(flags)
	putStanza(b, el)
}
