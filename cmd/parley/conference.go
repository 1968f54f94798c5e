package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/manage"
	"github.com/parley-im/parley/store"
)

// conferenceCmd is `parley conference`: the web conferences sites and
// users scheduled (docs/conferences.md). Works whether or not the server
// runs on the same data; end goes through a running server's control
// channel.
func conferenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "conference",
		Short: "List, show and end web conferences",
	}
	cmd.AddCommand(conferenceListCmd(), conferenceShowCmd(), conferenceEndCmd())
	return cmd
}

// conferenceSub builds one subcommand around a conference manager on
// the configured store (without a MUC service: rooms are only stored).
func conferenceSub(cmd *cobra.Command, run func(context.Context, *cobra.Command, *conference.Manager, config.Config, []string) error) *cobra.Command {
	return storeCommand(cmd, func(ctx context.Context, c *cobra.Command, st store.Store, cfg config.Config, args []string) error {
		domain := cfg.Hosts[0]
		m := conference.New(conference.Options{Store: st, Domain: domain, MUCDomain: cfg.MUC.Subdomain + "." + domain,
			EarlyJoin: time.Duration(cfg.Integration.EarlyJoinMinutes) * time.Minute})
		return run(ctx, c, m, cfg, args)
	})
}

// conferenceView is a conference as list and show print it in JSON
// (never its keys).
type conferenceView struct {
	ID          string             `json:"conference_id"`
	Title       string             `json:"title"`
	Site        string             `json:"site_id,omitempty"`
	Owner       string             `json:"owner,omitempty"`
	Type        string             `json:"meeting_type"`
	Instant     bool               `json:"instant"`
	State       string             `json:"state"`
	Status      string             `json:"status"`
	Start       time.Time          `json:"start"`
	End         time.Time          `json:"end"`
	StartedAt   *time.Time         `json:"started_at,omitempty"`
	EndedAt     *time.Time         `json:"ended_at,omitempty"`
	KeyRequired bool               `json:"conference_key_required"`
	Room        string             `json:"room"`
	Flags       map[string]bool    `json:"flags"`
	Host        participantView    `json:"host"`
	Attendees   []participantView  `json:"attendees"`
	Attendance  []attendanceView   `json:"attendance,omitempty"`
	Links       *map[string]string `json:"links,omitempty"`
	Description string             `json:"description,omitempty"`
}

type participantView struct {
	Name   string `json:"name"`
	Email  string `json:"email,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

type attendanceView struct {
	Name    string     `json:"name"`
	JID     string     `json:"jid"`
	Guest   bool       `json:"guest"`
	Host    bool       `json:"host"`
	Entered time.Time  `json:"entered"`
	Exited  *time.Time `json:"exited,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func confView(c store.Conference, now time.Time, early time.Duration) conferenceView {
	status, _ := conference.Status(c, now, early)
	v := conferenceView{ID: c.ID, Title: c.Title, Site: c.SiteID, Owner: c.Owner, Type: c.Type, Instant: c.Instant,
		State: c.State, Status: status, Start: c.StartAt, End: c.EndAt, StartedAt: optTime(c.StartedAt), EndedAt: optTime(c.EndedAt),
		KeyRequired: c.Key != "", Room: c.RoomJID, Description: c.Desc, Attendees: []participantView{},
		Flags: map[string]bool{"registeredUserOnly": c.Flags.RegisteredUserOnly, "publiclyListed": c.Flags.PubliclyListed,
			"hostInvitedOnly": c.Flags.HostInvitedOnly, "enrollmentRequired": c.Flags.EnrollmentRequired,
			"publishAttendees": c.Flags.PublishAttendees, "sendEmailNotification": c.Flags.SendInvitations}}
	for _, p := range c.Participants {
		pv := participantView{Name: conference.Name(p), Email: p.Email, UserID: p.UserID}
		if p.Role == store.RoleHost {
			v.Host = pv
		} else {
			v.Attendees = append(v.Attendees, pv)
		}
	}
	return v
}

func conferenceListCmd() *cobra.Command {
	var site, owner, state string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List conferences (all, or a site's, or a user's), by start",
		Args:  cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&site, "site", "", "only this site's conferences")
	f.StringVar(&owner, "owner", "", "only the conferences this user scheduled (bare JID)")
	f.StringVar(&state, "state", "", "only conferences in this state: scheduled, in_progress or ended")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return conferenceSub(cmd, func(ctx context.Context, cmd *cobra.Command, m *conference.Manager, _ config.Config, _ []string) error {
		q := store.ConferenceQuery{SiteID: site, Owner: owner}
		switch state {
		case "":
		case store.ConferenceScheduled, store.ConferenceInProgress, store.ConferenceEnded:
			q.States = []string{state}
		default:
			return fmt.Errorf("--state %q: want scheduled, in_progress or ended", state)
		}
		list, err := m.List(ctx, q)
		if err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		now := time.Now()
		if asJSON {
			views := make([]conferenceView, len(list))
			for i, c := range list {
				views[i] = confView(c, now, m.EarlyJoin())
			}
			return printJSON(out, views)
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTART (UTC)\tSTATUS\tBY\tTYPE\tTITLE")
		for _, c := range list {
			status, _ := conference.Status(c, now, m.EarlyJoin())
			by := "site " + c.SiteID
			if c.SiteID == "" {
				by = c.Owner
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.StartAt.UTC().Format("2006-01-02 15:04"), status, by, c.Type, c.Title)
		}
		return tw.Flush()
	})
}

// defaultBaseURL is where the server's pages are: http.public_url, or
// http://<first host>:<port of http.listen>.
func defaultBaseURL(cfg config.Config) string {
	if cfg.HTTP.PublicURL != "" {
		return cfg.HTTP.PublicURL
	}
	port := "5280"
	if _, p, err := net.SplitHostPort(cfg.HTTP.Listen); err == nil && p != "" {
		port = p
	}
	return "http://" + cfg.Hosts[0] + ":" + port
}

func conferenceShowCmd() *cobra.Command {
	var asJSON, links bool
	var base string
	cmd := &cobra.Command{
		Use:   "show CONFERENCE_ID",
		Short: "Show a conference: its schedule, flags, host, attendees and attendance",
		Args:  cobra.ExactArgs(1),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&links, "links", false, "also print the host's join link and the playback link (they open the conference: keep them private)")
	cmd.Flags().StringVar(&base, "base-url", "", "the server's URL for the links (default: http.public_url, or http://HOST:PORT of http.listen)")
	return conferenceSub(cmd, func(ctx context.Context, cmd *cobra.Command, m *conference.Manager, cfg config.Config, args []string) error {
		c, err := m.Lookup(ctx, args[0])
		if errors.Is(err, conference.ErrNotFound) {
			return fmt.Errorf("no conference %s", args[0])
		}
		if err != nil {
			return err
		}
		stays, err := m.Attendance(ctx, c.ID)
		if err != nil {
			return err
		}
		v := confView(c, time.Now(), m.EarlyJoin())
		for _, a := range stays {
			v.Attendance = append(v.Attendance, attendanceView{Name: a.Name, JID: a.JID, Guest: a.Guest, Host: a.Host, Entered: a.Entered, Exited: optTime(a.Exited)})
		}
		if links {
			if base == "" {
				base = defaultBaseURL(cfg)
			}
			l := map[string]string{"host": conference.JoinURL(base, c, conference.Host(c)), "attendees": conference.AttendeeURL(base, c),
				"playback": conference.PlaybackLink(base, c, false)}
			v.Links = &l
		}
		out := cmd.OutOrStdout()
		if asJSON {
			return printJSON(out, v)
		}
		fmt.Fprintf(out, "conference:  %s\ntitle:       %s\n", v.ID, v.Title)
		if v.Site != "" {
			fmt.Fprintf(out, "site:        %s\n", v.Site)
		} else {
			fmt.Fprintf(out, "scheduled by: %s\n", v.Owner)
		}
		fmt.Fprintf(out, "type:        %s%s\nstatus:      %s (%s)\n", v.Type, map[bool]string{true: " (instant)"}[v.Instant], v.Status, strings.ReplaceAll(v.State, "_", " "))
		fmt.Fprintf(out, "scheduled:   %s to %s UTC\n", v.Start.UTC().Format("2006-01-02 15:04"), v.End.UTC().Format("2006-01-02 15:04"))
		if v.StartedAt != nil {
			fmt.Fprintf(out, "started:     %s\n", v.StartedAt.UTC().Format(time.RFC3339))
		}
		if v.EndedAt != nil {
			fmt.Fprintf(out, "ended:       %s\n", v.EndedAt.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(out, "key:         %s\nroom:        %s\n", map[bool]string{true: "required", false: "none"}[v.KeyRequired], v.Room)
		var on []string
		for _, name := range []string{"registeredUserOnly", "publiclyListed", "hostInvitedOnly", "enrollmentRequired", "publishAttendees", "sendEmailNotification"} {
			if v.Flags[name] {
				on = append(on, name)
			}
		}
		fmt.Fprintf(out, "flags:       %s\nhost:        %s\n", strings.Join(on, ", "), who(v.Host))
		fmt.Fprintf(out, "attendees:   %d\n", len(v.Attendees))
		for _, a := range v.Attendees {
			fmt.Fprintf(out, "  %s\n", who(a))
		}
		if len(v.Attendance) > 0 {
			fmt.Fprintln(out, "attendance:")
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			for _, a := range v.Attendance {
				exited := "(in)"
				if a.Exited != nil {
					exited = a.Exited.UTC().Format("15:04:05")
				}
				kind := "user"
				if a.Guest {
					kind = "guest"
				}
				if a.Host {
					kind += ", host"
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s - %s\n", a.Name, a.JID, kind, a.Entered.UTC().Format("15:04:05"), exited)
			}
			tw.Flush()
		}
		if v.Links != nil {
			for _, k := range []string{"host", "attendees", "playback"} {
				fmt.Fprintf(out, "%s link: %s\n", k, (*v.Links)[k])
			}
		}
		return nil
	})
}

func who(p participantView) string {
	s := p.Name
	if p.UserID != "" && p.UserID != p.Name {
		s += " (" + p.UserID + ")"
	}
	if p.Email != "" && p.Email != p.Name {
		s += " <" + p.Email + ">"
	}
	return s
}

// conferenceEndCmd is `parley conference end ID`. A server running on
// the same data directory does it through its control channel, at once:
// it lets the conference's people out and destroys its room. With no
// server running, the conference is ended in the store, and a server
// started later finds it ended.
func conferenceEndCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "end CONFERENCE_ID",
		Short: "End a conference now (FORCED); a running server lets everyone out at once",
		Args:  cobra.ExactArgs(1),
	}
	conferenceSub(cmd, func(ctx context.Context, cmd *cobra.Command, m *conference.Manager, _ config.Config, args []string) error {
		c, err := manage.EndConference(ctx, m, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "ended conference %s (FORCED)\n", c.ID)
		return nil
	})
	return serverFirst(cmd, "conference", func(a []string) []string { return append([]string{"end"}, a...) })
}
