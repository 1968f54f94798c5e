// Package ns lists the XML namespaces Parley speaks.
package ns

// Core (RFC 6120 / RFC 6121).
const (
	Client = "jabber:client"
	Server = "jabber:server"
	// ComponentAccept is the content namespace of external component
	// streams (XEP-0114).
	ComponentAccept = "jabber:component:accept"
	Stream          = "http://etherx.jabber.org/streams"
	Streams         = "urn:ietf:params:xml:ns:xmpp-streams" // stream error conditions
	Stanzas         = "urn:ietf:params:xml:ns:xmpp-stanzas" // stanza error conditions
	TLS             = "urn:ietf:params:xml:ns:xmpp-tls"
	SASL            = "urn:ietf:params:xml:ns:xmpp-sasl"
	Bind            = "urn:ietf:params:xml:ns:xmpp-bind"
	Session         = "urn:ietf:params:xml:ns:xmpp-session"
	Roster          = "jabber:iq:roster"
	RosterVer       = "urn:xmpp:features:rosterver"
	PreApproval     = "urn:xmpp:features:pre-approval"
	Framing         = "urn:ietf:params:xml:ns:xmpp-framing" // RFC 7395 WebSocket framing
	HTTPBind        = "http://jabber.org/protocol/httpbind" // XEP-0124 BOSH
	XBOSH           = "urn:xmpp:xbosh"                      // XEP-0206
)

// Server-to-server streams.
const (
	Dialback        = "jabber:server:dialback"     // XEP-0220 elements (db: prefix)
	DialbackFeature = "urn:xmpp:features:dialback" // XEP-0220 stream feature
	Bidi            = "urn:xmpp:bidi"              // XEP-0288 request
	BidiFeature     = "urn:xmpp:features:bidi"     // XEP-0288 stream feature
)

// Extensions.
const (
	DiscoInfo      = "http://jabber.org/protocol/disco#info"             // XEP-0030
	DiscoItems     = "http://jabber.org/protocol/disco#items"            // XEP-0030
	Ping           = "urn:xmpp:ping"                                     // XEP-0199
	Version        = "jabber:iq:version"                                 // XEP-0092
	ChatStates     = "http://jabber.org/protocol/chatstates"             // XEP-0085
	Delay          = "urn:xmpp:delay"                                    // XEP-0203
	SM             = "urn:xmpp:sm:3"                                     // XEP-0198
	CSI            = "urn:xmpp:csi:0"                                    // XEP-0352
	Carbons        = "urn:xmpp:carbons:2"                                // XEP-0280
	Forward        = "urn:xmpp:forward:0"                                // XEP-0297
	Hints          = "urn:xmpp:hints"                                    // XEP-0334
	MAM            = "urn:xmpp:mam:2"                                    // XEP-0313
	MAMExt         = "urn:xmpp:mam:2#extended"                           // XEP-0313 before-id, after-id, ids
	RSM            = "http://jabber.org/protocol/rsm"                    // XEP-0059
	DataForms      = "jabber:x:data"                                     // XEP-0004
	StanzaID       = "urn:xmpp:sid:0"                                    // XEP-0359
	Offline        = "msgoffline"                                        // XEP-0160 disco feature
	Push           = "urn:xmpp:push:0"                                   // XEP-0357
	PushSummary    = "urn:xmpp:push:summary"                             // XEP-0357 notification form
	PubSub         = "http://jabber.org/protocol/pubsub"                 // XEP-0060
	PublishOptions = "http://jabber.org/protocol/pubsub#publish-options" // XEP-0060 form
)
