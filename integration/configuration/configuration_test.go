package configuration_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/account"
	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/integration/configuration"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/xmpp/sasl"
)

// table312 is every fullname of the seed's Table 3-12 (with the seed's
// stray space in two names), and whether it has a value.
var table312 = []struct {
	name   string
	valued bool
	public bool
}{
	{"rtc.application", false, true},
	{"rtc.application.admin_email", true, true},
	{"rtc.application.auth_chat_enabled", true, false},
	{"rtc.application.auth_presence_enabled", true, false},
	{"rtc.application.auth_proxy_enabled", true, false},
	{"rtc.application.auth_session_enabled", true, false},
	{"rtc.application.conference_key_required", true, false},
	{"rtc.application.current_server_time", true, true},
	{"rtc.application.early_join_minutes", true, true},
	{"rtc.application.guest_user_access_enabled", true, false},
	{"rtc.application.im_nickname", true, false},
	{"rtc.application.im_suffix", true, false},
	{"rtc.application.max_request_size", true, true},
	{"rtc.application.max_response_size", true, true},
	{"rtc.application.scheduling_access_enabled", true, false},
	{"rtc.application.token_life", true, true},
	{"rtc.application.version_identifier", true, false},
	{"rtc.application.im_domain", true, false},
	{"rtc.servicecatalog", false, true},
	{"rtc.servicecatalog.service_home", true, true},
	{"rtc.servicecatalog.service_ssl_home", true, true},
	{"rtc.servicecatalog.authenticationservice", false, true},
	{"rtc.servicecatalog.authenticationservice.versions", true, true},
	{"rtc.servicecatalog.authenticationservice.url", false, true},
	{"rtc.servicecatalog.authenticationservice.url.endpoint", true, true},
	{"rtc.servicecatalog.authenticationservice.url.wsdl", true, true},
	{"rtc.servicecatalog.preconferenceservice", false, true},
	{"rtc.servicecatalog.preconferenceservice.versions", true, true},
	{"rtc.servicecatalog.preconferenceservice.url", false, true},
	{"rtc.servicecatalog.preconferenceservice.url.endpoint", true, true},
	{"rtc.servicecatalog.preconferenceservice.url.wsdl", true, true},
	{"rtc.servicecatalog.presenceservice", false, true},
	{"rtc.servicecatalog.presenceservice.versions", true, true},
	{"rtc.servicecatalog.presenceservice.url", false, true},
	{"rtc.servicecatalog.presenceservice.url.endpoint", true, true},
	{"rtc.servicecatalog.presenceservice.url.wsdl", true, true},
	{"rtc.servicecatalog.postconferenceservice", false, true},
	{"rtc.servicecatalog.postconferenceservice.versions", true, true},
	{"rtc.servicecatalog.postconferenceservice.url", false, true},
	{"rtc.servicecatalog.postconferenceservice.url.endpoint", true, true},
	{"rtc.servicecatalog.postconferenceservice.url.wsdl", true, true},
	{"rtc.clients", false, true},
	{"rtc.clients.addin", false, true},
	{"rtc.clients.addin.win32", false, true},
	{"rtc.clients.addin.win32.version", true, true},
	{"rtc.clients.addin.win32.url", true, true},
	{"rtc.clients.messenger", false, true},
	{"rtc.clients.messenger.win32", false, true},
	{"rtc.clients.messenger.win32.version", true, true},
	{"rtc.clients.messenger.win32.url", true, true},
	{"rtc.clients.win32", false, true},
	{"rtc.clients.win32.addin", false, true},
	{"rtc.clients.win32.addin.version", true, true},
	{"rtc.clients.win32.addin.url", true, true},
	{"rtc.clients.win32.messenger", false, true},
	{"rtc.clients.win32. messenger.version", true, true},
	{"rtc.clients.win32. messenger.url", true, true},
}

type fixture struct {
	t       *testing.T
	ctx     context.Context
	now     time.Time
	st      *failingStore
	auth    *auth.Service
	svc     *configuration.Service
	siteTok string // site 12345 (PRESENCE, GUESTCHAT)
	userTok string // alice@example.com
}

// failingStore fails token lookups on demand (UNEXPECTED_ERROR).
type failingStore struct {
	*memory.Store
	fail bool
}

func (s *failingStore) Token(ctx context.Context, id int64) (store.Token, error) {
	if s.fail {
		return store.Token{}, errors.New("disk on fire")
	}
	return s.Store.Token(ctx, id)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), st: &failingStore{Store: memory.New()}}
	clock := func() time.Time { return f.now }
	cfg := config.Default()
	cfg.Hosts = []string{"example.com", "other.example"}
	cfg.HTTP.Listen = ":5280"
	cfg.HTTP.TLSListen = ":5281"
	cfg.Integration.AdminEmail = "admin@example.com"
	cfg.Integration.TokenLife = config.Duration{Duration: 30 * time.Minute}
	cfg.Integration.MaxRequestSize = 7
	cfg.Integration.MaxResponseSize = 9
	cfg.Integration.EarlyJoinMinutes = 12
	cfg.Integration.ClientsMessengerURL = "https://example.com/messenger"
	cfg.Integration.ClientsMessengerVersion = "2.1"
	var err error
	f.auth, err = auth.New(auth.Options{Store: f.st, TokenLife: cfg.Integration.TokenLife.Duration, Now: clock, DefaultDomain: "example.com"})
	must(t, err)
	f.svc = configuration.New(configuration.Options{Auth: f.auth, Config: cfg, Version: "1.2.3", Now: clock})
	_, key, err := f.auth.CreateSite(f.ctx, "12345", "Vision Corp", auth.SettingsForPolicies([]string{auth.PolicyPresence, auth.PolicyGuestChat}))
	must(t, err)
	obj, err := f.auth.CreateSession(f.ctx, "12345", key, "SITE")
	must(t, err)
	f.siteTok = obj.Token
	must(t, (&account.Manager{Users: f.st, Iterations: sasl.MinIterations}).Add(f.ctx, "alice@example.com", "pw"))
	obj, err = f.auth.CreateSession(f.ctx, "alice@example.com", "pw", "USER")
	must(t, err)
	f.userTok = obj.Token
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) get(base, entity, token, ns string, props ...string) configuration.GetConfigurationResponse {
	f.t.Helper()
	resp, err := f.svc.GetConfiguration(f.ctx, base, configuration.GetConfigurationRequest{EntityID: entity, EntityToken: token, Namespace: ns, Properties: props})
	must(f.t, err)
	return resp
}

// values maps the response's properties by name ("<null>" for null).
func values(t *testing.T, resp configuration.GetConfigurationResponse) map[string]string {
	t.Helper()
	if resp.StatusCode != integration.NoError {
		t.Fatalf("status %v (%s)", resp.StatusCode, resp.StatusMessage)
	}
	out := map[string]string{}
	for _, p := range resp.Properties {
		if p.Value == nil {
			out[p.Name] = "<null>"
		} else {
			out[p.Name] = *p.Value
		}
	}
	return out
}

// TestSeedExample: the seed's example entry by fullname and by two
// namespace/property splits.
func TestSeedExample(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ ns, prop string }{
		{"", "rtc.servicecatalog.authenticationservice.versions"},
		{"rtc.servicecatalog.authenticationservice", "versions"},
		{"rtc.servicecatalog", "authenticationservice.versions"},
		{"rtc", "servicecatalog.authenticationservice.versions"},
		{"rtc.servicecatalog.", "authenticationservice.versions"},
		{"rtc.servicecatalog", "rtc.servicecatalog.authenticationservice.versions"}, // a fullname within the namespace
		{"RTC.ServiceCatalog", "AuthenticationService.Versions"},
	} {
		resp := f.get("", "12345", f.siteTok, c.ns, c.prop)
		if got := values(t, resp)[c.prop]; got != "1.0" {
			t.Fatalf("namespace %q property %q = %q, want 1.0", c.ns, c.prop, got)
		}
		if resp.Namespace != c.ns || resp.StatusMessage != "NO_ERROR" || resp.StatusDetails != "" {
			t.Fatalf("response %+v", resp)
		}
	}
	resp := f.get("", "12345", f.siteTok, "rtc.application", "conference_key_required")
	if got := values(t, resp)["conference_key_required"]; got != "false" {
		t.Fatalf("rtc.application.conference_key_required = %q", got)
	}
}

// TestWholeDirectory: every entry of Table 3-12 answers, with a value
// or null as the table says.
func TestWholeDirectory(t *testing.T) {
	f := newFixture(t)
	var names []string
	for _, e := range table312 {
		names = append(names, e.name)
		if f.svc.Public(e.name) != e.public {
			t.Errorf("Public(%s) = %v, want %v", e.name, !e.public, e.public)
		}
	}
	for _, tok := range []struct{ entity, token string }{{"12345", f.siteTok}, {"alice@example.com", f.userTok}} {
		got := values(t, f.get("", tok.entity, tok.token, "", names...))
		if len(got) != len(table312) {
			t.Fatalf("%d properties for %d requested", len(got), len(table312))
		}
		for _, e := range table312 {
			v := got[e.name]
			if (v == "<null>") == e.valued {
				t.Errorf("%s for %s = %q, valued %v", e.name, tok.entity, v, e.valued)
			}
		}
	}
	if n := len(f.svc.Fullnames()); n < len(table312) {
		t.Fatalf("directory has %d entries, Table 3-12 %d", n, len(table312))
	}
}

func TestPublicValues(t *testing.T) {
	f := newFixture(t)
	got := values(t, f.get("", "12345", f.siteTok, "rtc.application",
		"admin_email", "current_server_time", "early_join_minutes", "max_request_size", "max_response_size", "token_life"))
	want := map[string]string{"admin_email": "admin@example.com", "current_server_time": "2026-05-01T10:00:00Z",
		"early_join_minutes": "12", "max_request_size": "7", "max_response_size": "9", "token_life": "1800"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	f.now = f.now.Add(90 * time.Second) // the time is live
	if got := values(t, f.get("", "12345", f.siteTok, "rtc.application", "current_server_time"))["current_server_time"]; got != "2026-05-01T10:01:30Z" {
		t.Fatalf("current_server_time = %s after 90 s", got)
	}
	got = values(t, f.get("", "12345", f.siteTok, "rtc.clients", "messenger.win32.url", "win32. messenger.version", "addin.win32.url"))
	if got["messenger.win32.url"] != "https://example.com/messenger" || got["win32. messenger.version"] != "2.1" || got["addin.win32.url"] != "" {
		t.Fatalf("clients %v", got)
	}
}

func TestServiceURLs(t *testing.T) {
	f := newFixture(t)
	props := []string{"service_home", "service_ssl_home", "authenticationservice.url.endpoint", "authenticationservice.url.wsdl",
		"presenceservice.url.endpoint", "preconferenceservice.url.wsdl", "postconferenceservice.url.endpoint", "configurationservice.url.endpoint"}
	got := values(t, f.get("http://rtc.example.com:8080", "12345", f.siteTok, "rtc.servicecatalog", props...))
	want := map[string]string{
		"service_home":                       "http://rtc.example.com:8080/imtapp/ws/",
		"service_ssl_home":                   "https://rtc.example.com:5281/imtapp/ws/",
		"authenticationservice.url.endpoint": "AuthenticationService",
		"authenticationservice.url.wsdl":     "AuthenticationService?WSDL",
		"presenceservice.url.endpoint":       "PresenceService",
		"preconferenceservice.url.wsdl":      "PreConferenceService?WSDL",
		"postconferenceservice.url.endpoint": "PostConferenceService",
		"configurationservice.url.endpoint":  "ConfigurationService",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	// Over HTTPS both homes are the HTTPS one.
	got = values(t, f.get("https://rtc.example.com", "12345", f.siteTok, "rtc.servicecatalog", "service_home", "service_ssl_home"))
	if got["service_home"] != "https://rtc.example.com/imtapp/ws/" || got["service_ssl_home"] != "https://rtc.example.com/imtapp/ws/" {
		t.Fatalf("https homes %v", got)
	}
	// No base URL: the first host on the configured port.
	got = values(t, f.get("", "12345", f.siteTok, "rtc.servicecatalog", "service_home"))
	if got["service_home"] != "http://example.com:5280/imtapp/ws/" {
		t.Fatalf("default home %q", got["service_home"])
	}
}

// TestEntityValues: non-public entries answer for the calling entity.
func TestEntityValues(t *testing.T) {
	f := newFixture(t)
	props := []string{"auth_presence_enabled", "auth_chat_enabled", "auth_proxy_enabled", "auth_session_enabled",
		"scheduling_access_enabled", "conference_key_required", "guest_user_access_enabled", "im_nickname", "im_domain", "im_suffix", "version_identifier"}
	site := values(t, f.get("", "12345", f.siteTok, "rtc.application", props...))
	wantSite := map[string]string{"auth_presence_enabled": "true", "auth_chat_enabled": "true", "auth_proxy_enabled": "false",
		"auth_session_enabled": "true", "scheduling_access_enabled": "false", "conference_key_required": "false",
		"guest_user_access_enabled": "true", "im_nickname": "Vision Corp", "im_domain": "example.com", "im_suffix": "@example.com", "version_identifier": "1.2.3"}
	user := values(t, f.get("", "alice", f.userTok, "rtc.application", props...))
	wantUser := map[string]string{"auth_presence_enabled": "true", "auth_chat_enabled": "false", "auth_proxy_enabled": "false",
		"auth_session_enabled": "true", "scheduling_access_enabled": "true", "conference_key_required": "false",
		"guest_user_access_enabled": "false", "im_nickname": "alice", "im_domain": "example.com", "im_suffix": "@example.com", "version_identifier": "1.2.3"}
	for k := range wantSite {
		if site[k] != wantSite[k] {
			t.Errorf("site %s = %q, want %q", k, site[k], wantSite[k])
		}
		if user[k] != wantUser[k] {
			t.Errorf("user %s = %q, want %q", k, user[k], wantUser[k])
		}
	}
	// A change to the site's settings shows at once.
	_, err := f.auth.UpdateSite(f.ctx, "12345", "", auth.Settings{auth.SettingConferenceKey: true, auth.SettingPresence: false})
	must(t, err)
	site = values(t, f.get("", "12345", f.siteTok, "rtc.application", "conference_key_required", "auth_presence_enabled"))
	if site["conference_key_required"] != "true" || site["auth_presence_enabled"] != "false" {
		t.Fatalf("after update %v", site)
	}
}

func TestUnknownAndListing(t *testing.T) {
	f := newFixture(t)
	resp := f.get("", "12345", f.siteTok, "rtc.application", "token_life", "no_such_thing", "")
	got := values(t, resp)
	if got["token_life"] != "1800" || got["no_such_thing"] != "<null>" || got[""] != "<null>" {
		t.Fatalf("values %v", got)
	}
	if !strings.Contains(resp.StatusDetails, "no_such_thing") {
		t.Fatalf("statusDetails %q does not name the unknown entry", resp.StatusDetails)
	}
	// No properties: every valued entry under the namespace.
	got = values(t, f.get("", "12345", f.siteTok, "rtc.servicecatalog.presenceservice"))
	want := map[string]string{"versions": "1.0", "url.endpoint": "PresenceService", "url.wsdl": "PresenceService?WSDL"}
	if len(got) != len(want) {
		t.Fatalf("listing %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("listing %v, want %v", got, want)
		}
	}
	all := values(t, f.get("", "12345", f.siteTok, ""))
	if all["rtc.application.token_life"] != "1800" || len(all) < 40 {
		t.Fatalf("whole listing has %d entries", len(all))
	}
	if _, ok := all["rtc.application"]; ok {
		t.Fatal("listing shows a valueless namespace")
	}
}

// TestStatusCodes: Table 3-16.
func TestStatusCodes(t *testing.T) {
	f := newFixture(t)
	ended, err := f.auth.RequestToken(f.ctx, "12345", f.siteTok, auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil)
	must(t, err)
	_, err = f.auth.EndSession(f.ctx, "12345", ended.Token)
	must(t, err)
	for _, c := range []struct {
		name, entity, token string
		want                integration.Status
	}{
		{"good site", "12345", f.siteTok, integration.NoError},
		{"good user", "alice@example.com", f.userTok, integration.NoError},
		{"no token", "12345", "", integration.NotAuthorized},
		{"garbage token", "12345", "garbage", integration.NotAuthorized},
		{"ended token", "12345", ended.Token, integration.NotAuthorized},
		{"wrong site", "999", f.siteTok, integration.InvalidSiteID},
		{"empty site", "", f.siteTok, integration.InvalidSiteID},
		{"wrong user", "bob@example.com", f.userTok, integration.NotAuthorized},
	} {
		resp := f.get("", c.entity, c.token, "rtc.application", "token_life")
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %v (%s), want %v", c.name, resp.StatusCode, resp.StatusMessage, c.want)
		}
		if c.want != integration.NoError && len(resp.Properties) != 0 {
			t.Errorf("%s: properties %v with an error", c.name, resp.Properties)
		}
	}
	// Expired.
	f.now = f.now.Add(31 * time.Minute)
	if resp := f.get("", "12345", f.siteTok, "rtc.application", "token_life"); resp.StatusCode != integration.NotAuthorized {
		t.Fatalf("expired token: %v", resp.StatusCode)
	}
	f.now = f.now.Add(-31 * time.Minute)
	// Storage failing.
	f.st.fail = true
	resp := f.get("", "12345", f.siteTok, "rtc.application", "token_life")
	if resp.StatusCode != integration.UnexpectedError || strings.Contains(resp.StatusMessage, "fire") {
		t.Fatalf("store failure: %v %q", resp.StatusCode, resp.StatusMessage)
	}
	f.st.fail = false
	// The site deleted after the token was issued.
	must(t, f.auth.DeleteSite(f.ctx, "12345"))
	if resp := f.get("", "12345", f.siteTok, "rtc.application", "token_life"); resp.StatusCode != integration.NotAuthorized {
		t.Fatalf("deleted site: %v", resp.StatusCode)
	}
}
