package configuration

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parley-im/parley/integration/auth"
)

// call is what one getConfiguration answers from: the caller and the
// moment.
type call struct {
	tok      auth.Token
	settings auth.Settings
	siteName string // the calling site's name; "" for a user
	base     *url.URL
	now      time.Time
}

// entry is one configuration entry of the directory (Table 3-12).
// value nil: the entry has no value by itself (a namespace).
type entry struct {
	name   string
	public bool
	value  func(s *Service, c *call) string
}

func str(v string) func(*Service, *call) string { return func(*Service, *call) string { return v } }
func boolStr(b bool) string                     { return strconv.FormatBool(b) }
func setting(name string) func(s *Service, c *call) string {
	return func(_ *Service, c *call) string { return boolStr(c.settings[name]) }
}

// services are the web services of the catalog: the seed's
// configuration directory lists four, Parley also publishes the
// Configuration and Reporting services (the seed allows new entries).
var services = []struct{ key, endpoint string }{
	{"authenticationservice", "AuthenticationService"},
	{"configurationservice", "ConfigurationService"},
	{"preconferenceservice", "PreConferenceService"},
	{"postconferenceservice", "PostConferenceService"},
	{"presenceservice", "PresenceService"},
	{"reportingservice", "ReportingService"},
}

// serviceVersions is what each service's versions entry lists.
const serviceVersions = "1.0"

// directory builds the whole configuration directory, in the seed's
// order.
func directory() []entry {
	d := []entry{
		{name: "rtc.application", public: true},
		{"rtc.application.admin_email", true, func(s *Service, _ *call) string { return s.cfg.Integration.AdminEmail }},
		{"rtc.application.auth_chat_enabled", false, setting(auth.SettingChat)},
		{"rtc.application.auth_presence_enabled", false, setting(auth.SettingPresence)},
		{"rtc.application.auth_proxy_enabled", false, setting(auth.SettingProxy)},
		{"rtc.application.auth_session_enabled", false, setting(auth.SettingSession)},
		{"rtc.application.conference_key_required", false, setting(auth.SettingConferenceKey)},
		{"rtc.application.current_server_time", true, func(_ *Service, c *call) string { return c.now.UTC().Format(time.RFC3339) }},
		{"rtc.application.early_join_minutes", true, func(s *Service, _ *call) string { return strconv.Itoa(s.cfg.Integration.EarlyJoinMinutes) }},
		{"rtc.application.guest_user_access_enabled", false, setting(auth.SettingGuestUserAcces)},
		{"rtc.application.im_nickname", false, func(s *Service, c *call) string {
			if c.tok.IsUser() {
				local, _, _ := strings.Cut(c.tok.EntityID, "@")
				return local
			}
			if c.siteName != "" {
				return c.siteName
			}
			return c.tok.EntityID
		}},
		{"rtc.application.im_suffix", false, func(s *Service, c *call) string { return "@" + s.imDomain(c) }},
		{"rtc.application.max_request_size", true, func(s *Service, _ *call) string { return strconv.Itoa(s.cfg.Integration.MaxRequestSize) }},
		{"rtc.application.max_response_size", true, func(s *Service, _ *call) string { return strconv.Itoa(s.cfg.Integration.MaxResponseSize) }},
		{"rtc.application.scheduling_access_enabled", false, setting(auth.SettingScheduling)},
		{"rtc.application.token_life", true, func(s *Service, _ *call) string { return strconv.FormatInt(int64(s.tokenLife()/time.Second), 10) }},
		{"rtc.application.version_identifier", false, func(s *Service, _ *call) string { return s.version }},
		{"rtc.application.im_domain", false, func(s *Service, c *call) string { return s.imDomain(c) }},
		{name: "rtc.servicecatalog", public: true},
		{"rtc.servicecatalog.service_home", true, func(s *Service, c *call) string { return s.home(c, false) }},
		{"rtc.servicecatalog.service_ssl_home", true, func(s *Service, c *call) string { return s.home(c, true) }},
	}
	for _, sv := range services {
		ns := "rtc.servicecatalog." + sv.key
		d = append(d,
			entry{name: ns, public: true},
			entry{ns + ".versions", true, str(serviceVersions)},
			entry{name: ns + ".url", public: true},
			entry{ns + ".url.endpoint", true, str(sv.endpoint)},
			entry{ns + ".url.wsdl", true, str(sv.endpoint + "?WSDL")},
		)
	}
	clients := func(s *Service) (addinV, addinURL, msgV, msgURL string) {
		i := s.cfg.Integration
		return i.ClientsAddinVersion, i.ClientsAddinURL, i.ClientsMessengerVersion, i.ClientsMessengerURL
	}
	d = append(d,
		entry{name: "rtc.clients", public: true},
		entry{name: "rtc.clients.addin", public: true},
		entry{name: "rtc.clients.addin.win32", public: true},
		entry{"rtc.clients.addin.win32.version", true, func(s *Service, _ *call) string { v, _, _, _ := clients(s); return v }},
		entry{"rtc.clients.addin.win32.url", true, func(s *Service, _ *call) string { _, u, _, _ := clients(s); return u }},
		entry{name: "rtc.clients.messenger", public: true},
		entry{name: "rtc.clients.messenger.win32", public: true},
		entry{"rtc.clients.messenger.win32.version", true, func(s *Service, _ *call) string { _, _, v, _ := clients(s); return v }},
		entry{"rtc.clients.messenger.win32.url", true, func(s *Service, _ *call) string { _, _, _, u := clients(s); return u }},
		entry{name: "rtc.clients.win32", public: true},
		entry{name: "rtc.clients.win32.addin", public: true},
		entry{"rtc.clients.win32.addin.version", true, func(s *Service, _ *call) string { v, _, _, _ := clients(s); return v }},
		entry{"rtc.clients.win32.addin.url", true, func(s *Service, _ *call) string { _, u, _, _ := clients(s); return u }},
		entry{name: "rtc.clients.win32.messenger", public: true},
		entry{"rtc.clients.win32.messenger.version", true, func(s *Service, _ *call) string { _, _, v, _ := clients(s); return v }},
		entry{"rtc.clients.win32.messenger.url", true, func(s *Service, _ *call) string { _, _, _, u := clients(s); return u }},
	)
	return d
}

// imDomain is the messenger domain of the caller: a user's own domain,
// else the server's first host.
func (s *Service) imDomain(c *call) string {
	if c.tok.IsUser() {
		if _, d, ok := strings.Cut(c.tok.EntityID, "@"); ok {
			return d
		}
	}
	if len(s.cfg.Hosts) > 0 {
		return s.cfg.Hosts[0]
	}
	return ""
}

// home is the web services home ("<scheme>://<host>/imtapp/ws/"):
// service_home is the home the caller reached (its plain home if it
// came over HTTP, the SSL home if over HTTPS, as the seed says for a
// deployment that requires SSL); service_ssl_home is the HTTPS home:
// the caller's if it came over HTTPS, else the same host on the port of
// http.tls_listen, or "" when there is no HTTPS listener.
func (s *Service) home(c *call, ssl bool) string {
	b := c.base
	if b == nil {
		b = s.defaultBase()
	}
	if !ssl || b.Scheme == "https" {
		return b.Scheme + "://" + b.Host + "/imtapp/ws/"
	}
	if s.cfg.HTTP.TLSListen == "" {
		return ""
	}
	host := b.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	_, port, err := net.SplitHostPort(s.cfg.HTTP.TLSListen)
	if err != nil {
		return ""
	}
	if port != "" && port != "443" {
		host += ":" + port
	}
	return "https://" + host + "/imtapp/ws/"
}

// defaultBase is the base URL when the caller gave none: the first
// host on the plain HTTP port (or HTTPS if that is the only one).
func (s *Service) defaultBase() *url.URL {
	host := "localhost"
	if len(s.cfg.Hosts) > 0 {
		host = s.cfg.Hosts[0]
	}
	scheme, listen := "http", s.cfg.HTTP.Listen
	if listen == "" {
		scheme, listen = "https", s.cfg.HTTP.TLSListen
	}
	if _, port, err := net.SplitHostPort(listen); err == nil && port != "" {
		if !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
			host += ":" + port
		}
	}
	return &url.URL{Scheme: scheme, Host: host}
}
