package muc

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

// RoomConfig is a room's configuration (the muc#roomconfig form).
type RoomConfig struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Persistent  bool   `json:"persistent,omitempty"`
	Public      bool   `json:"public,omitempty"`
	MembersOnly bool   `json:"members_only,omitempty"`
	Moderated   bool   `json:"moderated,omitempty"`
	Password    string `json:"password,omitempty"`  // "" = not password-protected
	MaxUsers    int    `json:"max_users,omitempty"` // 0 = the service's limit
	// WhoIs says who sees occupants' real JIDs: "moderators"
	// (semi-anonymous) or "anyone" (non-anonymous).
	WhoIs         string `json:"whois,omitempty"`
	HistoryLength int    `json:"history_length"`
	// AllowPM says who may send private messages: "anyone",
	// "participants", "moderators" or "none".
	AllowPM       string `json:"allow_pm,omitempty"`
	ChangeSubject bool   `json:"change_subject,omitempty"` // participants may change the subject
	AllowInvites  bool   `json:"allow_invites,omitempty"`  // members may invite to a members-only room
	Archive       bool   `json:"archive,omitempty"`        // logging: history kept in the room archive (XEP-0313)
	// PresenceBroadcast lists the roles ("moderator", "participant",
	// "visitor") whose presence the other occupants get
	// (muc#roomconfig_presencebroadcast). nil, as in rooms stored before
	// the setting existed, means all three; an empty list means none.
	PresenceBroadcast []string `json:"presence_broadcast"`
	// GetMemberList lists the roles that may retrieve the member list
	// besides admins and owners, who always may
	// (muc#roomconfig_getmemberlist). nil, as in rooms stored before the
	// setting existed, means no role.
	GetMemberList []string `json:"get_member_list,omitempty"`
	// Lang is the natural language of the room's discussions, a BCP 47
	// tag such as "en" (muc#roomconfig_lang); "" = not said.
	Lang string `json:"lang,omitempty"`
}

func (c RoomConfig) nonAnonymous() bool { return c.WhoIs == "anyone" }

// allRoles are the roles muc#roomconfig_presencebroadcast and
// muc#roomconfig_getmemberlist choose from, in the order forms list them.
var allRoles = []string{"moderator", "participant", "visitor"}

// presenceRoles is PresenceBroadcast with nil read as all roles.
func (c RoomConfig) presenceRoles() []string {
	if c.PresenceBroadcast == nil {
		return allRoles
	}
	return c.PresenceBroadcast
}

// broadcasts reports whether the presence of an occupant with role
// reaches the other occupants (§7.2.3).
func (c RoomConfig) broadcasts(role Role) bool {
	return slices.Contains(c.presenceRoles(), role.String())
}

// mayGetMemberList reports whether an occupant's role lets it retrieve
// the member list (admins and owners always may).
func (c RoomConfig) mayGetMemberList(role Role) bool {
	return role != NoRole && slices.Contains(c.GetMemberList, role.String())
}

// defaultConfig is an instant room's configuration. Moderators may read
// the member list: they see occupants' real JIDs anyway, so the list
// tells them nothing a semi-anonymous room hides from them.
func defaultConfig(history int) RoomConfig {
	return RoomConfig{WhoIs: "moderators", HistoryLength: history, AllowPM: "anyone", Public: true,
		PresenceBroadcast: slices.Clone(allRoles), GetMemberList: []string{"moderator"}}
}

// state is what a persistent room stores (store.Room.State), as JSON.
type state struct {
	Version      int                    `json:"version"`
	Config       RoomConfig             `json:"config"`
	Affiliations map[string]Affiliation `json:"affiliations,omitempty"` // bare JID -> affiliation (none is absent)
	Subject      string                 `json:"subject,omitempty"`
	SubjectBy    string                 `json:"subject_by,omitempty"` // nick
	Creator      string                 `json:"creator,omitempty"`    // bare JID of who created it
	Nicks        map[string]string      `json:"nicks,omitempty"`      // bare JID -> reserved nickname (§7.10)
	// OccupantKey keys the occupant-id hash (XEP-0421), so ids stay
	// stable across restarts.
	OccupantKey []byte `json:"occupant_key"`
}

const stateVersion = 1

func newState(cfg RoomConfig, creator string) *state {
	key := make([]byte, 32)
	rand.Read(key)
	return &state{Version: stateVersion, Config: cfg, Affiliations: map[string]Affiliation{}, Creator: creator, OccupantKey: key}
}

func (s *state) encode() []byte {
	b, _ := json.Marshal(s)
	return b
}

func decodeState(b []byte) (*state, error) {
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadState, err)
	}
	if s.Affiliations == nil {
		s.Affiliations = map[string]Affiliation{}
	}
	if len(s.OccupantKey) == 0 {
		s.OccupantKey = make([]byte, 32)
		rand.Read(s.OccupantKey)
	}
	if s.Config.WhoIs == "" {
		s.Config.WhoIs = "moderators"
	}
	if s.Config.AllowPM == "" {
		s.Config.AllowPM = "anyone"
	}
	return &s, nil
}

// RoomOptions describe a room created outside the service (the CLI).
type RoomOptions struct {
	Name          string
	Description   string
	Public        bool
	MembersOnly   bool
	Moderated     bool
	NonAnonymous  bool // everyone sees real JIDs
	Password      string
	MaxUsers      int
	HistoryLength int // messages sent to people who join
	Archive       bool
	Lang          string   // the room's natural language (BCP 47), optional
	Subject       string   // the room's subject, sent to each occupant on entering
	Owners        []string // bare JIDs
	Admins        []string
	Members       []string
	System        bool // made by the server for a module (a conference): counts against no owner's max_rooms_per_user
}

// NewPersistentRoom builds the stored form of a new, configured
// (unlocked) persistent room. The service loads it when a stanza names
// it, so a room created while the server runs works at once.
func NewPersistentRoom(room jid.JID, o RoomOptions) (store.Room, error) {
	if room.Local() == "" || !room.IsBare() {
		return store.Room{}, ErrBadRoom
	}
	lang, err := parseLang(o.Lang)
	if err != "" {
		return store.Room{}, fmt.Errorf("%w: %s", ErrBadConfig, err)
	}
	cfg := defaultConfig(o.HistoryLength)
	cfg.Name, cfg.Description, cfg.Persistent, cfg.Public = o.Name, o.Description, true, o.Public
	cfg.MembersOnly, cfg.Moderated, cfg.Password, cfg.MaxUsers = o.MembersOnly, o.Moderated, o.Password, o.MaxUsers
	cfg.Archive, cfg.Lang = o.Archive, lang
	if o.NonAnonymous {
		cfg.WhoIs = "anyone"
	}
	creator := ""
	if len(o.Owners) > 0 && !o.System {
		creator = o.Owners[0]
	}
	st := newState(cfg, creator)
	st.Subject = o.Subject
	for _, list := range []struct {
		jids []string
		a    Affiliation
	}{{o.Members, Member}, {o.Admins, Admin}, {o.Owners, Owner}} {
		for _, s := range list.jids {
			j, err := jid.Parse(s)
			if err != nil {
				return store.Room{}, fmt.Errorf("%q: %w", s, err)
			}
			st.Affiliations[j.Bare().String()] = list.a
		}
	}
	return store.Room{JID: room.String(), State: st.encode(), CreatedAt: time.Now().UTC()}, nil
}

// RoomInfo is a stored room as `parley room list` shows it.
type RoomInfo struct {
	JID          string
	Config       RoomConfig
	Subject      string
	Creator      string
	Affiliations map[string]string // bare JID -> owner, admin, member or outcast
	CreatedAt    time.Time
}

// Owners returns the room's owners, sorted.
func (i RoomInfo) Owners() []string {
	var out []string
	for j, a := range i.Affiliations {
		if a == "owner" {
			out = append(out, j)
		}
	}
	slices.Sort(out)
	return out
}

// DecodeRoom reads a stored room.
func DecodeRoom(r store.Room) (RoomInfo, error) {
	st, err := decodeState(r.State)
	if err != nil {
		return RoomInfo{}, err
	}
	info := RoomInfo{JID: r.JID, Config: st.Config, Subject: st.Subject, Creator: st.Creator,
		Affiliations: make(map[string]string, len(st.Affiliations)), CreatedAt: r.CreatedAt}
	info.Config.Password = ""
	if st.Config.Password != "" {
		info.Config.Password = "********" // listings never show secrets
	}
	for j, a := range st.Affiliations {
		info.Affiliations[j] = a.String()
	}
	return info, nil
}
