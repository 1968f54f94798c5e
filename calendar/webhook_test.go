package calendar

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parley-im/parley/store"
)

const token = "a-webhook-token-of-some-length"

func post(t *testing.T, h http.Handler, auth, contentType, owner string, body []byte) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest("POST", WebhookPath, bytes.NewReader(body))
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if owner != "" {
		r.Header.Set("Calendar-Owner", owner)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%d %q: not JSON", w.Code, w.Body)
	}
	if w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("content type %q", w.Header().Get("Content-Type"))
	}
	if w.Code == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Fatal("401 without WWW-Authenticate: Bearer")
	}
	return w.Code, out
}

func TestWebhook(t *testing.T) {
	f := newFixture(t)
	f.user("alice@example.com", store.RemindersOn)
	s := f.online("alice@example.com/r", true, 0)
	h := Webhook{Agent: f.agent, Token: token}
	body := event("UID:wh", "SUMMARY:Webhook", "DTSTART:20260302T100000Z")
	for _, auth := range []string{"", "Bearer wrong-token-wrong-token", "Basic " + token, token, "Bearer " + token + "x"} {
		if code, _ := post(t, h, auth, "text/calendar", "alice@example.com", body); code != http.StatusUnauthorized {
			t.Errorf("auth %q: %d", auth, code)
		}
	}
	s.none(t)
	code, out := post(t, h, "Bearer "+token, "text/calendar", "alice@example.com", body)
	items, _ := out["items"].([]any)
	if code != 200 || len(items) != 1 {
		t.Fatalf("%d %v", code, out)
	}
	if it := items[0].(map[string]any); it["uid"] != "wh" || it["owner"] != "alice@example.com" || it["delivered"] != float64(1) {
		t.Fatalf("%v", it)
	}
	checkReminder(t, s.next(t), "alice@example.com/r", "Webhook")
	// XML, sniffed, with a future alarm.
	code, out = post(t, h, "bearer "+token, "", "", []byte(`<event xmlns="urn:parley:calendar:0"><uid>x1</uid><owner>alice@example.com</owner>
		<start>2026-03-02T12:00:00Z</start><alarm><trigger>-PT1H</trigger></alarm></event>`))
	if code != 200 || !strings.Contains(mustJSON(out), `"next_alarm":"2026-03-02T11:00:00Z"`) {
		t.Fatalf("%d %v", code, out)
	}
	if code, out := post(t, h, "Bearer "+token, "application/json", "", []byte(`{"hello": 1}`)); code != http.StatusUnsupportedMediaType {
		t.Fatalf("json: %d %v", code, out)
	}
	if code, out := post(t, h, "Bearer "+token, "text/calendar", "", []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")); code != http.StatusBadRequest || out["error"] == nil {
		t.Fatalf("invalid: %d %v", code, out)
	}
	if code, _ := post(t, h, "Bearer "+token, "text/calendar", "", bytes.Repeat([]byte("A"), 65<<10)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %d", code)
	}
	f.agent.Stop(t.Context())
	if code, _ := post(t, h, "Bearer "+token, "text/calendar", "", body); code != http.StatusServiceUnavailable {
		t.Fatalf("stopped: %d", code)
	}
	// No token configured: the webhook is off.
	if code, out := post(t, Webhook{Agent: f.agent}, "Bearer ", "text/calendar", "", body); code != http.StatusNotFound || !strings.Contains(mustJSON(out), "webhook_token") {
		t.Fatalf("disabled: %d %v", code, out)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
