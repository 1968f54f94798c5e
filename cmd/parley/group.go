package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/livehelp"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/jid"
)

// groupCmd is `parley group`: live help's support groups (the seed's
// rtcctl addGroup). Works while the server runs on the same data: the
// server reads groups and members from the store at every decision.
func groupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Manage live-help support groups and their members (works while the server runs)",
		Long: `Manage live-help support groups: web-site visitors chat with a group's agents,
who use any XMPP client. A group has its own JID, NAME@groups.DOMAIN (the
subdomain is livehelp.groups_subdomain); members are accounts of this server,
agents (offered chats) or supervisors (watch, take over and transfer chats).
See docs/livehelp.md.`,
	}
	cmd.AddCommand(groupAddCmd(), groupSetCmd(), groupRemoveCmd(), groupListCmd(), groupMembersCmd(),
		groupAddMemberCmd(), groupRemoveMemberCmd())
	return cmd
}

// groupSub builds one group subcommand around livehelp.Groups on the
// configured store.
func groupSub(cmd *cobra.Command, run func(context.Context, *cobra.Command, livehelp.Groups, []string) error) *cobra.Command {
	return storeCommand(cmd, func(ctx context.Context, c *cobra.Command, st store.Store, cfg config.Config, args []string) error {
		return run(ctx, c, livehelp.Groups{Store: st, Hosts: cfg.Hosts, GroupsSubdomain: cfg.LiveHelp.GroupsSubdomain}, args)
	})
}

// optionFlags are the options add and set share.
type optionFlags struct {
	name, strategy, email string
	timeout               time.Duration
	maxChats              int
	sites                 []string
}

func (f *optionFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "the group's name, shown to visitors")
	fl.StringVar(&f.strategy, "strategy", "", "how chats are offered: "+strings.Join(livehelp.Strategies, ", ")+" (default: livehelp.strategy)")
	fl.DurationVar(&f.timeout, "offer-timeout", 0, "how long an offer waits for a reply before it is made again (default: livehelp.offer_timeout)")
	fl.IntVar(&f.maxChats, "max-chats", 0, "most chats per agent at once (default: livehelp.max_chats_per_agent)")
	fl.StringSliceVar(&f.sites, "site", nil, "site ID whose visitors may reach the group (repeat or comma-separate; none: every site)")
	fl.StringVar(&f.email, "email", "", "address that also gets the messages visitors leave")
}

// options returns the options whose flags were given.
func (f *optionFlags) options(cmd *cobra.Command) livehelp.GroupOptions {
	var o livehelp.GroupOptions
	fl := cmd.Flags()
	if fl.Changed("name") {
		o.Name = &f.name
	}
	if fl.Changed("strategy") {
		o.Strategy = &f.strategy
	}
	if fl.Changed("offer-timeout") {
		o.OfferTimeout = &f.timeout
	}
	if fl.Changed("max-chats") {
		o.MaxChats = &f.maxChats
	}
	if fl.Changed("site") {
		o.Sites = &f.sites
	}
	if fl.Changed("email") {
		o.Email = &f.email
	}
	return o
}

func groupAddCmd() *cobra.Command {
	var f optionFlags
	cmd := &cobra.Command{Use: "add GROUP@DOMAIN [--name NAME]", Short: "Create a support group", Args: cobra.ExactArgs(1)}
	f.register(cmd)
	return groupSub(cmd, func(ctx context.Context, c *cobra.Command, g livehelp.Groups, args []string) error {
		sg, err := g.Add(ctx, args[0], f.options(c))
		if err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "created group %s\n", sg.JID)
		return nil
	})
}

func groupSetCmd() *cobra.Command {
	var f optionFlags
	cmd := &cobra.Command{Use: "set GROUP@DOMAIN [--name NAME] [--strategy S] ...", Short: "Change a support group's options", Args: cobra.ExactArgs(1)}
	f.register(cmd)
	return groupSub(cmd, func(ctx context.Context, c *cobra.Command, g livehelp.Groups, args []string) error {
		sg, err := g.Set(ctx, args[0], f.options(c))
		if err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "changed group %s\n", sg.JID)
		return nil
	})
}

func groupRemoveCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "remove GROUP@DOMAIN", Short: "Delete a support group (its transcripts stay)", Args: cobra.ExactArgs(1)}
	return groupSub(cmd, func(ctx context.Context, c *cobra.Command, g livehelp.Groups, args []string) error {
		if err := g.Remove(ctx, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "removed group %s\n", normal(args[0]))
		return nil
	})
}

func groupListCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List support groups", Args: cobra.NoArgs}
	return groupSub(cmd, func(ctx context.Context, c *cobra.Command, g livehelp.Groups, _ []string) error {
		groups, err := g.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "GROUP\tNAME\tMEMBERS\tSTRATEGY\tSITES")
		for _, sg := range groups {
			members, err := g.Store.GroupMembers(ctx, sg.JID)
			if err != nil {
				return err
			}
			strategy, sites := sg.Strategy, strings.Join(sg.Sites, ",")
			if strategy == "" {
				strategy = "(default)"
			}
			if sites == "" {
				sites = "(all)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", sg.JID, sg.Name, len(members), strategy, sites)
		}
		return tw.Flush()
	})
}

func groupMembersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "members GROUP@DOMAIN", Short: "List a support group's members, one per line (supervisors marked)", Args: cobra.ExactArgs(1)}
	return groupSub(cmd, func(ctx context.Context, c *cobra.Command, g livehelp.Groups, args []string) error {
		members, err := g.Members(ctx, args[0])
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.Role == store.RoleSupervisor {
				fmt.Fprintf(c.OutOrStdout(), "%s (supervisor)\n", m.JID)
				continue
			}
			fmt.Fprintln(c.OutOrStdout(), m.JID)
		}
		return nil
	})
}

func groupAddMemberCmd() *cobra.Command {
	var supervisor bool
	cmd := &cobra.Command{Use: "add-member GROUP@DOMAIN USER@DOMAIN", Short: "Add an account to a support group as an agent (or --supervisor)", Args: cobra.ExactArgs(2)}
	cmd.Flags().BoolVar(&supervisor, "supervisor", false, "a supervisor: not offered chats; watches, takes over and transfers the group's chats")
	return groupSub(cmd, func(ctx context.Context, c *cobra.Command, g livehelp.Groups, args []string) error {
		role := store.RoleAgent
		if supervisor {
			role = store.RoleSupervisor
		}
		if err := g.AddMember(ctx, args[0], args[1], role); err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "added %s to %s as %s\n", normal(args[1]), normal(args[0]), role)
		return nil
	})
}

func groupRemoveMemberCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "remove-member GROUP@DOMAIN USER@DOMAIN", Short: "Remove a member from a support group", Args: cobra.ExactArgs(2)}
	return groupSub(cmd, func(ctx context.Context, c *cobra.Command, g livehelp.Groups, args []string) error {
		if err := g.RemoveMember(ctx, args[0], args[1]); err != nil {
			return err
		}
		fmt.Fprintf(c.OutOrStdout(), "removed %s from %s\n", normal(args[1]), normal(args[0]))
		return nil
	})
}

// normal is a JID as the store keeps it (the argument, if it is none).
func normal(s string) string {
	if j, err := jid.Parse(strings.TrimSpace(s)); err == nil {
		return j.String()
	}
	return s
}
