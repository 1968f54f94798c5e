package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parley-im/parley/manage"
)

// registerManageCommands serves the administration commands that need
// the running server on the control channel: `parley user
// add|passwd|remove` (sessions end with a changed password or a removed
// account), `parley room destroy` (occupants are told) and `parley
// session list|kick`. The admin console calls the same package manage.
func (s *Server) registerManageCommands() {
	c := s.ext.control
	if c == nil {
		return
	}
	c.HandleSecret("user", s.userCommand)
	c.Handle("room", s.roomCommand)
	c.Handle("session", s.sessionCommand)
}

func (s *Server) userCommand(ctx context.Context, args []string) (string, error) {
	if len(args) == 0 {
		return "", errors.New("usage: user add|passwd USER PASSWORD, user remove USER")
	}
	// The command checked the address against its own configuration,
	// which may name a domain added since this server started.
	m := s.manageAccounts()
	m.IsLocal = nil
	switch {
	case args[0] == "add" && len(args) == 3:
		user, err := m.Add(ctx, args[1], args[2])
		if err != nil {
			return "", s.explainDomain(args[1], err)
		}
		return "created " + user + "\n", nil
	case args[0] == "passwd" && len(args) == 3:
		user, err := m.SetPassword(ctx, args[1], args[2])
		if err != nil {
			return "", s.explainDomain(args[1], err)
		}
		return "password changed for " + user + "\n", nil
	case args[0] == "remove" && len(args) == 2:
		user, err := m.Remove(ctx, args[1])
		if err != nil {
			return "", s.explainDomain(args[1], err)
		}
		return "removed " + user + "\n", nil
	}
	return "", errors.New("usage: user add|passwd USER PASSWORD, user remove USER")
}

// explainDomain names the served domains when an address is not of one.
func (s *Server) explainDomain(address string, err error) error {
	if err != nil && strings.Contains(err.Error(), "domain not served") {
		return fmt.Errorf("%w (this server serves %s)", err, strings.Join(s.cfg.Hosts, ", "))
	}
	return err
}

// manageRooms is room management with the running MUC service.
func (s *Server) manageRooms() manage.Rooms {
	r := manage.RoomsFor(s.store, s.cfg)
	r.Live = s.muc
	return r
}

func (s *Server) roomCommand(ctx context.Context, args []string) (string, error) {
	if len(args) != 2 || args[0] != "destroy" {
		return "", errors.New("usage: room destroy ROOM@SERVICE")
	}
	room, err := s.manageRooms().Destroy(ctx, args[1], "")
	if err != nil {
		return "", err
	}
	return "destroyed " + room.String() + "\n", nil
}

func (s *Server) sessionCommand(_ context.Context, args []string) (string, error) {
	m := manage.Sessions{Router: s.router}
	if len(args) > 0 && args[0] == "list" {
		asJSON, user := false, ""
		for _, a := range args[1:] {
			if a == "--json" {
				asJSON = true
			} else {
				user = a
			}
		}
		if user != "" {
			u, err := s.manageAccounts().Parse(user)
			if err != nil {
				return "", err
			}
			user = u
		}
		list := m.List(user)
		if asJSON {
			if list == nil {
				list = []manage.Session{}
			}
			b, err := json.MarshalIndent(list, "", "  ")
			return string(b) + "\n", err
		}
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "JID\tPRESENCE\tADDRESS\tTLS\tCONNECTED (UTC)")
		for _, ses := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", ses.JID, presenceText(ses), ses.Remote, ses.Secure, ses.Connected.UTC().Format(time.DateTime))
		}
		tw.Flush()
		return b.String(), nil
	}
	if len(args) >= 2 && args[0] == "kick" {
		ended, err := m.Kick(args[1], strings.Join(args[2:], " "))
		if err != nil {
			return "", err
		}
		return "ended " + strings.Join(ended, ", ") + "\n", nil
	}
	return "", errors.New("usage: session list [--json] [USER], session kick JID [REASON]")
}

// presenceText is a session's presence in a few words.
func presenceText(s manage.Session) string {
	if !s.Available {
		return "(no presence)"
	}
	t := "available"
	if s.Show != "" {
		t = s.Show
	}
	if s.Status != "" {
		t += " (" + s.Status + ")"
	}
	return t
}
