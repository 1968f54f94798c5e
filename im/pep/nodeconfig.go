package pep

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/parley-im/parley/xmpp/dataform"
	"github.com/parley-im/parley/xmpp/ns"
)

// Access models (XEP-0060 §4.5) Parley's PEP supports. "authorize" is
// not offered: there are no explicit subscriptions.
const (
	AccessOpen      = "open"
	AccessPresence  = "presence"
	AccessRoster    = "roster"
	AccessWhitelist = "whitelist"
)

// When the last item is sent to a contact that becomes available
// (pubsub#send_last_published_item).
const (
	SendNever            = "never"
	SendOnSub            = "on_sub"
	SendOnSubAndPresence = "on_sub_and_presence"
)

// Data form types of node configuration.
const (
	nodeConfigForm     = ns.PubSub + "#node_config"
	publishOptionsForm = ns.PubSub + "#publish-options"
)

// NodeConfig is a node's configuration, stored as JSON (the store keeps
// it opaque).
type NodeConfig struct {
	Title        string   `json:"title,omitempty"`
	AccessModel  string   `json:"access_model"`
	RosterGroups []string `json:"roster_groups_allowed,omitempty"`
	PersistItems bool     `json:"persist_items"`
	// MaxItems is how many items the node keeps; 0 means "max", the
	// server's limit.
	MaxItems      int    `json:"max_items"`
	SendLast      string `json:"send_last_published_item"`
	NotifyRetract bool   `json:"notify_retract"`
	NotifyDelete  bool   `json:"notify_delete"`
}

// DefaultConfig is a new node's configuration (XEP-0163 §4.3: access
// model presence; one item, persisted, as Prosody and ejabberd keep).
func DefaultConfig() NodeConfig {
	return NodeConfig{AccessModel: AccessPresence, PersistItems: true, MaxItems: 1,
		SendLast: SendOnSubAndPresence, NotifyRetract: true, NotifyDelete: true}
}

func (c NodeConfig) encode() []byte {
	b, _ := json.Marshal(c)
	return b
}

func decodeConfig(b []byte) NodeConfig {
	c := DefaultConfig()
	if len(b) > 0 {
		json.Unmarshal(b, &c) // a damaged config falls back to the defaults
	}
	return c
}

// maxItems is how many items the node keeps under the server's limit.
func (c NodeConfig) maxItems(limit int) int {
	if c.MaxItems <= 0 || c.MaxItems > limit {
		return limit
	}
	return c.MaxItems
}

// apply sets the known fields of a submitted form (node_config or
// publish-options); ok is false for a value Parley cannot honour (an
// unknown access model, max_items over the limit, payloads or
// notifications turned off). Unknown fields are ignored.
func (c NodeConfig) apply(f dataform.Form, limit int) (NodeConfig, bool) {
	for _, fl := range f.Fields {
		v := ""
		if len(fl.Values) > 0 {
			v = strings.TrimSpace(fl.Values[0])
		}
		switch fl.Var {
		case "pubsub#title":
			c.Title = v
		case "pubsub#access_model":
			switch v {
			case AccessOpen, AccessPresence, AccessRoster, AccessWhitelist:
				c.AccessModel = v
			default:
				return c, false
			}
		case "pubsub#roster_groups_allowed":
			c.RosterGroups = nil
			for _, g := range fl.Values {
				if g = strings.TrimSpace(g); g != "" && !slices.Contains(c.RosterGroups, g) {
					c.RosterGroups = append(c.RosterGroups, g)
				}
			}
		case "pubsub#persist_items":
			b, ok := dataform.Bool(v)
			if !ok {
				return c, false
			}
			c.PersistItems = b
		case "pubsub#max_items":
			n, ok := parseMaxItems(v, limit)
			if !ok {
				return c, false
			}
			c.MaxItems = n
		case "pubsub#send_last_published_item":
			switch v {
			case SendNever, SendOnSub, SendOnSubAndPresence:
				c.SendLast = v
			default:
				return c, false
			}
		case "pubsub#notify_retract":
			b, ok := dataform.Bool(v)
			if !ok {
				return c, false
			}
			c.NotifyRetract = b
		case "pubsub#notify_delete":
			b, ok := dataform.Bool(v)
			if !ok {
				return c, false
			}
			c.NotifyDelete = b
		case "pubsub#deliver_payloads", "pubsub#deliver_notifications", "pubsub#presence_based_delivery":
			// Always on in PEP.
			if b, ok := dataform.Bool(v); !ok || !b {
				return c, false
			}
		}
	}
	return c, true
}

// parseMaxItems reads pubsub#max_items: "max" (0) or 1..limit.
func parseMaxItems(v string, limit int) (int, bool) {
	if v == "max" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > limit {
		return 0, false
	}
	if n == limit {
		return 0, true
	}
	return n, true
}

// matches reports whether the node's configuration meets publish
// options (XEP-0060 §7.1.5 preconditions): every known field must have
// the node's value.
func (c NodeConfig) matches(f dataform.Form, limit int) bool {
	want, ok := c.apply(f, limit)
	if !ok {
		return false
	}
	return slices.Equal(want.RosterGroups, c.RosterGroups) &&
		want.Title == c.Title && want.AccessModel == c.AccessModel && want.PersistItems == c.PersistItems &&
		want.maxItems(limit) == c.maxItems(limit) && want.SendLast == c.SendLast &&
		want.NotifyRetract == c.NotifyRetract && want.NotifyDelete == c.NotifyDelete
}

// form renders the configuration as a node_config form.
func (c NodeConfig) form(limit int) dataform.Form {
	max := strconv.Itoa(c.maxItems(limit))
	if c.MaxItems == 0 {
		max = "max"
	}
	list := func(vals ...string) []dataform.Option {
		var out []dataform.Option
		for _, v := range vals {
			out = append(out, dataform.Option{Value: v})
		}
		return out
	}
	return dataform.Form{Type: dataform.TypeForm, Fields: []dataform.Field{
		dataform.Hidden("FORM_TYPE", nodeConfigForm),
		{Var: "pubsub#title", Type: "text-single", Label: "A friendly name for the node", Values: []string{c.Title}},
		{Var: "pubsub#access_model", Type: "list-single", Label: "Who may read items", Values: []string{c.AccessModel},
			Options: list(AccessOpen, AccessPresence, AccessRoster, AccessWhitelist)},
		{Var: "pubsub#roster_groups_allowed", Type: "list-multi", Label: "Roster groups allowed (access model roster)", Values: c.RosterGroups},
		{Var: "pubsub#persist_items", Type: "boolean", Label: "Persist items to storage", Values: []string{dataform.BoolValue(c.PersistItems)}},
		{Var: "pubsub#max_items", Type: "text-single", Label: "Most items kept (max: " + strconv.Itoa(limit) + ")", Values: []string{max}},
		{Var: "pubsub#send_last_published_item", Type: "list-single", Label: "When to send the last item", Values: []string{c.SendLast},
			Options: list(SendNever, SendOnSub, SendOnSubAndPresence)},
		{Var: "pubsub#notify_retract", Type: "boolean", Label: "Notify when items are retracted", Values: []string{dataform.BoolValue(c.NotifyRetract)}},
		{Var: "pubsub#notify_delete", Type: "boolean", Label: "Notify when the node is deleted", Values: []string{dataform.BoolValue(c.NotifyDelete)}},
		{Var: "pubsub#deliver_payloads", Type: "boolean", Label: "Deliver payloads with notifications", Values: []string{"1"}},
		{Var: "pubsub#deliver_notifications", Type: "boolean", Label: "Deliver notifications", Values: []string{"1"}},
	}}
}
