package api

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// HTTPConfig tunes a binding's HTTP handling (soap, jsonapi). Zero
// values take the defaults (WithDefaults).
type HTTPConfig struct {
	MaxRequestBytes int64         // default 1 MiB
	Timeout         time.Duration // per call; default 30 s
	// BodyTimeout bounds the time to receive a request's body (a read
	// deadline on the connection while it is read); default 10 s.
	BodyTimeout time.Duration
	// BaseURL returns scheme://host[:port] of the server as the client
	// reached it, for the generated documents (the WSDL's soap:address,
	// the OpenAPI server URL). Default: DefaultBaseURL.
	BaseURL func(*http.Request) string
	Logger  *slog.Logger
}

// WithDefaults returns c with its zero values replaced by the defaults.
func (c HTTPConfig) WithDefaults() HTTPConfig {
	if c.MaxRequestBytes <= 0 {
		c.MaxRequestBytes = 1 << 20
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.BodyTimeout <= 0 {
		c.BodyTimeout = 10 * time.Second
	}
	if c.BaseURL == nil {
		c.BaseURL = DefaultBaseURL
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// DefaultBaseURL is the scheme and Host the request names.
func DefaultBaseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// ReadBody reads a request's body: at most MaxRequestBytes, within
// BodyTimeout. The deadline is set on this request's connection only,
// not on the server, whose BOSH and WebSocket handlers wait far longer;
// net/http clears it when the body is in and it starts watching the
// connection in the background, so it never cuts the operation short
// (TestBodyTimeoutEndsWithTheBody in the bindings). After a timeout it
// stays, so that net/http's draining of the rest of the body fails at
// once too. An empty body (http.NoBody) gets none: net/http watches the
// connection from the start then, and a deadline would end that watch
// and cancel the request's context.
func (c HTTPConfig) ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body != nil && r.Body != http.NoBody {
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(c.BodyTimeout))
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, c.MaxRequestBytes))
}

// IsTimeout reports a read deadline that passed.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
