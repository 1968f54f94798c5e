package server

import (
	"context"
	"fmt"

	"github.com/parley-im/parley/mail"
)

// startMail prepares the server's one mail sender (conference
// invitations, live help's left messages) from the [mail] settings. With
// no relay configured the sender is disabled: the modules that mail say
// so in their own terms.
func (s *Server) startMail() error {
	m := s.cfg.Mail
	sender, err := mail.New(mail.Config{Relay: m.Relay, From: s.cfg.MailFrom(), Username: m.Username, Password: m.Password,
		TLS: m.TLS, CAFile: m.CAFile, Timeout: m.Timeout.Duration})
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	s.mail = sender
	return nil
}

// mailText sends one plain-text mail, for modules that mail text only;
// nil when no relay is configured.
func (s *Server) mailText() func(ctx context.Context, to, subject, body string) error {
	if !s.mail.Enabled() {
		return nil
	}
	return func(ctx context.Context, to, subject, body string) error {
		return s.mail.Send(ctx, mail.Message{To: to, Subject: subject, Text: body})
	}
}
