package router

// AddComponent registers c for domain unless a component already serves
// it, and reports whether it did. External components (XEP-0114)
// connect and disconnect while the server runs; the first connection
// for a domain keeps it.
func (r *Local) AddComponent(domain string, c Component) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.components.Load()
	if cur != nil {
		if _, taken := (*cur)[domain]; taken {
			return false
		}
	}
	r.storeComponents(cur, func(next map[string]Component) { next[domain] = c })
	return true
}

// RemoveComponent unregisters c from domain, if c still serves it.
func (r *Local) RemoveComponent(domain string, c Component) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.components.Load()
	if cur == nil || (*cur)[domain] != c {
		return
	}
	r.storeComponents(cur, func(next map[string]Component) { delete(next, domain) })
}

// storeComponents publishes a copy of cur changed by edit (r.mu held).
func (r *Local) storeComponents(cur *map[string]Component, edit func(map[string]Component)) {
	next := make(map[string]Component)
	if cur != nil {
		for k, v := range *cur {
			next[k] = v
		}
	}
	edit(next)
	r.components.Store(&next)
}
