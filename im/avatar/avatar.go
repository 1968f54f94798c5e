// Package avatar converts between the two avatar protocols (XEP-0398):
// an avatar published over PEP (XEP-0084: the image in the
// urn:xmpp:avatar:data node, its description in urn:xmpp:avatar:metadata)
// becomes the photo of the account's vCard, whose hash the server then
// puts in the account's presence (XEP-0153); a photo set in the vCard is
// published over PEP. Clients that only know one of the protocols (for
// example Converse.js, which reads vCards) see avatars set with the other.
package avatar

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"github.com/parley-im/parley/im/pep"
	"github.com/parley-im/parley/im/vcard"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Converter links an account's PEP avatar and its vCard photo.
type Converter struct {
	PEP    *pep.Service
	VCards *vcard.Service
	Log    *slog.Logger
}

// Published is pep's OnPublish hook: new metadata from the client sets
// (or, empty, removes) the vCard photo. The image must be in the data
// node under the id the metadata names, and hash to it (§3.1).
func (c *Converter) Published(ctx context.Context, p pep.Published) {
	if p.ByServer || p.Node != ns.AvatarMetadata || p.Payload == nil || p.Payload.Space != ns.AvatarMetadata {
		return
	}
	var info *xml.Element
	for _, i := range p.Payload.ChildrenNamed(ns.AvatarMetadata, "info") {
		if i.Attr("url") == "" && i.Attr("id") != "" {
			info = i
			break
		}
	}
	if info == nil {
		if len(p.Payload.ChildrenNamed(ns.AvatarMetadata, "info")) == 0 {
			// Empty metadata: the user disabled their avatar (XEP-0084 §4.5).
			if err := c.VCards.SetPhoto(ctx, p.Owner, "", nil); err != nil {
				c.Log.Error("avatar: remove vCard photo", "owner", p.Owner, "err", err)
			}
		}
		return
	}
	id := strings.ToLower(info.Attr("id"))
	items, err := c.PEP.Items(ctx, p.Owner, ns.AvatarData, []string{info.Attr("id")}, 1)
	if err != nil || len(items) == 0 {
		c.Log.Info("avatar: metadata names an image that is not in the data node", "owner", p.Owner, "id", id, "err", err)
		return
	}
	data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(items[0].Payload.Text), ""))
	sum := sha1.Sum(data)
	if err != nil || len(data) == 0 || hex.EncodeToString(sum[:]) != id {
		c.Log.Info("avatar: image does not match its id; not converted", "owner", p.Owner, "id", id)
		return
	}
	typ := info.Attr("type")
	if err := c.VCards.SetPhoto(ctx, p.Owner, typ, data); err != nil {
		c.Log.Error("avatar: set vCard photo", "owner", p.Owner, "err", err)
	}
}

// VCardSet is vcard's OnSet hook: a photo in a client's vCard is
// published over PEP, data then metadata (§3.2); a vCard without one
// disables an avatar published before.
func (c *Converter) VCardSet(ctx context.Context, owner string, v *xml.Element) {
	typ, data, err := vcard.Photo(v)
	if errors.Is(err, vcard.ErrNoPhoto) {
		if _, cerr := c.PEP.Config(ctx, owner, ns.AvatarMetadata); cerr == nil {
			if _, err := c.PEP.Publish(ctx, owner, ns.AvatarMetadata, "", xml.NewElement(ns.AvatarMetadata, "metadata"), nil, true); err != nil {
				c.Log.Error("avatar: publish empty metadata", "owner", owner, "err", err)
			}
		}
		return
	}
	sum := sha1.Sum(data)
	id := hex.EncodeToString(sum[:])
	if typ == "" {
		typ = "image/png"
	}
	dataEl := xml.NewElement(ns.AvatarData, "data").SetText(base64.StdEncoding.EncodeToString(data))
	if _, err := c.PEP.Publish(ctx, owner, ns.AvatarData, id, dataEl, nil, true); err != nil {
		c.Log.Info("avatar: vCard photo not published over PEP", "owner", owner, "err", err)
		return
	}
	meta := xml.NewElement(ns.AvatarMetadata, "metadata").AddChild(xml.NewElement(ns.AvatarMetadata, "info",
		xml.Attr{Name: "id", Value: id}, xml.Attr{Name: "bytes", Value: strconv.Itoa(len(data))}, xml.Attr{Name: "type", Value: typ}))
	if _, err := c.PEP.Publish(ctx, owner, ns.AvatarMetadata, id, meta, nil, true); err != nil {
		c.Log.Error("avatar: publish metadata", "owner", owner, "err", err)
	}
}
