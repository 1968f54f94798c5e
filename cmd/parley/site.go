package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store"
)

// siteCmd is `parley site`: integrating sites (seed 001 chapter 2) and
// their authentication keys. Works while the server runs on the same
// data; setting changes apply to the next token request.
func siteCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "site",
		Short: "Manage integrating sites and their authentication keys",
		Long: `Manage integrating sites: the web sites and applications that use the
integration services (SOAP under /imtapp/ws, JSON under /api/v1).

A site authenticates with its site ID and authentication key; the key is
shown once, when the site is created or its key rotated, and only a
verifier of it is stored. A site's settings say which tokens it may
obtain:

  ` + settingsHelp(),
	}
	cmd.AddCommand(siteCreateCmd(), siteListCmd(), siteShowCmd(), siteSetCmd(), siteRotateKeyCmd(), siteDeleteCmd())
	return cmd
}

func settingsHelp() string {
	lines := []string{}
	for _, p := range auth.Policies {
		lines = append(lines, fmt.Sprintf("%-15s needs %s", p, auth.PolicySetting(p)))
	}
	return strings.Join(lines, "\n  ") + "\n  conference_key_required and guest_user_access_enabled are published to the site."
}

// siteSub builds one site subcommand around an auth.Service on the
// configured store.
func siteSub(use, short string, args cobra.PositionalArgs, setup func(*cobra.Command), run func(context.Context, *cobra.Command, *auth.Service, []string) error) *cobra.Command {
	cmd := storeCommand(&cobra.Command{Use: use, Short: short, Args: args},
		func(ctx context.Context, cmd *cobra.Command, st store.Store, cfg config.Config, a []string) error {
			svc, err := newAuthService(st, cfg)
			if err != nil {
				return err
			}
			return run(ctx, cmd, svc, a)
		})
	if setup != nil {
		setup(cmd)
	}
	return cmd
}

// newAuthService is the Authentication service as the configuration
// sets it up (the server builds the same).
func newAuthService(st store.Store, cfg config.Config) (*auth.Service, error) {
	domain := ""
	if len(cfg.Hosts) > 0 {
		domain = cfg.Hosts[0]
	}
	return auth.New(auth.Options{
		Store:             st,
		TokenLife:         cfg.Integration.TokenLife.Duration,
		MaxRequestSize:    cfg.Integration.MaxRequestSize,
		UserPolicies:      cfg.Integration.UserPolicies,
		DefaultDomain:     domain,
		FailuresPerMinute: cfg.Integration.AuthFailuresPerMinute,
	})
}

// parsePolicies reads --policies: names joined with commas (or "::").
func parsePolicies(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	return auth.ParsePolicy(strings.ReplaceAll(s, ",", "::"))
}

// keyJSON is the machine-readable answer of create and rotate-key,
// exactly {"site_id": "...", "auth_key": "..."}.
func keyJSON(w io.Writer, id, key string) {
	qid, _ := json.Marshal(id)
	qkey, _ := json.Marshal(key)
	fmt.Fprintf(w, "{\"site_id\": %s, \"auth_key\": %s}\n", qid, qkey)
}

func siteCreateCmd() *cobra.Command {
	var name, id, policies string
	var asJSON bool
	return siteSub("create --name NAME [--policies PRESENCE,GUESTCHAT,...]", "Create a site and print its ID and authentication key (shown only once)", cobra.NoArgs,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&name, "name", "", "the site's name (required)")
			cmd.Flags().StringVar(&id, "id", "", "the site ID (default: a random 9-digit number)")
			cmd.Flags().StringVar(&policies, "policies", "", "token policies the site may obtain besides SESSION, comma-separated: "+strings.Join(auth.Policies, ","))
			cmd.Flags().BoolVar(&asJSON, "json", false, `print {"site_id": "...", "auth_key": "..."}`)
		},
		func(ctx context.Context, cmd *cobra.Command, svc *auth.Service, _ []string) error {
			if strings.TrimSpace(name) == "" {
				return fmt.Errorf("--name is required")
			}
			ps, err := parsePolicies(policies)
			if err != nil {
				return err
			}
			site, key, err := svc.CreateSite(ctx, id, strings.TrimSpace(name), auth.SettingsForPolicies(ps))
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				keyJSON(out, site.ID, key)
				return nil
			}
			fmt.Fprintf(out, "created site %s (%s), may obtain: %s\n", site.ID, site.Name, strings.Join(allowed(site.Settings), ", "))
			fmt.Fprintf(out, "site ID:            %s\nauthentication key: %s\n", site.ID, key)
			fmt.Fprintln(out, "The key is not stored and will not be shown again; `parley site rotate-key` makes a new one.")
			return nil
		})
}

// allowed lists the policies the settings authorize.
func allowed(s auth.Settings) []string {
	var out []string
	for _, p := range auth.Policies {
		if s.Authorizes(p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return []string{"nothing"}
	}
	return out
}

// siteView is a site as list and show print it in JSON.
type siteView struct {
	ID        string          `json:"site_id"`
	Name      string          `json:"name"`
	Policies  []string        `json:"policies"`
	Settings  map[string]bool `json:"settings"`
	CreatedAt time.Time       `json:"created_at"`
	Tokens    *int            `json:"tokens,omitempty"`
}

func view(s auth.Site) siteView {
	ps := allowed(s.Settings)
	if ps[0] == "nothing" {
		ps = []string{}
	}
	return siteView{ID: s.ID, Name: s.Name, Policies: ps, Settings: s.Settings, CreatedAt: s.CreatedAt}
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func siteListCmd() *cobra.Command {
	var asJSON bool
	return siteSub("list", "List sites", cobra.NoArgs,
		func(cmd *cobra.Command) { cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON") },
		func(ctx context.Context, cmd *cobra.Command, svc *auth.Service, _ []string) error {
			sites, err := svc.ListSites(ctx)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				views := make([]siteView, len(sites))
				for i, s := range sites {
					views[i] = view(s)
				}
				return printJSON(out, views)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SITE ID\tNAME\tPOLICIES")
			for _, s := range sites {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", s.ID, s.Name, strings.Join(allowed(s.Settings), ","))
			}
			return tw.Flush()
		})
}

func siteShowCmd() *cobra.Command {
	var asJSON bool
	return siteSub("show SITE_ID", "Show a site's settings", cobra.ExactArgs(1),
		func(cmd *cobra.Command) { cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON") },
		func(ctx context.Context, cmd *cobra.Command, svc *auth.Service, args []string) error {
			s, err := svc.Site(ctx, args[0])
			if err != nil {
				return err
			}
			n, err := svc.CountTokens(ctx, auth.EntitySite, s.ID)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			v := view(s)
			v.Tokens = &n
			if asJSON {
				return printJSON(out, v)
			}
			fmt.Fprintf(out, "site ID:  %s\nname:     %s\ncreated:  %s\npolicies: %s\ntokens:   %d\nsettings:\n",
				s.ID, s.Name, s.CreatedAt.Format(time.RFC3339), strings.Join(allowed(s.Settings), ", "), n)
			names := make([]string, 0, len(s.Settings))
			for k := range s.Settings {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				fmt.Fprintf(out, "  %s = %v\n", k, s.Settings[k])
			}
			return nil
		})
}

func siteSetCmd() *cobra.Command {
	var name, policies string
	return siteSub("set SITE_ID [SETTING=true|false ...]", "Change a site's name or settings", cobra.MinimumNArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&name, "name", "", "new name")
			cmd.Flags().StringVar(&policies, "policies", "", "replace the token policies the site may obtain (comma-separated; SESSION stays on unless set off)")
			cmd.Long = "Change a site's name or settings. Settings: " + strings.Join(auth.SettingNames, ", ") + "."
		},
		func(ctx context.Context, cmd *cobra.Command, svc *auth.Service, args []string) error {
			settings := auth.Settings{}
			if cmd.Flags().Changed("policies") {
				ps, err := parsePolicies(policies)
				if err != nil {
					return err
				}
				for k, v := range auth.SettingsForPolicies(ps) {
					if k != auth.SettingConferenceKey {
						settings[k] = v
					}
				}
			}
			for _, a := range args[1:] {
				k, v, ok := strings.Cut(a, "=")
				b, err := strconv.ParseBool(strings.TrimSpace(v))
				if !ok || err != nil {
					return fmt.Errorf("%q: want SETTING=true or SETTING=false", a)
				}
				settings[strings.TrimSpace(k)] = b
			}
			if name == "" && len(settings) == 0 {
				return fmt.Errorf("nothing to change: give --name, --policies or SETTING=VALUE")
			}
			s, err := svc.UpdateSite(ctx, args[0], strings.TrimSpace(name), settings)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "updated site %s (%s), may obtain: %s\n", s.ID, s.Name, strings.Join(allowed(s.Settings), ", "))
			return nil
		})
}

func siteRotateKeyCmd() *cobra.Command {
	var asJSON bool
	return siteSub("rotate-key SITE_ID", "Give a site a new authentication key (the old one and its tokens stop working)", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().BoolVar(&asJSON, "json", false, `print {"site_id": "...", "auth_key": "..."}`)
		},
		func(ctx context.Context, cmd *cobra.Command, svc *auth.Service, args []string) error {
			key, err := svc.RotateKey(ctx, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				keyJSON(out, args[0], key)
				return nil
			}
			fmt.Fprintf(out, "new authentication key for site %s: %s\n", args[0], key)
			fmt.Fprintln(out, "The old key and every token issued to the site no longer work; the new key will not be shown again.")
			return nil
		})
}

func siteDeleteCmd() *cobra.Command {
	return siteSub("delete SITE_ID", "Delete a site and every token issued to it", cobra.ExactArgs(1), nil,
		func(ctx context.Context, cmd *cobra.Command, svc *auth.Service, args []string) error {
			if err := svc.DeleteSite(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted site %s\n", args[0])
			return nil
		})
}
