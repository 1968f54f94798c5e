package calendar

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/parley-im/parley/calendar/ics"
)

// WebhookPath is where calendar servers that can only call webhooks
// post notifications.
const WebhookPath = "/api/v1/calendar/notifications"

// Webhook is the HTTP endpoint POST /api/v1/calendar/notifications: the
// same payloads as on the bus (Content-Type text/calendar or text/xml,
// or sniffed; a Calendar-Owner header), authenticated with
// "Authorization: Bearer <calendar.webhook_token>". It answers 200 with
// {"items": [Outcome...]}, or a 4xx/503 with {"error": "..."}.
type Webhook struct {
	Agent       *Agent
	Token       string
	BodyTimeout time.Duration // how long the body may take to arrive
}

func (h Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.Token == "" {
		writeJSONError(w, http.StatusNotFound, "the calendar webhook is disabled: set calendar.webhook_token")
		return
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="parley calendar"`)
		writeJSONError(w, http.StatusUnauthorized, "missing or wrong bearer token (Authorization: Bearer <calendar.webhook_token>)")
		return
	}
	if !h.Agent.Running() {
		writeJSONError(w, http.StatusServiceUnavailable, ErrStopped.Error())
		return
	}
	if h.BodyTimeout > 0 {
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(h.BodyTimeout))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(h.Agent.cfg.MaxPayloadBytes)))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		h.Agent.stats.received(SourceWebhook, h.Agent.cfg.Metrics)
		h.Agent.discarded(ReasonTooLarge)
		writeJSONError(w, http.StatusRequestEntityTooLarge, "notification larger than calendar.max_payload_bytes")
		return
	case err != nil:
		writeJSONError(w, http.StatusBadRequest, "could not read the body: "+err.Error())
		return
	}
	outcomes, err := h.Agent.Ingest(r.Context(), Notification{Source: SourceWebhook, ContentType: r.Header.Get("Content-Type"),
		Owner: r.Header.Get("Calendar-Owner"), Data: body})
	switch {
	case errors.Is(err, ErrStopped):
		writeJSONError(w, http.StatusServiceUnavailable, err.Error())
	case errors.Is(err, ics.ErrFormat):
		writeJSONError(w, http.StatusUnsupportedMediaType, "send text/calendar or text/xml (docs/calendar.md)")
	case err != nil:
		writeJSONError(w, http.StatusBadRequest, err.Error())
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Write(outcomesJSON(outcomes, nil))
	}
}

// authorized compares the bearer token in constant time (of digests,
// so that not even its length leaks).
func (h Webhook) authorized(r *http.Request) bool {
	if h.Token == "" {
		return false
	}
	auth := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got, want := sha256.Sum256([]byte(strings.TrimSpace(tok))), sha256.Sum256([]byte(h.Token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

func writeJSONError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Write(append(b, '\n'))
}

// outcomesJSON is the answer to a webhook call or a bus request.
func outcomesJSON(outcomes []Outcome, err error) []byte {
	var b []byte
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	} else {
		if outcomes == nil {
			outcomes = []Outcome{}
		}
		b, _ = json.Marshal(map[string][]Outcome{"items": outcomes})
	}
	return append(b, '\n')
}
