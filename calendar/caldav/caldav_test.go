package caldav

import "testing"

func TestHome(t *testing.T) {
	for home, want := range map[string]string{
		"/{local}/":                "/alice/",
		"/dav/{domain}/{local}/":   "/dav/example.com/alice/",
		"/calendars/{user}/":       "/calendars/alice@example.com/",
		"/remote.php/dav/{local}/": "/remote.php/dav/alice/",
	} {
		p := New(Config{URL: "http://127.0.0.1:5232/", Home: home})
		if got := p.home("alice@example.com"); got != want {
			t.Errorf("%s: %s, want %s", home, got, want)
		}
	}
	if !contains([]string{"VEVENT", "vtodo"}, "VTODO") || contains(nil, "VEVENT") {
		t.Fatal("contains")
	}
}
