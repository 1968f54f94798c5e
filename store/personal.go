package store

import (
	"context"
	"time"
)

// PersonalData is what an account keeps on the server besides its
// roster and messages: personal eventing nodes (XEP-0163), its block
// list (XEP-0191), private XML (XEP-0049) and uploaded files
// (XEP-0363). DeleteUser removes all of it.
type PersonalData interface {
	PEP
	Blocklists
	PrivateXML
	Uploads
}

// PEPNode is one personal eventing node of an account (XEP-0163).
type PEPNode struct {
	Node string
	// Config is the node's configuration as its owner package (im/pep)
	// encodes it; stores keep it opaque.
	Config []byte
}

// PEPItem is one item published to a node.
type PEPItem struct {
	ID        string
	Publisher string    // bare JID of the publisher
	Payload   []byte    // the serialized payload element
	Published time.Time // stores keep at least milliseconds, in UTC
}

// PEPItemQuery selects items of a node.
type PEPItemQuery struct {
	IDs []string // only these items (unknown ids are ignored); nil for all
	Max int      // at most this many, the newest; 0 for all
}

// PEP stores the personal eventing nodes of accounts and their items.
// Items are ordered by publication: publishing an existing id replaces
// it and makes it the newest.
type PEP interface {
	// PEPNodes returns owner's nodes, sorted by name.
	PEPNodes(ctx context.Context, owner string) ([]PEPNode, error)
	// PEPNode returns one node or ErrNotFound.
	PEPNode(ctx context.Context, owner, node string) (PEPNode, error)
	// CreatePEPNode adds a node: ErrExists if owner has it,
	// ErrQuotaExceeded if owner already has maxNodes nodes (maxNodes > 0),
	// ErrNotFound if owner has no account.
	CreatePEPNode(ctx context.Context, owner string, n PEPNode, maxNodes int) error
	// ConfigurePEPNode replaces a node's configuration and drops its
	// oldest items beyond maxItems (maxItems > 0); ErrNotFound if absent.
	ConfigurePEPNode(ctx context.Context, owner, node string, config []byte, maxItems int) error
	// DeletePEPNode removes a node with its items; ErrNotFound if absent.
	DeletePEPNode(ctx context.Context, owner, node string) error
	// PublishPEPItem stores an item as the node's newest (replacing one
	// with the same id) and drops the oldest items beyond maxItems
	// (maxItems > 0); ErrNotFound if the node does not exist.
	PublishPEPItem(ctx context.Context, owner, node string, it PEPItem, maxItems int) error
	// PEPItems returns items of a node, newest first; ErrNotFound if the
	// node does not exist.
	PEPItems(ctx context.Context, owner, node string, q PEPItemQuery) ([]PEPItem, error)
	// RetractPEPItem deletes one item; ErrNotFound if absent.
	RetractPEPItem(ctx context.Context, owner, node, id string) error
	// PurgePEPNode deletes every item of a node; ErrNotFound if the
	// node does not exist.
	PurgePEPNode(ctx context.Context, owner, node string) error
}

// Blocklists stores each account's block list (XEP-0191): the JIDs it
// blocks, as written by the user (bare, full, domain or domain/resource).
type Blocklists interface {
	// Blocklist returns owner's blocked JIDs, sorted.
	Blocklist(ctx context.Context, owner string) ([]string, error)
	// AllBlocklists returns every non-empty block list by owner.
	AllBlocklists(ctx context.Context) (map[string][]string, error)
	// Block adds JIDs (those already blocked are kept once);
	// ErrQuotaExceeded if the list would then hold more than max (max >
	// 0), and nothing is added; ErrNotFound if owner has no account.
	Block(ctx context.Context, owner string, jids []string, max int) error
	// Unblock removes JIDs; unknown ones are ignored.
	Unblock(ctx context.Context, owner string, jids []string) error
	// UnblockAll empties owner's list.
	UnblockAll(ctx context.Context, owner string) error
}

// PrivateXML stores private XML (XEP-0049): one serialized element per
// account and namespace.
type PrivateXML interface {
	// PrivateXML returns owner's element of a namespace, or ErrNotFound.
	PrivateXML(ctx context.Context, owner, namespace string) ([]byte, error)
	// PutPrivateXML stores or replaces it (empty data deletes it);
	// ErrQuotaExceeded if it is a new namespace and owner already has
	// maxNamespaces (> 0); ErrNotFound if owner has no account.
	PutPrivateXML(ctx context.Context, owner, namespace string, data []byte, maxNamespaces int) error
}

// Upload states.
const (
	UploadPending   = "pending"   // slot handed out, nothing received yet
	UploadReceiving = "receiving" // a PUT is storing the file
	UploadDone      = "done"      // the file is stored and can be downloaded
)

// Upload is a slot for, and then the record of, a file uploaded over
// HTTP (XEP-0363).
type Upload struct {
	ID          string // unguessable, chosen by the caller
	Owner       string // bare JID
	Filename    string
	Size        int64
	ContentType string
	State       string    // UploadPending, UploadReceiving or UploadDone
	Created     time.Time // stores keep milliseconds, in UTC
	// Expires is when the slot lapses (pending, receiving) or the file
	// is deleted (done); zero: never.
	Expires time.Time
}

// Uploads stores upload slots and records. The files themselves are
// kept elsewhere (im/upload's storage).
type Uploads interface {
	// CreateUpload adds a pending slot: ErrQuotaExceeded if owner's
	// uploads (every state) would then add up to more than quota bytes
	// (quota > 0), ErrExists if the id is taken, ErrNotFound if owner has
	// no account.
	CreateUpload(ctx context.Context, u Upload, quota int64) error
	// Upload returns a record or ErrNotFound.
	Upload(ctx context.Context, id string) (Upload, error)
	// ClaimUpload moves a pending slot that has not expired at now to
	// receiving and returns it; ErrNotFound if there is no such slot (it
	// never existed, expired, or was claimed already).
	ClaimUpload(ctx context.Context, id string, now time.Time) (Upload, error)
	// CompleteUpload moves a receiving upload to done with its file's
	// expiry; ErrNotFound if it is not receiving.
	CompleteUpload(ctx context.Context, id string, expires time.Time) error
	// DeleteUpload removes a record; ErrNotFound if absent.
	DeleteUpload(ctx context.Context, id string) error
	// UploadUsage is the sum of the sizes of owner's uploads.
	UploadUsage(ctx context.Context, owner string) (int64, error)
	// ExpiredUploads returns up to limit records whose Expires is set
	// and not after now, oldest expiry first.
	ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]Upload, error)
	// OwnerUploads returns owner's records, oldest first.
	OwnerUploads(ctx context.Context, owner string) ([]Upload, error)
}
