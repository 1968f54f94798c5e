package datadir

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestDomainsRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if got, err := ReadDomains(dir); err != nil || got != nil {
		t.Fatalf("nothing recorded yet: %q, %v", got, err)
	}
	for _, want := range [][]string{{"example.com"}, {"a.example", "b.example"}} {
		if err := WriteDomains(dir, want); err != nil {
			t.Fatal(err)
		}
		got, err := ReadDomains(dir)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("ReadDomains = %q, %v; want %q", got, err, want)
		}
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != DomainsFile {
		t.Fatalf("data directory holds %v", entries)
	}
}

func TestSecretIsKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	a, err := Secret(dir, SASLSecretFile, 32)
	if err != nil || len(a) != 32 {
		t.Fatalf("new secret: %x, %v", a, err)
	}
	b, err := Secret(dir, SASLSecretFile, 32)
	if err != nil || string(a) != string(b) {
		t.Fatalf("read again: %x, %v; want %x", b, err, a)
	}
	fi, err := os.Stat(filepath.Join(dir, SASLSecretFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode: %v, %v", fi.Mode(), err)
	}
	if other, _ := Secret(t.TempDir(), SASLSecretFile, 32); string(other) == string(a) {
		t.Fatal("two data directories share a secret")
	}
	os.WriteFile(filepath.Join(dir, "bad"), []byte("not hex"), 0o600)
	if _, err := Secret(dir, "bad", 32); err == nil {
		t.Fatal("a damaged secret file is accepted")
	}
}
