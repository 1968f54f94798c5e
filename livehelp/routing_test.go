package livehelp

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// setStrategy gives the support group a strategy, offer timeout and
// maximum of chats per agent.
func (h *harness) setStrategy(strategy string, timeout time.Duration, maxChats int) {
	h.t.Helper()
	_, err := Groups{Store: h.st, Hosts: []string{domain}}.Set(h.ctx, support,
		GroupOptions{Strategy: &strategy, OfferTimeout: &timeout, MaxChats: &maxChats})
	must(h.t, err)
}

// TestBroadcast is the seed's broadcast: the first message goes to every
// available agent as an ordinary chat message from the visitor; the
// first to reply takes the chat, the other is told; from then on the
// visitor and that agent talk (messages and typing both ways), and the
// other's messages are not delivered.
func TestBroadcast(t *testing.T) {
	h := newHarness(t, nil)
	h.online(alice, "")
	h.online(bob, "chat")
	h.online(carol, "") // a supervisor: never offered chats
	g := h.guest("john.doe@sites.example.com", "John Doe", "Pricing on OCS", support)
	presence := h.expectGuest(g, "the group's presence", func(el *xmlElement) bool { return el.Name == "presence" })
	if presence.Attr("from") != support || presence.Attr("type") != "" {
		t.Fatalf("group presence to the guest: %s", presence)
	}
	h.expectStatus(g, stateIdle)

	h.say(g, "Hello, I have a question", "active")
	offerA := h.expectAgent(alice, g.bare, "Reply to take this chat.")
	h.expectAgent(bob, g.bare, "Reply to take this chat.")
	for _, want := range []string{"John Doe", "Pricing on OCS", "> Hello, I have a question", "Support"} {
		if !strings.Contains(body(offerA), want) {
			t.Fatalf("offer %q lacks %q", body(offerA), want)
		}
	}
	if n := offerA.Child(nickNS, "nick"); n == nil || n.Text != "John Doe" {
		t.Fatalf("offer without the visitor's nick: %s", offerA)
	}
	h.nothingTo(carol)
	if st := h.expectStatus(g, stateOffered); st.Attr("position") != "1" {
		t.Fatalf("offered status %s", st)
	}

	h.reply(bob, g, "", "composing") // typing before replying takes nothing
	h.reply(bob, g, "Hi John, Bob here. How can I help?", "active")
	h.expectAgent(alice, g.bare, "Taken by bob.")
	if st := h.expectStatus(g, stateActive); st.Attr("agent") != "bob" {
		t.Fatalf("active status %s", st)
	}
	m := h.expectChat(g, "Hi John, Bob here. How can I help?")
	if m.Attr("from") != support || m.Child(nickNS, "nick").Text != "bob" {
		t.Fatalf("agent's message to the guest: %s", m)
	}

	// Typing and messages both ways.
	h.say(g, "", "composing")
	if el := h.expectAgent(bob, g.bare, ""); el.Child("http://jabber.org/protocol/chatstates", "composing") == nil {
		t.Fatalf("typing to bob: %s", el)
	}
	h.say(g, "What does it cost?", "active")
	h.expectAgent(bob, g.bare, "What does it cost?")
	h.reply(bob, g, "", "composing")
	h.expectGuest(g, "bob's typing", func(el *xmlElement) bool {
		return el.Child("http://jabber.org/protocol/chatstates", "composing") != nil && el.Attr("from") == support
	})
	h.reply(bob, g, "10 euros.", "active")
	h.expectChat(g, "10 euros.")
	h.nothingTo(alice)

	// alice answers the old offer: not delivered.
	h.reply(alice, g, "I can help too", "")
	h.expectAgent(alice, g.bare, "bob has this chat")

	// The transcript has it all, in order.
	chats, err := h.st.ListChats(h.ctx, store.ChatQuery{SiteID: site, GuestJID: g.bare, Max: 5})
	must(t, err)
	if len(chats) != 1 || chats[0].Agent != bob || chats[0].Subject != "Pricing on OCS" || chats[0].Group != support {
		t.Fatalf("chats %+v", chats)
	}
	lines, err := h.st.ChatLines(h.ctx, chats[0].ID)
	must(t, err)
	var got []string
	for _, l := range lines {
		got = append(got, l.From+":"+l.Body)
	}
	want := []string{"system:Subject: Pricing on OCS", "guest:Hello, I have a question", "system:bob joined the chat",
		"agent:Hi John, Bob here. How can I help?", "guest:What does it cost?", "agent:10 euros."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("transcript\n got %q\nwant %q", got, want)
	}
	_ = offerA
}

// TestRoundRobin: one agent at a time, in turn; an agent's load counts
// its open offers.
func TestRoundRobin(t *testing.T) {
	h := newHarness(t, nil)
	h.setStrategy(RoundRobin, time.Minute, 3)
	h.online(alice, "")
	h.online(bob, "")
	var order []string
	for i := range 4 {
		g := h.guest("v"+strconv.Itoa(i)+"@sites.example.com", "V"+strconv.Itoa(i), "", support)
		h.say(g, "question "+strconv.Itoa(i), "")
		got := h.offeredTo(g, alice, bob)
		order = append(order, got)
	}
	if strings.Join(order, " ") != alice+" "+bob+" "+alice+" "+bob {
		t.Fatalf("round-robin offers went to %v", order)
	}
}

// offeredTo waits for the one offer of g's chat among agents and checks
// that no other agent got it.
func (h *harness) offeredTo(g *guest, agents ...string) string {
	h.t.Helper()
	h.sync()
	got := ""
	for {
		select {
		case el := <-h.sent:
			h.backlog = append(h.backlog, el)
			continue
		default:
		}
		break
	}
	for i := 0; i < len(h.backlog); i++ {
		el := h.backlog[i]
		if el.Attr("from") == g.bare && strings.Contains(body(el), "Reply to take this chat.") {
			if got != "" {
				h.t.Fatalf("chat of %s offered to %s and %s", g.bare, got, el.Attr("to"))
			}
			got = el.Attr("to")
			h.backlog = append(h.backlog[:i], h.backlog[i+1:]...)
			i--
		}
	}
	if got == "" {
		h.t.Fatalf("chat of %s offered to nobody; sent: %s", g.bare, h.describe())
	}
	return got
}

// TestLeastBusy: the agent with the fewest chats gets the offer.
func TestLeastBusy(t *testing.T) {
	h := newHarness(t, nil)
	h.setStrategy(LeastBusy, time.Minute, 3)
	h.online(alice, "")
	g1 := h.guest("v1@sites.example.com", "V1", "", support)
	h.say(g1, "first", "")
	if to := h.offeredTo(g1, alice); to != alice {
		t.Fatalf("first chat offered to %s", to)
	}
	h.reply(alice, g1, "hello 1", "")
	h.online(bob, "")
	// alice has one chat, bob none: bob, whatever the turn order says.
	g2 := h.guest("v2@sites.example.com", "V2", "", support)
	h.say(g2, "second", "")
	if to := h.offeredTo(g2); to != bob {
		t.Fatalf("second chat offered to %s, want bob (least busy)", to)
	}
	h.reply(bob, g2, "hello 2", "")
	// Both have one now: the turn goes on from bob to alice.
	g3 := h.guest("v3@sites.example.com", "V3", "", support)
	h.say(g3, "third", "")
	if to := h.offeredTo(g3); to != alice {
		t.Fatalf("third chat offered to %s, want alice (tie, next in turn)", to)
	}
}

// TestOfferTimeout: with round-robin an unanswered offer is withdrawn
// after the offer timeout and goes to the next agent; with broadcast it
// is made again to everyone. Time is the injected clock.
func TestOfferTimeout(t *testing.T) {
	t.Run("round-robin", func(t *testing.T) {
		h := newHarness(t, nil)
		h.setStrategy(RoundRobin, 30*time.Second, 3)
		h.online(alice, "")
		h.online(bob, "")
		g := h.guest("v@sites.example.com", "V", "", support)
		h.say(g, "anyone?", "")
		first := h.offeredTo(g)
		second := map[string]string{alice: bob, bob: alice}[first]
		h.clock.Advance(29 * time.Second)
		h.nothingTo(second)
		h.clock.Advance(time.Second)
		h.sync()
		h.expectAgent(first, g.bare, "Offer withdrawn")
		if to := h.offeredTo(g); to != second {
			t.Fatalf("after the timeout offered to %s, want %s", to, second)
		}
		// The second lets it lapse too: back to the first.
		h.clock.Advance(30 * time.Second)
		h.sync()
		h.expectAgent(second, g.bare, "Offer withdrawn")
		if to := h.offeredTo(g); to != first {
			t.Fatalf("after two timeouts offered to %s, want %s again", to, first)
		}
	})
	t.Run("broadcast", func(t *testing.T) {
		h := newHarness(t, nil)
		h.setStrategy(Broadcast, 30*time.Second, 3)
		h.online(alice, "")
		g := h.guest("v@sites.example.com", "V", "", support)
		h.say(g, "anyone?", "")
		h.expectAgent(alice, g.bare, "Reply to take this chat.")
		h.online(bob, "") // comes online meanwhile: offered at once
		h.expectAgent(bob, g.bare, "Reply to take this chat.")
		h.clock.Advance(30 * time.Second)
		h.sync()
		again := h.expectAgent(alice, g.bare, "(waiting 30s)")
		h.expectAgent(bob, g.bare, "(waiting 30s)")
		if !strings.Contains(body(again), "Reply to take this chat.") {
			t.Fatalf("re-offer %q", body(again))
		}
	})
}

// TestQueue: agents at their maximum leave visitors waiting, told their
// position and estimated wait; when a chat ends the next one is offered.
func TestQueue(t *testing.T) {
	h := newHarness(t, nil)
	h.setStrategy(Broadcast, time.Minute, 1)
	h.online(alice, "")
	g1 := h.guest("v1@sites.example.com", "V1", "", support)
	h.say(g1, "one", "")
	h.expectAgent(alice, g1.bare, "Reply to take")
	h.reply(alice, g1, "hi one", "")

	g2 := h.guest("v2@sites.example.com", "V2", "", support)
	// alice is online but full: the group is away for the newcomer.
	if p := h.expectGuest(g2, "presence", func(el *xmlElement) bool { return el.Name == "presence" }); p.Child("", "show") == nil || p.Child("", "show").Text != "away" {
		t.Fatalf("group presence with every agent busy: %s", p)
	}
	h.say(g2, "two", "")
	st2 := h.expectStatus(g2, stateWaiting)
	if st2.Attr("position") != "1" || st2.Attr("wait") != "180" {
		t.Fatalf("second visitor: %s (want position 1, wait 180: one round of the default 3 min)", st2)
	}
	g3 := h.guest("v3@sites.example.com", "V3", "", support)
	h.say(g3, "three", "")
	st3 := h.expectStatus(g3, stateWaiting)
	if st3.Attr("position") != "2" || st3.Attr("wait") != "360" {
		t.Fatalf("third visitor: %s", st3)
	}
	h.nothingTo(alice)

	// Five minutes later alice ends the first chat: the second visitor's
	// chat is offered to her, the third moves up.
	h.clock.Advance(5 * time.Minute)
	h.reply(alice, g1, "/end", "")
	h.expectAgent(alice, g1.bare, "Chat ended.")
	if st := h.expectStatus(g1, stateEnded); st.Attr("reason") != endByAgent {
		t.Fatalf("ended status %s", st)
	}
	h.expectAgent(alice, g2.bare, "Reply to take")
	if st := h.expectStatus(g2, stateOffered); st.Attr("position") != "1" || st.Attr("wait") != "0" {
		t.Fatalf("second visitor after the end: %s", st)
	}
	// The average chat length moved from 3 min toward the 5 min chat:
	// the third visitor, still second (the second's chat is being
	// offered), is told the new estimate; once alice takes the second
	// chat, it is first.
	avg := (4*3*time.Minute + 5*time.Minute) / 5
	st3 = h.expectStatus(g3, stateWaiting)
	if st3.Attr("position") != "2" || st3.Attr("wait") != strconv.Itoa(int(2*avg.Seconds())) {
		t.Fatalf("third visitor after the end: %s", st3)
	}
	h.reply(alice, g2, "hi two", "")
	st3 = h.expectStatus(g3, stateWaiting)
	if st3.Attr("position") != "1" || st3.Attr("wait") != strconv.Itoa(int(avg.Seconds())) {
		t.Fatalf("third visitor after the second was taken: %s", st3)
	}
}

// TestNobodyAndLeftMessage: with no agent online the visitor is asked to
// leave a message, which is stored and sent to every member (offline
// ones get it from their offline storage at their next login).
func TestNobodyAndLeftMessage(t *testing.T) {
	h := newHarness(t, nil)
	g := h.guest("v@sites.example.com", "Vera", "Returns", support)
	if p := h.expectGuest(g, "presence", func(el *xmlElement) bool { return el.Name == "presence" }); p.Attr("type") != "unavailable" {
		t.Fatalf("group presence with nobody online: %s", p)
	}
	h.say(g, "hello?", "")
	h.expectStatus(g, stateNobody)
	gs := &GuestSession{Context: g.ctx}
	must(t, h.svc.LeaveMessage(h.ctx, gs, "Please call me back about my return.", "vera@example.net"))
	for _, m := range []string{alice, bob, carol} {
		el := h.expectAgent(m, g.bare, "Please call me back about my return.")
		if !strings.Contains(body(el), "Vera <vera@example.net> left a message for Support about \"Returns\"") {
			t.Fatalf("left message to %s: %q", m, body(el))
		}
	}
	chats, err := h.st.ListChats(h.ctx, store.ChatQuery{SiteID: site, GuestJID: g.bare, Max: 5})
	must(t, err)
	if len(chats) != 1 || chats[0].State != store.ChatMessage || chats[0].Email != "vera@example.net" {
		t.Fatalf("stored %+v", chats)
	}
	if err := h.svc.LeaveMessage(h.ctx, gs, " ", ""); err == nil {
		t.Fatal("an empty message was accepted")
	}
	if err := h.svc.LeaveMessage(h.ctx, gs, "x", "not an address"); err == nil {
		t.Fatal("a bad address was accepted")
	}
}

// TestReconnectGrace: a visitor whose connection drops has
// ReconnectGrace to come back; then the chat ends and the agent is told.
func TestReconnectGrace(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ReconnectGrace = time.Minute })
	h.online(alice, "")
	g := h.guest("v@sites.example.com", "V", "", support)
	h.say(g, "hi", "")
	h.reply(alice, g, "hello", "")
	h.drop()
	h.sessions.remove(g.bare, g.sess.j)
	h.svc.GuestEnded(g.sess)
	h.sync()
	h.clock.Advance(59 * time.Second)
	h.nothingTo(alice)
	// It comes back in time: nothing ends.
	h.sessions.put(g.bare, routerResource(g.sess))
	h.svc.GuestStarted(g.sess)
	h.clock.Advance(2 * time.Minute)
	h.nothingTo(alice)
	// It goes for good.
	h.sessions.remove(g.bare, g.sess.j)
	h.svc.GuestEnded(g.sess)
	h.sync()
	h.clock.Advance(time.Minute)
	h.sync()
	h.expectAgent(alice, g.bare, "The visitor left.")
}

// TestGuestEnds: the visitor's <gone/> ends the chat.
func TestGuestEnds(t *testing.T) {
	h := newHarness(t, nil)
	h.online(alice, "")
	g := h.guest("v@sites.example.com", "V", "", support)
	h.say(g, "hi", "")
	h.reply(alice, g, "hello", "")
	h.say(g, "", "gone")
	h.expectAgent(alice, g.bare, "The visitor ended the chat.")
	h.reply(alice, g, "are you there?", "")
	h.expectAgent(alice, g.bare, "not in a chat now")
}

// TestPersonTarget: a request with r_toJID chats with that agent alone:
// the offer goes to her only, and her reply takes it.
func TestPersonTarget(t *testing.T) {
	h := newHarness(t, nil)
	h.online(alice, "")
	h.online(bob, "")
	g := h.guest("v@sites.example.com", "V", "Invoice 42", alice)
	if p := h.expectGuest(g, "alice's presence", func(el *xmlElement) bool { return el.Name == "presence" }); p.Attr("from") != alice || p.Attr("type") != "" {
		t.Fatalf("target presence %s", p)
	}
	h.say(g, "about my invoice", "")
	h.expectAgent(alice, g.bare, "Live help (alice): V asks about \"Invoice 42\"")
	h.nothingTo(bob)
	h.reply(alice, g, "Let me look.", "")
	if m := h.expectChat(g, "Let me look."); m.Attr("from") != alice {
		t.Fatalf("reply from %s", m.Attr("from"))
	}
	// She goes offline: the next visitor for her is asked to leave a message.
	h.offline(alice)
	g2 := h.guest("w@sites.example.com", "W", "", alice)
	h.say(g2, "hello?", "")
	h.expectStatus(g2, stateNobody)
}
