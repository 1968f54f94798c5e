// Package jsonapi is the JSON binding of the integration services: the
// operations of the integration/api tables as
//
//	POST /api/v1/<Service>/<operation>   {"param0": ..., "param1": ...}
//
// answering 200 with the operation's result as JSON, or a 4xx/5xx
// {"error": "...", "status": 1010, "statusName": "SERVICE_INPUT_ERROR"}
// object. The parameter names and types are the seed's, as in the SOAP
// binding: one service layer, two bindings. GET /api/v1/openapi.json
// is an OpenAPI 3.0 document generated from the same tables.
//
// Requests must say Content-Type: application/json (so a plain HTML form
// on another site cannot post here), are bounded in size and time, and
// unknown parameters or fields are refused rather than ignored.
package jsonapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
)

// Prefix is where the binding is mounted.
const Prefix = "/api/v1/"

// Config tunes the binding; zero values take the defaults.
type Config = api.HTTPConfig

// Handler serves the JSON endpoints and the OpenAPI document.
type Handler struct {
	cfg      Config
	services []*api.Service
}

// New returns a handler for services.
func New(cfg Config, services ...*api.Service) *Handler {
	cfg = cfg.WithDefaults()
	return &Handler{cfg: cfg, services: services}
}

// Register mounts the handler on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Prefix+"openapi.json", h.openAPI)
	mux.HandleFunc(Prefix+"{service}/{operation}", h.call)
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, &api.Error{Code: api.NotFound, Message: "not found: POST " + Prefix + "<Service>/<operation>, or GET " + Prefix + "openapi.json"})
	})
}

func (h *Handler) service(name string) *api.Service {
	for _, s := range h.services {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// errorBody is the JSON error object.
type errorBody struct {
	Error      string `json:"error"`
	Status     int    `json:"status,omitempty"`
	StatusName string `json:"statusName,omitempty"`
}

func httpStatus(c api.Code) int {
	switch c {
	case api.BadRequest:
		return http.StatusBadRequest
	case api.Unauthenticated:
		return http.StatusUnauthorized
	case api.Forbidden:
		return http.StatusForbidden
	case api.NotFound:
		return http.StatusNotFound
	case api.TooLarge:
		return http.StatusRequestEntityTooLarge
	case api.Timeout:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, status int, e *api.Error) {
	body := errorBody{Error: e.Message}
	if e.Status != integration.NoError {
		body.Status, body.StatusName = int(e.Status), e.Status.String()
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		b.Reset()
		b.WriteString(`{"error": "internal error", "status": 1090, "statusName": "UNEXPECTED_ERROR"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func badRequest(format string, args ...any) *api.Error {
	return &api.Error{Code: api.BadRequest, Status: integration.ServiceInputError, Message: fmt.Sprintf(format, args...)}
}

func (h *Handler) call(w http.ResponseWriter, r *http.Request) {
	svc := h.service(r.PathValue("service"))
	if svc == nil {
		writeError(w, http.StatusNotFound, &api.Error{Code: api.NotFound, Message: "no such service: " + r.PathValue("service")})
		return
	}
	op := svc.Operation(r.PathValue("operation"))
	if op == nil {
		writeError(w, http.StatusNotFound, &api.Error{Code: api.NotFound, Message: fmt.Sprintf("%s has no operation %q", svc.Name, r.PathValue("operation"))})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, &api.Error{Code: api.BadRequest, Message: "use POST with a JSON object of the parameters"})
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, badRequest("Content-Type must be application/json"))
		return
	}
	data, err := h.cfg.ReadBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, &api.Error{Code: api.TooLarge, Status: integration.RequestSizeExceeded, Message: fmt.Sprintf("request larger than %d bytes", h.cfg.MaxRequestBytes)})
			return
		}
		if api.IsTimeout(err) {
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusRequestTimeout, badRequest("request body not received within %v", h.cfg.BodyTimeout))
			return
		}
		writeError(w, http.StatusBadRequest, badRequest("reading the request: %v", err))
		return
	}
	args, e := decodeArgs(data, op)
	if e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	ctx, cancel := context.WithTimeout(api.WithBaseURL(r.Context(), h.cfg.BaseURL(r)), h.cfg.Timeout)
	defer cancel()
	res, err := op.Call(ctx, args)
	if err != nil {
		e := api.Classify(err, svc.MapError)
		if e.Code == api.Internal || e.Code == api.Timeout {
			h.cfg.Logger.Warn("jsonapi: operation failed", "service", svc.Name, "operation", op.Name, "err", err)
		}
		writeError(w, httpStatus(e.Code), e)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// decodeArgs reads {"param0": ..., ...} into one value per parameter;
// an absent or null parameter is the seed's null (the zero value).
func decodeArgs(data []byte, op *api.Operation) ([]reflect.Value, *api.Error) {
	var raw map[string]json.RawMessage
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, badRequest("the body must be a JSON object of parameters: %v", err)
	}
	if raw == nil {
		return nil, badRequest("the body must be a JSON object of parameters, not null")
	}
	args := make([]reflect.Value, len(op.Params))
	for i, p := range op.Params {
		v, ok := raw[p.Name]
		delete(raw, p.Name)
		if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			args[i] = reflect.Zero(p.Type)
			continue
		}
		ptr := reflect.New(p.Elem())
		d := json.NewDecoder(bytes.NewReader(v))
		d.DisallowUnknownFields()
		if err := d.Decode(ptr.Interface()); err != nil {
			return nil, badRequest("%s: bad %s: %v", op.Name, p.Name, err)
		}
		if p.Optional {
			args[i] = ptr
		} else {
			args[i] = ptr.Elem()
		}
	}
	for k := range raw {
		return nil, badRequest("%s has no parameter %q", op.Name, k)
	}
	return args, nil
}
