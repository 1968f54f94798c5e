// Package caps reads XEP-0115 entity capabilities from presence and
// keeps what each capabilities hash stands for: the features a client
// supports, such as the "+notify" features that say which PEP nodes it
// wants notifications of.
//
// A hash not seen before is asked for once: a disco#info query to the
// client that advertised it. The answer is checked against the hash
// (§5.1) before it is cached, since every client claiming the same hash
// then gets the same treatment. The cache lives in this process's
// memory only (a hash is a fingerprint of the features: it never goes
// stale; a node of a cluster learns it from its own sessions).
//
// Locking: Cache.mu guards the entries; callbacks run without it.
package caps

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Caps is the <c xmlns='http://jabber.org/protocol/caps'/> of a presence.
type Caps struct {
	Node, Ver, Hash string
}

// FromPresence reads the capabilities a presence advertises; ok is
// false without them, or for the legacy form without a hash (XEP-0115
// v1.3), which cannot be verified.
func FromPresence(p *xml.Element) (Caps, bool) {
	if p == nil {
		return Caps{}, false
	}
	c := p.Child(ns.Caps, "c")
	if c == nil {
		return Caps{}, false
	}
	cp := Caps{Node: c.Attr("node"), Ver: c.Attr("ver"), Hash: strings.ToLower(c.Attr("hash"))}
	if cp.Ver == "" || newHash(cp.Hash) == nil {
		return Caps{}, false
	}
	return cp, true
}

func (c Caps) key() string { return c.Hash + " " + c.Ver }

func newHash(name string) hash.Hash {
	switch name {
	case "sha-1":
		return sha1.New()
	case "sha-256":
		return sha256.New()
	case "sha-512":
		return sha512.New()
	}
	return nil
}

// Features is the set of features a capabilities hash stands for.
type Features map[string]struct{}

// Has reports whether f includes feature.
func (f Features) Has(feature string) bool {
	_, ok := f[feature]
	return ok
}

// Ver computes the verification string of a disco#info <query/> with
// the hash function named algo (XEP-0115 §5.1, with the extended
// information forms of §5.4); ok is false for an unknown function or an
// answer §5.4 says to ignore (duplicate identities or features, a form
// whose FORM_TYPE is not hidden or missing).
func Ver(query *xml.Element, algo string) (string, bool) {
	h := newHash(algo)
	if h == nil || query == nil {
		return "", false
	}
	var ids, features []string
	type form struct {
		typ    string
		fields []string
	}
	var forms []form
	for _, c := range query.Children {
		switch {
		case c.Space == ns.DiscoInfo && c.Name == "identity":
			ids = append(ids, c.Attr("category")+"/"+c.Attr("type")+"/"+c.Attr("xml:lang")+"/"+c.Attr("name"))
		case c.Space == ns.DiscoInfo && c.Name == "feature":
			features = append(features, c.Attr("var"))
		case c.Space == ns.DataForms && c.Name == "x":
			var f form
			seenType := false
			for _, fl := range c.ChildrenNamed(ns.DataForms, "field") {
				var vals []string
				for _, v := range fl.ChildrenNamed(ns.DataForms, "value") {
					vals = append(vals, v.Text)
				}
				if fl.Attr("var") == "FORM_TYPE" {
					if fl.Attr("type") != "hidden" || len(vals) != 1 || seenType {
						return "", false
					}
					f.typ, seenType = vals[0], true
					continue
				}
				sort.Strings(vals)
				s := fl.Attr("var") + "<"
				for _, v := range vals {
					s += v + "<"
				}
				f.fields = append(f.fields, s)
			}
			if !seenType {
				continue // forms without FORM_TYPE are ignored (§5.4)
			}
			sort.Strings(f.fields)
			forms = append(forms, f)
		}
	}
	sort.Strings(ids)
	sort.Strings(features)
	if hasDup(ids) || hasDup(features) {
		return "", false
	}
	sort.Slice(forms, func(i, j int) bool { return forms[i].typ < forms[j].typ })
	for i := 1; i < len(forms); i++ {
		if forms[i].typ == forms[i-1].typ {
			return "", false
		}
	}
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(id)
		b.WriteByte('<')
	}
	for _, f := range features {
		b.WriteString(f)
		b.WriteByte('<')
	}
	for _, f := range forms {
		b.WriteString(f.typ)
		b.WriteByte('<')
		for _, fl := range f.fields {
			b.WriteString(fl)
		}
	}
	h.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), true
}

func hasDup(sorted []string) bool {
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return true
		}
	}
	return false
}

// Config sets up a Cache.
type Config struct {
	Calls   *im.Calls
	Timeout time.Duration // for one disco#info query; default 30 s
	// Max is the most hashes kept; beyond it an arbitrary one is
	// forgotten. Default 4096.
	Max int
	// RetryAfter is how long a hash whose query failed (no answer, an
	// error, an answer that does not match it) is not asked for again;
	// default 5 minutes.
	RetryAfter time.Duration
	// Now is the clock (tests inject one); default time.Now.
	Now func() time.Time
	// CanAsk reports whether a session's answer would come back here;
	// nil: every session's. A session bound on another node of a
	// cluster answers to its own node, whose Calls do not know the
	// request: its unknown hash is left to that node (and to local
	// sessions advertising the same hash), and not marked failed.
	CanAsk func(router.Session) bool
}

// Cache maps capabilities hashes to features.
type Cache struct {
	cfg Config

	mu      sync.Mutex
	entries map[string]*entry
	queries int // disco#info queries sent (for tests and metrics)
}

type entry struct {
	features Features // nil while pending or failed
	pending  bool
	failedAt time.Time
	waiting  []func(Features)
}

// New returns an empty cache.
func New(cfg Config) *Cache {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Max <= 0 {
		cfg.Max = 4096
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Cache{cfg: cfg, entries: make(map[string]*entry)}
}

// Lookup returns the features caps stand for when they are known. When
// they are not, it returns false and, unless a query for them is under
// way or failed recently, asks the session s that advertised them; ready
// is called with the features once they are known (or with nil if the
// query fails), from the goroutine that handled the answer.
func (c *Cache) Lookup(s router.Session, cp Caps, ready func(Features)) (Features, bool) {
	k := cp.key()
	c.mu.Lock()
	e, ok := c.entries[k]
	switch {
	case ok && e.features != nil:
		c.mu.Unlock()
		return e.features, true
	case ok && e.pending:
		if ready != nil {
			e.waiting = append(e.waiting, ready)
		}
		c.mu.Unlock()
		return nil, false
	case ok && c.cfg.Now().Sub(e.failedAt) < c.cfg.RetryAfter:
		c.mu.Unlock()
		return nil, false
	case c.cfg.CanAsk != nil && !c.cfg.CanAsk(s):
		c.mu.Unlock()
		return nil, false
	}
	if len(c.entries) >= c.cfg.Max {
		for other, oe := range c.entries {
			if !oe.pending {
				delete(c.entries, other)
				break
			}
		}
	}
	e = &entry{pending: true}
	if ready != nil {
		e.waiting = append(e.waiting, ready)
	}
	c.entries[k] = e
	c.queries++
	c.mu.Unlock()

	q := xml.NewElement(ns.DiscoInfo, "query", xml.Attr{Name: "node", Value: cp.Node + "#" + cp.Ver})
	iq := stanza.NewIQ("get", "", "", "", q)
	c.cfg.Calls.Send(s, s.JID().Domain(), iq, c.cfg.Timeout, func(res *xml.Element) {
		c.answered(k, cp, res)
	})
	return nil, false
}

// answered checks an answer against the hash and wakes the waiters.
func (c *Cache) answered(k string, cp Caps, res *xml.Element) {
	var features Features
	if res != nil && res.Attr("type") == "result" {
		if q := res.Child(ns.DiscoInfo, "query"); q != nil {
			if ver, ok := Ver(q, cp.Hash); ok && ver == cp.Ver {
				features = Features{}
				for _, f := range q.ChildrenNamed(ns.DiscoInfo, "feature") {
					features[f.Attr("var")] = struct{}{}
				}
			}
		}
	}
	c.mu.Lock()
	e := c.entries[k]
	var waiting []func(Features)
	if e != nil {
		waiting = e.waiting
		e.waiting, e.pending = nil, false
		if features != nil {
			e.features = features
		} else {
			e.failedAt = c.cfg.Now()
		}
	}
	c.mu.Unlock()
	for _, fn := range waiting {
		fn(features)
	}
}

// Queries is how many disco#info queries the cache has sent.
func (c *Cache) Queries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queries
}
