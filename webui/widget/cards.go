package widget

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/parley-im/parley/store"
)

// Card is what the widget's menu offers from a user's vCard.
type Card struct {
	Name  string // FN, else NICKNAME, else GIVEN FAMILY
	Email string // a mailto: URI, or ""
	Call  string // a tel: or sip: URI, or ""
}

// vcardXML is the part of a vcard-temp vCard (XEP-0054) the widget reads.
type vcardXML struct {
	FN       string `xml:"FN"`
	Nickname string `xml:"NICKNAME"`
	N        struct {
		Given  string `xml:"GIVEN"`
		Family string `xml:"FAMILY"`
	} `xml:"N"`
	Emails []struct {
		UserID string    `xml:"USERID"`
		Pref   *struct{} `xml:"PREF"`
	} `xml:"EMAIL"`
	Tels []struct {
		Number string    `xml:"NUMBER"`
		Pref   *struct{} `xml:"PREF"`
	} `xml:"TEL"`
}

// ParseCard reads a vCard's name, preferred e-mail address and
// preferred phone number (the first with PREF, else the first).
// Malformed values are left out, never passed on.
func ParseCard(raw []byte) (Card, error) {
	var v vcardXML
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = true
	if err := d.Decode(&v); err != nil {
		return Card{}, err
	}
	c := Card{Name: clean(v.FN, 200)}
	if c.Name == "" {
		c.Name = clean(v.Nickname, 200)
	}
	if c.Name == "" {
		c.Name = clean(strings.TrimSpace(v.N.Given+" "+v.N.Family), 200)
	}
	for _, e := range v.Emails {
		if m := MailURI(e.UserID); m != "" {
			if c.Email == "" || e.Pref != nil {
				c.Email = m
			}
			if e.Pref != nil {
				break
			}
		}
	}
	for _, t := range v.Tels {
		if u := CallURI(t.Number); u != "" {
			if c.Call == "" || t.Pref != nil {
				c.Call = u
			}
			if t.Pref != nil {
				break
			}
		}
	}
	return c, nil
}

// clean trims a display value, drops control characters and caps its
// length.
func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max])
	}
	return s
}

var mailRE = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$`)

// MailURI is the mailto: URI of an e-mail address, or "" if the address
// is not a plain one. Characters of the local part other than letters,
// digits and ".+_~-" are percent-encoded (RFC 6068 §2): "?" and "&"
// would start header fields, "%" an escape, and a quote is better never
// seen by an HTML attribute, however it is escaped.
func MailURI(addr string) string {
	addr = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(addr), "mailto:"))
	if len(addr) > 254 || !mailRE.MatchString(addr) {
		return ""
	}
	at := strings.LastIndexByte(addr, '@')
	var b strings.Builder
	b.WriteString("mailto:")
	for i := 0; i < at; i++ {
		switch c := addr[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte(".+_~-", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	b.WriteString(addr[at:])
	return b.String()
}

// sipRE: a SIP URI whose user part holds no quote, "?" (headers) or "&".
var sipRE = regexp.MustCompile(`^sips?:[A-Za-z0-9.!~*()=+$,;/_%-]+@[A-Za-z0-9.-]+(:[0-9]{1,5})?$`)

// CallURI is a tel: URI (RFC 3966: + and digits, visual separators
// dropped) of a phone number, or the sip: URI a TEL NUMBER holds; ""
// when it is neither.
func CallURI(number string) string {
	n := strings.TrimSpace(number)
	if len(n) > 256 {
		return ""
	}
	lower := strings.ToLower(n)
	if strings.HasPrefix(lower, "sip:") || strings.HasPrefix(lower, "sips:") {
		if sipRE.MatchString(n) {
			return n
		}
		return ""
	}
	n = strings.TrimPrefix(lower, "tel:")
	var b strings.Builder
	for i, r := range n {
		switch {
		case r >= '0' && r <= '9', r == '*', r == '#':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0 && i == strings.IndexRune(n, '+'):
			b.WriteRune(r)
		case r == ' ', r == '-', r == '.', r == '(', r == ')', r == '/':
			// visual separators
		default:
			return ""
		}
	}
	digits := strings.Trim(b.String(), "+")
	if len(digits) < 3 || len(digits) > 32 {
		return ""
	}
	return "tel:" + b.String()
}

// cardCache keeps parsed cards for a minute (the seed's presence cache),
// so polls and live views do not read the store each time.
type cardCache struct {
	load func(ctx context.Context, owner string) ([]byte, error)
	now  func() time.Time

	mu    sync.Mutex
	cards map[string]cachedCard
}

type cachedCard struct {
	card Card
	at   time.Time
}

const (
	cardTTL      = time.Minute
	maxCardCache = 10000
)

func (c *cardCache) get(ctx context.Context, owner string) Card {
	if c.load == nil {
		return Card{}
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.cards[owner]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < cardTTL {
		return e.card
	}
	var card Card
	raw, err := c.load(ctx, owner)
	switch {
	case err == nil:
		card, _ = ParseCard(raw) // an unreadable vCard offers nothing
	case errors.Is(err, store.ErrNotFound):
	default:
		return Card{} // not cached: try again next time
	}
	c.mu.Lock()
	if len(c.cards) >= maxCardCache {
		clear(c.cards)
	}
	c.cards[owner] = cachedCard{card: card, at: now}
	c.mu.Unlock()
	return card
}

// forget drops owner's cached card (their vCard changed).
func (c *cardCache) forget(owner string) {
	c.mu.Lock()
	delete(c.cards, owner)
	c.mu.Unlock()
}
