package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Storage keeps the uploaded files. Disk is the default; an
// S3-compatible object store is the obvious second implementation.
type Storage interface {
	// Put stores exactly size bytes from r as file id; ErrSize (and
	// nothing stored) if r has fewer or more.
	Put(ctx context.Context, id string, r io.Reader, size int64) error
	// Open returns a stored file for reading, or os.ErrNotExist.
	Open(ctx context.Context, id string) (io.ReadSeekCloser, error)
	// Delete removes a file; no error if it is not there.
	Delete(ctx context.Context, id string) error
	// List calls fn for every stored file with the time it was stored.
	List(ctx context.Context, fn func(id string, stored time.Time) error) error
}

// ErrSize is returned by Put when the body is not the announced size.
var ErrSize = errors.New("upload: the file is not the announced size")

// validID matches the ids the service hands out: 32 hex digits, safe as
// a file name.
var validID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Disk stores files in a directory, one file per id; a file being
// received is written under a temporary name and renamed when complete.
type Disk struct{ Dir string }

// NewDisk returns a Disk in dir, creating it (mode 0700). Files left
// half-written by a process that stopped while receiving are removed.
func NewDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload: create %s: %w", dir, err)
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "*.part"))
	for _, p := range parts {
		os.Remove(p)
	}
	return &Disk{Dir: dir}, nil
}

func (d *Disk) path(id string) (string, error) {
	if !validID.MatchString(id) {
		return "", fmt.Errorf("upload: bad file id %q", id)
	}
	return filepath.Join(d.Dir, id), nil
}

// Put implements Storage.
func (d *Disk) Put(_ context.Context, id string, r io.Reader, size int64) error {
	p, err := d.path(id)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(d.Dir, id+".*.part")
	if err != nil {
		return fmt.Errorf("upload: create: %w", err)
	}
	tmp := f.Name()
	n, err := io.Copy(f, io.LimitReader(r, size+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = ErrSize
	}
	if err != nil {
		os.Remove(tmp)
		if errors.Is(err, ErrSize) {
			return err
		}
		return fmt.Errorf("upload: write %s: %w", id, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("upload: store %s: %w", id, err)
	}
	return nil
}

// Open implements Storage.
func (d *Disk) Open(_ context.Context, id string) (io.ReadSeekCloser, error) {
	p, err := d.path(id)
	if err != nil {
		return nil, os.ErrNotExist
	}
	return os.Open(p)
}

// Delete implements Storage.
func (d *Disk) Delete(_ context.Context, id string) error {
	p, err := d.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("upload: delete %s: %w", id, err)
	}
	return nil
}

// List implements Storage (files being received are not listed).
func (d *Disk) List(_ context.Context, fn func(id string, stored time.Time) error) error {
	entries, err := os.ReadDir(d.Dir)
	if err != nil {
		return fmt.Errorf("upload: list: %w", err)
	}
	for _, e := range entries {
		if !validID.MatchString(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if err := fn(e.Name(), info.ModTime()); err != nil {
			return err
		}
	}
	return nil
}
