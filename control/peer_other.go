//go:build !linux

package control

import "net"

// checkPeer relies on the socket's 0600 mode where peer credentials are
// not read.
func checkPeer(*net.UnixConn) error { return nil }
