// Package datadir keeps the small state files that the server and the
// command-line tools share through a data directory: the domains the
// server serves from it, so that `parley user add alice@example.com`
// works on the data of `parley serve --domain example.com` without the
// domain being repeated.
//
// The files are plain text, written atomically (a temporary file renamed
// over the old one), so a command reading while the server starts sees
// either the old content or the new.
package datadir

import (
	"bufio"
	"bytes"
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
