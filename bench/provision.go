package bench

import (
	"bufio"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/sasl"
)

// Population describes the accounts every server gets: <Prefix>0 ..
// <Prefix><Users-1>@<Domain>, all with Password; the first RosterUsers
// of them form a ring in which user i has the Contacts nearest users
// (i±1 .. i±Contacts/2, modulo RosterUsers) as contacts with mutual
// subscription ("both").
type Population struct {
	Domain, Prefix, Password string
	Users                    int
	RosterUsers              int
	Contacts                 int // even; 0 for no rosters
}

// ContactsOf returns the contact numbers of user i (nil outside the ring).
func (p Population) ContactsOf(i int) []int {
	n := p.RosterUsers
	if i >= n || p.Contacts <= 0 || n <= p.Contacts {
		return nil
	}
	out := make([]int, 0, p.Contacts)
	for d := 1; d <= p.Contacts/2; d++ {
		out = append(out, (i+d)%n, (i-d+n)%n)
	}
	return out
}

func (p Population) jid(i int) string { return p.Prefix + strconv.Itoa(i) + "@" + p.Domain }

// ParleyStore is what ProvisionParley needs of Parley's store.
type ParleyStore interface {
	CreateUser(ctx context.Context, u store.User) error
	PutRosterItem(ctx context.Context, owner string, item store.RosterItem) (int64, error)
}

// ProvisionParley creates the population in a Parley store. All
// accounts share one salt, so the SCRAM keys are derived once (and the
// generator's client derives them once too): fine for benchmark
// accounts, never for real ones. Existing accounts are kept.
func ProvisionParley(ctx context.Context, st ParleyStore, p Population) error {
	salt := []byte("parley-bench-salt")
	pw, err := sasl.PreparePassword(p.Password)
	if err != nil {
		return err
	}
	c1 := sasl.DeriveCredential(sha1.New, pw, salt, sasl.DefaultIterations)
	c256 := sasl.DeriveCredential(sha256.New, pw, salt, sasl.DefaultIterations)
	toStore := func(c sasl.Credential) store.SCRAMCredential {
		return store.SCRAMCredential{Salt: c.Salt, Iterations: c.Iterations, StoredKey: c.StoredKey, ServerKey: c.ServerKey}
	}
	now := time.Now().UTC()
	for i := range p.Users {
		if err := ctx.Err(); err != nil {
			return err
		}
		u := store.User{JID: p.jid(i), SHA1: toStore(c1), SHA256: toStore(c256), CreatedAt: now}
		if err := st.CreateUser(ctx, u); err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
		for _, c := range p.ContactsOf(i) {
			item := store.RosterItem{Contact: p.jid(c), Subscription: store.SubBoth}
			if _, err := st.PutRosterItem(ctx, u.JID, item); err != nil {
				return err
			}
		}
	}
	return nil
}

// WritePIEFXIS writes the population as a XEP-0227 file with clear-text
// passwords, for `ejabberdctl import_piefxis`.
func WritePIEFXIS(w io.Writer, p Population) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "<?xml version='1.0' encoding='UTF-8'?>\n<server-data xmlns='urn:xmpp:pie:0'>\n<host jid='%s'>\n", p.Domain)
	for i := range p.Users {
		fmt.Fprintf(bw, "<user name='%s%d' password='%s'>", p.Prefix, i, p.Password)
		if cs := p.ContactsOf(i); len(cs) > 0 {
			bw.WriteString("<query xmlns='jabber:iq:roster'>")
			for _, c := range cs {
				fmt.Fprintf(bw, "<item jid='%s' subscription='both'/>", p.jid(c))
			}
			bw.WriteString("</query>")
		}
		bw.WriteString("</user>\n")
	}
	bw.WriteString("</host>\n</server-data>\n")
	return bw.Flush()
}

// WriteProsody writes the population into a Prosody data directory
// (internal storage, "internal_plain" authentication): one accounts
// and one roster file per user, in the format Prosody 0.12 writes.
func WriteProsody(dataDir string, p Population) error {
	host := filepath.Join(dataDir, prosodyEncode(p.Domain))
	for _, d := range []string{"accounts", "roster"} {
		if err := os.MkdirAll(filepath.Join(host, d), 0o750); err != nil {
			return err
		}
	}
	var b []byte
	for i := range p.Users {
		name := prosodyEncode(p.Prefix + strconv.Itoa(i))
		b = append(b[:0], "return {\n\t[\"password\"] = "...)
		b = strconv.AppendQuote(b, p.Password)
		b = append(b, ";\n};\n"...)
		if err := os.WriteFile(filepath.Join(host, "accounts", name+".dat"), b, 0o640); err != nil {
			return err
		}
		cs := p.ContactsOf(i)
		if len(cs) == 0 {
			continue
		}
		b = append(b[:0], "return {\n\t[false] = {\n\t\t[\"version\"] = 1;\n\t\t[\"pending\"] = {};\n\t};\n"...)
		for _, c := range cs {
			b = append(b, "\t["...)
			b = strconv.AppendQuote(b, p.jid(c))
			b = append(b, "] = {\n\t\t[\"subscription\"] = \"both\";\n\t\t[\"groups\"] = {};\n\t};\n"...)
		}
		b = append(b, "};\n"...)
		if err := os.WriteFile(filepath.Join(host, "roster", name+".dat"), b, 0o640); err != nil {
			return err
		}
	}
	return nil
}

// prosodyEncode is Prosody's datamanager encoding: every byte that is
// not a letter or digit becomes %xx.
func prosodyEncode(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b = append(b, c)
		} else {
			b = append(b, fmt.Sprintf("%%%02x", c)...)
		}
	}
	return string(b)
}
