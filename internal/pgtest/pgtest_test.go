package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestSchemaIsolation(t *testing.T) {
	s := Shared(t)
	ctx := context.Background()
	a, b := s.NewSchema(t), s.NewSchema(t)
	for i, dsn := range []string{a, b} {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `CREATE TABLE t (v int)`); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, `INSERT INTO t VALUES ($1)`, i); err != nil {
			t.Fatal(err)
		}
		var n, v int
		if err := c.QueryRow(ctx, `SELECT count(*), max(v) FROM t`).Scan(&n, &v); err != nil || n != 1 || v != i {
			t.Fatalf("schema %d sees %d rows, max %d, %v", i, n, v, err)
		}
	}
}

// The default collation is not byte order, as on a real installation:
// queries that need byte order must say so.
func TestDefaultCollationIsNotC(t *testing.T) {
	s := Shared(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var natural, c1 string
	err = c.QueryRow(ctx, `SELECT string_agg(v, ' ' ORDER BY v), string_agg(v, ' ' ORDER BY v COLLATE "C")
		FROM unnest(ARRAY['b','B','a','_z']) AS v`).Scan(&natural, &c1)
	if err != nil {
		t.Fatal(err)
	}
	if c1 != "B _z a b" {
		t.Fatalf(`COLLATE "C" order %q`, c1)
	}
	if natural == c1 {
		t.Fatalf("default collation sorts like C (%q): the ICU default did not take", natural)
	}
}

// childEnv makes the test binary, run again, start a server and exit
// without stopping it.
const childEnv = "PGTEST_CHILD_EXIT"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		s, err := Start()
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println(s.Port, s.dir)
		os.Exit(0) // no Stop: the supervisor must notice
	}
	os.Exit(m.Run())
}

// A test process that ends without stopping its server (crash, os.Exit,
// kill -9) leaves neither a running server nor its directory.
func TestServerDiesWithTestProcess(t *testing.T) {
	if !Available() {
		t.Skip(ErrNoBinaries.Error())
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		t.Fatalf("child said %q", out)
	}
	port, _ := strconv.Atoi(fields[0])
	dir := fields[1]
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, derr := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if derr == nil {
			c.Close()
		}
		_, serr := os.Stat(dir)
		if derr != nil && os.IsNotExist(serr) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30s after its test process ended: server on port %d accepts: %v; directory %s: %v", port, derr == nil, dir, serr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStopRemovesDirectory(t *testing.T) {
	if !Available() {
		t.Skip(ErrNoBinaries.Error())
	}
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(context.Background(), "postgres", "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Fatalf("directory %s after Stop: %v", s.dir, err)
	}
}
