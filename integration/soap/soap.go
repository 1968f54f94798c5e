// Package soap is the SOAP 1.1 binding of the integration services:
// POST an envelope to /imtapp/ws/<Service>, GET /imtapp/ws/<Service>?WSDL
// for its description. Operations, parameters and types come from the
// integration/api tables; this package only decodes, dispatches and
// encodes.
//
// Style: RPC/literal. The seed calls its services "SOAP RPC-style" with
// positional parameters param0..N, which is exactly what RPC style
// describes (message parts named after the parameters, inside an
// element named after the operation), and literal use is what the WS-I
// Basic Profile allows for RPC, so both Python zeep and JAX-WS generate
// clients from the WSDL (both are tested against the running server in
// test/e2e; RPC/encoded, the seed era's default, is refused by JAX-WS
// and poorly supported by zeep; document/literal-wrapped would lose the
// seed's param0 message parts). Arrays are complex types ArrayOf<T> with
// <item> children (soapenc arrays are not WS-I), struct fields are
// unqualified elements, and every field is optional (minOccurs 0, not
// nillable, so JAXB maps it to a plain property) so a client may omit
// what the seed calls null. A part cannot be null in RPC style (WS-I
// R2211; zeep and JAX-WS both insist): the decoder takes an absent part
// or xsi:nil as the seed's null, and the services treat an empty
// PolicyObject or resource like a null one.
//
// Errors are SOAP faults with HTTP status 500 (SOAP 1.1 section 6.2):
// soap:Client for what the caller must change (malformed or non-1.1
// envelopes, unknown operations, bad parameters, invalid tokens, not
// authorized), soap:Server for failures on our side, whose faultstring
// never carries the cause. The fault detail carries the seed's status
// code when one applies. Requests are bounded in size, nesting depth and
// time.
package soap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
)

// Namespace is the target namespace of every service's WSDL and the
// namespace of the operation elements.
const Namespace = "urn:parley-im:imtapp:ws"

// Prefix is where the services are mounted.
const Prefix = "/imtapp/ws/"

// Config tunes the binding; zero values take the defaults.
type Config = api.HTTPConfig

// Handler serves the SOAP endpoints of a set of services.
type Handler struct {
	cfg      Config
	services map[string]*api.Service // by lower-case name
}

// New returns a handler for services.
func New(cfg Config, services ...*api.Service) *Handler {
	cfg = cfg.WithDefaults()
	h := &Handler{cfg: cfg, services: make(map[string]*api.Service)}
	for _, s := range services {
		h.services[strings.ToLower(s.Name)] = s
	}
	return h
}

// Register mounts the handler on mux at Prefix.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle(Prefix, h)
	mux.Handle(strings.TrimSuffix(Prefix, "/"), h)
}

// ServeHTTP dispatches GET (WSDL or a service page) and POST (a call).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.Trim(strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(Prefix, "/")), "/")
	if name == "" {
		h.index(w, r)
		return
	}
	svc := h.services[strings.ToLower(name)]
	if svc == nil {
		http.Error(w, "no such service: "+name, http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if wantsWSDL(r) {
			var b bytes.Buffer
			writeWSDL(&b, Namespace, svc, h.cfg.BaseURL(r)+Prefix+svc.Name)
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.Write(b.Bytes())
			return
		}
		h.servicePage(w, r, svc)
	case http.MethodPost:
		h.call(w, r, svc)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed: POST a SOAP envelope or GET ?WSDL", http.StatusMethodNotAllowed)
	}
}

// wantsWSDL reports a ?WSDL, ?wsdl or ?wsdl= query.
func wantsWSDL(r *http.Request) bool {
	for k := range r.URL.Query() {
		if strings.EqualFold(k, "wsdl") {
			return true
		}
	}
	return false
}

func (h *Handler) call(w http.ResponseWriter, r *http.Request, svc *api.Service) {
	data, err := h.cfg.ReadBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fault(w, &fault{code: "Client", msg: fmt.Sprintf("request larger than %d bytes", h.cfg.MaxRequestBytes), status: integration.RequestSizeExceeded})
			return
		}
		if api.IsTimeout(err) {
			w.Header().Set("Connection", "close")
			h.fault(w, &fault{code: "Client", msg: fmt.Sprintf("request body not received within %v", h.cfg.BodyTimeout), status: integration.ServiceInputError})
			return
		}
		h.fault(w, clientFault("reading the request: %v", err))
		return
	}
	req, err := decodeEnvelope(data, svc)
	if err != nil {
		var f *fault
		if !errors.As(err, &f) {
			f = clientFault("%v", err)
		}
		h.fault(w, f)
		return
	}
	ctx, cancel := context.WithTimeout(api.WithBaseURL(r.Context(), h.cfg.BaseURL(r)), h.cfg.Timeout)
	defer cancel()
	res, err := req.op.Call(ctx, req.args)
	if err != nil {
		e := api.Classify(err, svc.MapError)
		if e.Code == api.Internal || e.Code == api.Timeout {
			h.cfg.Logger.Warn("soap: operation failed", "service", svc.Name, "operation", req.op.Name, "err", err)
		}
		code := "Client"
		if e.Code == api.Internal || e.Code == api.Timeout {
			code = "Server"
		}
		h.fault(w, &fault{code: code, msg: e.Message, status: e.Status})
		return
	}
	var b bytes.Buffer
	if err := encodeResponse(&b, Namespace, req.op, res); err != nil {
		h.cfg.Logger.Error("soap: encoding a response", "service", svc.Name, "operation", req.op.Name, "err", err)
		h.fault(w, &fault{code: "Server", msg: "internal error", status: integration.UnexpectedError})
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(b.Bytes())
}

func (h *Handler) fault(w http.ResponseWriter, f *fault) {
	var b bytes.Buffer
	encodeFault(&b, Namespace, f)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError) // SOAP 1.1 section 6.2
	w.Write(b.Bytes())
}

// index lists the services (the seed's http://host:port/imtapp/ws page).
func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	names := make([]string, 0, len(h.services))
	for _, s := range h.services {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "Parley integration services (SOAP 1.1, RPC/literal)")
	for _, n := range names {
		u := h.cfg.BaseURL(r) + Prefix + n
		fmt.Fprintf(w, "\n%s\n  endpoint: %s\n  WSDL:     %s?WSDL\n", n, u, u)
	}
}

// servicePage describes one service in plain text.
func (h *Handler) servicePage(w http.ResponseWriter, r *http.Request, svc *api.Service) {
	u := h.cfg.BaseURL(r) + Prefix + svc.Name
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%s\n\n%s\n\nendpoint: %s\nWSDL:     %s?WSDL\n\noperations:\n", svc.Name, svc.Doc, u, u)
	for _, op := range svc.Operations {
		fmt.Fprintf(w, "  %s(%s)\n", op.Name, paramOrder(op))
	}
}
