package auth_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/store/memory"
	"github.com/parley-im/parley/store/sqlite"
)

func benchStores(b *testing.B, run func(b *testing.B, st auth.Store)) {
	b.Run("memory", func(b *testing.B) { run(b, memory.New()) })
	b.Run("sqlite", func(b *testing.B) {
		st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "parley.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		run(b, st)
	})
}

func benchService(b *testing.B, st auth.Store) (*auth.Service, string) {
	svc, err := auth.New(auth.Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	_, key, err := svc.CreateSite(context.Background(), "12345", "bench", auth.SettingsForPolicies([]string{auth.PolicyPresence}))
	if err != nil {
		b.Fatal(err)
	}
	return svc, key
}

// BenchmarkResolve: what every service call and presence URL pays to
// check its token.
func BenchmarkResolve(b *testing.B) {
	benchStores(b, func(b *testing.B, st auth.Store) {
		ctx := context.Background()
		svc, key := benchService(b, st)
		obj, err := svc.RequestToken(ctx, "12345", key, auth.TokenProperties{TokenPolicy: "PRESENCE"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := svc.Resolve(ctx, obj.Token); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkCreateSession: a site's createSession (key check and one
// token write).
func BenchmarkCreateSession(b *testing.B) {
	benchStores(b, func(b *testing.B, st auth.Store) {
		ctx := context.Background()
		svc, key := benchService(b, st)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := svc.CreateSession(ctx, "12345", key, "SITE"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
