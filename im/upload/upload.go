// Package upload is HTTP file upload (XEP-0363). Its XMPP side is a
// service on upload.<host> that hands out slots: a client asks for one
// with the file's name, size and type, and gets a PUT URL, signed,
// single-use and expiring, and the GET URL the file will have. Its HTTP
// side (http.go) runs on Parley's own HTTP listener under /upload/:
// PUT stores the file, GET serves it with its content type (risky types
// as attachments). Limits: the file size and the content types allowed,
// and a quota per account. Files expire and are deleted, as are slots
// never used and files whose account is gone.
//
// Slots and file records are in the store (store.Uploads); the files in
// a Storage (Disk by default). The URL key is shared through the
// configuration or the data directory, so any node with the same
// database and storage can take an upload.
package upload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parley-im/parley/store"
	"github.com/parley-im/parley/xmpp/dataform"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/stanza"
	"github.com/parley-im/parley/xmpp/xml"
)

// Config wires a Service.
type Config struct {
	// Domains are the service's addresses (upload.<host>), each serving
	// the accounts of its host.
	Domains []string
	Store   store.Uploads
	Storage Storage
	Key     []byte // signs PUT URLs
	// BaseURL returns scheme://host[:port] of the URLs for an account
	// of the given host.
	BaseURL      func(host string) string
	MaxFileSize  int64
	Quota        int64    // per account; 0: none
	AllowedTypes []string // "image/png", "image/*"; empty: any
	ExpireAfter  time.Duration
	SlotLifetime time.Duration
	// Send delivers the service's answers to local users.
	Send   func(ctx context.Context, el *xml.Element)
	Now    func() time.Time // default time.Now
	Logger *slog.Logger
}

// Service is the upload service.
type Service struct {
	cfg     Config
	log     *slog.Logger
	domains map[string]string // service domain -> host
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Service{cfg: cfg, log: log, domains: make(map[string]string)}
	for _, d := range cfg.Domains {
		_, host, _ := strings.Cut(d, ".")
		s.domains[d] = host
	}
	return s
}

// Receive handles a stanza addressed to the service (router.Component).
func (s *Service) Receive(ctx context.Context, el *xml.Element) {
	if el.Name != stanza.IQ {
		if el.Name == stanza.Message && stanza.CanReplyWithError(el) {
			s.cfg.Send(ctx, stanza.Error(el, stanza.ServiceUnavailable, "this is the file upload service"))
		}
		return
	}
	typ := el.Attr("type")
	if typ != "get" && typ != "set" {
		return
	}
	if len(el.Children) != 1 {
		s.cfg.Send(ctx, stanza.Error(el, stanza.BadRequest, ""))
		return
	}
	to, _ := jid.Parse(el.Attr("to"))
	p := el.Children[0]
	switch {
	case typ == "get" && p.Space == ns.DiscoInfo && p.Name == "query":
		s.cfg.Send(ctx, stanza.Result(el, s.discoInfo(p.Attr("node"))))
	case typ == "get" && p.Space == ns.DiscoItems && p.Name == "query":
		s.cfg.Send(ctx, stanza.Result(el, xml.NewElement(ns.DiscoItems, "query")))
	case typ == "get" && p.Space == ns.HTTPUpload && p.Name == "request" && to.Local() == "" && to.IsBare():
		s.cfg.Send(ctx, s.slot(ctx, el, p, s.domains[to.Domain()]))
	default:
		s.cfg.Send(ctx, stanza.Error(el, stanza.ServiceUnavailable, ""))
	}
}

// discoInfo advertises the service and its size limit (XEP-0363 §3).
func (s *Service) discoInfo(node string) *xml.Element {
	q := xml.NewElement(ns.DiscoInfo, "query")
	if node != "" {
		q.SetAttr("node", node)
	}
	q.AddChild(xml.NewElement(ns.DiscoInfo, "identity", xml.Attr{Name: "category", Value: "store"},
		xml.Attr{Name: "type", Value: "file"}, xml.Attr{Name: "name", Value: "HTTP File Upload"}))
	for _, f := range []string{ns.DiscoInfo, ns.HTTPUpload} {
		q.AddChild(xml.NewElement(ns.DiscoInfo, "feature", xml.Attr{Name: "var", Value: f}))
	}
	form := dataform.Form{Type: dataform.TypeResult, Fields: []dataform.Field{
		dataform.Hidden("FORM_TYPE", ns.HTTPUpload),
		{Var: "max-file-size", Values: []string{strconv.FormatInt(s.cfg.MaxFileSize, 10)}},
	}}
	q.AddChild(form.Element())
	return q
}

// slot answers a slot request (XEP-0363 §4).
func (s *Service) slot(ctx context.Context, iq, req *xml.Element, host string) *xml.Element {
	from, err := jid.Parse(iq.Attr("from"))
	if err != nil || from.Local() == "" || from.Domain() != host {
		return stanza.Error(iq, stanza.Forbidden, "only accounts of "+host+" may upload here")
	}
	size, err := strconv.ParseInt(req.Attr("size"), 10, 64)
	if err != nil || size < 1 {
		return stanza.Error(iq, stanza.BadRequest, "size must be a positive number of bytes")
	}
	if size > s.cfg.MaxFileSize {
		reply := stanza.Error(iq, stanza.NotAcceptable, "file too large: at most "+strconv.FormatInt(s.cfg.MaxFileSize, 10)+" bytes")
		reply.Child(ns.Client, "error").AddChild(xml.NewElement(ns.HTTPUpload, "file-too-large").
			AddChild(xml.NewElement(ns.HTTPUpload, "max-file-size").SetText(strconv.FormatInt(s.cfg.MaxFileSize, 10))))
		return reply
	}
	name := cleanName(req.Attr("filename"))
	if name == "" {
		return stanza.Error(iq, stanza.BadRequest, "a file name is required")
	}
	ctype, ok := cleanType(req.Attr("content-type"))
	if !ok {
		return stanza.Error(iq, stanza.BadRequest, "content-type is not a media type")
	}
	if !s.allowed(ctype) {
		return stanza.Error(iq, stanza.NotAcceptable, "files of type "+ctype+" are not accepted here")
	}
	now := s.cfg.Now()
	u := store.Upload{ID: newID(), Owner: from.Bare().String(), Filename: name, Size: size, ContentType: ctype,
		State: store.UploadPending, Created: now, Expires: now.Add(s.cfg.SlotLifetime)}
	err = s.cfg.Store.CreateUpload(ctx, u, s.cfg.Quota)
	switch {
	case errors.Is(err, store.ErrQuotaExceeded):
		return stanza.Error(iq, stanza.ResourceConstraint, "quota reached: your uploads may add up to "+strconv.FormatInt(s.cfg.Quota, 10)+" bytes; older files expire")
	case err != nil:
		s.log.Error("upload: slot", "owner", u.Owner, "err", err)
		return stanza.Error(iq, stanza.InternalServerError, "")
	}
	put, get := s.urls(host, u)
	slot := xml.NewElement(ns.HTTPUpload, "slot").
		AddChild(xml.NewElement(ns.HTTPUpload, "put", xml.Attr{Name: "url", Value: put})).
		AddChild(xml.NewElement(ns.HTTPUpload, "get", xml.Attr{Name: "url", Value: get}))
	return stanza.Result(iq, slot)
}

// urls are a slot's PUT and GET URLs.
func (s *Service) urls(host string, u store.Upload) (put, get string) {
	get = s.cfg.BaseURL(host) + Prefix + u.ID + "/" + url.PathEscape(u.Filename)
	exp := u.Expires.Unix()
	put = get + "?e=" + strconv.FormatInt(exp, 10) + "&s=" + sign(s.cfg.Key, u.ID, u.Filename, exp)
	return put, get
}

func (s *Service) allowed(ctype string) bool {
	if len(s.cfg.AllowedTypes) == 0 {
		return true
	}
	for _, a := range s.cfg.AllowedTypes {
		if a == ctype || (strings.HasSuffix(a, "/*") && strings.HasPrefix(ctype, strings.TrimSuffix(a, "*"))) {
			return true
		}
	}
	return false
}

// cleanName keeps a file name's last path element without control
// characters, at most 200 bytes.
func cleanName(n string) string {
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	n = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, n)
	n = strings.TrimSpace(n)
	if n == "." || n == "/" || n == ".." {
		return ""
	}
	for len(n) > 200 {
		_, size := utf8.DecodeLastRuneInString(n)
		n = n[:len(n)-size]
	}
	return n
}

// cleanType normalizes a content type ("" means
// application/octet-stream); ok is false if it is not a media type.
func cleanType(t string) (string, bool) {
	if strings.TrimSpace(t) == "" {
		return "application/octet-stream", true
	}
	mt, params, err := mime.ParseMediaType(t)
	if err != nil || !strings.Contains(mt, "/") {
		return "", false
	}
	return mime.FormatMediaType(mt, params), true
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// DeleteOwner removes an account's files (before the account is
// removed; the store deletes the records with the account).
func (s *Service) DeleteOwner(ctx context.Context, owner string) error {
	list, err := s.cfg.Store.OwnerUploads(ctx, owner)
	if err != nil {
		return fmt.Errorf("upload: files of %s: %w", owner, err)
	}
	for _, u := range list {
		if err := s.cfg.Storage.Delete(ctx, u.ID); err != nil {
			return err
		}
		if err := s.cfg.Store.DeleteUpload(ctx, u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// Cleanup deletes expired files and unused slots, and files no record
// names any more (their account was removed by another process) once
// they are older than a slot's lifetime. It returns how many files and
// records it removed.
func (s *Service) Cleanup(ctx context.Context) (int, error) {
	now := s.cfg.Now()
	removed := 0
	for {
		list, err := s.cfg.Store.ExpiredUploads(ctx, now, 500)
		if err != nil {
			return removed, fmt.Errorf("upload: expired: %w", err)
		}
		for _, u := range list {
			if err := s.cfg.Storage.Delete(ctx, u.ID); err != nil {
				return removed, err
			}
			if err := s.cfg.Store.DeleteUpload(ctx, u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return removed, err
			}
			removed++
		}
		if len(list) < 500 {
			break
		}
	}
	err := s.cfg.Storage.List(ctx, func(id string, stored time.Time) error {
		if now.Sub(stored) < s.cfg.SlotLifetime {
			return nil // maybe being completed right now
		}
		if _, err := s.cfg.Store.Upload(ctx, id); errors.Is(err, store.ErrNotFound) {
			removed++
			return s.cfg.Storage.Delete(ctx, id)
		}
		return nil
	})
	return removed, err
}

// Run cleans up every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Cleanup(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("upload: cleanup", "err", err)
		} else if n > 0 {
			s.log.Info("upload: cleaned up", "removed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
