package conferencing

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
)

type instantResult struct {
	status   int
	ctype    string
	location string
	body     string
}

func (f *fixture) instant(t *testing.T, query url.Values) instantResult {
	t.Helper()
	srv := httptest.NewServer(f.svc.InstantHandler(func(*http.Request) string { return base }))
	defer srv.Close()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(srv.URL + InstantPath + "?" + query.Encode())
	must(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return instantResult{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Location"), string(body)}
}

func xmlin(fields map[string]string) string {
	var b strings.Builder
	b.WriteString("<instantMtgReq>")
	for k, v := range fields {
		b.WriteString("<" + k + ">")
		xml.EscapeText(&b, []byte(v))
		b.WriteString("</" + k + ">")
	}
	b.WriteString("</instantMtgReq>")
	return b.String()
}

// The Instant Conference URL service: an XML answer (meetingResp) with
// the conference's ID and playback URL; a redirect to the host's join
// URL with returnType text; errors as errorMsg documents or pages.
func TestInstantMeeting(t *testing.T) {
	f := newFixture(t)
	tok := f.token(f.site, f.siteKey, auth.PolicyPreconference)
	r := f.instant(t, url.Values{"operation": {"instantMeeting"}, "xmlin": {xmlin(map[string]string{
		"siteid": f.site, "token": tok, "meetingTitle": "Quick sync", "password": "k3y", "returnType": "XML",
		"hostExitURL": "https://example.com/bye"})}})
	if r.status != 200 || !strings.HasPrefix(r.ctype, "text/xml") {
		t.Fatalf("XML: %d %s %s", r.status, r.ctype, r.body)
	}
	var resp struct {
		XMLName     xml.Name `xml:"meetingResp"`
		Code        int      `xml:"responseCode"`
		ID          string   `xml:"mtgId"`
		PlaybackURL string   `xml:"playbackURL"`
		HostURL     string   `xml:"hostURL"`
	}
	must(t, xml.Unmarshal([]byte(r.body), &resp))
	if resp.Code != 0 || resp.ID == "" || !strings.HasPrefix(resp.PlaybackURL, base+"/conference/"+resp.ID+"/playback#t=") ||
		!strings.HasPrefix(resp.HostURL, base+"/conference/"+resp.ID+"#key=1_") {
		t.Fatalf("meetingResp: %+v", resp)
	}
	c, err := f.conf.Lookup(f.ctx, resp.ID)
	if err != nil || !c.Instant || c.Title != "Quick sync" || c.Key != "k3y" || c.Type != "REGULAR" || !c.StartAt.Equal(t0) || c.SiteID != f.site ||
		c.URLs.HostExit != "https://example.com/bye" {
		t.Fatalf("the instant conference: %+v %v", c, err)
	}

	// returnType text: a redirect to the host's join URL; the default is
	// XML; the token may come as a URL parameter.
	r = f.instant(t, url.Values{"operation": {"instantMeeting"}, "token": {tok},
		"xmlin": {xmlin(map[string]string{"siteid": f.site, "returnType": "text", "meetingType": "REGISTERED"})}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, base+"/conference/") || !strings.Contains(r.location, "#key=1_") {
		t.Fatalf("text: %d %q", r.status, r.location)
	}
	r = f.instant(t, url.Values{"operation": {"instantMeeting"}, "xmlin": {xmlin(map[string]string{"siteid": f.site, "token": tok})}})
	if r.status != 200 || !strings.Contains(r.body, "<meetingResp>") {
		t.Fatalf("default return type: %d %s", r.status, r.body)
	}

	for _, tc := range []struct {
		name   string
		q      url.Values
		status int
		code   integration.Status
	}{
		{"no xmlin", url.Values{"operation": {"instantMeeting"}}, 400, integration.ServiceInputError},
		{"malformed xmlin", url.Values{"operation": {"instantMeeting"}, "xmlin": {"<instantMtgReq><siteid>"}}, 400, integration.ServiceInputError},
		{"another operation", url.Values{"operation": {"scheduleMeeting"}, "xmlin": {xmlin(map[string]string{"siteid": f.site, "token": tok})}}, 400, integration.ServiceInputError},
		{"a bad returnType", url.Values{"operation": {"instantMeeting"}, "xmlin": {xmlin(map[string]string{"siteid": f.site, "token": tok, "returnType": "JSON"})}}, 400, integration.ServiceInputError},
		{"no siteid", url.Values{"operation": {"instantMeeting"}, "xmlin": {xmlin(map[string]string{"token": tok})}}, 403, integration.InvalidSiteID},
		{"another site's id", url.Values{"operation": {"instantMeeting"}, "xmlin": {xmlin(map[string]string{"siteid": f.otherSite, "token": tok})}}, 403, integration.InvalidSiteID},
		{"no token", url.Values{"operation": {"instantMeeting"}, "xmlin": {xmlin(map[string]string{"siteid": f.site})}}, 403, integration.NotAuthorized},
		{"a PUBLIC meeting without guest access", url.Values{"operation": {"instantMeeting"}, "xmlin": {xmlin(map[string]string{"siteid": f.site, "token": tok, "meetingType": "PUBLIC"})}}, 400, integration.MeetingPublicMtgTypeErr},
		{"an unknown meeting type", url.Values{"operation": {"instantMeeting"}, "xmlin": {xmlin(map[string]string{"siteid": f.site, "token": tok, "meetingType": "HUGE"})}}, 400, integration.MeetingNotCreatedErr},
		{"a bad exit URL", url.Values{"operation": {"instantMeeting"}, "xmlin": {xmlin(map[string]string{"siteid": f.site, "token": tok, "attendeeExitURL": "ftp://x"})}}, 400, integration.MeetingNotCreatedErr},
	} {
		r := f.instant(t, tc.q)
		var e struct {
			XMLName xml.Name `xml:"errorMsg"`
			Code    int      `xml:"responseCode"`
			Message string   `xml:"message"`
		}
		if err := xml.Unmarshal([]byte(r.body), &e); err != nil || r.status != tc.status || e.Code != int(tc.code) || e.Message == "" {
			t.Errorf("%s: %d %s (%v), want %d with code %d", tc.name, r.status, r.body, err, tc.status, tc.code)
		}
	}
	// A site that requires a key; errors in text mode are pages.
	_, err = f.auth.UpdateSite(f.ctx, f.site, "", auth.Settings{auth.SettingConferenceKey: true})
	must(t, err)
	r = f.instant(t, url.Values{"operation": {"instantMeeting"}, "xmlin": {xmlin(map[string]string{"siteid": f.site, "token": tok, "returnType": "text"})}})
	if r.status != 400 || !strings.HasPrefix(r.ctype, "text/html") || !strings.Contains(r.body, "367") || !strings.Contains(r.body, "conference key") {
		t.Fatalf("text error: %d %s %s", r.status, r.ctype, r.body)
	}
	r = f.instant(t, url.Values{"operation": {"instantMeeting"}, "returnType": {"text"}, "xmlin": {"<broken"}})
	if r.status != 400 || !strings.HasPrefix(r.ctype, "text/html") {
		t.Fatalf("a broken xmlin in text mode: %d %s", r.status, r.ctype)
	}
	// A title with markup is escaped in the page.
	r = f.instant(t, url.Values{"operation": {"instantMeeting"}, "returnType": {"text"}, "xmlin": {xmlin(map[string]string{"siteid": "<script>", "token": tok, "returnType": "text"})}})
	if strings.Contains(r.body, "<script>") {
		t.Fatalf("unescaped input in the error page: %s", r.body)
	}
}

// The schemas are served at the seed's paths.
func TestSchemas(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.InstantHandler(func(*http.Request) string { return base }))
	defer srv.Close()
	for name, root := range map[string]string{"instantMtgReq.xsd": "instantMtgReq", "meetingResp.xsd": "meetingResp", "errorMsg.xsd": "errorMsg"} {
		resp, err := http.Get(srv.URL + SchemaPrefix + name)
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `<xsd:element name="`+root+`">`) {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
	}
}
