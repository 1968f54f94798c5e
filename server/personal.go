package server

import (
	"context"
	"time"

	"github.com/parley-im/parley/cluster"
	"github.com/parley-im/parley/im"
	"github.com/parley-im/parley/im/avatar"
	"github.com/parley-im/parley/im/blocking"
	"github.com/parley-im/parley/im/bookmarks"
	"github.com/parley-im/parley/im/caps"
	"github.com/parley-im/parley/im/disco"
	"github.com/parley-im/parley/im/entitytime"
	"github.com/parley-im/parley/im/lastactivity"
	"github.com/parley-im/parley/im/pep"
	"github.com/parley-im/parley/im/private"
	"github.com/parley-im/parley/im/register"
	"github.com/parley-im/parley/im/roster"
	"github.com/parley-im/parley/im/upload"
	"github.com/parley-im/parley/im/vcard"
	"github.com/parley-im/parley/xmpp/jid"
	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// personal holds the modules of what accounts keep on the server and
// the services modern clients expect (issue 11): PEP, blocking, ...
// The dispatcher and the roster engine consult some of them.
type personal struct {
	calls    *im.Calls
	caps     *caps.Cache
	blocking *blocking.Service
	pep      *pep.Service
	vcards   *vcard.Service
	avatars  *avatar.Converter
	upload   *upload.Service
	register *register.Service
}

// blocks is the XEP-0191 check the roster engine and the dispatcher
// consult; nobody blocks anyone before the blocking module is up.
func (s *Server) blocks(user string, other jid.JID) bool {
	return s.pers.blocking.Blocks(user, other)
}

// startPersonal wires the personal-data modules onto mux and disco;
// send delivers what its services (upload) send to local users.
func (s *Server) startPersonal(ctx context.Context, mux *im.Mux, engine *roster.Engine, d *disco.Service, send func(context.Context, *xml.Element)) error {
	p := &s.pers
	p.calls = im.NewCalls(10000)
	p.caps = caps.New(caps.Config{Calls: p.calls, CanAsk: s.boundHere()})

	p.blocking = blocking.New(blocking.Config{Store: s.store, Router: s.router, Roster: engine,
		MaxItems: s.cfg.Blocking.MaxItems, Logger: s.log.With("module", "blocking"), Changed: s.tellCluster(cluster.DataBlocklist)})
	if err := p.blocking.Start(ctx); err != nil {
		return err
	}
	mux.Handle(ns.Blocking, "blocklist", im.ToAccount, p.blocking.HandleIQ)
	mux.Handle(ns.Blocking, "block", im.ToAccount, p.blocking.HandleIQ)
	mux.Handle(ns.Blocking, "unblock", im.ToAccount, p.blocking.HandleIQ)

	p.pep = pep.New(pep.Config{
		Store: s.store, Router: s.router, Roster: engine, Caps: p.caps,
		Blocks: s.blocks, IsLocal: s.cfg.HasHost,
		MaxNodes: s.cfg.PEP.MaxNodes, MaxItems: s.cfg.PEP.MaxItems, MaxItemBytes: s.cfg.PEP.MaxItemBytes,
		OnPublish: s.published,
		Changed:   s.tellCluster(cluster.DataPEP),
		Logger:    s.log.With("module", "pep"),
	})
	p.pep.Register(mux)
	d.HandleNodes(p.pep.DiscoNodes)

	p.vcards = vcard.New(vcard.Config{Store: s.store, Router: s.router, Roster: engine, MaxBytes: s.cfg.VCard.MaxBytes,
		OnSet: s.vcardSet, Changed: s.tellCluster(cluster.DataVCard), Local: s.boundHere(), Logger: s.log.With("module", "vcard")})
	mux.Handle(ns.VCard, "vCard", im.ToAccount|im.ToContact, p.vcards.HandleIQ)
	mux.AddFeature(im.ToServer|im.ToAccount, ns.VCard)
	p.avatars = &avatar.Converter{PEP: p.pep, VCards: p.vcards, Log: s.log.With("module", "avatar")}
	mux.AddFeature(im.ToAccount, ns.PEPVCard)

	marks := &bookmarks.Service{PEP: p.pep, Store: s.store, Log: s.log.With("module", "bookmarks")}
	priv := private.New(private.Config{Store: s.store, MaxBytes: s.cfg.PrivateStorage.MaxBytes, MaxNamespaces: s.cfg.PrivateStorage.MaxNamespaces,
		Views:  map[string]private.View{ns.Bookmarks: {Get: marks.Get, Set: marks.Set}},
		Logger: s.log.With("module", "private")})
	mux.Handle(ns.Private, "query", im.ToAccount|im.ToContact, priv.HandleIQ)
	mux.AddFeature(im.ToAccount, ns.Bookmarks2+"#compat")

	last := lastactivity.New(lastactivity.Config{Store: s.store, Router: s.router, Roster: engine, Started: time.Now(), Logger: s.log})
	mux.Handle(ns.LastActivity, "query", im.ToServer|im.ToAccount|im.ToContact, last.HandleIQ)
	mux.Handle(ns.Time, "time", im.ToServer, entitytime.Handler(time.Now))
	s.startRegister(mux)
	s.startAdmin(mux, d)
	return s.startUpload(send)
}

// personalHooks are the dispatcher's hooks into the personal modules.
func (s *Server) personalHooks(c *im.Config) {
	c.Calls = s.pers.calls
	c.Blocks = s.blocks
	c.OnPresence = s.presenceChanged
	c.StampPresence = s.pers.vcards.StampPresence
}

func (s *Server) presenceChanged(ctx context.Context, ev im.PresenceChanged) {
	if s.pers.pep != nil {
		s.pers.pep.PresenceChanged(ctx, ev)
	}
}

// published hears PEP publications: avatars go into vCards (XEP-0398).
func (s *Server) published(ctx context.Context, p pep.Published) {
	if s.pers.avatars != nil {
		s.pers.avatars.Published(ctx, p)
	}
}

// vcardSet hears vCards clients store: photos go to PEP (XEP-0398).
func (s *Server) vcardSet(ctx context.Context, owner string, v *xml.Element) {
	if s.pers.avatars != nil {
		s.pers.avatars.VCardSet(ctx, owner, v)
	}
	s.webCardChanged(owner)
}

// forgetAccount drops what the modules keep in memory about a removed
// account.
func (s *Server) forgetAccount(bare string) {
	if s.pers.pep != nil {
		s.pers.pep.Forget(bare)
	}
	if s.pers.blocking != nil {
		s.pers.blocking.Forget(bare)
	}
	if s.pers.vcards != nil {
		s.pers.vcards.Forget(bare)
	}
	for _, what := range []cluster.Data{cluster.DataBlocklist, cluster.DataVCard, cluster.DataPEP} {
		if tell := s.tellCluster(what); tell != nil {
			tell(bare) // the other nodes read nothing back: they forget too
		}
	}
}
