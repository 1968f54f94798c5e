// Package datadir keeps the small state files that the server and the
// command-line tools share through a data directory: the domains the
// server serves from it, so that `parley user add alice@example.com`
// works on the data of `parley serve --domain example.com` without the
// domain being repeated; and the server's secrets that must outlive a
// restart (the key of the fake SCRAM salts shown for unknown users).
//
// The files are plain text, written atomically (a temporary file renamed
// over the old one), so a command reading while the server starts sees
// either the old content or the new.
package datadir

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DomainsFile is the name, inside the data directory, of the list of
// served domains.
const DomainsFile = "served-domains"

const domainsHeader = "# Domains served by the Parley server last started on this data directory.\n" +
	"# Written by `parley serve` at every start; read by the commands that work on\n" +
	"# this data (parley user, room, site, import). Edit the server's hosts, not this file.\n"

// WriteDomains records the domains the server serves from dir.
func WriteDomains(dir string, domains []string) error {
	var b bytes.Buffer
	b.WriteString(domainsHeader)
	for _, d := range domains {
		b.WriteString(d)
		b.WriteByte('\n')
	}
	return writeFile(filepath.Join(dir, DomainsFile), b.Bytes(), 0o644)
}

// ReadDomains returns the domains recorded in dir, or nil if no server
// has recorded any there.
func ReadDomains(dir string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(dir, DomainsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// SASLSecretFile is the name, inside the data directory, of the key
// from which fake SCRAM salts for unknown users are derived.
const SASLSecretFile = "sasl-secret"

// Secret returns the secret of size random bytes kept in dir under name,
// creating it (readable by the owner only) the first time.
func Secret(dir, name string, size int) ([]byte, error) {
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err == nil {
		b, derr := hex.DecodeString(strings.TrimSpace(string(data)))
		if derr != nil || len(b) < size {
			return nil, fmt.Errorf("datadir: %s is not a secret of %d hex-encoded bytes (remove it to make a new one)", path, size)
		}
		return b[:size], nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := createFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Secret(dir, name, size) // another process made it first
		}
		return nil, err
	}
	return b, nil
}

// createFile writes a new file at path with data, failing with
// fs.ErrExist if there is one: written to a temporary file and linked
// into place, so that no reader sees it half written.
func createFile(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(perm)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("datadir: write %s: %w", path, werr)
	}
	return os.Link(tmp, path)
}

// writeFile replaces path with data atomically, unless it already holds
// exactly data.
func writeFile(path string, data []byte, perm fs.FileMode) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(perm)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("datadir: write %s: %w", path, werr)
	}
	return nil
}
