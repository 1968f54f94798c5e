package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/internal/xmpptest"
)

// `parley node status` reaches the running server through its control
// channel; a single server says so, and drain refuses (no other node).
func TestNodeCommandOnASingleServer(t *testing.T) {
	dir := t.TempDir()
	xmpptest.RunServer(t, func(c *config.Config) { c.DataDir = dir })
	out := captureStdout(t, func() {
		if err := runIn(t, dir, nodeCmd, "status"); err != nil {
			t.Fatalf("node status: %v", err)
		}
	})
	if !strings.Contains(out, "single server") {
		t.Fatalf("status: %q", out)
	}
	if err := runIn(t, dir, nodeCmd, "drain"); err == nil || !strings.Contains(err.Error(), "not a node of a cluster") {
		t.Fatalf("drain on a single server: %v", err)
	}
}

func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, r)
		done <- b.String()
	}()
	fn()
	os.Stdout = old
	w.Close()
	return <-done
}
