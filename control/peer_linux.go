package control

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// checkPeer admits a peer running as the server's user, or root.
func checkPeer(c *net.UnixConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if cerr != nil {
		return cerr
	}
	if int(cred.Uid) != os.Getuid() && cred.Uid != 0 {
		return fmt.Errorf("peer uid %d (pid %d) is not the server's uid %d", cred.Uid, cred.Pid, os.Getuid())
	}
	return nil
}
