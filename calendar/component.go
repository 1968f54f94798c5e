package calendar

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// XEP-0050 ad-hoc commands and the agent's service discovery.
const (
	nsCommands = "http://jabber.org/protocol/commands"
	// CommandNode is the ad-hoc command users set reminders with.
	CommandNode = "reminders"
	// FormType is the FORM_TYPE of its form.
	FormType = "urn:parley:calendar:reminders"
)

// Receive handles a stanza addressed to the agent's domain
// (router.Component): service discovery, ping, the reminders command,
// and chat messages ("on", "off", "status").
func (a *Agent) Receive(ctx context.Context, el *xml.Element) {
	from, err := jid.Parse(el.Attr("from"))
	if err != nil || from.IsZero() {
		return
	}
	to, err := jid.Parse(el.Attr("to"))
	if err != nil || a.domains[to.Domain()] == "" {
		a.reply(ctx, el, stanza.BadRequest, "")
		return
	}
	if to.Local() != "" || to.Resource() != "" {
		a.reply(ctx, el, stanza.ItemNotFound, "the calendar agent has no users")
		return
	}
	switch el.Name {
	case stanza.IQ:
		a.iq(ctx, el, from)
	case stanza.Message:
		a.message(ctx, el, from)
	}
}

func (a *Agent) reply(ctx context.Context, el *xml.Element, cond stanza.Condition, text string) {
	if stanza.CanReplyWithError(el) {
		a.cfg.Send(ctx, stanza.Error(el, cond, text))
	}
}

func (a *Agent) iq(ctx context.Context, el *xml.Element, from jid.JID) {
	typ := el.Attr("type")
	if typ != "get" && typ != "set" {
		return
	}
	if len(el.Children) != 1 {
		a.reply(ctx, el, stanza.BadRequest, "an iq get or set carries exactly one payload")
		return
	}
	p := el.Children[0]
	switch {
	case p.Space == ns.Ping && p.Name == "ping":
		a.cfg.Send(ctx, stanza.Result(el))
	case p.Space == ns.DiscoInfo && typ == "get":
		a.discoInfo(ctx, el, p.Attr("node"))
	case p.Space == ns.DiscoItems && typ == "get":
		q := xml.NewElement(ns.DiscoItems, "query")
		switch p.Attr("node") {
		case "":
		case nsCommands:
			q.SetAttr("node", nsCommands)
			q.AddChild(xml.NewElement(ns.DiscoItems, "item", xml.Attr{Name: "jid", Value: el.Attr("to")},
				xml.Attr{Name: "node", Value: CommandNode}, xml.Attr{Name: "name", Value: "Calendar reminders"}))
		default:
			a.reply(ctx, el, stanza.ItemNotFound, "unknown node")
			return
		}
		a.cfg.Send(ctx, stanza.Result(el, q))
	case p.Space == nsCommands && p.Name == "command" && typ == "set":
		if !a.Running() {
			a.reply(ctx, el, stanza.ServiceUnavailable, ErrStopped.Error())
			return
		}
		a.command(ctx, el, p, from)
	default:
		a.reply(ctx, el, stanza.ServiceUnavailable, "")
	}
}

func (a *Agent) discoInfo(ctx context.Context, el *xml.Element, node string) {
	q := xml.NewElement(ns.DiscoInfo, "query")
	identity := func(cat, typ, name string) {
		q.AddChild(xml.NewElement(ns.DiscoInfo, "identity", xml.Attr{Name: "category", Value: cat},
			xml.Attr{Name: "type", Value: typ}, xml.Attr{Name: "name", Value: name}))
	}
	feature := func(v string) { q.AddChild(xml.NewElement(ns.DiscoInfo, "feature", xml.Attr{Name: "var", Value: v})) }
	switch node {
	case "":
		identity("component", "generic", "Calendar reminders")
		for _, f := range []string{ns.DiscoInfo, ns.DiscoItems, nsCommands, ns.Ping} {
			feature(f)
		}
	case nsCommands:
		q.SetAttr("node", node)
		identity("automation", "command-list", "Commands")
	case CommandNode:
		q.SetAttr("node", node)
		identity("automation", "command-node", "Calendar reminders")
		feature(nsCommands)
		feature(ns.DataForms)
	default:
		a.reply(ctx, el, stanza.ItemNotFound, "unknown node")
		return
	}
	a.cfg.Send(ctx, stanza.Result(el, q))
}

// localUser returns from's bare JID if it is a user of this server.
func (a *Agent) localUser(ctx context.Context, from jid.JID) (string, bool) {
	if from.Local() == "" || !a.cfg.IsLocal(from.Domain()) {
		return "", false
	}
	bare := from.Bare().String()
	_, err := a.cfg.Store.User(ctx, bare)
	return bare, err == nil
}

// command runs the reminders command (XEP-0050): executed, it returns a
// form with the user's settings; completed with the form (in the same
// request or the next one), it saves them. Sessions hold no state: the
// submitted form says everything.
func (a *Agent) command(ctx context.Context, el, cmd *xml.Element, from jid.JID) {
	node, action := cmd.Attr("node"), cmd.Attr("action")
	if node != CommandNode {
		a.reply(ctx, el, stanza.ItemNotFound, "unknown command")
		return
	}
	owner, ok := a.localUser(ctx, from)
	if !ok {
		a.reply(ctx, el, stanza.Forbidden, "only users of this server have calendar reminders")
		return
	}
	session := cmd.Attr("sessionid")
	if session == "" {
		session = newID()
	}
	respond := func(status string, children ...*xml.Element) {
		c := xml.NewElement(nsCommands, "command", xml.Attr{Name: "node", Value: CommandNode},
			xml.Attr{Name: "sessionid", Value: session}, xml.Attr{Name: "status", Value: status})
		for _, ch := range children {
			c.AddChild(ch)
		}
		a.cfg.Send(ctx, stanza.Result(el, c))
	}
	if action == "cancel" {
		respond("canceled")
		return
	}
	if action != "" && action != "execute" && action != "complete" && action != "next" {
		a.commandError(ctx, el, stanza.BadRequest, "bad-action")
		return
	}
	prefs, err := a.cfg.Store.CalendarPrefs(ctx, owner)
	if err != nil {
		a.log.Error("reminder settings", "owner", owner, "err", err)
		a.reply(ctx, el, stanza.InternalServerError, "")
		return
	}
	form := cmd.Child(ns.DataForms, "x")
	if form == nil || form.Attr("type") != "submit" {
		if action == "complete" {
			a.commandError(ctx, el, stanza.BadRequest, "bad-payload")
			return
		}
		actions := xml.NewElement(nsCommands, "actions", xml.Attr{Name: "execute", Value: "complete"})
		actions.AddChild(xml.NewElement(nsCommands, "complete"))
		respond("executing", actions, a.settingsForm(prefs))
		return
	}
	fields := map[string]string{}
	for _, f := range form.ChildrenNamed(ns.DataForms, "field") {
		if v := f.Child(ns.DataForms, "value"); v != nil {
			fields[f.Attr("var")] = strings.TrimSpace(v.Text)
		} else {
			fields[f.Attr("var")] = ""
		}
	}
	if v, ok := fields["reminders"]; ok {
		switch v {
		case "1", "true":
			prefs.Reminders = store.RemindersOn
		case "0", "false":
			prefs.Reminders = store.RemindersOff
		default:
			a.commandError(ctx, el, stanza.BadRequest, "bad-payload")
			return
		}
	}
	if tz, ok := fields["timezone"]; ok {
		if _, valid := parseZone(tz); tz != "" && !valid {
			a.reply(ctx, el, stanza.BadRequest, fmt.Sprintf("%q is not a time zone (e.g. Europe/Berlin)", tz))
			return
		}
		prefs.TimeZone = tz
	}
	if err := a.cfg.Store.SetCalendarPrefs(ctx, owner, prefs); err != nil {
		a.log.Error("save reminder settings", "owner", owner, "err", err)
		a.reply(ctx, el, stanza.InternalServerError, "")
		return
	}
	a.log.Info("reminder settings changed", "owner", owner, "reminders", prefs.Reminders, "timezone", prefs.TimeZone, "by", "ad-hoc command")
	note := xml.NewElement(nsCommands, "note", xml.Attr{Name: "type", Value: "info"}).SetText(a.describe(ctx, owner, prefs))
	respond("completed", note)
}

func (a *Agent) commandError(ctx context.Context, el *xml.Element, cond stanza.Condition, specific string) {
	e := stanza.Error(el, cond, "")
	e.Child(ns.Client, "error").AddChild(xml.NewElement(nsCommands, specific))
	a.cfg.Send(ctx, e)
}

// settingsForm is the command's form with the user's current settings.
func (a *Agent) settingsForm(p store.CalendarPrefs) *xml.Element {
	x := xml.NewElement(ns.DataForms, "x", xml.Attr{Name: "type", Value: "form"})
	x.AddChild(xml.NewElement(ns.DataForms, "title").SetText("Calendar reminders"))
	x.AddChild(xml.NewElement(ns.DataForms, "instructions").SetText(
		"Pop-up reminders for your calendar's events and tasks, sent while you are online."))
	field := func(typ, v, label, value string) {
		f := xml.NewElement(ns.DataForms, "field", xml.Attr{Name: "type", Value: typ}, xml.Attr{Name: "var", Value: v})
		if label != "" {
			f.SetAttr("label", label)
		}
		f.AddChild(xml.NewElement(ns.DataForms, "value").SetText(value))
		x.AddChild(f)
	}
	field("hidden", "FORM_TYPE", "", FormType)
	on := "0"
	if a.remindersOn(p) {
		on = "1"
	}
	field("boolean", "reminders", "Send me calendar reminders", on)
	field("text-single", "timezone", "Time zone for reminder times (e.g. Europe/Berlin; empty: "+a.cfg.DefaultZone.String()+")", p.TimeZone)
	return x
}

// describe says what the settings mean, for the user.
func (a *Agent) describe(ctx context.Context, owner string, p store.CalendarPrefs) string {
	zone := a.userZone(ctx, owner).String()
	if a.remindersOn(p) {
		return "Calendar reminders are on; times are shown in " + zone + "."
	}
	return "Calendar reminders are off."
}

// message answers a chat message to the agent: "on", "off", "status"
// (for clients without ad-hoc commands); anything else gets help.
func (a *Agent) message(ctx context.Context, el *xml.Element, from jid.JID) {
	typ := stanza.Type(el)
	if typ == "error" || typ == "headline" || typ == "groupchat" {
		return
	}
	body := el.Child("", "body")
	if body == nil {
		return // chat states and the like
	}
	owner, ok := a.localUser(ctx, from)
	if !ok {
		a.reply(ctx, el, stanza.Forbidden, "only users of this server have calendar reminders")
		return
	}
	answer := func(text string) {
		m := stanza.NewMessage("chat", el.Attr("to"), from.String(), text)
		a.cfg.Send(ctx, m)
	}
	prefs, err := a.cfg.Store.CalendarPrefs(ctx, owner)
	if err != nil {
		a.reply(ctx, el, stanza.InternalServerError, "")
		return
	}
	switch strings.ToLower(strings.TrimSpace(body.Text)) {
	case "on":
		prefs.Reminders = store.RemindersOn
	case "off":
		prefs.Reminders = store.RemindersOff
	case "status":
		answer(a.describe(ctx, owner, prefs))
		return
	default:
		answer("I send pop-up reminders for your calendar's events and tasks while you are online. " +
			"Send \"on\" or \"off\" to turn them on or off, \"status\" to see the setting; " +
			"clients with ad-hoc commands can also run the \"Calendar reminders\" command.")
		return
	}
	if !a.Running() {
		answer(ErrStopped.Error() + "; try again later.")
		return
	}
	if err := a.cfg.Store.SetCalendarPrefs(ctx, owner, prefs); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			a.log.Error("save reminder settings", "owner", owner, "err", err)
		}
		a.reply(ctx, el, stanza.InternalServerError, "")
		return
	}
	a.log.Info("reminder settings changed", "owner", owner, "reminders", prefs.Reminders, "by", "message")
	answer(a.describe(ctx, owner, prefs))
}
