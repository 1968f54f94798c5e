package livehelp

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley-im/parley/store"
)

// maxLeftMessage bounds a left message, in characters.
const maxLeftMessage = 4000

// mailTimeout bounds sending one left message by mail.
const mailTimeout = 30 * time.Second

// Session returns the guest web session a cookie value stands for.
func (s *Service) Session(cookie string) (*GuestSession, bool) {
	return s.reg.session(cookie, s.clock.Now())
}

// Ticket mints a single-use login ticket (SASL OAUTHBEARER on the guest
// domain) for a web session's guest, valid for TicketLife.
func (s *Service) Ticket(gs *GuestSession) string {
	return s.reg.mint(gs, s.clock.Now(), s.opts.TicketLife)
}

// EndSession ends a web session (the visitor closed the chat): its open
// chat ends and its tickets stop working.
func (s *Service) EndSession(ctx context.Context, cookie string) error {
	gs, ok := s.Session(cookie)
	s.reg.close(cookie)
	if !ok {
		return nil
	}
	if s.forwardGuest(evGuestEnd, gs.Context) {
		return nil
	}
	return s.call(ctx, func() {
		if c := s.chats[gs.Context.Guest]; c != nil {
			s.end(c, endByGuest, "", "")
		}
	})
}

// LeaveMessage stores a message a visitor left while nobody could chat
// (a transcript in the state "message") and delivers it to every member
// of the target as a chat message from the visitor's JID: members online
// get it at once, the others when they next log in (offline storage);
// the group's e-mail address, if it has one, gets it by mail too. An
// open chat of the visitor, still waiting, ends.
func (s *Service) LeaveMessage(ctx context.Context, gs *GuestSession, text, email string) error {
	text = strings.TrimSpace(text)
	email = strings.TrimSpace(email)
	if text == "" || utf8.RuneCountInString(text) > maxLeftMessage || !utf8.ValidString(text) {
		return fmt.Errorf("%w: write a message of at most %d characters", ErrMalformed, maxLeftMessage)
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
			return fmt.Errorf("%w: %q is not an e-mail address", ErrMalformed, email)
		}
	}
	var err error
	var mailTo, subject, body string
	remote := s.forwardGuest(evGuestEnd, gs.Context, "waiting")
	callErr := s.call(ctx, func() {
		c := gs.Context
		if open := s.chats[c.Guest]; !remote && open != nil && open.state != stateActive {
			s.end(open, endByGuest, "", "The visitor left a message instead.")
		}
		info, rerr := s.readInfo(s.ctx, c.Target, c.IsGroup)
		if rerr != nil {
			err = rerr
			return
		}
		now := s.clock.Now()
		id, cerr := s.opts.Store.CreateChat(s.ctx, store.Chat{SiteID: c.SiteID, GuestJID: c.Guest, FromUserJID: c.FromUserJID,
			DisplayName: c.DisplayName, Group: groupOfTarget(c), Target: c.Target, Subject: c.Subject, State: store.ChatMessage,
			Email: email, StartedAt: now, EndedAt: now})
		if cerr != nil {
			err = cerr
			return
		}
		lines := []store.ChatLine{{At: now, From: store.FromGuest, Name: c.DisplayName, Body: text}}
		if err = s.opts.Store.AppendChatLines(s.ctx, id, lines); err != nil {
			return
		}
		who := c.DisplayName
		if email != "" {
			who += " <" + email + ">"
		}
		subject = fmt.Sprintf("Live help: message from %s", who)
		body = fmt.Sprintf("%s left a message for %s", who, info.name)
		if c.Subject != "" {
			body += fmt.Sprintf(" about %q", c.Subject)
		}
		body += ":\n\n" + text + "\n"
		for _, m := range info.all {
			s.sendFrom(c.Guest, m, body)
		}
		mailTo = info.email
	})
	if callErr != nil {
		return callErr
	}
	if err != nil {
		return err
	}
	if mailTo != "" && s.opts.Mail != nil {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), mailTimeout)
			defer cancel()
			if err := s.opts.Mail(ctx, mailTo, subject, body); err != nil {
				s.log.Warn("mail a left message", "to", mailTo, "err", err)
			}
		}()
	}
	return nil
}

func groupOfTarget(c GuestContext) string {
	if c.IsGroup {
		return c.Target
	}
	return ""
}
