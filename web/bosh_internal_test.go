package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

func testWeb() *Web {
	w := &Web{cfg: Config{BOSH: true, AllowedOrigins: []string{"*"},
		XMLLimits:   xml.Limits{MaxStanzaBytes: 64 << 10, MaxDepth: 16, MaxAttrs: 32},
		BOSHMaxWait: 10 * time.Second, BOSHInactivity: 10 * time.Second, BOSHMaxPause: 10 * time.Second},
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	w.bosh = newBOSHSessions(w)
	return w
}

func boshBody(t *testing.T, sid string, rid int64) *xml.Element {
	t.Helper()
	el, err := xml.ParseElement([]byte("<body xmlns='"+ns.HTTPBind+"' sid='"+sid+"' rid='"+strconv.FormatInt(rid, 10)+"'/>"), "", xml.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return el
}

// handleAsync runs one request through s.handle and returns its answer.
func handleAsync(t *testing.T, s *boshSession, rid int64) <-chan string {
	out := make(chan string, 1)
	go func() {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/http-bind", nil)
		s.handle(rec, r, rid, boshBody(t, s.sid, rid))
		out <- rec.Body.String()
	}()
	return out
}

func waitState(t *testing.T, s *boshSession, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		ok := cond()
		s.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func answer(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("request not answered")
		return ""
	}
}

// With hold 1 a client may have two requests open; a third (here rid 3
// while rid 1 is held and rid 4 waits for it) is overactivity.
func TestBOSHTooManyRequests(t *testing.T) {
	w := testWeb()
	s := newBOSHSession(w, 1, boshBody(t, "", 1))
	w.bosh.add(s)
	first := handleAsync(t, s, 1)
	waitState(t, s, "rid 1 held", func() bool { return len(s.held) == 1 })
	early := handleAsync(t, s, 3)
	waitState(t, s, "rid 3 waiting", func() bool { return s.early[3] != nil })
	if b := answer(t, handleAsync(t, s, 2)); !strings.Contains(b, "condition='policy-violation'") {
		t.Fatalf("third request: %s", b)
	}
	for _, ch := range []<-chan string{first, early} {
		if b := answer(t, ch); !strings.Contains(b, "type='terminate'") {
			t.Fatalf("open request after the violation: %s", b)
		}
	}
}

// Requests that arrive out of order are processed in rid order.
func TestBOSHOutOfOrderRequests(t *testing.T) {
	w := testWeb()
	s := newBOSHSession(w, 1, boshBody(t, "", 1))
	first := handleAsync(t, s, 2) // ahead of rid 1
	waitState(t, s, "rid 2 waiting", func() bool { return s.early[2] != nil && s.lastRID == 0 })
	handleAsync(t, s, 1)
	waitState(t, s, "both processed", func() bool { return s.lastRID == 2 })
	// rid 1 was released by rid 2 (hold 1); rid 2 is held until output.
	s.Write([][]byte{[]byte("<message xmlns='jabber:client'/>")})
	if b := answer(t, first); !strings.Contains(b, "<message") {
		t.Fatalf("held rid 2 answered with %s", b)
	}
}
