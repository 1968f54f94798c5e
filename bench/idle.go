package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// Spawn logs in users offset..offset+n-1 and keeps them connected
// until the returned Closer is closed. It returns once all are in.
type Spawn func(ctx context.Context, offset, n int) (io.Closer, error)

// Idle connects o.Users users in steps (one per process when o.Procs >
// 1 and spawn starts processes, else four steps in this process),
// recording the server's RSS after each step, holds them for
// o.Duration, and reports RSS per connection two ways: (RSS held -
// RSS before) / N, and the least-squares slope over the steps.
func Idle(ctx context.Context, o Options, spawn Spawn) (Result, error) {
	o.defaults()
	r := Result{Server: o.Label, Scenario: "idle", Users: o.Users, Mechanism: o.Mechanism}
	if spawn == nil {
		spawn = inProcess(o)
	}
	steps := max(o.Procs, 1)
	if o.Procs <= 1 {
		steps = min(4, max(o.Users, 1))
	}
	cpu0, _ := serverCPU(o.ServerPID)
	rss0, rssErr := serverRSS(o.ServerPID)
	r.IdleRSSMiB = mib(rss0)
	var holders []io.Closer
	defer func() {
		for _, h := range holders {
			h.Close()
		}
	}()
	start := time.Now()
	held := 0
	pause := min(o.Duration, 2*time.Second)
	for s := range steps {
		n := (s+1)*o.Users/steps - s*o.Users/steps
		h, err := spawn(ctx, o.Offset+held, n)
		if err != nil {
			return r, err
		}
		holders = append(holders, h)
		held += n
		if rssErr == nil {
			sleepCtx(ctx, pause)
			if rss, err := serverRSS(o.ServerPID); err == nil {
				r.Points = append(r.Points, MemoryPoint{Conns: held, RSSMiB: mib(rss)})
			}
		}
	}
	r.Logins = held
	r.LoginsPerSec = float64(held) / time.Since(start).Seconds()
	sleepCtx(ctx, o.Duration-pause)
	if rss, err := serverRSS(o.ServerPID); err == nil {
		r.ServerRSSMiB = mib(rss)
		if held > 0 {
			r.RSSPerConnKB = float64(rss-rss0) / 1024 / float64(held)
		}
	}
	r.SlopeKB = slope(r.Points) * 1024
	if cpu1, err := serverCPU(o.ServerPID); err == nil {
		r.ServerCPUs = cpu1 - cpu0
	}
	return r, ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// slope is the least-squares slope of RSS (MiB) over connections.
func slope(ps []MemoryPoint) float64 {
	if len(ps) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, p := range ps {
		x := float64(p.Conns)
		sx, sy, sxx, sxy = sx+x, sy+p.RSSMiB, sxx+x*x, sxy+x*p.RSSMiB
	}
	n := float64(len(ps))
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}

type connSet []*conn

func (cs connSet) Close() error { closeAll(cs); return nil }

func inProcess(o Options) Spawn {
	return func(ctx context.Context, offset, n int) (io.Closer, error) {
		oo := o
		oo.Offset, oo.Users = offset, n
		conns, _, _, err := login(ctx, &oo)
		return connSet(conns), err
	}
}

// Hold is the child side of a process Spawn: it logs in o.Users users
// from o.Offset, writes "ready <n>" to out, keeps them connected until
// in reaches EOF (the parent closed the pipe or died), and closes them.
func Hold(ctx context.Context, o Options, in io.Reader, out io.Writer) error {
	conns, _, _, err := login(ctx, &o)
	if err != nil {
		fmt.Fprintf(out, "error %v\n", err)
		return err
	}
	defer closeAll(conns)
	fmt.Fprintf(out, "ready %d\n", len(conns))
	io.Copy(io.Discard, in)
	return nil
}

// ProcessSpawn runs each step in a child process started as
// argv(offset, n) (e.g. `parley bench hold --offset ... --users ...`),
// so that no process holds more open files than its limit allows.
func ProcessSpawn(argv func(offset, n int) []string) Spawn {
	return func(ctx context.Context, offset, n int) (io.Closer, error) {
		args := argv(offset, n)
		cmd := exec.Command(args[0], args[1:]...)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		p := &child{cmd: cmd, stdin: stdin}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if !strings.HasPrefix(line, "ready ") {
			p.Close()
			return nil, errors.Join(fmt.Errorf("bench child %d+%d: %s%s", offset, n, line, stderr.String()), err)
		}
		return p, nil
	}
}

type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func (c *child) Close() error {
	c.stdin.Close()
	return c.cmd.Wait()
}
