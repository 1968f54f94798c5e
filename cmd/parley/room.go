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
	"github.com/parley-im/parley/manage"
	"github.com/parley-im/parley/store"
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

// explainRoom adds to an address outside the conference services how
// to serve its host.
func explainRoom(cfg config.Config, err error) error {
	var ns *manage.ErrNotService
	if !errors.As(err, &ns) {
		return err
	}
	msg := ns.Error()
	if ns.Host != "" {
		msg += "\n" + notServed(cfg, ns.Host)
	} else {
		msg += fmt.Sprintf("\nA room address is ROOM@%s.DOMAIN for a served DOMAIN (muc.subdomain sets the label).", cfg.MUC.Subdomain)
	}
	return errors.New(msg)
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
		room, err := manage.RoomsFor(st, cfg).Create(ctx, args[0], o)
		if err != nil {
			return explainRoom(cfg, err)
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
	return roomSub(cmd, func(ctx context.Context, st store.Store, cfg config.Config, args []string) error {
		service := ""
		if len(args) > 0 {
			service = args[0]
		}
		rooms, err := manage.RoomsFor(st, cfg).List(ctx, service)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ROOM\tNAME\tOWNERS\tFLAGS")
		for _, r := range rooms {
			if r.Err != nil {
				fmt.Fprintf(w, "%s\t(unreadable: %v)\t\t\n", r.JID, r.Err)
				continue
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.JID, r.Info.Config.Name, strings.Join(r.Owners, ","), strings.Join(r.Flags, ","))
		}
		return w.Flush()
	})
}

func roomDestroyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "destroy ROOM@SERVICE",
		Short: "Delete a persistent room and its archive (a running server tells its occupants)",
		Args:  cobra.ExactArgs(1),
	}
	roomSub(cmd, func(ctx context.Context, st store.Store, cfg config.Config, args []string) error {
		room, err := manage.RoomsFor(st, cfg).Destroy(ctx, args[0], "")
		if err != nil {
			return explainRoom(cfg, err)
		}
		fmt.Printf("destroyed %s\n", room)
		return nil
	})
	return serverFirst(cmd, "room", func(a []string) []string { return append([]string{"destroy"}, a...) })
}
