package server

import "net/http"

// registerIntegration mounts the integration services' SOAP and JSON
// bindings (/imtapp/ws/..., /api/v1/...).
func (s *Server) registerIntegration(mux *http.ServeMux) {
	_ = mux // filled by the integration bindings work (issue 5)
}
