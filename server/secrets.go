package server

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/parley-im/parley/datadir"
	"github.com/parley-im/parley/im/upload"
)

// The names of the secrets the nodes of a cluster share through the
// store (store.Nodes.SharedSecret).
const (
	secretDialback = "s2s-dialback" // dialback keys (XEP-0185): any node verifies another's
	secretSASL     = "sasl"         // unknown users' SCRAM salts: the same on every node
	secretUpload   = "upload"       // upload URLs: signed on one node, checked on another
	secretPages    = "pages"        // web pages' CSRF tokens: made on one node, checked on another
)

// sharedSecrets are the secrets a server keeps for the parts that sign
// or derive something a client or another server shows again later, to
// this node or (in a cluster) to any other. On a single server they
// come from the data directory or the process; on a node of a cluster
// from the shared store, so that all nodes agree.
type sharedSecrets struct {
	dialback, sasl, upload, pages []byte // nil: the part's own default
}

// loadSecrets fills s.secrets: from the store on a node of a cluster,
// else the SASL secret from the data directory (the others keep their
// own defaults: dialback and pages per process, upload from its
// setting or the data directory).
func (s *Server) loadSecrets(ctx context.Context) error {
	if s.cfg.Cluster.Node == "" {
		sasl, err := datadir.Secret(s.cfg.DataDir, datadir.SASLSecretFile, 32)
		if err != nil {
			s.log.Warn("no SASL secret in the data directory: unknown users' SCRAM salts will change at every restart, which tells them from real users", "err", err)
		}
		s.secrets.sasl = sasl
		return nil
	}
	for _, x := range []struct {
		name string
		dst  *[]byte
	}{{secretDialback, &s.secrets.dialback}, {secretSASL, &s.secrets.sasl}, {secretUpload, &s.secrets.upload}, {secretPages, &s.secrets.pages}} {
		candidate := make([]byte, 32)
		rand.Read(candidate)
		v, err := s.store.SharedSecret(ctx, x.name, candidate)
		if err != nil {
			return fmt.Errorf("cluster: the shared %s secret: %w", x.name, err)
		}
		*x.dst = v
	}
	return nil
}

// uploadKey is the key of upload URLs: upload.secret when set, else the
// cluster's shared one, else the data directory's.
func (s *Server) uploadKey() ([]byte, error) {
	if s.cfg.Upload.Secret == "" && s.secrets.upload != nil {
		return s.secrets.upload, nil
	}
	return upload.LoadKey(s.cfg.Upload.Secret, s.cfg.DataDir)
}
