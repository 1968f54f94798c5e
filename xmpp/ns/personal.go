package ns

// Personal eventing, profiles and the other services of modern clients.
const (
	PubSubOwner    = "http://jabber.org/protocol/pubsub#owner"  // XEP-0060
	PubSubEvent    = "http://jabber.org/protocol/pubsub#event"  // XEP-0060
	PubSubErrors   = "http://jabber.org/protocol/pubsub#errors" // XEP-0060
	Caps           = "http://jabber.org/protocol/caps"          // XEP-0115
	AvatarData     = "urn:xmpp:avatar:data"                     // XEP-0084
	AvatarMetadata = "urn:xmpp:avatar:metadata"                 // XEP-0084
	Bookmarks2     = "urn:xmpp:bookmarks:1"                     // XEP-0402
	Bookmarks      = "storage:bookmarks"                        // XEP-0048
	VCard          = "vcard-temp"                               // XEP-0054
	VCardUpdate    = "vcard-temp:x:update"                      // XEP-0153
	PEPVCard       = "urn:xmpp:pep-vcard-conversion:0"          // XEP-0398
	Blocking       = "urn:xmpp:blocking"                        // XEP-0191
	BlockingErrors = "urn:xmpp:blocking:errors"                 // XEP-0191
	LastActivity   = "jabber:iq:last"                           // XEP-0012
	Private        = "jabber:iq:private"                        // XEP-0049
	Time           = "urn:xmpp:time"                            // XEP-0202
	HTTPUpload     = "urn:xmpp:http:upload:0"                   // XEP-0363
	Register       = "jabber:iq:register"                       // XEP-0077
	RegisterFeat   = "http://jabber.org/features/iq-register"   // XEP-0077 stream feature
	Commands       = "http://jabber.org/protocol/commands"      // XEP-0050
	Admin          = "http://jabber.org/protocol/admin"         // XEP-0133
	ExtDisco       = "urn:xmpp:extdisco:2"                      // XEP-0215
)
