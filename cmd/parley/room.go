package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

func roomCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "room",
		Short: "Manage persistent conference rooms (works while the server runs on the same data)",
	}
	cmd.AddCommand(roomCreateCmd(), roomListCmd(), roomDestroyCmd())
	return cmd
}

// roomSub builds one room subcommand on the configured store.
func roomSub(cmd *cobra.Command, run func(context.Context, store.Store, config.Config, []string) error) *cobra.Command {
	return storeCommand(cmd, func(ctx context.Context, _ *cobra.Command, st store.Store, cfg config.Config, args []string) error {
		return run(ctx, st, cfg, args)
	})
}

// parseRoom parses ROOM@SERVICE and checks that SERVICE is the
// conference service of a served host.
func parseRoom(cfg config.Config, s string) (jid.JID, error) {
	room, err := jid.Parse(s)
	if err != nil || room.Local() == "" || !room.IsBare() {
		return jid.JID{}, fmt.Errorf("%q is not a room address (ROOM@%s.DOMAIN)", s, cfg.MUC.Subdomain)
	}
	for _, h := range cfg.Hosts {
		if room.Domain() == cfg.MUC.Subdomain+"."+h {
			return room, nil
		}
	}
	services := make([]string, len(cfg.Hosts))
	for i, h := range cfg.Hosts {
		services[i] = cfg.MUC.Subdomain + "." + h
	}
	msg := fmt.Sprintf("%s is not a conference service of this server (served: %s)", room.Domain(), strings.Join(services, ", "))
	if host, ok := strings.CutPrefix(room.Domain(), cfg.MUC.Subdomain+"."); ok {
		msg += "\n" + notServed(cfg, host)
	} else {
		msg += fmt.Sprintf("\nA room address is ROOM@%s.DOMAIN for a served DOMAIN (muc.subdomain sets the label).", cfg.MUC.Subdomain)
	}
	return jid.JID{}, errors.New(msg)
}

func roomCreateCmd() *cobra.Command {
	var o muc.RoomOptions
	cmd := &cobra.Command{
		Use:   "create ROOM@SERVICE",
		Short: "Create a persistent room, configured and ready to join",
		Args:  cobra.ExactArgs(1),
	}
	f := cmd.Flags()
	f.StringVar(&o.Name, "name", "", "room name shown to users")
	f.StringVar(&o.Description, "description", "", "room description")
	f.StringVar(&o.Lang, "lang", "", "the room's language, a tag such as en or pt-BR (empty: none)")
	f.BoolVar(&o.Public, "public", true, "list the room in the service's directory (disco#items)")
	f.BoolVar(&o.MembersOnly, "members-only", false, "only owners, admins and members may enter")
	f.BoolVar(&o.Moderated, "moderated", false, "only occupants with voice may speak")
	f.BoolVar(&o.NonAnonymous, "non-anonymous", false, "every occupant sees the others' real JIDs (default: moderators only)")
	f.StringVar(&o.Password, "password", "", "password needed to enter (empty: none)")
	f.IntVar(&o.MaxUsers, "max-users", 0, "most occupants (0: the service's muc.max_occupants)")
	f.IntVar(&o.HistoryLength, "history", -1, "messages sent to people who join (-1: muc.history_messages)")
	f.BoolVar(&o.Archive, "archive", true, "keep the room's messages in its archive (XEP-0313 on the room JID)")
	f.StringSliceVar(&o.Owners, "owner", nil, "owner's bare JID (repeat or comma-separate)")
	f.StringSliceVar(&o.Admins, "admin", nil, "admin's bare JID (repeat or comma-separate)")
	f.StringSliceVar(&o.Members, "member", nil, "member's bare JID (repeat or comma-separate)")
	return roomSub(cmd, func(ctx context.Context, st store.Store, cfg config.Config, args []string) error {
		room, err := parseRoom(cfg, args[0])
		if err != nil {
			return err
		}
		for _, list := range []*[]string{&o.Owners, &o.Admins, &o.Members} {
			for i, s := range *list {
				j, err := jid.Parse(s)
				if err != nil || j.Local() == "" {
					return fmt.Errorf("%q is not a user's bare JID", s)
				}
				(*list)[i] = j.Bare().String()
			}
		}
		if o.HistoryLength < 0 {
			o.HistoryLength = cfg.MUC.HistoryMessages
		}
		if o.MaxUsers < 0 {
			return errors.New("--max-users must not be negative")
		}
		if _, err := st.Room(ctx, room.String()); err == nil {
			return fmt.Errorf("room %s already exists", room)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		r, err := muc.NewPersistentRoom(room, o)
		if err != nil {
			return err
		}
		if err := st.PutRoom(ctx, r); err != nil {
			return err
		}
		fmt.Printf("created %s\n", room)
		return nil
	})
}

func roomListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list [SERVICE]",
		Short: "List persistent rooms, optionally of one conference service",
		Args:  cobra.MaximumNArgs(1),
	}
	return roomSub(cmd, func(ctx context.Context, st store.Store, _ config.Config, args []string) error {
		service := ""
		if len(args) > 0 {
			service = strings.ToLower(args[0])
		}
		rooms, err := st.ListRooms(ctx, service)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ROOM\tNAME\tOWNERS\tFLAGS")
		for _, r := range rooms {
			info, err := muc.DecodeRoom(r)
			if err != nil {
				fmt.Fprintf(w, "%s\t(unreadable: %v)\t\t\n", r.JID, err)
				continue
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.JID, info.Config.Name, strings.Join(info.Owners(), ","), roomFlags(info.Config))
		}
		return w.Flush()
	})
}

func roomFlags(c muc.RoomConfig) string {
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{{c.Public, "public"}, {!c.Public, "hidden"}, {c.MembersOnly, "members-only"}, {c.Moderated, "moderated"},
		{c.Password != "", "password"}, {c.WhoIs == "anyone", "non-anonymous"}, {c.Archive, "archived"}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	return strings.Join(flags, ",")
}

func roomDestroyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "destroy ROOM@SERVICE",
		Short: "Delete a persistent room and its archive (stop the server first to remove occupants too)",
		Args:  cobra.ExactArgs(1),
	}
	return roomSub(cmd, func(ctx context.Context, st store.Store, cfg config.Config, args []string) error {
		room, err := parseRoom(cfg, args[0])
		if err != nil {
			return err
		}
		if err := st.DeleteRoom(ctx, room.String()); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no room %s", room)
		} else if err != nil {
			return err
		}
		fmt.Printf("destroyed %s\n", room)
		return nil
	})
}
