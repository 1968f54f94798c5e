package config

// PEP configures personal eventing (XEP-0163 on a XEP-0060 subset): the
// nodes each account may publish to (avatars, bookmarks, OMEMO keys, ...).
type PEP struct {
	// MaxNodes is the most nodes one account may have.
	MaxNodes int `toml:"max_nodes"`
	// MaxItems is the most items one node keeps; pubsub#max_items "max"
	// means this, and a node configured for more is refused.
	MaxItems int `toml:"max_items"`
	// MaxItemBytes is the largest item payload accepted, serialized.
	MaxItemBytes int `toml:"max_item_bytes"`
}

// VCard configures vcard-temp (XEP-0054).
type VCard struct {
	// MaxBytes is the largest vCard accepted, serialized (a photo counts
	// base64-encoded).
	MaxBytes int `toml:"max_bytes"`
}

// PrivateStorage configures private XML storage (XEP-0049).
type PrivateStorage struct {
	// MaxBytes is the largest element stored for one namespace.
	MaxBytes int `toml:"max_bytes"`
	// MaxNamespaces is how many namespaces one account may store.
	MaxNamespaces int `toml:"max_namespaces"`
}

// Blocking configures the blocking command (XEP-0191).
type Blocking struct {
	// MaxItems is the most JIDs one account may block.
	MaxItems int `toml:"max_items"`
}

func defaultPEP() PEP {
	return PEP{MaxNodes: 100, MaxItems: 1000, MaxItemBytes: 128 << 10}
}

func (c *Config) validatePersonal(v *validator) {
	v.atLeast("pep.max_nodes", c.PEP.MaxNodes, 1)
	v.atLeast("pep.max_items", c.PEP.MaxItems, 1)
	v.atLeast("pep.max_item_bytes", c.PEP.MaxItemBytes, 1024)
	v.atLeast("vcard.max_bytes", c.VCard.MaxBytes, 1024)
	v.atLeast("private_storage.max_bytes", c.PrivateStorage.MaxBytes, 1024)
	v.atLeast("private_storage.max_namespaces", c.PrivateStorage.MaxNamespaces, 1)
	v.atLeast("blocking.max_items", c.Blocking.MaxItems, 1)
}
