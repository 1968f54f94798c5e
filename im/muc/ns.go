package muc

// Namespaces of the MUC protocol family.
const (
	NS         = "http://jabber.org/protocol/muc"
	NSUser     = "http://jabber.org/protocol/muc#user"
	NSAdmin    = "http://jabber.org/protocol/muc#admin"
	NSOwner    = "http://jabber.org/protocol/muc#owner"
	NSRequest  = "http://jabber.org/protocol/muc#request"
	NSConfig   = "http://jabber.org/protocol/muc#roomconfig"
	NSRoomInfo = "http://jabber.org/protocol/muc#roominfo"
	NSSelfPing = "http://jabber.org/protocol/muc#self-ping-optimization" // XEP-0410
	NSStableID = "http://jabber.org/protocol/muc#stable_id"
	NSOccupant = "urn:xmpp:occupant-id:0" // XEP-0421
	NSDirect   = "jabber:x:conference"    // XEP-0249 direct invitations
	NSRegister = "jabber:iq:register"
)
