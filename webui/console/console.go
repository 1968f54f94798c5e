// Package console is the admin console: pages under /admin/ for the
// accounts listed in the admins setting (webui/session checks it at
// every request).
//
//	/admin/              server statistics of the last hour (connections,
//	                     messages/s, logins/s: the counters of /metrics)
//	/admin/users         accounts: add, remove, reset a password
//	/admin/sessions      sessions online: kick
//	/admin/sites         integrating sites: create, rotate the key
//	/admin/groups        live-help support groups and their members
//	/admin/rooms         persistent conference rooms: create, destroy
//	/admin/conferences   web conferences: end
//
// Every action is a CSRF-protected form POST answered with a redirect
// (post/redirect/get), except those that show a secret once (a site's
// new key), and calls the same code as the command line: package manage
// (accounts, sessions, rooms, ending a conference), integration/auth
// (sites), livehelp.Groups (groups). Each action is logged with the
// administrator who took it.
package console

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/im/muc"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/livehelp"
	"github.com/parley-im/parley/manage"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/web/pages"
	"github.com/parley-im/parley/webui"
	"github.com/parley-im/parley/webui/session"
)

//go:embed templates assets
var files embed.FS

// Config configures the console.
type Config struct {
	Pages    *pages.Pages
	Sessions *session.Manager
	// Accounts, Online and Rooms are the running server's (with its
	// hooks: a removed account's sessions end, a destroyed room's
	// occupants are told).
	Accounts *manage.Accounts
	Online   manage.Sessions
	Rooms    manage.Rooms
	// Sites is the Authentication service; nil when the integration
	// services are off.
	Sites *auth.Service
	// Groups manages support groups.
	Groups livehelp.Groups
	// Conferences is the running conference manager; nil when
	// conferences are off.
	Conferences *conference.Manager
	Stats       *Stats
	Hosts       []string
	Logger      *slog.Logger
}

// Handler serves the console.
type Handler struct {
	cfg  Config
	p    *pages.Pages
	s    *session.Manager
	log  *slog.Logger
	tmpl map[string]*pages.Template
}

var pageNames = []string{"home", "users", "confirm", "sessions", "sites", "groups", "rooms", "conferences"}

// New parses the templates.
func New(cfg Config) (*Handler, error) {
	h := &Handler{cfg: cfg, p: cfg.Pages, s: cfg.Sessions, log: cfg.Logger, tmpl: make(map[string]*pages.Template)}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.log = h.log.With("component", "console")
	if err := webui.AddAssets(h.p); err != nil {
		return nil, err
	}
	assets, err := fs.Sub(files, "assets")
	if err != nil {
		return nil, err
	}
	if err := h.p.AddAssets("console", assets); err != nil {
		return nil, err
	}
	for _, name := range pageNames {
		t, err := h.p.Parse(files, "templates/"+name+".html", "templates/nav.html")
		if err != nil {
			return nil, err
		}
		h.tmpl[name] = t
	}
	return h, nil
}

type action = func(http.ResponseWriter, *http.Request, session.Session)

// Register mounts the console on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	get := func(path string, fn action) { mux.Handle("GET "+path, h.s.RequireAdmin(fn)) }
	post := func(path string, fn action) { mux.Handle("POST "+path, h.p.Protect(16<<10, h.s.RequireAdmin(fn))) }
	mux.Handle("GET /admin", http.RedirectHandler("/admin/", http.StatusMovedPermanently))
	get("/admin/{$}", h.home)
	get("/admin/stats.json", h.statsJSON)
	get("/admin/users", h.users)
	post("/admin/users/add", h.addUser)
	post("/admin/users/password", h.resetPassword)
	get("/admin/users/remove", h.confirmRemoveUser)
	post("/admin/users/remove", h.removeUser)
	get("/admin/sessions", h.sessions)
	post("/admin/sessions/kick", h.kick)
	get("/admin/sites", h.sites)
	post("/admin/sites/create", h.createSite)
	get("/admin/sites/rotate", h.confirmRotate)
	post("/admin/sites/rotate", h.rotate)
	get("/admin/groups", h.groups)
	post("/admin/groups/add", h.addGroup)
	post("/admin/groups/add-member", h.addMember)
	post("/admin/groups/remove-member", h.removeMember)
	get("/admin/groups/remove", h.confirmRemoveGroup)
	post("/admin/groups/remove", h.removeGroup)
	get("/admin/rooms", h.rooms)
	post("/admin/rooms/create", h.createRoom)
	get("/admin/rooms/destroy", h.confirmDestroyRoom)
	post("/admin/rooms/destroy", h.destroyRoom)
	get("/admin/conferences", h.conferences)
	get("/admin/conferences/end", h.confirmEndConference)
	post("/admin/conferences/end", h.endConference)
}

// NavLink is one tab.
type NavLink struct {
	Text, Href string
	Current    bool
}

var tabs = []NavLink{
	{Text: "Server", Href: "/admin/"}, {Text: "Accounts", Href: "/admin/users"}, {Text: "Sessions", Href: "/admin/sessions"},
	{Text: "Sites", Href: "/admin/sites"}, {Text: "Support groups", Href: "/admin/groups"}, {Text: "Rooms", Href: "/admin/rooms"},
	{Text: "Conferences", Href: "/admin/conferences"},
}

type data struct {
	User    string
	Domain  string
	Nav     []NavLink
	Flash   string
	Problem string
	Page    any
}

// flash texts are built by the actions and passed in the redirect's
// query (msg); they never contain a secret. What a page shows is escaped
// by the templates, so a crafted link can only show a harmless text.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, s session.Session, name, title, current string, status int, page any, problem string, scripts []string) {
	nav := make([]NavLink, len(tabs))
	copy(nav, tabs)
	for i := range nav {
		nav[i].Current = nav[i].Href == current
	}
	d := data{User: s.User, Nav: nav, Flash: oneLine(r.URL.Query().Get("msg"), 300), Problem: problem, Page: page}
	if len(h.cfg.Hosts) > 0 {
		d.Domain = h.cfg.Hosts[0]
	}
	h.p.Render(w, r, h.tmpl[name], status, pages.View{Title: title + " · Admin", Class: "console", Scripts: scripts, Data: d})
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max])
	}
	return s
}

// back redirects to path with a message.
func back(w http.ResponseWriter, r *http.Request, path, msg string) {
	http.Redirect(w, r, path+"?msg="+url.QueryEscape(msg), http.StatusSeeOther)
}

// problem shows path's page again with what went wrong (a 4xx).
func (h *Handler) problem(w http.ResponseWriter, r *http.Request, s session.Session, render func(w http.ResponseWriter, r *http.Request, s session.Session, status int, problem string), status int, err error) {
	msg := err.Error()
	for _, p := range []string{"account: ", "livehelp: ", "auth: ", "muc: ", "manage: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	render(w, r, s, status, strings.ToUpper(msg[:1])+msg[1:]+".")
}

// status is the HTTP status of an action's error.
func status(err error) int {
	switch {
	case errors.Is(err, manage.ErrNotFound), errors.Is(err, account.ErrNotFound), errors.Is(err, store.ErrNotFound),
		errors.Is(err, auth.ErrSiteNotFound), errors.Is(err, livehelp.ErrNoGroup), errors.Is(err, livehelp.ErrNoUser), errors.Is(err, livehelp.ErrNotMember):
		return http.StatusNotFound
	case errors.Is(err, manage.ErrExists), errors.Is(err, account.ErrExists), errors.Is(err, livehelp.ErrGroupExists):
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// ---- server ----

type homeView struct {
	Users, Sessions, Rooms int
	Interval               string
	Charts                 []Chart
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, s session.Session) {
	v := homeView{Sessions: len(h.cfg.Online.List(""))}
	if users, err := h.cfg.Accounts.List(r.Context(), ""); err == nil {
		v.Users = len(users)
	}
	if rooms, err := h.cfg.Rooms.List(r.Context(), ""); err == nil {
		v.Rooms = len(rooms)
	}
	if h.cfg.Stats != nil {
		v.Interval = h.cfg.Stats.Interval().String()
		v.Charts = charts(h.cfg.Stats.Points(), h.cfg.Stats.keep)
	}
	h.render(w, r, s, "home", "Server", "/admin/", http.StatusOK, v, "", []string{"/assets/console/stats.js"})
}

// statsJSON is the charts' data, for the page to redraw them.
func (h *Handler) statsJSON(w http.ResponseWriter, r *http.Request, _ session.Session) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	out := struct {
		Interval float64 `json:"interval_s"`
		Charts   []Chart `json:"charts"`
		Points   []Point `json:"points"`
	}{}
	if h.cfg.Stats != nil {
		out.Interval = h.cfg.Stats.Interval().Seconds()
		out.Points = h.cfg.Stats.Points()
		out.Charts = charts(out.Points, h.cfg.Stats.keep)
	}
	json.NewEncoder(w).Encode(out)
}

// ---- users ----

type userRow struct {
	JID    string
	Online int
}

type usersView struct {
	Query        string
	Users        []userRow
	Shown, Total int
}

const maxListed = 200

func (h *Handler) users(w http.ResponseWriter, r *http.Request, s session.Session) {
	h.renderUsers(w, r, s, http.StatusOK, "")
}

func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, s session.Session, code int, problem string) {
	all, err := h.cfg.Accounts.List(r.Context(), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	v := usersView{Query: q, Total: len(all)}
	for _, u := range all {
		if q != "" && !strings.Contains(u, q) {
			continue
		}
		if len(v.Users) == maxListed {
			break
		}
		v.Users = append(v.Users, userRow{JID: u, Online: len(h.cfg.Online.List(u))})
	}
	v.Shown = len(v.Users)
	h.render(w, r, s, "users", "Accounts", "/admin/users", code, v, problem, nil)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("console", "path", r.URL.Path, "err", err)
	h.p.Error(w, r, http.StatusInternalServerError, "Something went wrong", "The action could not be completed. The server's log says why.",
		pages.Link{Text: "Admin console", Href: "/admin/"})
}

func (h *Handler) addUser(w http.ResponseWriter, r *http.Request, s session.Session) {
	user, err := h.cfg.Accounts.Add(r.Context(), r.PostFormValue("address"), r.PostFormValue("password"))
	if err != nil {
		h.problem(w, r, s, h.renderUsers, status(err), err)
		return
	}
	h.log.Info("account added", "admin", s.User, "user", user)
	back(w, r, "/admin/users", "Created "+user+".")
}

func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request, s session.Session) {
	user, err := h.cfg.Accounts.SetPassword(r.Context(), r.PostFormValue("address"), r.PostFormValue("password"))
	if err != nil {
		h.problem(w, r, s, h.renderUsers, status(err), err)
		return
	}
	h.log.Info("password reset", "admin", s.User, "user", user)
	back(w, r, "/admin/users", "The password of "+user+" is changed; its sessions, tokens and web sign-ins ended.")
}

// confirmView is a confirmation page of a destructive action.
type confirmView struct {
	Title, Text, Action, Button, Back string
	Fields                            map[string]string
	Reason                            bool
}

func (h *Handler) confirm(w http.ResponseWriter, r *http.Request, s session.Session, current string, v confirmView) {
	h.render(w, r, s, "confirm", v.Title, current, http.StatusOK, v, "", nil)
}

func (h *Handler) confirmRemoveUser(w http.ResponseWriter, r *http.Request, s session.Session) {
	user := r.URL.Query().Get("address")
	h.confirm(w, r, s, "/admin/users", confirmView{Title: "Remove " + user + "?",
		Text:   "The account, its contacts, stored messages, vCard, files and everything else it owns are deleted, and its sessions end. This cannot be undone.",
		Action: "/admin/users/remove", Button: "Remove the account", Back: "/admin/users", Fields: map[string]string{"address": user}})
}

func (h *Handler) removeUser(w http.ResponseWriter, r *http.Request, s session.Session) {
	user, err := h.cfg.Accounts.Remove(r.Context(), r.PostFormValue("address"))
	if err != nil {
		h.problem(w, r, s, h.renderUsers, status(err), err)
		return
	}
	h.log.Info("account removed", "admin", s.User, "user", user)
	back(w, r, "/admin/users", "Removed "+user+".")
}

// ---- sessions ----

type sessionRow struct {
	JID, Presence, Remote, Since string
	Secure                       bool
}

func (h *Handler) sessions(w http.ResponseWriter, r *http.Request, s session.Session) {
	h.renderSessions(w, r, s, http.StatusOK, "")
}

func (h *Handler) renderSessions(w http.ResponseWriter, r *http.Request, s session.Session, code int, problem string) {
	rows := []sessionRow{}
	for _, x := range h.cfg.Online.List("") {
		p := "(no presence yet)"
		if x.Available {
			p = "available"
			if x.Show != "" {
				p = x.Show
			}
			if x.Status != "" {
				p += " · " + x.Status
			}
		}
		since := ""
		if !x.Connected.IsZero() {
			since = x.Connected.UTC().Format("2006-01-02 15:04:05")
		}
		rows = append(rows, sessionRow{JID: x.JID, Presence: p, Remote: x.Remote, Secure: x.Secure, Since: since})
	}
	h.render(w, r, s, "sessions", "Sessions", "/admin/sessions", code, rows, problem, nil)
}

func (h *Handler) kick(w http.ResponseWriter, r *http.Request, s session.Session) {
	ended, err := h.cfg.Online.Kick(r.PostFormValue("jid"), "ended by an administrator")
	if err != nil {
		h.problem(w, r, s, h.renderSessions, status(err), err)
		return
	}
	h.log.Info("sessions kicked", "admin", s.User, "sessions", ended)
	back(w, r, "/admin/sessions", "Ended "+strings.Join(ended, ", ")+".")
}

// ---- sites ----

type siteRow struct{ ID, Name, Allowed string }

type newKey struct{ Site, Key string }

type sitesView struct {
	Off      bool
	Sites    []siteRow
	Policies []string
	NewKey   *newKey
}

func (h *Handler) sites(w http.ResponseWriter, r *http.Request, s session.Session) {
	h.renderSites(w, r, s, http.StatusOK, "", nil)
}

func (h *Handler) renderSites(w http.ResponseWriter, r *http.Request, s session.Session, code int, problem string, key *newKey) {
	v := sitesView{Off: h.cfg.Sites == nil, NewKey: key}
	if h.cfg.Sites != nil {
		list, err := h.cfg.Sites.ListSites(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, st := range list {
			var allowed []string
			for _, p := range auth.Policies {
				if st.Settings.Authorizes(p) {
					allowed = append(allowed, p)
				}
			}
			v.Sites = append(v.Sites, siteRow{ID: st.ID, Name: st.Name, Allowed: strings.Join(allowed, ", ")})
		}
		v.Policies = slices.DeleteFunc(slices.Clone(auth.Policies), func(p string) bool { return p == auth.PolicySession })
	}
	h.render(w, r, s, "sites", "Sites", "/admin/sites", code, v, problem, nil)
}

func (h *Handler) createSite(w http.ResponseWriter, r *http.Request, s session.Session) {
	if h.cfg.Sites == nil {
		h.renderSites(w, r, s, http.StatusNotFound, "The integration services are off.", nil)
		return
	}
	name := oneLine(r.PostFormValue("name"), 200)
	if name == "" {
		h.renderSites(w, r, s, http.StatusBadRequest, "Give the site a name.", nil)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.renderSites(w, r, s, http.StatusBadRequest, "The form could not be read.", nil)
		return
	}
	policies := r.PostForm["policy"]
	for _, p := range policies {
		if !slices.Contains(auth.Policies, p) {
			h.renderSites(w, r, s, http.StatusBadRequest, "Unknown policy "+p+".", nil)
			return
		}
	}
	site, key, err := h.cfg.Sites.CreateSite(r.Context(), "", name, auth.SettingsForPolicies(policies))
	if err != nil {
		h.problem(w, r, s, func(w http.ResponseWriter, r *http.Request, s session.Session, code int, p string) {
			h.renderSites(w, r, s, code, p, nil)
		}, status(err), err)
		return
	}
	h.log.Info("site created", "admin", s.User, "site", site.ID, "policies", policies)
	// The key is shown in this answer only (no-store), never redirected
	// to a URL.
	h.renderSites(w, r, s, http.StatusOK, "", &newKey{Site: site.ID, Key: key})
}

func (h *Handler) confirmRotate(w http.ResponseWriter, r *http.Request, s session.Session) {
	id := r.URL.Query().Get("site")
	h.confirm(w, r, s, "/admin/sites", confirmView{Title: "New key for site " + id + "?",
		Text:   "The site's current key stops working at once and every token issued to the site ends; the site needs the new key, shown once on the next page.",
		Action: "/admin/sites/rotate", Button: "Make a new key", Back: "/admin/sites", Fields: map[string]string{"site": id}})
}

func (h *Handler) rotate(w http.ResponseWriter, r *http.Request, s session.Session) {
	if h.cfg.Sites == nil {
		h.renderSites(w, r, s, http.StatusNotFound, "The integration services are off.", nil)
		return
	}
	id := r.PostFormValue("site")
	key, err := h.cfg.Sites.RotateKey(r.Context(), id)
	if err != nil {
		h.problem(w, r, s, func(w http.ResponseWriter, r *http.Request, s session.Session, code int, p string) {
			h.renderSites(w, r, s, code, p, nil)
		}, status(err), err)
		return
	}
	h.log.Info("site key rotated", "admin", s.User, "site", id)
	h.renderSites(w, r, s, http.StatusOK, "", &newKey{Site: id, Key: key})
}

// ---- support groups ----

type memberRow struct{ Group, JID, Role string }

type groupRow struct {
	JID, Name string
	Members   []memberRow
}

type groupsView struct {
	Domain string
	Groups []groupRow
}

func (h *Handler) groups(w http.ResponseWriter, r *http.Request, s session.Session) {
	h.renderGroups(w, r, s, http.StatusOK, "")
}

func (h *Handler) renderGroups(w http.ResponseWriter, r *http.Request, s session.Session, code int, problem string) {
	ctx := r.Context()
	v := groupsView{}
	if len(h.cfg.Hosts) > 0 {
		sub := h.cfg.Groups.GroupsSubdomain
		if sub == "" {
			sub = "groups"
		}
		v.Domain = sub + "." + h.cfg.Hosts[0]
	}
	list, err := h.cfg.Groups.List(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, g := range list {
		row := groupRow{JID: g.JID, Name: g.Name}
		members, err := h.cfg.Groups.Members(ctx, g.JID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, m := range members {
			row.Members = append(row.Members, memberRow{Group: g.JID, JID: m.JID, Role: m.Role})
		}
		v.Groups = append(v.Groups, row)
	}
	h.render(w, r, s, "groups", "Support groups", "/admin/groups", code, v, problem, nil)
}

func (h *Handler) addGroup(w http.ResponseWriter, r *http.Request, s session.Session) {
	var o livehelp.GroupOptions
	if name := oneLine(r.PostFormValue("name"), 100); name != "" {
		o.Name = &name
	}
	g, err := h.cfg.Groups.Add(r.Context(), r.PostFormValue("group"), o)
	if err != nil {
		h.problem(w, r, s, h.renderGroups, status(err), err)
		return
	}
	h.log.Info("support group added", "admin", s.User, "group", g.JID)
	back(w, r, "/admin/groups", "Created group "+g.JID+".")
}

func (h *Handler) addMember(w http.ResponseWriter, r *http.Request, s session.Session) {
	role := store.RoleAgent
	if r.PostFormValue("role") == "supervisor" {
		role = store.RoleSupervisor
	}
	group, user := r.PostFormValue("group"), strings.TrimSpace(r.PostFormValue("user"))
	if err := h.cfg.Groups.AddMember(r.Context(), group, user, role); err != nil {
		h.problem(w, r, s, h.renderGroups, status(err), err)
		return
	}
	h.log.Info("support group member added", "admin", s.User, "group", group, "user", user, "role", role)
	back(w, r, "/admin/groups", "Added "+user+" to "+group+" as "+role+".")
}

func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request, s session.Session) {
	group, user := r.PostFormValue("group"), r.PostFormValue("user")
	if err := h.cfg.Groups.RemoveMember(r.Context(), group, user); err != nil {
		h.problem(w, r, s, h.renderGroups, status(err), err)
		return
	}
	h.log.Info("support group member removed", "admin", s.User, "group", group, "user", user)
	back(w, r, "/admin/groups", "Removed "+user+" from "+group+".")
}

func (h *Handler) confirmRemoveGroup(w http.ResponseWriter, r *http.Request, s session.Session) {
	g := r.URL.Query().Get("group")
	h.confirm(w, r, s, "/admin/groups", confirmView{Title: "Remove the group " + g + "?",
		Text:   "Visitors can no longer reach it; its transcripts stay.",
		Action: "/admin/groups/remove", Button: "Remove the group", Back: "/admin/groups", Fields: map[string]string{"group": g}})
}

func (h *Handler) removeGroup(w http.ResponseWriter, r *http.Request, s session.Session) {
	g := r.PostFormValue("group")
	if err := h.cfg.Groups.Remove(r.Context(), g); err != nil {
		h.problem(w, r, s, h.renderGroups, status(err), err)
		return
	}
	h.log.Info("support group removed", "admin", s.User, "group", g)
	back(w, r, "/admin/groups", "Removed group "+g+".")
}

// ---- rooms ----

type roomRow struct{ JID, Name, Owners, Flags string }

type roomsView struct {
	Service string
	Rooms   []roomRow
}

func (h *Handler) rooms(w http.ResponseWriter, r *http.Request, s session.Session) {
	h.renderRooms(w, r, s, http.StatusOK, "")
}

func (h *Handler) renderRooms(w http.ResponseWriter, r *http.Request, s session.Session, code int, problem string) {
	list, err := h.cfg.Rooms.List(r.Context(), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := roomsView{}
	if svcs := h.cfg.Rooms.Services(); len(svcs) > 0 {
		v.Service = svcs[0]
	}
	for _, room := range list {
		row := roomRow{JID: room.JID, Owners: strings.Join(room.Owners, ", "), Flags: strings.Join(room.Flags, ", ")}
		if room.Err != nil {
			row.Name = "(unreadable)"
		} else {
			row.Name = room.Info.Config.Name
		}
		v.Rooms = append(v.Rooms, row)
	}
	h.render(w, r, s, "rooms", "Rooms", "/admin/rooms", code, v, problem, nil)
}

func (h *Handler) createRoom(w http.ResponseWriter, r *http.Request, s session.Session) {
	o := muc.RoomOptions{Name: oneLine(r.PostFormValue("name"), 200), Public: r.PostFormValue("public") == "on",
		MembersOnly: r.PostFormValue("members_only") == "on", Archive: true, HistoryLength: -1}
	if owner := strings.TrimSpace(r.PostFormValue("owner")); owner != "" {
		o.Owners = []string{owner}
	}
	room, err := h.cfg.Rooms.Create(r.Context(), r.PostFormValue("room"), o)
	if err != nil {
		h.problem(w, r, s, h.renderRooms, status(err), err)
		return
	}
	h.log.Info("room created", "admin", s.User, "room", room.String())
	back(w, r, "/admin/rooms", "Created "+room.String()+".")
}

func (h *Handler) confirmDestroyRoom(w http.ResponseWriter, r *http.Request, s session.Session) {
	room := r.URL.Query().Get("room")
	h.confirm(w, r, s, "/admin/rooms", confirmView{Title: "Destroy " + room + "?",
		Text:   "Its occupants are told and leave, and the room and its archive are deleted. This cannot be undone.",
		Action: "/admin/rooms/destroy", Button: "Destroy the room", Back: "/admin/rooms", Fields: map[string]string{"room": room}, Reason: true})
}

func (h *Handler) destroyRoom(w http.ResponseWriter, r *http.Request, s session.Session) {
	room, err := h.cfg.Rooms.Destroy(r.Context(), r.PostFormValue("room"), oneLine(r.PostFormValue("reason"), 200))
	if err != nil {
		h.problem(w, r, s, h.renderRooms, status(err), err)
		return
	}
	h.log.Info("room destroyed", "admin", s.User, "room", room.String())
	back(w, r, "/admin/rooms", "Destroyed "+room.String()+".")
}

// ---- conferences ----

type conferenceRow struct {
	ID, Title, Start, Status, State string
	Open                            bool
}

type conferencesView struct {
	Off         bool
	Conferences []conferenceRow
}

func (h *Handler) conferences(w http.ResponseWriter, r *http.Request, s session.Session) {
	h.renderConferences(w, r, s, http.StatusOK, "")
}

func (h *Handler) renderConferences(w http.ResponseWriter, r *http.Request, s session.Session, code int, problem string) {
	v := conferencesView{Off: h.cfg.Conferences == nil}
	if m := h.cfg.Conferences; m != nil {
		list, err := m.List(r.Context(), store.ConferenceQuery{})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		now := time.Now()
		for _, c := range list {
			st, _ := conference.Status(c, now, m.EarlyJoin())
			v.Conferences = append(v.Conferences, conferenceRow{ID: c.ID, Title: c.Title, Start: c.StartAt.UTC().Format("2006-01-02 15:04"),
				Status: st, State: c.State, Open: c.State != store.ConferenceEnded})
		}
	}
	h.render(w, r, s, "conferences", "Conferences", "/admin/conferences", code, v, problem, nil)
}

func (h *Handler) confirmEndConference(w http.ResponseWriter, r *http.Request, s session.Session) {
	id := r.URL.Query().Get("id")
	h.confirm(w, r, s, "/admin/conferences", confirmView{Title: "End conference " + id + "?",
		Text:   "Everyone in it is let out and its room is closed (as FORCED). Its attendance and timeline stay.",
		Action: "/admin/conferences/end", Button: "End the conference", Back: "/admin/conferences", Fields: map[string]string{"id": id}})
}

func (h *Handler) endConference(w http.ResponseWriter, r *http.Request, s session.Session) {
	if h.cfg.Conferences == nil {
		h.renderConferences(w, r, s, http.StatusNotFound, "Web conferences are off.")
		return
	}
	c, err := manage.EndConference(r.Context(), h.cfg.Conferences, r.PostFormValue("id"))
	if err != nil {
		h.problem(w, r, s, h.renderConferences, status(err), err)
		return
	}
	h.log.Info("conference ended", "admin", s.User, "conference", c.ID)
	back(w, r, "/admin/conferences", "Ended conference "+c.ID+".")
}
