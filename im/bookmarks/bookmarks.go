// Package bookmarks keeps an account's conference bookmarks in PEP, as
// XEP-0402 has them (node urn:xmpp:bookmarks:1, one item per room), and
// offers the compatibility view of XEP-0402 §5.3
// (urn:xmpp:bookmarks:1#compat): clients of XEP-0048 that store
// <storage xmlns='storage:bookmarks'/> in private XML storage (XEP-0049)
// read and write the same bookmarks. What XEP-0402 cannot hold (URL
// bookmarks) is kept in private storage beside them.
package bookmarks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/parley-im/parley/im/pep"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/dataform"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Service converts between the two forms.
type Service struct {
	PEP   *pep.Service
	Store store.PrivateXML // the non-conference part of storage:bookmarks
	Log   *slog.Logger
}

// options are XEP-0402 §3.1's publish options: a private node (XEP-0223).
func options() *dataform.Form {
	return &dataform.Form{Type: dataform.TypeSubmit, Fields: []dataform.Field{
		dataform.Hidden("FORM_TYPE", ns.PubSub+"#publish-options"),
		{Var: "pubsub#persist_items", Values: []string{"true"}},
		{Var: "pubsub#max_items", Values: []string{"max"}},
		{Var: "pubsub#send_last_published_item", Values: []string{"never"}},
		{Var: "pubsub#access_model", Values: []string{"whitelist"}},
	}}
}

// Get builds owner's XEP-0048 <storage/> from the PEP bookmarks.
func (s *Service) Get(ctx context.Context, owner string) (*xml.Element, error) {
	st := xml.NewElement(ns.Bookmarks, "storage")
	items, err := s.PEP.Items(ctx, owner, ns.Bookmarks2, nil, 0)
	if err != nil && !errors.Is(err, pep.ErrNodeNotFound) {
		return nil, err
	}
	for _, it := range items {
		c := it.Payload
		if c.Space != ns.Bookmarks2 || c.Name != "conference" {
			continue
		}
		out := xml.NewElement(ns.Bookmarks, "conference", xml.Attr{Name: "jid", Value: it.ID})
		if n := c.Attr("name"); n != "" {
			out.SetAttr("name", n)
		}
		if a, _ := dataform.Bool(c.Attr("autojoin")); a {
			out.SetAttr("autojoin", "true")
		} else {
			out.SetAttr("autojoin", "false")
		}
		for _, name := range []string{"nick", "password"} {
			if e := c.Child(ns.Bookmarks2, name); e != nil {
				out.AddChild(xml.NewElement(ns.Bookmarks, name).SetText(e.Text))
			}
		}
		st.AddChild(out)
	}
	raw, err := s.Store.PrivateXML(ctx, owner, ns.Bookmarks)
	if err == nil {
		if rest, perr := xml.ParseElement(raw, ns.Bookmarks, xml.Limits{MaxStanzaBytes: len(raw) + 1, MaxDepth: 32, MaxAttrs: 64}); perr == nil {
			for _, c := range rest.Children {
				st.AddChild(c)
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return st, nil
}

// Set replaces owner's bookmarks with those of an XEP-0048 <storage/>:
// new and changed conferences are published to the PEP node, the ones
// gone are retracted, and the rest of the element is kept aside.
func (s *Service) Set(ctx context.Context, owner string, st *xml.Element) error {
	if st.Name != "storage" {
		return fmt.Errorf("bookmarks: %s is not <storage/>", st.Name)
	}
	current := map[string]string{}
	items, err := s.PEP.Items(ctx, owner, ns.Bookmarks2, nil, 0)
	if err != nil && !errors.Is(err, pep.ErrNodeNotFound) {
		return err
	}
	for _, it := range items {
		current[it.ID] = string(it.Payload.Bytes(""))
	}
	rest := xml.NewElement(ns.Bookmarks, "storage")
	var keep []string
	for _, c := range st.Children {
		if c.Space != ns.Bookmarks || c.Name != "conference" {
			rest.AddChild(c)
			continue
		}
		room, err := jid.Parse(c.Attr("jid"))
		if err != nil || !room.IsBare() || room.Local() == "" {
			continue
		}
		conf := xml.NewElement(ns.Bookmarks2, "conference")
		if n := c.Attr("name"); n != "" {
			conf.SetAttr("name", n)
		}
		a, _ := dataform.Bool(c.Attr("autojoin"))
		conf.SetAttr("autojoin", fmt.Sprint(a))
		for _, name := range []string{"nick", "password"} {
			if e := c.Child(ns.Bookmarks, name); e != nil && strings.TrimSpace(e.Text) != "" {
				conf.AddChild(xml.NewElement(ns.Bookmarks2, name).SetText(e.Text))
			}
		}
		id := room.String()
		keep = append(keep, id)
		if current[id] == string(conf.Bytes("")) {
			continue
		}
		if _, err := s.PEP.Publish(ctx, owner, ns.Bookmarks2, id, conf, options(), true); err != nil {
			if errors.Is(err, pep.ErrPrecondition) {
				// The node was configured otherwise: publish as it is.
				_, err = s.PEP.Publish(ctx, owner, ns.Bookmarks2, id, conf, nil, true)
			}
			if err != nil {
				return fmt.Errorf("bookmarks: publish %s for %s: %w", id, owner, err)
			}
		}
	}
	for id := range current {
		if !slices.Contains(keep, id) {
			if err := s.PEP.Retract(ctx, owner, ns.Bookmarks2, id, true); err != nil && !errors.Is(err, pep.ErrItemNotFound) {
				return fmt.Errorf("bookmarks: retract %s for %s: %w", id, owner, err)
			}
		}
	}
	var raw []byte
	if len(rest.Children) > 0 {
		raw = rest.Bytes("")
	}
	return s.Store.PutPrivateXML(ctx, owner, ns.Bookmarks, raw, 0)
}
