package store

// Sites stores integrating sites (seed 001 chapter 2): filled by the
// integration services work (issue 5).
type Sites interface{}

// Tokens stores authentication tokens (seed 001 chapter 3): filled by
// the integration services work (issue 5).
type Tokens interface{}
