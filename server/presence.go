package server

import "net/http"

// registerPresence mounts presence over HTTP (/imtapp/Presence,
// /plugins/presence/status).
func (s *Server) registerPresence(mux *http.ServeMux) {
	_ = mux // filled by the presence services work (issue 5)
}
