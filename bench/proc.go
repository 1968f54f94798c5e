package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// serverCPU returns utime+stime of pid in seconds (from /proc).
func serverCPU(pid int) (float64, error) {
	if pid == 0 {
		return 0, fmt.Errorf("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat")
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}

// serverRSS returns the resident set size of pid in bytes.
func serverRSS(pid int) (int64, error) {
	if pid == 0 {
		return 0, fmt.Errorf("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, err := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}

// serversCPU is serverCPU of the server and of the other nodes of its
// cluster (ClusterPIDs), summed.
func (o *Options) serversCPU() (float64, error) {
	total, err := serverCPU(o.ServerPID)
	for _, pid := range o.ClusterPIDs {
		c, e := serverCPU(pid)
		if e != nil && err == nil {
			err = e
		}
		total += c
	}
	return total, err
}

// serversRSS is serverRSS of the server and of the other nodes of its
// cluster, summed.
func (o *Options) serversRSS() (int64, error) {
	total, err := serverRSS(o.ServerPID)
	for _, pid := range o.ClusterPIDs {
		r, e := serverRSS(pid)
		if e != nil && err == nil {
			err = e
		}
		total += r
	}
	return total, err
}
