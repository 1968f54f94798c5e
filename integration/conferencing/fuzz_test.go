package conferencing

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"strings"
	"testing"

	"github.com/parley-im/parley/integration"
)

// FuzzInstantRequest: whatever a browser or site sends the Instant
// Conference URL service, its parameters are read without a panic into
// a request or a status for the answer, and the error document built
// from any message is well-formed XML that says the same.
func FuzzInstantRequest(f *testing.F) {
	f.Add("instantMeeting", "<instantMtgReq><siteid>12345</siteid><token>1_x</token><returnType>XML</returnType></instantMtgReq>", "")
	f.Add("instantMeeting", "<instantMtgReq><siteid>1</siteid><meetingType>PUBLIC</meetingType><returnType>text</returnType></instantMtgReq>", "text")
	f.Add("instantMeeting", "<a><siteid>&amp;</siteid><password>]]&gt;</password></a>", "")
	f.Add("other", "<x/>", "XML")
	f.Add("instantMeeting", "<instantMtgReq><siteid>", "")
	f.Add("instantMeeting", "<!DOCTYPE x [<!ENTITY a 'b'>]><x><siteid>&a;</siteid></x>", "")
	f.Fuzz(func(t *testing.T, op, xmlin, returnType string) {
		in, _, o := parseInstant(url.Values{"operation": {op}, "xmlin": {xmlin}, "returnType": {returnType}})
		if !o.failed() && (strings.TrimSpace(in.SiteID) == "" || op != InstantOp) {
			t.Fatalf("accepted without a siteid or the operation: %+v", in)
		}
		if o.failed() && o.status != integration.ServiceInputError && o.status != integration.InvalidSiteID {
			t.Fatalf("status %d for malformed input", o.status)
		}
		var b bytes.Buffer
		if err := xml.NewEncoder(&b).Encode(errorMsg{ResponseCode: int(o.status), Message: o.details}); err != nil {
			return // a message that is not valid UTF-8 XML text is refused by the encoder, never written
		}
		var back errorMsg
		if err := xml.Unmarshal(b.Bytes(), &back); err != nil || back.ResponseCode != int(o.status) {
			t.Fatalf("the error document does not read back: %v %s", err, b.Bytes())
		}
	})
}
