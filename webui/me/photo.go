package me

import (
	"encoding/base64"

	"github.com/parley-im/parley/im/vcard"
	"github.com/parley-im/parley/xmpp/xml"
)

func photo(v *xml.Element) (string, []byte, error) { return vcard.Photo(v) }

func b64(data []byte) string { return base64.StdEncoding.EncodeToString(data) }

// hashShort is a cache-busting tag of a picture (its XEP-0153 hash).
func hashShort(data []byte) string {
	v := xml.NewElement(vcardNS, "vCard")
	setPhoto(v, "image/png", data)
	h := vcard.PhotoHash(v)
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}
