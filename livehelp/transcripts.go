package livehelp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store"
)

// Transcripts are kept for every chat (and every left message): the
// agent gets one with /transcript (and has the conversation in its own
// archive, XEP-0313, under the visitor's JID), the visitor downloads its
// own from the chat page, and the site reads its visitors' with the
// LiveHelpService operations (SOAP and JSON) and a SESSION or GUESTCHAT
// token.

// Transcript is one chat with its lines, as the site reads it.
type Transcript struct {
	ChatID           int64            `xml:"chatID" json:"chatID"`
	SiteID           string           `xml:"siteID" json:"siteID"`
	FromUserJID      string           `xml:"fromUserJID" json:"fromUserJID"`
	GuestDisplayName string           `xml:"guestDisplayName" json:"guestDisplayName"`
	GroupJID         string           `xml:"groupJID" json:"groupJID"`
	TargetJID        string           `xml:"targetJID" json:"targetJID"`
	Subject          string           `xml:"subject" json:"subject"`
	AgentJID         string           `xml:"agentJID" json:"agentJID"`
	State            string           `xml:"state" json:"state"` // open, ended or message (left while nobody was available)
	Email            string           `xml:"email" json:"email"` // a left message's reply address
	StartTime        time.Time        `xml:"startTime" json:"startTime"`
	EndTime          *time.Time       `xml:"endTime" json:"endTime"`
	Lines            []TranscriptLine `xml:"lines" json:"lines"`
}

// TranscriptLine is one line of a transcript.
type TranscriptLine struct {
	Time time.Time `xml:"time" json:"time"`
	From string    `xml:"from" json:"from"` // guest, agent or system
	JID  string    `xml:"jid" json:"jid"`   // the agent's, for agent lines
	Name string    `xml:"name" json:"name"`
	Body string    `xml:"body" json:"body"`
}

// TranscriptQuery selects a site's transcripts; every set field narrows
// the selection.
type TranscriptQuery struct {
	FromUserJID string     `xml:"fromUserJID" json:"fromUserJID"`
	GroupJID    string     `xml:"groupJID" json:"groupJID"`
	Since       *time.Time `xml:"since" json:"since"`
	Until       *time.Time `xml:"until" json:"until"`
	MaxResults  int        `xml:"maxResults" json:"maxResults"` // 1..100; 0 means 20
}

// TranscriptList is getTranscripts' answer, newest chat first.
type TranscriptList struct {
	Transcripts []Transcript `xml:"transcripts" json:"transcripts"`
}

// maxTranscripts bounds one answer.
const maxTranscripts = 100

// SiteTranscripts returns a site's transcripts. token is the site's
// SESSION or GUESTCHAT token (issued to siteID); a user's token, another
// site's, or one without those policies is ErrNotAuthorized; an invalid
// one auth.ErrInvalidToken.
func (s *Service) SiteTranscripts(ctx context.Context, siteID, token string, q TranscriptQuery) (TranscriptList, error) {
	site, err := s.siteOf(ctx, siteID, token)
	if err != nil {
		return TranscriptList{}, err
	}
	max := q.MaxResults
	switch {
	case max == 0:
		max = 20
	case max < 0 || max > maxTranscripts:
		return TranscriptList{}, fmt.Errorf("%w: maxResults must be between 1 and %d", ErrInvalidQuery, maxTranscripts)
	}
	sq := store.ChatQuery{SiteID: site, FromUserJID: strings.TrimSpace(q.FromUserJID), Group: strings.TrimSpace(q.GroupJID), Max: max}
	if q.Since != nil {
		sq.Since = *q.Since
	}
	if q.Until != nil {
		sq.Until = *q.Until
	}
	chats, err := s.opts.Store.ListChats(ctx, sq)
	if err != nil {
		return TranscriptList{}, err
	}
	out := TranscriptList{Transcripts: []Transcript{}}
	for _, c := range chats {
		t, err := s.transcript(ctx, c)
		if err != nil {
			return TranscriptList{}, err
		}
		out.Transcripts = append(out.Transcripts, t)
	}
	return out, nil
}

// SiteTranscript returns one chat of the site.
func (s *Service) SiteTranscript(ctx context.Context, siteID, token string, chatID int64) (Transcript, error) {
	site, err := s.siteOf(ctx, siteID, token)
	if err != nil {
		return Transcript{}, err
	}
	c, err := s.opts.Store.Chat(ctx, chatID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.SiteID != site) {
		return Transcript{}, fmt.Errorf("%w: no chat %d of site %s", ErrInvalidQuery, chatID, site)
	}
	if err != nil {
		return Transcript{}, err
	}
	return s.transcript(ctx, c)
}

// siteOf checks a site's token for the transcript operations.
func (s *Service) siteOf(ctx context.Context, siteID, token string) (string, error) {
	return s.siteToken(ctx, siteID, token, auth.PolicySession, auth.PolicyGuestChat)
}

// siteToken checks a token issued to the site siteID with one of
// policies, and returns the site's ID.
func (s *Service) siteToken(ctx context.Context, siteID, token string, policies ...string) (string, error) {
	t, err := s.opts.Auth.Resolve(ctx, token)
	if err != nil {
		return "", err
	}
	if !s.opts.Auth.IssuedTo(t, siteID) {
		return "", auth.ErrInvalidToken
	}
	if t.EntityType != auth.EntitySite {
		return "", fmt.Errorf("%w: live help's services are for sites", ErrNotAuthorized)
	}
	for _, p := range policies {
		if t.HasPolicy(p) {
			return t.EntityID, nil
		}
	}
	return "", fmt.Errorf("%w: this needs the site's %s token", ErrNotAuthorized, strings.Join(policies, " or "))
}

func (s *Service) transcript(ctx context.Context, c store.Chat) (Transcript, error) {
	lines, err := s.opts.Store.ChatLines(ctx, c.ID)
	if err != nil {
		return Transcript{}, err
	}
	t := Transcript{ChatID: c.ID, SiteID: c.SiteID, FromUserJID: c.FromUserJID, GuestDisplayName: c.DisplayName,
		GroupJID: c.Group, TargetJID: c.Target, Subject: c.Subject, AgentJID: c.Agent, State: c.State, Email: c.Email,
		StartTime: c.StartedAt, Lines: make([]TranscriptLine, 0, len(lines))}
	if !c.EndedAt.IsZero() {
		end := c.EndedAt
		t.EndTime = &end
	}
	for _, l := range lines {
		t.Lines = append(t.Lines, TranscriptLine{Time: l.At, From: l.From, JID: l.JID, Name: l.Name, Body: l.Body})
	}
	return t, nil
}

// maxHistory bounds the earlier chats a guest's page shows.
const maxHistory = 20

// History returns a guest's chats, oldest first, with their lines: what
// the chat page shows on a later visit, and the visitor's download.
func (s *Service) History(ctx context.Context, gs *GuestSession) ([]Transcript, error) {
	chats, err := s.opts.Store.ListChats(ctx, store.ChatQuery{SiteID: gs.Context.SiteID, GuestJID: gs.Context.Guest, Max: maxHistory})
	if err != nil {
		return nil, err
	}
	out := make([]Transcript, 0, len(chats))
	for i := len(chats) - 1; i >= 0; i-- {
		t, err := s.transcript(ctx, chats[i])
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// TranscriptText renders transcripts as plain text (the download).
func TranscriptText(ts []Transcript) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Chat %d with %s, %s", t.ChatID, t.TargetJID, t.StartTime.UTC().Format("2006-01-02 15:04 UTC"))
		if t.Subject != "" {
			fmt.Fprintf(&b, ", about %q", t.Subject)
		}
		b.WriteString("\n")
		for _, l := range t.Lines {
			fmt.Fprintf(&b, "[%s] %s: %s\n", l.Time.UTC().Format("15:04:05"), lineName(l), l.Body)
		}
	}
	return b.String()
}

func lineName(l TranscriptLine) string {
	switch {
	case l.From == store.FromSystem:
		return "*"
	case l.Name != "":
		return l.Name
	}
	return l.From
}

// transcriptText is a chat's transcript so far, for its agent.
func (s *Service) transcriptText(c *chat) string {
	sc, err := s.opts.Store.Chat(s.ctx, c.id)
	if err != nil {
		s.storeErr("chat", err)
		return "The transcript could not be read."
	}
	t, err := s.transcript(s.ctx, sc)
	if err != nil {
		s.storeErr("transcript", err)
		return "The transcript could not be read."
	}
	return "Transcript:\n" + TranscriptText([]Transcript{t})
}
