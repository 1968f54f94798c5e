package portable

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/sasl"
)

// record is one user read from the input: the account as it will be
// stored, and the clear-text password when a SCRAM credential still has
// to be derived from it.
type record struct {
	acct     store.Account
	password string
	need1    bool // derive the SCRAM-SHA-1 credential from password
	need256  bool // derive the SCRAM-SHA-256 credential from password
	pos      pos
}

// reader turns <user/> elements into records.
type reader struct {
	now  func() time.Time
	warn func(p pos, msg string)
}

func (r *reader) errorf(p pos, format string, args ...any) error {
	return &Error{Pos: p.String(), Err: fmt.Errorf(format, args...)}
}

// record interprets one <user/> element.
func (r *reader) record(u userElem) (*record, error) {
	n := u.n
	name, ok := n.attr("name")
	if !ok || name == "" {
		return nil, r.errorf(n.pos, "%w: <user/> without a name attribute", ErrFormat)
	}
	j, err := jid.New(name, u.host, "")
	if err != nil {
		return nil, r.errorf(n.pos, "%w: user %q on host %s: %v", ErrFormat, name, u.host, err)
	}
	owner := j.String()
	rec := &record{pos: n.pos, acct: store.Account{User: store.User{JID: owner, CreatedAt: r.now()}}}
	var have1, have256 bool
	for _, c := range n.elements() {
		switch {
		case c.name.Space == nsSCRAM && c.name.Local == "scram-credentials":
			mech := c.attrValue("mechanism")
			cred, err := scramCredential(c, mech)
			if err != nil {
				return nil, r.errorf(c.pos, "%w: %s: %v", ErrFormat, owner, err)
			}
			switch mech {
			case sasl.SCRAMSHA1:
				rec.acct.User.SHA1, have1 = cred, true
			case sasl.SCRAMSHA256:
				rec.acct.User.SHA256, have256 = cred, true
			default:
				r.warn(c.pos, fmt.Sprintf("%s: ignored SCRAM credentials for mechanism %q (only SCRAM-SHA-1 and SCRAM-SHA-256 are kept)", owner, mech))
			}
		case c.name.Space == nsRoster && c.name.Local == "query":
			items, err := r.roster(c, owner, rec.acct.Roster)
			if err != nil {
				return nil, err
			}
			rec.acct.Roster = items
		case (c.name.Space == nsClient || isPIE(c.name.Space)) && c.name.Local == "presence":
			if err := r.request(c, owner, &rec.acct); err != nil {
				return nil, err
			}
		case isPIE(c.name.Space) && c.name.Local == "offline-messages":
			if err := r.offline(c, owner, &rec.acct); err != nil {
				return nil, err
			}
		case c.name.Space == nsVCard && c.name.Local == "vCard":
			if rec.acct.VCard != nil {
				r.warn(c.pos, owner+": second vCard ignored")
				continue
			}
			rec.acct.VCard = c.bytes("")
		default:
			r.warn(c.pos, fmt.Sprintf("%s: ignored <%s xmlns='%s'/> (not imported by Parley)", owner, c.name.Local, c.name.Space))
		}
	}
	if pw, ok := n.attr("password"); ok && pw != "" && (!have1 || !have256) {
		p, err := sasl.PreparePassword(pw)
		if err != nil || len(pw) > 1023 {
			return nil, r.errorf(n.pos, "%w: %s: unusable password: %v", ErrFormat, owner, err)
		}
		rec.password, rec.need1, rec.need256 = p, !have1, !have256
	}
	if !have1 && !have256 && rec.password == "" {
		r.warn(n.pos, owner+": no password and no SCRAM credentials: the account cannot log in until an administrator sets a password")
	}
	return rec, nil
}

// scramCredential reads <scram-credentials/> (XEP-0227 §4.2.1): base64
// salt, server-key and stored-key, decimal iter-count.
//
// ejabberd (seen in 23.01) base64-encodes the base64 text it keeps
// internally, so its values decode to base64 once more. Keys have a known
// size, which tells the two apart; when the keys were encoded twice the
// salt of the same element was too.
func scramCredential(n *node, mech string) (store.SCRAMCredential, error) {
	size := sha1.Size
	if mech == sasl.SCRAMSHA256 {
		size = sha256.Size
	}
	field := func(name string) (string, error) {
		c := n.child(nsSCRAM, name)
		if c == nil {
			return "", fmt.Errorf("<scram-credentials/> without <%s/>", name)
		}
		return strings.TrimSpace(c.text()), nil
	}
	var vals [4]string
	for i, name := range []string{"iter-count", "salt", "server-key", "stored-key"} {
		v, err := field(name)
		if err != nil {
			return store.SCRAMCredential{}, err
		}
		vals[i] = v
	}
	iter, err := strconv.Atoi(vals[0])
	if err != nil || iter < 1 {
		return store.SCRAMCredential{}, fmt.Errorf("bad iter-count %q", vals[0])
	}
	var raw [3][]byte
	for i, v := range vals[1:] {
		if raw[i], err = base64.StdEncoding.DecodeString(v); err != nil {
			return store.SCRAMCredential{}, fmt.Errorf("bad base64 in SCRAM credentials: %v", err)
		}
	}
	if len(raw[1]) != size || len(raw[2]) != size {
		twice := true
		for i := range raw {
			again, err := base64.StdEncoding.DecodeString(string(raw[i]))
			if err != nil {
				twice = false
				break
			}
			raw[i] = again
		}
		if !twice || len(raw[1]) != size || len(raw[2]) != size {
			return store.SCRAMCredential{}, fmt.Errorf("%s keys must be %d bytes", mech, size)
		}
	}
	if len(raw[0]) == 0 {
		return store.SCRAMCredential{}, fmt.Errorf("empty salt")
	}
	return store.SCRAMCredential{Salt: raw[0], Iterations: iter, ServerKey: raw[1], StoredKey: raw[2]}, nil
}

// bareJID normalizes a JID attribute to a bare JID.
func bareJID(s string) (string, error) {
	j, err := jid.Parse(s)
	if err != nil {
		return "", err
	}
	if !j.IsBare() {
		return "", fmt.Errorf("%q is not a bare JID", s)
	}
	return j.String(), nil
}

// roster reads <query xmlns='jabber:iq:roster'/> (RFC 6121 §2.1).
func (r *reader) roster(q *node, owner string, items []store.RosterItem) ([]store.RosterItem, error) {
	for _, it := range q.elements() {
		if it.name.Space != nsRoster || it.name.Local != "item" {
			r.warn(it.pos, fmt.Sprintf("%s: ignored <%s/> in the roster", owner, it.name.Local))
			continue
		}
		contact, err := bareJID(it.attrValue("jid"))
		if err != nil {
			return nil, r.errorf(it.pos, "%w: %s: roster item: bad jid: %v", ErrFormat, owner, err)
		}
		if contact == owner {
			continue // the user's own JID is never a roster item (RFC 6121 §2.1.2.1)
		}
		item := store.RosterItem{Contact: contact, Name: it.attrValue("name"), Subscription: store.SubNone}
		switch sub := it.attrValue("subscription"); sub {
		case "", store.SubNone:
		case store.SubTo, store.SubFrom, store.SubBoth:
			item.Subscription = sub
		case "remove":
			continue
		default:
			return nil, r.errorf(it.pos, "%w: %s: roster item %s: bad subscription %q", ErrFormat, owner, contact, sub)
		}
		switch ask := it.attrValue("ask"); ask {
		case "":
		case "subscribe":
			item.AskOut = true
		default:
			r.warn(it.pos, fmt.Sprintf("%s: roster item %s: ignored ask=%q", owner, contact, ask))
		}
		if a := it.attrValue("approved"); a == "true" || a == "1" {
			item.Approved = true
		}
		for _, g := range it.elements() {
			if g.name.Space != nsRoster || g.name.Local != "group" {
				continue
			}
			if name := g.text(); name != "" && !slices.Contains(item.Groups, name) {
				item.Groups = append(item.Groups, name)
			}
		}
		if i := slices.IndexFunc(items, func(o store.RosterItem) bool { return o.Contact == contact }); i >= 0 {
			r.warn(it.pos, fmt.Sprintf("%s: roster item %s given twice; the last one is kept", owner, contact))
			items[i] = item
			continue
		}
		items = append(items, item)
	}
	return items, nil
}

// request reads a pending inbound subscription request: a
// <presence type='subscribe'/> child of <user/> (XEP-0227 §4.8). Prosody
// writes it without a namespace of its own (so in the PIE namespace).
func (r *reader) request(p *node, owner string, a *store.Account) error {
	if t := p.attrValue("type"); t != "subscribe" {
		r.warn(p.pos, fmt.Sprintf("%s: ignored <presence type=%q/>", owner, t))
		return nil
	}
	from, err := bareJID(p.attrValue("from"))
	if err != nil {
		return r.errorf(p.pos, "%w: %s: subscription request: bad from: %v", ErrFormat, owner, err)
	}
	p.name.Space = nsClient
	p.setAttr("from", from)
	p.setAttr("to", owner)
	req := store.SubscriptionRequest{From: from, Stanza: p.bytes(nsClient)}
	if i := slices.IndexFunc(a.Requests, func(o store.SubscriptionRequest) bool { return o.From == from }); i >= 0 {
		a.Requests[i] = req // Prosody repeats them
		return nil
	}
	a.Requests = append(a.Requests, req)
	return nil
}

// offline reads <offline-messages/> (XEP-0227 §4.4), oldest first. A
// message gets an XEP-0203 <delay/> if it has none, as the offline store
// expects; its time becomes the stored time.
func (r *reader) offline(o *node, owner string, a *store.Account) error {
	domain := owner[strings.IndexByte(owner, '@')+1:]
	for _, m := range o.elements() {
		if (m.name.Space != nsClient && !isPIE(m.name.Space)) || m.name.Local != "message" {
			r.warn(m.pos, fmt.Sprintf("%s: ignored <%s xmlns='%s'/> in offline messages", owner, m.name.Local, m.name.Space))
			continue
		}
		m.name.Space = nsClient
		stored := time.Time{}
		if d := m.child(nsDelay, "delay"); d != nil {
			if t, err := time.Parse(time.RFC3339Nano, d.attrValue("stamp")); err == nil {
				stored = t
			}
		} else {
			stored = r.now()
			m.children = append(m.children, &node{name: xml.Name{Space: nsDelay, Local: "delay"}, attrs: []xml.Attr{
				{Name: xml.Name{Local: "from"}, Value: domain},
				{Name: xml.Name{Local: "stamp"}, Value: stored.UTC().Format("2006-01-02T15:04:05.000Z")}}})
		}
		if stored.IsZero() {
			stored = r.now()
		}
		a.Offline = append(a.Offline, store.OfflineMessage{Stanza: m.bytes(nsClient), Stored: stored})
	}
	return nil
}
