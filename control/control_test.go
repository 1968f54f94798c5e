package control

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// socketPath is a short path for a socket (t.TempDir() may be too long
// for sun_path).
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "parley.sock")
}

func startServer(t *testing.T, path string) *Server {
	t.Helper()
	s := New(path, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	return s
}

func TestCallAndErrors(t *testing.T) {
	path := socketPath(t)
	s := startServer(t, path)
	s.Handle("echo", func(_ context.Context, args []string) (string, error) {
		return strings.Join(args, " ") + "\n", nil
	})
	s.Handle("fail", func(context.Context, []string) (string, error) {
		return "partial\n", errors.New("it broke")
	})
	ctx := context.Background()
	out, err := Call(ctx, path, "echo", "a", "b")
	if err != nil || out != "a b\n" {
		t.Fatalf("echo = %q, %v", out, err)
	}
	out, err = Call(ctx, path, "fail")
	if !errors.Is(err, ErrCommand) || !strings.Contains(err.Error(), "it broke") || out != "partial\n" {
		t.Fatalf("fail = %q, %v", out, err)
	}
	_, err = Call(ctx, path, "nope")
	if !errors.Is(err, ErrCommand) || !strings.Contains(err.Error(), `unknown command "nope"`) || !strings.Contains(err.Error(), "echo") {
		t.Fatalf("unknown = %v", err)
	}
}

func TestSocketIsOwnerOnly(t *testing.T) {
	path := socketPath(t)
	startServer(t, path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want a socket with 0600", fi.Mode())
	}
}

func TestBadRequests(t *testing.T) {
	path := socketPath(t)
	startServer(t, path)
	for _, req := range []string{"not json\n", "{}\n", `{"command": 5}` + "\n"} {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte(req))
		buf := make([]byte, 512)
		n, _ := c.Read(buf)
		c.Close()
		if !strings.Contains(string(buf[:n]), `"ok":false`) || !strings.Contains(string(buf[:n]), "bad request") {
			t.Errorf("%q -> %q", req, buf[:n])
		}
	}
}

func TestNotRunning(t *testing.T) {
	path := socketPath(t)
	if _, err := Call(context.Background(), path, "status"); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("no socket: %v", err)
	}
	// A socket file nobody listens on (a crashed server's).
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := Call(context.Background(), path, "status"); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("stale socket: %v", err)
	}
	// A new server replaces the stale file.
	s := startServer(t, path)
	s.Handle("status", func(context.Context, []string) (string, error) { return "ok", nil })
	if out, err := Call(context.Background(), path, "status"); err != nil || out != "ok" {
		t.Fatalf("after restart: %q %v", out, err)
	}
}

// A second server on the same socket refuses to start; the first keeps
// serving.
func TestInUse(t *testing.T) {
	path := socketPath(t)
	s := startServer(t, path)
	s.Handle("ping", func(context.Context, []string) (string, error) { return "pong", nil })
	second := New(path, nil)
	if err := second.Start(context.Background()); !errors.Is(err, ErrInUse) {
		second.Stop(context.Background())
		t.Fatalf("second Start = %v, want ErrInUse", err)
	}
	if out, err := Call(context.Background(), path, "ping"); err != nil || out != "pong" {
		t.Fatalf("first server: %q %v", out, err)
	}
}

func TestNotASocket(t *testing.T) {
	path := socketPath(t)
	os.WriteFile(path, []byte("data"), 0o600)
	s := New(path, nil)
	if err := s.Start(context.Background()); !errors.Is(err, ErrListen) {
		t.Fatalf("Start over a file = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "data" {
		t.Fatal("the file was touched")
	}
}

func TestStopRemovesSocket(t *testing.T) {
	path := socketPath(t)
	s := New(path, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left behind: %v", err)
	}
}

// The handler's context ends when the server stops.
func TestStopCancelsHandlers(t *testing.T) {
	path := socketPath(t)
	s := New(path, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	s.Handle("wait", func(ctx context.Context, _ []string) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	})
	done := make(chan error, 1)
	go func() {
		_, err := Call(context.Background(), path, "wait")
		done <- err
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // do not wait for the handler
	s.Stop(ctx)
	if err := <-done; !errors.Is(err, ErrCommand) {
		t.Fatalf("Call = %v", err)
	}
}

// TestSecretArgumentsNotLogged: a command registered with HandleSecret
// gets its arguments, but the log shows only the subcommand.
func TestSecretArgumentsNotLogged(t *testing.T) {
	path := socketPath(t)
	var logs strings.Builder
	s := New(path, slog.New(slog.NewTextHandler(&logs, nil)))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	var got []string
	s.HandleSecret("user", func(_ context.Context, args []string) (string, error) {
		got = args
		return "", nil
	})
	if _, err := Call(context.Background(), path, "user", "passwd", "alice@example.com", "hunter2"); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "passwd alice@example.com hunter2" {
		t.Fatalf("handler got %q", got)
	}
	if strings.Contains(logs.String(), "hunter2") || !strings.Contains(logs.String(), "passwd") {
		t.Fatalf("log: %s", logs.String())
	}
}
