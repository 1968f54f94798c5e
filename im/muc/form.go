package muc

import (
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// XEP-0004 data form helpers and the muc#roomconfig form (§10.2).

// noMaxUsers is muc#roomconfig_maxusers's value for no limit.
const noMaxUsers = "none"

func formType(x *xml.Element) string {
	for _, f := range x.ChildrenNamed(ns.DataForms, "field") {
		if f.Attr("var") == "FORM_TYPE" {
			if v := f.Child(ns.DataForms, "value"); v != nil {
				return strings.TrimSpace(v.Text)
			}
		}
	}
	return ""
}

// formFields maps each field's var to its values.
func formFields(x *xml.Element) map[string][]string {
	out := map[string][]string{}
	for _, f := range x.ChildrenNamed(ns.DataForms, "field") {
		var vs []string
		for _, v := range f.ChildrenNamed(ns.DataForms, "value") {
			vs = append(vs, v.Text)
		}
		if vs == nil {
			vs = []string{}
		}
		out[f.Attr("var")] = vs
	}
	return out
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return strings.TrimSpace(vs[0])
}

func truthy(v string) bool { return v == "1" || v == "true" }

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func hiddenField(name, value string) *xml.Element {
	return xml.NewElement(ns.DataForms, "field", xml.Attr{Name: "var", Value: name}, xml.Attr{Name: "type", Value: "hidden"}).
		AddChild(xml.NewElement(ns.DataForms, "value").SetText(value))
}

func field(name, typ, label string, values ...string) *xml.Element {
	f := xml.NewElement(ns.DataForms, "field", xml.Attr{Name: "var", Value: name}, xml.Attr{Name: "type", Value: typ})
	if label != "" {
		f.SetAttr("label", label)
	}
	for _, v := range values {
		f.AddChild(xml.NewElement(ns.DataForms, "value").SetText(v))
	}
	return f
}

func withOptions(f *xml.Element, opts ...[2]string) *xml.Element {
	for _, o := range opts {
		f.AddChild(xml.NewElement(ns.DataForms, "option", xml.Attr{Name: "label", Value: o[1]}).
			AddChild(xml.NewElement(ns.DataForms, "value").SetText(o[0])))
	}
	return f
}

// configForm is the owner's configuration form (§10.2, §15.5.3).
func (r *Room) configForm() *xml.Element {
	c := r.st.Config
	x := xml.NewElement(ns.DataForms, "x", xml.Attr{Name: "type", Value: "form"})
	x.AddChild(xml.NewElement(ns.DataForms, "title").SetText("Configuration for " + r.jid.String()))
	x.AddChild(xml.NewElement(ns.DataForms, "instructions").SetText("Complete and submit this form to configure the room."))
	x.AddChild(hiddenField("FORM_TYPE", NSConfig))
	x.AddChild(field("muc#roomconfig_roomname", "text-single", "Natural-Language Room Name", c.Name))
	x.AddChild(field("muc#roomconfig_roomdesc", "text-single", "Short Description of Room", c.Description))
	x.AddChild(field("muc#roomconfig_persistentroom", "boolean", "Make Room Persistent?", boolValue(c.Persistent)))
	x.AddChild(field("muc#roomconfig_publicroom", "boolean", "Make Room Publicly Searchable?", boolValue(c.Public)))
	x.AddChild(field("muc#roomconfig_membersonly", "boolean", "Make Room Members-Only?", boolValue(c.MembersOnly)))
	x.AddChild(field("muc#roomconfig_moderatedroom", "boolean", "Make Room Moderated?", boolValue(c.Moderated)))
	x.AddChild(field("muc#roomconfig_passwordprotectedroom", "boolean", "Password Required to Enter?", boolValue(c.Password != "")))
	x.AddChild(field("muc#roomconfig_roomsecret", "text-private", "Password", c.Password))
	// "none", not an empty value, as in XEP-0045's example (§10.1.3): a
	// form renderer may submit an empty option's label instead (Converse.js
	// sent "None"). A limit that is not among the options is offered too,
	// so that the current value is always one of them.
	maxUsers := noMaxUsers
	opts := [][2]string{{"10", "10"}, {"20", "20"}, {"30", "30"}, {"50", "50"}, {"100", "100"}}
	if c.MaxUsers > 0 {
		maxUsers = strconv.Itoa(c.MaxUsers)
		if !slices.ContainsFunc(opts, func(o [2]string) bool { return o[0] == maxUsers }) {
			opts = append(opts, [2]string{maxUsers, maxUsers})
		}
	}
	x.AddChild(withOptions(field("muc#roomconfig_maxusers", "list-single", "Maximum Number of Occupants", maxUsers),
		append(opts, [2]string{noMaxUsers, "None"})...))
	x.AddChild(withOptions(field("muc#roomconfig_whois", "list-single", "Who May Discover Real JIDs?", c.WhoIs),
		[2]string{"moderators", "Moderators Only"}, [2]string{"anyone", "Anyone"}))
	x.AddChild(field("muc#maxhistoryfetch", "text-single", "Maximum Number of History Messages Returned by Room", strconv.Itoa(c.HistoryLength)))
	x.AddChild(withOptions(field("muc#roomconfig_allowpm", "list-single", "Who May Send Private Messages?", c.AllowPM),
		[2]string{"anyone", "Anyone"}, [2]string{"participants", "Participants"}, [2]string{"moderators", "Moderators Only"}, [2]string{"none", "Nobody"}))
	x.AddChild(field("muc#roomconfig_changesubject", "boolean", "Allow Occupants to Change Subject?", boolValue(c.ChangeSubject)))
	x.AddChild(field("muc#roomconfig_allowinvites", "boolean", "Allow Occupants to Invite Others?", boolValue(c.AllowInvites)))
	x.AddChild(field("muc#roomconfig_enablelogging", "boolean", "Enable Public Logging (message archive)?", boolValue(c.Archive)))
	x.AddChild(withOptions(field("muc#roomconfig_presencebroadcast", "list-multi", "Roles for which Presence is Broadcasted", c.presenceRoles()...),
		roleOptions...))
	x.AddChild(withOptions(field("muc#roomconfig_getmemberlist", "list-multi", "Roles and Affiliations that May Retrieve Member List", c.GetMemberList...),
		roleOptions...))
	x.AddChild(field("muc#roomconfig_lang", "text-single", "Natural Language for Room Discussions", c.Lang))
	x.AddChild(field("muc#roomconfig_roomowners", "jid-multi", "Room Owners", r.withAffiliation(Owner)...))
	x.AddChild(field("muc#roomconfig_roomadmins", "jid-multi", "Room Admins", r.withAffiliation(Admin)...))
	return x
}

// roleOptions are the choices of the role list fields. The labels are
// the values capitalized, so that a renderer submitting a label instead
// of its value still names the role.
var roleOptions = [][2]string{{"moderator", "Moderator"}, {"participant", "Participant"}, {"visitor", "Visitor"}}

// parseRoles reads a role list field: known roles in any case, each
// once, empty values skipped; the result is in allRoles' order and never
// nil (an empty list is a choice, unlike a missing setting).
func parseRoles(name string, vs []string) ([]string, string) {
	seen := map[string]bool{}
	for _, v := range vs {
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" {
			continue
		}
		if !slices.Contains(allRoles, v) {
			return nil, name + " lists roles: moderator, participant, visitor"
		}
		seen[v] = true
	}
	out := []string{}
	for _, r := range allRoles {
		if seen[r] {
			out = append(out, r)
		}
	}
	return out, ""
}

// parseLang reads a language tag (BCP 47, as xml:lang); "" is no
// language. The tag is returned in its canonical form ("EN-us" is
// "en-US").
func parseLang(v string) (string, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", ""
	}
	tag, err := language.Parse(v)
	if err != nil || len(v) > 35 {
		return "", "muc#roomconfig_lang must be a language tag such as en or pt-BR"
	}
	return tag.String(), ""
}

// withAffiliation lists the bare JIDs with a, sorted.
func (r *Room) withAffiliation(a Affiliation) []string {
	var out []string
	for j, b := range r.st.Affiliations {
		if a == b {
			out = append(out, j)
		}
	}
	sortStrings(out)
	return out
}

// configChange is a submitted form's effect.
type configChange struct {
	cfg            RoomConfig
	owners, admins []string // nil: unchanged
}

// parseConfig applies a submitted form to the current configuration;
// unknown fields are ignored (§10.2: the service MAY ignore them),
// malformed values are errors.
func parseConfig(cur RoomConfig, x *xml.Element, maxHistory int) (configChange, string) {
	ch := configChange{cfg: cur}
	c := &ch.cfg
	fields := formFields(x)
	if ft, ok := fields["FORM_TYPE"]; ok && first(ft) != NSConfig {
		return ch, "FORM_TYPE must be " + NSConfig
	}
	protected := -1
	for name, vs := range fields {
		v := first(vs)
		switch name {
		case "muc#roomconfig_roomname":
			c.Name = v
		case "muc#roomconfig_roomdesc":
			c.Description = v
		case "muc#roomconfig_persistentroom":
			c.Persistent = truthy(v)
		case "muc#roomconfig_publicroom":
			c.Public = truthy(v)
		case "muc#roomconfig_membersonly":
			c.MembersOnly = truthy(v)
		case "muc#roomconfig_moderatedroom":
			c.Moderated = truthy(v)
		case "muc#roomconfig_passwordprotectedroom":
			protected = 0
			if truthy(v) {
				protected = 1
			}
		case "muc#roomconfig_roomsecret":
			if len(vs) > 0 {
				c.Password = vs[0]
			} else {
				c.Password = ""
			}
		case "muc#roomconfig_maxusers":
			// The option's value, or its label, or nothing: no limit.
			if v == "" || strings.EqualFold(v, noMaxUsers) {
				c.MaxUsers = 0
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return ch, "muc#roomconfig_maxusers must be a number"
			}
			c.MaxUsers = n
		case "muc#roomconfig_whois":
			if v != "moderators" && v != "anyone" {
				return ch, "muc#roomconfig_whois must be moderators or anyone"
			}
			c.WhoIs = v
		case "muc#maxhistoryfetch", "muc#roomconfig_historylength":
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return ch, name + " must be a number"
			}
			// Two names for one setting: the one that changes it wins,
			// whatever order the form lists them in.
			if n = min(n, maxHistory); n != cur.HistoryLength {
				c.HistoryLength = n
			}
		case "muc#roomconfig_allowpm":
			switch v {
			case "anyone", "participants", "moderators", "none":
				c.AllowPM = v
			default:
				return ch, "muc#roomconfig_allowpm must be anyone, participants, moderators or none"
			}
		case "muc#roomconfig_changesubject":
			c.ChangeSubject = truthy(v)
		case "muc#roomconfig_allowinvites":
			c.AllowInvites = truthy(v)
		case "muc#roomconfig_enablelogging", "muc#roomconfig_enablearchiving", "mam":
			if truthy(v) != cur.Archive { // aliases: the one that changes it wins
				c.Archive = truthy(v)
			}
		case "muc#roomconfig_presencebroadcast", "muc#roomconfig_getmemberlist":
			roles, bad := parseRoles(name, vs)
			if bad != "" {
				return ch, bad
			}
			if name == "muc#roomconfig_presencebroadcast" {
				c.PresenceBroadcast = roles
			} else {
				c.GetMemberList = roles
			}
		case "muc#roomconfig_lang":
			lang, bad := parseLang(v)
			if bad != "" {
				return ch, bad
			}
			c.Lang = lang
		case "muc#roomconfig_roomowners":
			ch.owners = nonEmpty(vs)
		case "muc#roomconfig_roomadmins":
			ch.admins = nonEmpty(vs)
		}
	}
	if protected == 0 {
		c.Password = ""
	} else if protected == 1 && c.Password == "" {
		return ch, "a password-protected room needs muc#roomconfig_roomsecret"
	}
	return ch, ""
}

func nonEmpty(vs []string) []string {
	out := []string{}
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
