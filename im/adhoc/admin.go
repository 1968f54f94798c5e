package adhoc

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/router"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/dataform"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Admin is what the XEP-0133 commands act on.
type Admin struct {
	Accounts *account.Manager
	Users    store.Users
	Rosters  store.Rosters
	Router   router.Router
	// Remove deletes an account with everything it owns and ends its
	// sessions; PasswordChanged ends the sessions of an account whose
	// password an administrator changed.
	Remove          func(ctx context.Context, user string) error
	PasswordChanged func(ctx context.Context, user string)
	// MinPasswordLength applies to the passwords administrators set.
	MinPasswordLength int
}

// The XEP-0133 form type.
const adminForm = ns.Admin

func adminNode(name string) string { return ns.Admin + "#" + name }

// AdminCommands are the XEP-0133 commands Parley offers.
func (a *Admin) AdminCommands() []Command {
	return []Command{
		{Node: adminNode("add-user"), Name: "Add a user", Form: a.addUserForm, Run: a.addUser},
		{Node: adminNode("delete-user"), Name: "Delete users", Form: jidsForm("accountjids", "The accounts to delete"), Run: a.deleteUsers},
		{Node: adminNode("change-user-password"), Name: "Change a user's password", Form: a.passwordForm, Run: a.changePassword},
		{Node: adminNode("get-online-users-list"), Name: "List online users", Run: a.onlineUsers},
		{Node: adminNode("get-online-users-num"), Name: "Number of online users", Run: a.onlineUsersNum},
		{Node: adminNode("get-registered-users-num"), Name: "Number of registered users", Run: a.registeredUsersNum},
		{Node: adminNode("get-user-statistics"), Name: "User statistics", Form: jidsForm("accountjid", "The account"), Run: a.userStatistics},
		{Node: adminNode("announce"), Name: "Send an announcement to online users", Form: a.announceForm, Run: a.announce},
	}
}

func hidden() dataform.Field { return dataform.Hidden("FORM_TYPE", adminForm) }

func jidsForm(name, label string) func(context.Context, string) dataform.Form {
	typ := "jid-multi"
	if !strings.HasSuffix(name, "s") {
		typ = "jid-single"
	}
	return func(context.Context, string) dataform.Form {
		return dataform.Form{Title: label, Fields: []dataform.Field{hidden(), {Var: name, Type: typ, Label: label, Required: true}}}
	}
}

func (a *Admin) addUserForm(context.Context, string) dataform.Form {
	return dataform.Form{Title: "Add a user", Fields: []dataform.Field{hidden(),
		{Var: "accountjid", Type: "jid-single", Label: "The account (user@" + "host)", Required: true},
		{Var: "password", Type: "text-private", Label: "Password", Required: true},
		{Var: "password-verify", Type: "text-private", Label: "Password again", Required: true},
	}}
}

func (a *Admin) passwordForm(context.Context, string) dataform.Form {
	return dataform.Form{Title: "Change a user's password", Fields: []dataform.Field{hidden(),
		{Var: "accountjid", Type: "jid-single", Label: "The account", Required: true},
		{Var: "password", Type: "text-private", Label: "New password", Required: true},
	}}
}

func (a *Admin) announceForm(context.Context, string) dataform.Form {
	return dataform.Form{Title: "Send an announcement", Fields: []dataform.Field{hidden(),
		{Var: "subject", Type: "text-single", Label: "Subject"},
		{Var: "body", Type: "text-multi", Label: "Announcement", Required: true},
	}}
}

// account parses an account of host from a form value.
func account1(v, host string) (jid.JID, error) {
	j, err := jid.Parse(strings.TrimSpace(v))
	if err != nil || j.Local() == "" || !j.IsBare() {
		return jid.JID{}, &InputError{fmt.Sprintf("%q is not an account address (user@%s)", v, host)}
	}
	if j.Domain() != host {
		return jid.JID{}, &InputError{fmt.Sprintf("%s is not an account of %s", j, host)}
	}
	return j, nil
}

func (a *Admin) password(p string) error {
	if len(p) < a.MinPasswordLength {
		return &InputError{"the password must have at least " + strconv.Itoa(a.MinPasswordLength) + " characters"}
	}
	return nil
}

func (a *Admin) addUser(ctx context.Context, host string, _ jid.JID, f dataform.Form) (Result, error) {
	j, err := account1(f.Value("accountjid"), host)
	if err != nil {
		return Result{}, err
	}
	p := f.Value("password")
	if p != f.Value("password-verify") {
		return Result{}, &InputError{"the passwords differ"}
	}
	if err := a.password(p); err != nil {
		return Result{}, err
	}
	err = a.Accounts.Add(ctx, j.String(), p)
	if errors.Is(err, account.ErrExists) {
		return Result{}, &InputError{j.String() + " exists already"}
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Note: "Added " + j.String()}, nil
}

func (a *Admin) deleteUsers(ctx context.Context, host string, _ jid.JID, f dataform.Form) (Result, error) {
	var users []jid.JID
	for _, v := range f.Values("accountjids") {
		j, err := account1(v, host)
		if err != nil {
			return Result{}, err
		}
		if _, err := a.Users.User(ctx, j.String()); errors.Is(err, store.ErrNotFound) {
			return Result{}, &InputError{j.String() + " does not exist"}
		}
		users = append(users, j)
	}
	if len(users) == 0 {
		return Result{}, &InputError{"name at least one account"}
	}
	var done []string
	for _, j := range users {
		if err := a.Remove(ctx, j.String()); err != nil {
			return Result{}, err
		}
		done = append(done, j.String())
	}
	return Result{Note: "Deleted " + strings.Join(done, ", ")}, nil
}

func (a *Admin) changePassword(ctx context.Context, host string, _ jid.JID, f dataform.Form) (Result, error) {
	j, err := account1(f.Value("accountjid"), host)
	if err != nil {
		return Result{}, err
	}
	if err := a.password(f.Value("password")); err != nil {
		return Result{}, err
	}
	err = a.Accounts.SetPassword(ctx, j.String(), f.Value("password"))
	if errors.Is(err, account.ErrNotFound) {
		return Result{}, &InputError{j.String() + " does not exist"}
	}
	if err != nil {
		return Result{}, err
	}
	a.PasswordChanged(ctx, j.String())
	return Result{Note: "Changed the password of " + j.String() + "; its sessions were ended"}, nil
}

// online lists the accounts of host with a session, sorted.
func (a *Admin) online(host string) []string {
	seen := map[string]bool{}
	for _, s := range a.Router.Everyone() {
		j := s.JID()
		if j.Domain() == host {
			seen[j.Bare().String()] = true
		}
	}
	out := make([]string, 0, len(seen))
	for u := range seen {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

func (a *Admin) onlineUsers(_ context.Context, host string, _ jid.JID, _ dataform.Form) (Result, error) {
	users := a.online(host)
	return Result{Form: &dataform.Form{Fields: []dataform.Field{hidden(),
		{Var: "onlineuserjids", Type: "jid-multi", Label: "Online users", Values: users}}}}, nil
}

func (a *Admin) onlineUsersNum(_ context.Context, host string, _ jid.JID, _ dataform.Form) (Result, error) {
	return Result{Form: &dataform.Form{Fields: []dataform.Field{hidden(),
		{Var: "onlineusersnum", Label: "Number of online users", Values: []string{strconv.Itoa(len(a.online(host)))}}}}}, nil
}

func (a *Admin) registeredUsersNum(ctx context.Context, host string, _ jid.JID, _ dataform.Form) (Result, error) {
	users, err := a.Users.ListUsers(ctx, host)
	if err != nil {
		return Result{}, err
	}
	return Result{Form: &dataform.Form{Fields: []dataform.Field{hidden(),
		{Var: "registeredusersnum", Label: "Number of registered users", Values: []string{strconv.Itoa(len(users))}}}}}, nil
}

func (a *Admin) userStatistics(ctx context.Context, host string, _ jid.JID, f dataform.Form) (Result, error) {
	j, err := account1(f.Value("accountjid"), host)
	if err != nil {
		return Result{}, err
	}
	if _, err := a.Users.User(ctx, j.String()); errors.Is(err, store.ErrNotFound) {
		return Result{}, &InputError{j.String() + " does not exist"}
	}
	items, _, err := a.Rosters.Roster(ctx, j.String())
	if err != nil {
		return Result{}, err
	}
	var resources []string
	for _, r := range a.Router.Resources(j.String()) {
		resources = append(resources, r.Session.JID().String())
	}
	sort.Strings(resources)
	return Result{Form: &dataform.Form{Fields: []dataform.Field{hidden(),
		{Var: "accountjid", Type: "jid-single", Values: []string{j.String()}},
		{Var: "rostersize", Label: "Roster size", Values: []string{strconv.Itoa(len(items))}},
		{Var: "onlineresources", Type: "text-multi", Label: "Online resources", Values: resources},
	}}}, nil
}

func (a *Admin) announce(_ context.Context, host string, _ jid.JID, f dataform.Form) (Result, error) {
	body := strings.Join(f.Values("body"), "\n")
	if strings.TrimSpace(body) == "" {
		return Result{}, &InputError{"the announcement is empty"}
	}
	sent := 0
	for _, s := range a.Router.Everyone() {
		to := s.JID()
		if to.Domain() != host {
			continue
		}
		msg := stanza.NewMessage("headline", host, to.String(), body)
		if sub := strings.TrimSpace(f.Value("subject")); sub != "" {
			msg.AddChild(xml.NewElement(ns.Client, "subject").SetText(sub))
		}
		s.Deliver(msg)
		sent++
	}
	return Result{Note: "Sent to " + strconv.Itoa(sent) + " sessions"}, nil
}
