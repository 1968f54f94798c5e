package server

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/parley-im/parley/im/disco"
	"github.com/parley-im/parley/im/upload"
	"github.com/parley-im/parley/xmpp/xml"
)

// startUpload starts HTTP file upload (XEP-0363): the slot service on
// <subdomain>.<host> for every host, and its cleanup.
func (s *Server) startUpload(send func(context.Context, *xml.Element)) error {
	c := s.cfg.Upload
	if !c.Enabled {
		return nil
	}
	key, err := s.uploadKey()
	if err != nil {
		return err
	}
	disk, err := upload.NewDisk(s.cfg.UploadDir())
	if err != nil {
		return err
	}
	domains := make([]string, 0, len(s.cfg.Hosts))
	for _, h := range s.cfg.Hosts {
		domains = append(domains, c.Subdomain+"."+h)
	}
	s.pers.upload = upload.New(upload.Config{
		Domains: domains, Store: s.store, Storage: disk, Key: key, BaseURL: s.uploadBaseURL,
		MaxFileSize: int64(c.MaxFileSize), Quota: int64(c.Quota), AllowedTypes: c.AllowedTypes,
		ExpireAfter: c.ExpireAfter.Duration, SlotLifetime: c.SlotLifetime.Duration,
		Send: send, Logger: s.log.With("module", "upload"),
	})
	for _, d := range domains {
		s.router.RegisterComponent(d, s.pers.upload)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.pers.upload.Run(s.runCtx, c.CleanupInterval.Duration)
	}()
	return nil
}

// registerUpload serves the files on the HTTP listeners.
func (s *Server) registerUpload(mux *http.ServeMux) {
	if s.pers.upload != nil {
		mux.Handle(upload.Prefix, s.pers.upload.Handler())
	}
}

// uploadBaseURL is scheme://host[:port] of the upload URLs for accounts
// of host: upload.public_url, http.public_url, or the host with the
// port of the HTTPS listener (the HTTP one when there is no HTTPS).
func (s *Server) uploadBaseURL(host string) string {
	if u := s.cfg.Upload.PublicURL; u != "" {
		return u
	}
	if u := s.cfg.HTTP.PublicURL; u != "" {
		return u
	}
	for _, l := range []struct{ name, scheme string }{{"https", "https"}, {"http", "http"}} {
		if a := s.Addr(l.name); a != nil {
			_, port, _ := net.SplitHostPort(a.String())
			return fmt.Sprintf("%s://%s", l.scheme, net.JoinHostPort(host, port))
		}
	}
	return "https://" + host
}

// uploadDiscoItems lists the upload service among the server's items.
func (s *Server) uploadDiscoItems(domain string) []disco.Item {
	if s.pers.upload == nil {
		return nil
	}
	return []disco.Item{{JID: s.cfg.Upload.Subdomain + "." + domain, Name: "HTTP File Upload"}}
}
