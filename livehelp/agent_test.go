package livehelp

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// TestTransferToAgent: a warm transfer: the chat stays with alice until
// bob answers, then bob has it and alice is told; a transfer nobody
// answers falls back.
func TestTransferToAgent(t *testing.T) {
	h := newHarness(t, nil)
	h.setStrategy(Broadcast, 30*time.Second, 3)
	h.online(alice, "")
	g := h.guest("v@sites.example.com", "V", "Invoices", support)
	h.say(g, "hi", "")
	h.reply(alice, g, "hello", "")
	h.online(dave, "") // not in the group: a transfer may still name him
	h.drop()

	h.reply(alice, g, "/transfer "+dave, "")
	h.expectAgent(alice, g.bare, "Transferring to dave")
	h.expectAgent(dave, g.bare, "alice transfers a visitor to you: V, about \"Invoices\"")
	if st := h.expectStatus(g, stateTransferring); st.Attr("to") != "dave" {
		t.Fatalf("transfer status %s", st)
	}
	// Nobody answers: it stays with alice.
	h.clock.Advance(30 * time.Second)
	h.sync()
	h.expectAgent(alice, g.bare, "dave did not answer; the chat stays with you.")
	h.say(g, "still there?", "")
	h.expectAgent(alice, g.bare, "still there?")

	h.reply(alice, g, "/transfer "+dave, "")
	h.expectAgent(alice, g.bare, "Transferring to dave")
	h.expectAgent(dave, g.bare, "Reply to take this chat")
	h.reply(dave, g, "Dave here, I do invoices.", "")
	h.expectAgent(alice, g.bare, "dave took over this chat.")
	if st := h.expectStatus(g, stateActive); st.Attr("agent") != "dave" {
		t.Fatalf("after the transfer: %s", st)
	}
	h.expectChat(g, "Dave here, I do invoices.")
	h.say(g, "great", "")
	h.expectAgent(dave, g.bare, "great")
	h.nothingTo(alice)
	h.reply(alice, g, "me again", "")
	h.expectAgent(alice, g.bare, "dave has this chat")

	// Bad transfers are refused with a reason.
	h.reply(dave, g, "/transfer nobody@example.com", "")
	h.expectAgent(dave, g.bare, "not a user of this server")
	h.reply(dave, g, "/transfer "+bob, "")
	h.expectAgent(dave, g.bare, "not online")
}

// TestTransferToGroup: the chat goes to the front of the other group's
// queue and is offered there.
func TestTransferToGroup(t *testing.T) {
	h := newHarness(t, nil)
	h.online(alice, "")
	g := h.guest("v@sites.example.com", "V", "", support)
	h.say(g, "I want to buy", "")
	h.reply(alice, g, "Let me get sales", "")
	h.reply(alice, g, "/transfer "+sales, "")
	h.expectAgent(alice, g.bare, "Transferred to Sales; the chat is no longer yours.")
	if st := h.expectStatus(g, stateTransferring); st.Attr("to") != "Sales" {
		t.Fatalf("transfer status %s", st)
	}
	h.online(bob, "") // sales' agent
	h.expectAgent(bob, g.bare, "Live help (Sales): V:\n> I want to buy")
	h.reply(bob, g, "Sales here", "")
	h.expectChat(g, "Sales here")
	chats, err := h.st.ListChats(h.ctx, store.ChatQuery{SiteID: site, GuestJID: g.bare, Max: 1})
	must(t, err)
	if chats[0].Group != sales || chats[0].Agent != bob {
		t.Fatalf("chat after the transfer: %+v", chats[0])
	}
}

// TestSupervisor: carol (supervisor) lists the chats, watches one (gets
// copies of both sides), takes it over; agents may not watch.
func TestSupervisor(t *testing.T) {
	h := newHarness(t, nil)
	h.online(alice, "")
	h.online(carol, "")
	g := h.guest("v@sites.example.com", "Vic", "Help", support)
	h.say(g, "hi", "")
	h.reply(alice, g, "hello Vic", "")
	g2 := h.guest("w@sites.example.com", "Wendy", "Other", support)
	h.say(g2, "me too", "")
	h.drop()

	h.toGroup(carol, support, "/chats")
	list := body(h.expectAgent(carol, support, "Support: 1 waiting"))
	for _, want := range []string{"1. Wendy (" + g2.bare + ") \"Other\"", "offered to " + alice, "1 open", "Vic (" + g.bare + ") with " + alice} {
		if !strings.Contains(list, want) {
			t.Fatalf("/chats %q lacks %q", list, want)
		}
	}
	h.toGroup(alice, support, "/watch "+g.bare)
	h.expectAgent(alice, support, "Only a supervisor")
	h.toGroup(dave, support, "/chats")
	h.expectAgent(dave, support, "You are not a member")

	h.toGroup(carol, support, "/watch "+g.bare)
	h.expectAgent(carol, support, "Watching Vic")
	h.say(g, "my order is late", "")
	h.expectAgent(carol, g.bare, "[Vic] my order is late")
	h.reply(alice, g, "checking", "")
	h.expectAgent(carol, g.bare, "[alice] checking")
	h.reply(carol, g, "psst", "")
	h.expectAgent(carol, g.bare, "You are watching this chat")
	h.reply(alice, g, "/transcript", "")
	tr := body(h.expectAgent(alice, g.bare, "Transcript:"))
	if !strings.Contains(tr, "Vic: my order is late") || !strings.Contains(tr, "alice: checking") {
		t.Fatalf("transcript %q", tr)
	}

	h.reply(carol, g, "/take", "")
	h.expectAgent(carol, g.bare, "You have this chat now.")
	h.expectAgent(alice, g.bare, "carol took over this chat.")
	h.reply(carol, g, "Carol, supervisor: it ships today.", "")
	h.expectChat(g, "Carol, supervisor: it ships today.")
	h.reply(alice, g, "/end", "")
	h.expectAgent(alice, g.bare, "Only the agent who has this chat")
}

// TestGuestRestrictions: a guest writes only to its target; presence
// subscriptions, presence to others (a room join), iq requests beyond
// ping/roster/disco of its server are refused; others' messages to it
// never reach it.
func TestGuestRestrictions(t *testing.T) {
	h := newHarness(t, nil)
	h.online(alice, "")
	g := h.guest("v@sites.example.com", "V", "", support)
	h.drop()
	drain(g)
	send := func(el *xml.Element) *xml.Element {
		t.Helper()
		h.svc.GuestStanza(h.ctx, g.sess, el)
		h.sync()
		select {
		case out := <-g.sess.out:
			return out
		default:
			return nil
		}
	}
	refused := func(what string, el *xml.Element, cond string) {
		t.Helper()
		out := send(el)
		if out == nil || out.Attr("type") != "error" || out.Child("", "error") == nil || out.Child("", "error").Child(ns.Stanzas, cond) == nil {
			t.Fatalf("%s: answered %v, want a %s error", what, out, cond)
		}
	}
	msg := func(to string) *xml.Element {
		return xml.NewElement(ns.Client, "message", xml.Attr{Name: "to", Value: to}, xml.Attr{Name: "type", Value: "chat"}, xml.Attr{Name: "id", Value: "m1"}).
			AddChild(xml.NewElement(ns.Client, "body").SetText("hi"))
	}
	refused("message to an agent directly", msg(alice), "not-allowed")
	refused("message to another group", msg(sales), "not-allowed")
	refused("message to another guest", msg("gother@guest.example.com"), "not-allowed")
	refused("subscription request", xml.NewElement(ns.Client, "presence", xml.Attr{Name: "to", Value: alice}, xml.Attr{Name: "type", Value: "subscribe"}), "not-allowed")
	refused("subscribing to its target", xml.NewElement(ns.Client, "presence", xml.Attr{Name: "to", Value: support}, xml.Attr{Name: "type", Value: "subscribe"}), "not-allowed")
	refused("room join", xml.NewElement(ns.Client, "presence", xml.Attr{Name: "to", Value: "lobby@conference.example.com/V"}).
		AddChild(xml.NewElement("http://jabber.org/protocol/muc", "x")), "not-allowed")
	iq := func(typ, to, space, name string) *xml.Element {
		el := xml.NewElement(ns.Client, "iq", xml.Attr{Name: "type", Value: typ}, xml.Attr{Name: "id", Value: "q1"})
		if to != "" {
			el.SetAttr("to", to)
		}
		return el.AddChild(xml.NewElement(space, name))
	}
	refused("roster set", iq("set", "", ns.Roster, "query"), "not-allowed")
	refused("vCard of an agent", iq("get", alice, "vcard-temp", "vCard"), "not-allowed")
	refused("room list", iq("get", "conference.example.com", ns.DiscoItems, "query"), "not-allowed")
	refused("archive query", iq("set", "", "urn:xmpp:mam:2", "query"), "not-allowed")
	if out := send(iq("get", "", ns.Roster, "query")); out == nil || out.Attr("type") != "result" || len(out.Child(ns.Roster, "query").Children) != 0 {
		t.Fatalf("roster get: %v, want an empty roster", out)
	}
	if out := send(iq("get", "guest.example.com", ns.Ping, "ping")); out == nil || out.Attr("type") != "result" {
		t.Fatalf("ping: %v", out)
	}

	// Nobody but its agents writes to a guest: dave's message stays out,
	// and dave is told.
	h.svc.Receive(h.ctx, withFrom(msg(g.bare), dave+"/desk"))
	h.sync()
	h.expectAgent(dave, g.bare, "not in a chat now")
	if out := drainOne(g); out != nil {
		t.Fatalf("a stranger's message reached the guest: %s", out)
	}
	h.say(g, "hi", "")
	h.svc.Receive(h.ctx, withFrom(msg(g.bare), dave+"/desk"))
	h.sync()
	h.expectAgent(dave, g.bare, "not offered to you")
	for out := drainOne(g); out != nil; out = drainOne(g) {
		if out.Name == "message" && body(out) == "hi" {
			t.Fatalf("a stranger's message reached the guest: %s", out)
		}
	}
	// Presence from others never reaches it.
	h.svc.Receive(h.ctx, xml.NewElement(ns.Client, "presence", xml.Attr{Name: "from", Value: dave + "/desk"}, xml.Attr{Name: "to", Value: g.bare}))
	h.sync()
	if out := drainOne(g); out != nil {
		t.Fatalf("directed presence reached the guest: %s", out)
	}
	// A session whose web session is gone is closed.
	stranger := newFakeSession("gnobody@guest.example.com/web")
	h.svc.GuestStanza(h.ctx, stranger, msg(support))
	select {
	case <-stranger.closed:
	default:
		t.Fatal("a guest session without a context was not closed")
	}
}

func withFrom(el *xml.Element, from string) *xml.Element {
	el.SetAttr("from", from)
	return el
}

func drain(g *guest) {
	for drainOne(g) != nil {
	}
}

func drainOne(g *guest) *xml.Element {
	select {
	case el := <-g.sess.out:
		return el
	default:
		return nil
	}
}

// TestTranscripts: the site reads its visitors' chats with its SESSION
// or GUESTCHAT token, never another site's; the visitor's history is its
// own chats.
func TestTranscripts(t *testing.T) {
	h := newHarness(t, nil)
	h.online(alice, "")
	g := h.guest("v@sites.example.com", "V", "Prices", support)
	h.say(g, "how much?", "")
	h.reply(alice, g, "ten", "")
	h.reply(alice, g, "/end", "")
	g2 := h.guest("w@sites.example.com", "W", "", support)
	h.say(g2, "hello", "")

	sess, err := h.auth.CreateSession(h.ctx, site, h.siteKey, "SITE")
	must(t, err)
	list, err := h.svc.SiteTranscripts(h.ctx, site, sess.Token, TranscriptQuery{})
	must(t, err)
	if len(list.Transcripts) != 2 || list.Transcripts[0].FromUserJID != "w@sites.example.com" || list.Transcripts[1].FromUserJID != "v@sites.example.com" {
		t.Fatalf("transcripts %+v", list)
	}
	v := list.Transcripts[1]
	if v.AgentJID != alice || v.State != store.ChatEnded || v.EndTime == nil || v.Subject != "Prices" || v.GuestDisplayName != "V" || v.GroupJID != support {
		t.Fatalf("v's transcript %+v", v)
	}
	var lines []string
	for _, l := range v.Lines {
		lines = append(lines, l.From+":"+l.Body)
	}
	if strings.Join(lines, "|") != "system:Subject: Prices|guest:how much?|system:alice joined the chat|agent:ten|system:Chat ended by alice." {
		t.Fatalf("lines %q", lines)
	}
	one, err := h.svc.SiteTranscripts(h.ctx, site, sess.Token, TranscriptQuery{FromUserJID: "v@sites.example.com"})
	must(t, err)
	if len(one.Transcripts) != 1 || one.Transcripts[0].ChatID != v.ChatID {
		t.Fatalf("by visitor: %+v", one)
	}
	byID, err := h.svc.SiteTranscript(h.ctx, site, sess.Token, v.ChatID)
	if err != nil || byID.ChatID != v.ChatID || len(byID.Lines) != len(v.Lines) {
		t.Fatalf("by id: %+v %v", byID, err)
	}

	// Tokens: a GUESTCHAT one works, a PRESENCE one does not, nor a
	// token given with another site's ID, nor garbage.
	chatTok, err := h.auth.RequestToken(h.ctx, site, sess.Token, auth.TokenProperties{TokenPolicy: "GUESTCHAT"}, nil)
	must(t, err)
	if _, err := h.svc.SiteTranscripts(h.ctx, site, chatTok.Token, TranscriptQuery{}); err != nil {
		t.Fatalf("GUESTCHAT token: %v", err)
	}
	presTok, err := h.auth.RequestToken(h.ctx, site, sess.Token, auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil)
	must(t, err)
	if _, err := h.svc.SiteTranscripts(h.ctx, site, presTok.Token, TranscriptQuery{}); !errors.Is(err, ErrNotAuthorized) {
		t.Fatalf("PRESENCE token: %v", err)
	}
	if _, err := h.svc.SiteTranscripts(h.ctx, "777", sess.Token, TranscriptQuery{}); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("another site's ID: %v", err)
	}
	if _, err := h.svc.SiteTranscripts(h.ctx, site, "1_nonsense", TranscriptQuery{}); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("garbage token: %v", err)
	}
	if _, err := h.svc.SiteTranscripts(h.ctx, site, sess.Token, TranscriptQuery{MaxResults: 1000}); !errors.Is(err, ErrInvalidQuery) {
		t.Fatalf("maxResults 1000: %v", err)
	}

	// The visitor's own history: its chats, oldest first, and as text.
	hist, err := h.svc.History(h.ctx, &GuestSession{Context: g.ctx})
	must(t, err)
	if len(hist) != 1 || hist[0].ChatID != v.ChatID {
		t.Fatalf("history %+v", hist)
	}
	text := TranscriptText(hist)
	for _, want := range []string{"Chat " + strconv.FormatInt(v.ChatID, 10) + " with " + support, "V: how much?", "alice: ten", "*: Chat ended by alice."} {
		if !strings.Contains(text, want) {
			t.Fatalf("transcript text lacks %q:\n%s", want, text)
		}
	}
}

// TestGroupStatus: a group is available while an agent is ready and
// below its maximum, away when agents are online but busy or away,
// offline otherwise; the supervisor does not count.
func TestGroupStatus(t *testing.T) {
	h := newHarness(t, nil)
	h.setStrategy(Broadcast, time.Minute, 1)
	state := func() Status {
		t.Helper()
		h.sync()
		st, ok := h.svc.GroupStatus(h.ctx, support)
		if !ok {
			t.Fatal("support is not a group")
		}
		return st
	}
	if st := state(); st.State != stateOffline {
		t.Fatalf("nobody online: %+v", st)
	}
	h.online(carol, "")
	if st := state(); st.State != stateOffline {
		t.Fatalf("only the supervisor online: %+v", st)
	}
	h.online(alice, "dnd")
	if st := state(); st.State != stateAway || st.Online != 1 || st.Ready != 0 {
		t.Fatalf("alice dnd: %+v", st)
	}
	h.online(alice, "")
	if st := state(); st.State != stateAvailable || st.Ready != 1 {
		t.Fatalf("alice available: %+v", st)
	}
	g := h.guest("v@sites.example.com", "V", "", support)
	h.say(g, "hi", "")
	h.reply(alice, g, "hello", "")
	if st := state(); st.State != stateAway {
		t.Fatalf("alice at her maximum: %+v", st)
	}
	g2 := h.guest("w@sites.example.com", "W", "", support)
	h.say(g2, "hi", "")
	if st := state(); st.Waiting != 1 || st.Wait <= 0 {
		t.Fatalf("one waiting: %+v", st)
	}
	if _, ok := h.svc.GroupStatus(h.ctx, alice); ok {
		t.Fatal("a user is a group")
	}
	if _, ok := h.svc.GroupStatus(h.ctx, "nobody@groups.example.com"); ok {
		t.Fatal("an unknown group is a group")
	}
}
