package widget

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The widget's hot paths: every anonymous page polls the public view
// (most polls are revalidations of an unchanged presence, answered 304),
// and every presence change on the server passes through Changed.
//
//	go test -run '^$' -bench . -benchmem ./webui/widget/

func BenchmarkPublicView(b *testing.B) {
	f := newFixture(b)
	f.online("bob@example.com/desk", "dnd", "in a meeting")
	h := f.srv.Config.Handler
	req := httptest.NewRequest(http.MethodGet, "/widget/v1/presence?jid=bob@example.com", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("HTTP %d", rec.Code)
		}
	}
}

func BenchmarkPublicViewNotModified(b *testing.B) {
	f := newFixture(b)
	f.online("bob@example.com/desk", "dnd", "in a meeting")
	h := f.srv.Config.Handler
	first := httptest.NewRecorder()
	h.ServeHTTP(first, httptest.NewRequest(http.MethodGet, "/widget/v1/presence?jid=bob@example.com", nil))
	req := httptest.NewRequest(http.MethodGet, "/widget/v1/presence?jid=bob@example.com", nil)
	req.Header.Set("If-None-Match", first.Header().Get("ETag"))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			b.Fatalf("HTTP %d", rec.Code)
		}
	}
}

// BenchmarkChanged is the cost the widget adds to a presence change of
// a user no live page watches (the common case).
func BenchmarkChanged(b *testing.B) {
	f := newFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		f.w.Changed("nobody@example.com")
	}
}
