package page

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/conference"
	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/web/pages"
)

type fixture struct {
	t    *testing.T
	srv  *httptest.Server
	m    *conference.Manager
	st   *memory.Store
	c    store.Conference // alice hosts, bob invited, key k3y
	http *http.Client
	csrf string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, st: memory.New()}
	ctx := context.Background()
	for _, u := range []string{"alice@example.com", "bob@example.com", "carol@example.com"} {
		if err := f.st.CreateUser(ctx, store.User{JID: u}); err != nil {
			t.Fatal(err)
		}
	}
	f.m = conference.New(conference.Options{Store: f.st, Domain: "example.com", MUCDomain: "conference.example.com", EarlyJoin: 15 * time.Minute})
	start, end := time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
	key := "k3y"
	r, err := f.m.Schedule(ctx, conference.Caller{Site: "1"}, conference.Spec{Title: "Review <b>", Start: &start, End: &end, Key: &key,
		Host: &conference.Person{FirstName: "Alice", UserID: "alice"}, Attendees: []conference.Person{{FirstName: "Bob", UserID: "bob"}}}, "http://x")
	if err != nil {
		t.Fatal(err)
	}
	f.c = r.Conference
	p := pages.New(pages.Config{})
	h, err := New(Options{Pages: p, Conferences: f.m, Domain: "example.com", User: func(_ context.Context, token string) (string, error) {
		if token == "carol-token" {
			return "carol@example.com", nil
		}
		return "", errors.New("invalid token")
	}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Register(mux)
	h.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	jar, _ := cookiejar.New(nil)
	f.http = &http.Client{Jar: jar}
	return f
}

// page GETs a page and remembers its CSRF token.
func (f *fixture) page(path string) (int, string, http.Header) {
	f.t.Helper()
	resp, err := f.http.Get(f.srv.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := regexp.MustCompile(`data-csrf="([^"]+)"`).FindSubmatch(body); m != nil {
		f.csrf = string(m[1])
	}
	return resp.StatusCode, string(body), resp.Header
}

// call POSTs an endpoint as the page's script does.
func (f *fixture) call(path string, form url.Values, out any) int {
	f.t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", f.csrf)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := f.http.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(body, out); err != nil {
			f.t.Fatalf("%s: %v in %s", path, err, body)
		}
	}
	return resp.StatusCode
}

// The conference page: the layout with the page's script, the title
// escaped, the strict CSP; an unknown conference is a 404 page.
func TestConferencePage(t *testing.T) {
	f := newFixture(t)
	status, body, hdr := f.page("/conference/" + f.c.ID)
	if status != 200 || !strings.Contains(body, `src="/assets/conference/conference.js"`) || strings.Contains(body, "Review") ||
		!strings.Contains(hdr.Get("Content-Security-Policy"), "script-src 'self'") || f.csrf == "" {
		t.Fatalf("page (its title is not shown without a key): %d %s", status, body)
	}
	// A publicly listed conference shows its title to anyone, escaped.
	start, end := time.Now(), time.Now().Add(time.Hour)
	r, err := f.m.Schedule(context.Background(), conference.Caller{Site: "1"}, conference.Spec{Title: "Open <house>", Start: &start, End: &end,
		PubliclyListed: ptrTo(true), Host: &conference.Person{UserID: "alice"}}, "http://x")
	if err != nil {
		t.Fatal(err)
	}
	if _, body, _ := f.page("/conference/" + r.Conference.ID); !strings.Contains(body, "Open &lt;house&gt;") {
		t.Fatalf("a listed conference's page: %s", body)
	}
	if status, _, _ := f.page("/conference/42"); status != 404 {
		t.Fatalf("unknown conference: %d", status)
	}
	for _, a := range []string{"/assets/conference/conference.js", "/assets/conference/room.js", "/assets/conference/playback.js", "/assets/conference/conference.css"} {
		if status, _, hdr := f.page(a); status != 200 || hdr.Get("Content-Type") == "" {
			t.Errorf("%s: %d", a, status)
		}
	}
	status, body, _ = f.page("/conference/" + f.c.ID + "/playback")
	if status != 200 || !strings.Contains(body, `src="/assets/conference/playback.js"`) {
		t.Fatalf("playback page: %d %s", status, body)
	}
}

// describe: who a key's holder is; a wrong key is refused; without a
// CSRF token nothing is answered.
func TestDescribe(t *testing.T) {
	f := newFixture(t)
	f.page("/conference/" + f.c.ID)
	var d description
	if s := f.call("/conference/"+f.c.ID+"/describe", url.Values{}, &d); s != 200 || d.You != nil || !d.KeyRequired || !d.RegisteredOnly ||
		d.Room != f.c.RoomJID || d.Domain != "example.com" || d.Status != "Waiting for Host" || d.Title != "Conference" || !d.Start.IsZero() {
		t.Fatalf("without a key (no title, no times): %d %+v", s, d)
	}
	bob := conference.JoinKey(f.c.Participants[1])
	if s := f.call("/conference/"+f.c.ID+"/describe", url.Values{"key": {bob}}, &d); s != 200 || d.You == nil || d.You.Role != "attendee" || d.Title != "Review <b>" ||
		d.You.UserID != "bob@example.com" || d.You.Local != "bob" || d.You.Name != "Bob" || d.You.Guest || !d.KeyRequired {
		t.Fatalf("bob: %d %+v", s, d.You)
	}
	host := conference.JoinKey(f.c.Participants[0])
	d = description{}
	if s := f.call("/conference/"+f.c.ID+"/describe", url.Values{"key": {host}}, &d); s != 200 || d.You.Role != "host" || d.KeyRequired {
		t.Fatalf("host: %d %+v", s, d)
	}
	var e map[string]string
	if s := f.call("/conference/"+f.c.ID+"/describe", url.Values{"key": {"2_wrong"}}, &e); s != 403 || e["error"] == "" {
		t.Fatalf("a wrong key: %d %v", s, e)
	}
	if s := f.call("/conference/42/describe", url.Values{}, &e); s != 404 {
		t.Fatalf("unknown conference: %d", s)
	}
	f.csrf = "forged"
	if s := f.call("/conference/"+f.c.ID+"/describe", url.Values{}, nil); s != 403 {
		t.Fatalf("without the CSRF token: %d", s)
	}
}

// lock and end are the host's; the end is GRACEFUL.
func TestHostControls(t *testing.T) {
	f := newFixture(t)
	f.page("/conference/" + f.c.ID)
	bob := conference.JoinKey(f.c.Participants[1])
	host := conference.JoinKey(f.c.Participants[0])
	var r map[string]any
	if s := f.call("/conference/"+f.c.ID+"/lock", url.Values{"key": {bob}, "locked": {"true"}}, &r); s != 403 {
		t.Fatalf("an attendee locking: %d", s)
	}
	if s := f.call("/conference/"+f.c.ID+"/lock", url.Values{"key": {host}, "locked": {"true"}}, &r); s != 200 || r["locked"] != true {
		t.Fatalf("the host locking: %d %v", s, r)
	}
	if _, err := f.m.GuestPass(context.Background(), conference.GuestRequest{ConferenceID: f.c.ID, Name: "V", ConferenceKey: "k3y"}); err == nil {
		t.Fatal("a locked conference issued a pass")
	}
	if s := f.call("/conference/"+f.c.ID+"/end", url.Values{"key": {bob}}, &r); s != 403 {
		t.Fatalf("an attendee ending: %d", s)
	}
	if s := f.call("/conference/"+f.c.ID+"/end", url.Values{"key": {host}}, &r); s != 200 {
		t.Fatalf("the host ending: %d %v", s, r)
	}
	c, _ := f.m.Lookup(context.Background(), f.c.ID)
	if c.State != store.ConferenceEnded || c.EndCause != conference.EndGraceful {
		t.Fatalf("after end: %s %s", c.State, c.EndCause)
	}
	if s := f.call("/conference/"+f.c.ID+"/lock", url.Values{"key": {host}, "locked": {"false"}}, &r); s != 409 {
		t.Fatalf("locking an ended conference: %d", s)
	}
}

// timeline: with the playback link's secret and the conference key
// (derived or as is), in order, paged.
func TestTimeline(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := range timelinePage + 3 {
		if _, err := f.st.AppendConferenceEvent(ctx, store.ConferenceEvent{ConferenceID: f.c.ID, At: time.Now(), Kind: "chat", Nick: "Bob", Text: "m" + string(rune('a'+i%26))}); err != nil {
			t.Fatal(err)
		}
	}
	f.page("/conference/" + f.c.ID + "/playback")
	link := conference.PlaybackLink("http://x", f.c, true)
	frag, _ := url.ParseQuery(link[strings.Index(link, "#")+1:])
	var page struct {
		Events []event `json:"events"`
		More   bool    `json:"more"`
		Title  string  `json:"title"`
	}
	if s := f.call("/conference/"+f.c.ID+"/timeline", url.Values{"t": {frag.Get("t")}, "ck": {frag.Get("ck")}}, &page); s != 200 ||
		len(page.Events) != timelinePage || !page.More || page.Title != "Review <b>" {
		t.Fatalf("first page: %d %d events, more %v", s, len(page.Events), page.More)
	}
	last := page.Events[len(page.Events)-1].Seq
	page.Events = nil
	if s := f.call("/conference/"+f.c.ID+"/timeline", url.Values{"t": {frag.Get("t")}, "ck": {"k3y"}, "after": {itoa(last)}}, &page); s != 200 ||
		len(page.Events) != 3 || page.More || page.Events[0].Seq <= last {
		t.Fatalf("second page: %d %+v", s, page)
	}
	var e map[string]any
	if s := f.call("/conference/"+f.c.ID+"/timeline", url.Values{"t": {frag.Get("t")}}, &e); s != 403 || e["keyRequired"] != true {
		t.Fatalf("without the key: %d %v", s, e)
	}
	if s := f.call("/conference/"+f.c.ID+"/timeline", url.Values{"t": {"x" + frag.Get("t")[1:]}, "ck": {"k3y"}}, &e); s != 403 {
		t.Fatalf("a wrong link secret: %d", s)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func ptrTo[T any](v T) *T { return &v }

// enrol: a user's token and the conference key enrol them where the
// conference takes enrolment.
func TestEnrolEndpoint(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	start, end := time.Now(), time.Now().Add(time.Hour)
	r, err := f.m.Schedule(ctx, conference.Caller{Site: "1"}, conference.Spec{Title: "Course", Start: &start, End: &end,
		Type: conference.TypeRegistered, EnrollmentRequired: ptrTo(true), Key: ptrTo("k3y"), Host: &conference.Person{UserID: "alice"}}, "http://x")
	if err != nil {
		t.Fatal(err)
	}
	id := r.Conference.ID
	f.page("/conference/" + id)
	var d description
	if f.call("/conference/"+id+"/describe", url.Values{}, &d); !d.Enrollment {
		t.Fatalf("describe: %+v", d)
	}
	var out map[string]string
	for _, tc := range []struct {
		form   url.Values
		status int
	}{
		{url.Values{"token": {"forged"}, "key": {"k3y"}}, 403},
		{url.Values{"token": {"carol-token"}, "key": {"wrong"}}, 403},
		{url.Values{"token": {"carol-token"}, "key": {"k3y"}}, 200},
		{url.Values{"token": {"carol-token"}, "key": {"k3y"}}, 200}, // again: still enrolled
	} {
		if s := f.call("/conference/"+id+"/enrol", tc.form, &out); s != tc.status {
			t.Errorf("enrol %v: %d %v, want %d", tc.form, s, out, tc.status)
		}
	}
	c, _ := f.m.Lookup(ctx, id)
	if len(c.Participants) != 2 || c.Participants[1].UserID != "carol@example.com" || !c.Participants[1].Enrolled {
		t.Fatalf("participants: %+v", c.Participants)
	}
	if s := f.call("/conference/"+f.c.ID+"/enrol", url.Values{"token": {"carol-token"}, "key": {"k3y"}}, &out); s != 403 {
		t.Fatalf("enrolling where only invitees may join: %d", s)
	}
}
