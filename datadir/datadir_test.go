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
