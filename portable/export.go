package portable

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/sasl"
)

// Source is what Export reads.
type Source interface {
	store.Users
	store.Rosters
	store.Offline
	store.Presence
	store.VCards
}

// ExportOptions tune Export. The zero value exports everything.
type ExportOptions struct {
	// Domain limits the export to one host; "" exports all.
	Domain string
	// Readers is how many users are read from the store at once; 0
	// means 4.
	Readers int
	// Ejabberd writes SCRAM credentials the way ejabberd 23.01's
	// import_piefxis reads them: SCRAM-SHA-1 only, salt and keys base64
	// encoded twice (it keeps them base64-encoded and does not decode the
	// file's values). Parley's import reads both forms.
	Ejabberd bool
}

// userData is one user as read from the store.
type userData struct {
	user     store.User
	roster   []store.RosterItem
	requests []store.SubscriptionRequest
	offline  []store.OfflineMessage
	vcard    []byte
	err      error
}

// Export writes every account of st, with roster, pending subscription
// requests, offline messages and vCard, as one XEP-0227 document to w:
// hosts sorted by domain, users by local part, so exporting the same data
// twice gives the same bytes. Credentials are written as XEP-0227 1.1
// <scram-credentials/> (SCRAM-SHA-1 and SCRAM-SHA-256); Parley has no
// passwords to write.
func Export(ctx context.Context, st Source, w io.Writer, opt ExportOptions) (Summary, error) {
	if opt.Readers <= 0 {
		opt.Readers = 4
	}
	jids, err := st.ListUsers(ctx, opt.Domain)
	if err != nil {
		return Summary{}, err
	}
	slices.SortFunc(jids, func(a, b string) int {
		la, da := splitJID(a)
		lb, db := splitJID(b)
		return cmp.Or(strings.Compare(da, db), strings.Compare(la, lb))
	})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Users are read by opt.Readers goroutines and written in order: each
	// user has a result channel, queued in order.
	type job struct {
		jid string
		out chan userData
	}
	jobs := make(chan job)
	queue := make(chan chan userData, 4*opt.Readers)
	go func() {
		defer close(queue)
		defer close(jobs)
		for _, j := range jids {
			out := make(chan userData, 1)
			select {
			case queue <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{j, out}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range opt.Readers {
		go func() {
			for jb := range jobs {
				jb.out <- readUser(ctx, st, jb.jid)
			}
		}()
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	var sum Summary
	var buf bytes.Buffer
	bw.WriteString("<?xml version='1.0' encoding='UTF-8'?>\n<server-data xmlns='" + nsPIE + "'>\n")
	host := ""
	for out := range queue {
		d := <-out
		if d.err != nil {
			return sum, d.err
		}
		local, domain := splitJID(d.user.JID)
		if domain != host {
			if host != "" {
				bw.WriteString("  </host>\n")
			}
			host = domain
			buf.Reset()
			buf.WriteString("  <host jid='")
			escapeAttr(&buf, domain)
			buf.WriteString("'>\n")
			bw.Write(buf.Bytes())
		}
		buf.Reset()
		if err := writeUser(&buf, local, &d, opt.Ejabberd); err != nil {
			return sum, fmt.Errorf("portable: export %s: %w", d.user.JID, err)
		}
		if _, err := bw.Write(buf.Bytes()); err != nil {
			return sum, err
		}
		sum.Users++
		sum.RosterItems += len(d.roster)
		sum.Requests += len(d.requests)
		sum.Offline += len(d.offline)
		if len(d.vcard) > 0 {
			sum.VCards++
		}
	}
	if host != "" {
		bw.WriteString("  </host>\n")
	}
	bw.WriteString("</server-data>\n")
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	return sum, bw.Flush()
}

func splitJID(j string) (local, domain string) {
	i := strings.IndexByte(j, '@')
	if i < 0 {
		return "", j
	}
	return j[:i], j[i+1:]
}

func readUser(ctx context.Context, st Source, j string) userData {
	d := userData{}
	var err error
	if d.user, err = st.User(ctx, j); err != nil {
		d.err = err
		return d
	}
	if d.roster, _, err = st.Roster(ctx, j); err != nil {
		d.err = err
		return d
	}
	if d.requests, err = st.SubscriptionRequests(ctx, j); err != nil {
		d.err = err
		return d
	}
	if d.offline, err = st.OfflineMessages(ctx, j); err != nil {
		d.err = err
		return d
	}
	if d.vcard, err = st.VCard(ctx, j); err != nil && !errors.Is(err, store.ErrNotFound) {
		d.err = err
		return d
	}
	return d
}

// writeUser writes one <user/> element, indented, with everything in a
// fixed order.
func writeUser(b *bytes.Buffer, local string, d *userData, ejabberd bool) error {
	b.WriteString("    <user name='")
	escapeAttr(b, local)
	b.WriteString("'>\n")
	for _, c := range []struct {
		mech string
		cred store.SCRAMCredential
	}{{sasl.SCRAMSHA1, d.user.SHA1}, {sasl.SCRAMSHA256, d.user.SHA256}} {
		if c.cred.Iterations < 1 || len(c.cred.StoredKey) == 0 || len(c.cred.ServerKey) == 0 || len(c.cred.Salt) == 0 ||
			(ejabberd && c.mech != sasl.SCRAMSHA1) {
			continue
		}
		enc := func(v []byte) string {
			s := base64.StdEncoding.EncodeToString(v)
			if ejabberd {
				s = base64.StdEncoding.EncodeToString([]byte(s))
			}
			return s
		}
		fmt.Fprintf(b, "      <scram-credentials xmlns='%s' mechanism='%s'><iter-count>%s</iter-count><salt>%s</salt><server-key>%s</server-key><stored-key>%s</stored-key></scram-credentials>\n",
			nsSCRAM, c.mech, strconv.Itoa(c.cred.Iterations), enc(c.cred.Salt), enc(c.cred.ServerKey), enc(c.cred.StoredKey))
	}
	if len(d.roster) > 0 {
		b.WriteString("      <query xmlns='" + nsRoster + "'>\n")
		for _, it := range d.roster {
			b.WriteString("        ")
			rosterItem(it).write(b, nsRoster)
			b.WriteByte('\n')
		}
		b.WriteString("      </query>\n")
	}
	for _, r := range d.requests {
		p, err := parseFragment(r.Stanza, nsClient)
		if err != nil {
			return fmt.Errorf("subscription request from %s: %w", r.From, err)
		}
		b.WriteString("      ")
		p.write(b, nsPIE)
		b.WriteByte('\n')
	}
	if len(d.offline) > 0 {
		b.WriteString("      <offline-messages>\n")
		for _, m := range d.offline {
			n, err := parseFragment(m.Stanza, nsClient)
			if err != nil {
				return fmt.Errorf("offline message %d: %w", m.ID, err)
			}
			b.WriteString("        ")
			n.write(b, nsPIE)
			b.WriteByte('\n')
		}
		b.WriteString("      </offline-messages>\n")
	}
	if len(d.vcard) > 0 {
		n, err := parseFragment(d.vcard, "")
		if err != nil {
			return fmt.Errorf("vCard: %w", err)
		}
		b.WriteString("      ")
		n.write(b, nsPIE)
		b.WriteByte('\n')
	}
	b.WriteString("    </user>\n")
	return nil
}

func rosterItem(it store.RosterItem) *node {
	n := &node{name: xml.Name{Space: nsRoster, Local: "item"}}
	n.setAttr("jid", it.Contact)
	if it.Name != "" {
		n.setAttr("name", it.Name)
	}
	n.setAttr("subscription", cmp.Or(it.Subscription, store.SubNone))
	if it.AskOut {
		n.setAttr("ask", "subscribe")
	}
	if it.Approved {
		n.setAttr("approved", "true")
	}
	for _, g := range it.Groups {
		n.children = append(n.children, &node{name: xml.Name{Space: nsRoster, Local: "group"}, children: []any{g}})
	}
	return n
}
