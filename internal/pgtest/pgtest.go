// Package pgtest runs a throwaway PostgreSQL server for tests: Debian's
// binaries (initdb, pg_ctl from /usr/lib/postgresql/*/bin) in a temporary
// directory, listening on a loopback port, never the system service.
//
// One server serves a whole test process: [Shared] starts it on first
// use. Tests get isolation cheaply from [Server.NewSchema] (a fresh
// schema, named in the DSN's search_path, kept until the process ends)
// or [Server.NewDatabase] (a fresh database, dropped when the test ends).
//
// The server outlives no test process, however that process ends: it
// runs under a small supervisor shell whose standard input is a pipe
// from the test process. When that pipe closes (the process exited,
// crashed or was killed), the supervisor stops PostgreSQL and removes
// the directory. The supervisor has its own process group, so a Ctrl-C
// in the terminal reaches the test process only, and cleanup still runs.
// Directories left by a supervisor that was itself killed are removed by
// the next [Shared].
//
// Run as root (as CI does), initdb refuses to work; the server then runs
// as the postgres user that the Debian package creates.
//
// Without the binaries, [Shared] skips the test with a message saying
// what to install (make test-deps installs it).
package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoBinaries reports that no PostgreSQL installation was found.
var ErrNoBinaries = errors.New("pgtest: PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin; " +
	"install the Debian package postgresql (make test-deps does), or set PARLEY_PG_BIN to a directory holding them")

// dirPrefix names the temporary directories, so that stale ones can be
// found and removed.
const dirPrefix = "parley-pgtest-"

// startTries bounds the retries when the chosen port is taken meanwhile.
const startTries = 5

// Server is a running PostgreSQL server. Connect as the superuser
// "postgres" without a password (trust authentication, loopback only).
type Server struct {
	Host string // 127.0.0.1
	Port int
	// Bin is the directory of the PostgreSQL binaries used.
	Bin string

	dir   string
	stdin io.WriteCloser // closing it stops the server
	cmd   *exec.Cmd

	mu sync.Mutex
	n  int // names handed out
}

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Shared returns the test process's server, starting it on first use.
// It skips tb when PostgreSQL is not installed and fails it when the
// server cannot start.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start() })
	if errors.Is(sharedErr, ErrNoBinaries) {
		tb.Skip(sharedErr.Error())
	}
	if sharedErr != nil {
		tb.Fatalf("pgtest: %v", sharedErr)
	}
	return shared
}

// Available reports whether PostgreSQL binaries are installed.
func Available() bool {
	_, err := binDir()
	return err == nil
}

// binDir finds the newest /usr/lib/postgresql/N/bin holding initdb and
// pg_ctl, or PARLEY_PG_BIN.
func binDir() (string, error) {
	if d := os.Getenv("PARLEY_PG_BIN"); d != "" {
		return d, checkBin(d)
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	for _, d := range matches {
		if checkBin(d) == nil {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func version(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

func checkBin(d string) error {
	for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(d, b)); err != nil || fi.IsDir() {
			return ErrNoBinaries
		}
	}
	return nil
}

// Start starts a new server; Stop (or the end of the process) stops it.
// Most tests want Shared.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	removeStale()
	cred, owner, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	// Our pid, for removeStale: a directory whose process is gone is stale.
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if owner != nil {
		if err := os.Chown(dir, owner.uid, owner.gid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	s := &Server{Host: "127.0.0.1", Bin: bin, dir: dir}
	if err := s.initdb(cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for try := 1; ; try++ {
		err = s.start(cred)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) || try == startTries {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

type ids struct{ uid, gid int }

// serverUser is who runs PostgreSQL: ourselves, or (as root, which
// initdb refuses) the postgres user.
func serverUser() (*syscall.Credential, *ids, error) {
	if os.Geteuid() != 0 {
		return nil, nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, nil, fmt.Errorf("pgtest: running as root, PostgreSQL must run as another user, and there is no user postgres (%v); "+
			"install the Debian package postgresql, which creates it", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, &ids{uid, gid}, nil
}

func (s *Server) initdb(cred *syscall.Credential) error {
	// The ICU en-US default collation sorts like a real installation
	// (case and punctuation folded), not like C: a query that depends on
	// byte order without saying COLLATE "C" fails here as it would there.
	args := []string{"-D", filepath.Join(s.dir, "data"), "-U", "postgres", "--auth=trust", "--no-sync",
		"--encoding=UTF8", "--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US"}
	if version(s.Bin) < 15 {
		args = args[:len(args)-2] // no ICU default collation before 15
	}
	cmd := exec.Command(filepath.Join(s.Bin, "initdb"), args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	return nil
}

var errPortTaken = errors.New("port taken")

// supervisor starts PostgreSQL, says "ready", and waits for its standard
// input to close; then stops PostgreSQL and removes the directory.
const supervisor = `
bin=$1 dir=$2 port=$3
trap '' INT HUP
"$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-p $port -k $dir -c listen_addresses=127.0.0.1 \
 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 \
 -c shared_buffers=128MB -c max_locks_per_transaction=256" start >"$dir/pg_ctl.log" 2>&1 || exit 1
echo ready
cat >/dev/null
"$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
rm -rf "$dir"
`

func (s *Server) start(cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	cmd := exec.Command("/bin/sh", "-c", supervisor, "pgtest", s.Bin, s.dir, strconv.Itoa(port))
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start supervisor: %w", err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		stdin.Close()
		werr := cmd.Wait()
		log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
		ctl, _ := os.ReadFile(filepath.Join(s.dir, "pg_ctl.log"))
		os.Remove(filepath.Join(s.dir, "server.log"))
		if strings.Contains(string(log), "could not bind") || strings.Contains(string(log), "already in use") {
			return fmt.Errorf("%w: %d", errPortTaken, port)
		}
		return fmt.Errorf("pgtest: pg_ctl start on port %d: %v\n%s\n%s", port, werr, ctl, log)
	}
	s.Port, s.stdin, s.cmd = port, stdin, cmd
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop stops the server and removes its directory.
func (s *Server) Stop() error {
	s.stdin.Close()
	return s.cmd.Wait()
}

// removeStale removes directories of servers whose test process is gone
// (their supervisor was killed before it could clean up).
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // alive, or not ours to judge
		}
		if pm, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			// A server still runs from it: stop it first.
			if pg, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pm), "\n", 2)[0])); err == nil && pg > 0 {
				syscall.Kill(pg, syscall.SIGQUIT)
				for i := 0; i < 100 && syscall.Kill(pg, 0) == nil; i++ {
					time.Sleep(50 * time.Millisecond)
				}
			}
		}
		os.RemoveAll(d)
	}
}

// DSN is the connection string of database db (and schema, when not
// "", as the search_path).
func (s *Server) DSN(db, schema string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), Path: "/" + db}
	q := url.Values{"sslmode": {"disable"}}
	if schema != "" {
		q.Set("search_path", schema)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Exec runs sql as the superuser in database db.
func (s *Server) Exec(ctx context.Context, db, sql string) error {
	c, err := pgx.Connect(ctx, s.DSN(db, ""))
	if err != nil {
		return fmt.Errorf("pgtest: connect to %s: %w", db, err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pgtest: %s: %w", sql, err)
	}
	return nil
}

func (s *Server) name(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), s.n)
}

// sharedDB is the database in which NewSchema makes schemas.
const sharedDB = "pgtest"

var sharedDBOnce sync.Once

// NewDatabase creates an empty database for tb and returns its DSN; the
// database is dropped when tb ends.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := s.name("db")
	ctx := context.Background()
	if err := s.Exec(ctx, "postgres", "CREATE DATABASE "+name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Exec(context.Background(), "postgres", "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("%v", err)
		}
	})
	return s.DSN(name, "")
}

// NewSchema creates an empty schema for tb in a database shared by the
// process's tests and returns a DSN whose search_path names it, so that
// everything created through the DSN goes there. Much cheaper than a
// database (no copy of a template). The schema stays until the server
// stops with the test process.
func (s *Server) NewSchema(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	sharedDBOnce.Do(func() {
		if err := s.Exec(ctx, "postgres", "CREATE DATABASE "+sharedDB); err != nil {
			tb.Fatal(err)
		}
	})
	name := s.name("s")
	if err := s.Exec(ctx, sharedDB, "CREATE SCHEMA "+name); err != nil {
		tb.Fatal(err)
	}
	// Not dropped at the end of tb: dropping costs more than creating,
	// and the whole server goes with the test process.
	return s.DSN(sharedDB, name)
}
