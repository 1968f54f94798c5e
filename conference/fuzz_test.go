package conference

import (
	"strings"
	"testing"

	"github.com/parley-im/parley/store"
)

// FuzzJoinKey: a join key from a URL fragment opens exactly the
// participant it was made for, and nothing else opens anyone.
func FuzzJoinKey(f *testing.F) {
	c := store.Conference{ID: "1234567890", Key: "k3y", Participants: []store.Participant{
		{ID: 1, Role: store.RoleHost, KeySecret: "hostsecrethostsecrethostsecret12"},
		{ID: 2, Role: store.RoleAttendee, KeySecret: "bobsecretbobsecretbobsecretbob12"},
		{ID: 3, Role: store.RoleAttendee}, // no secret: never opens
	}}
	for _, k := range []string{JoinKey(c.Participants[0]), JoinKey(c.Participants[1]), "3_", "2_", "_", "", "1_x", "01_hostsecrethostsecrethostsecret12", "-1_x"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		p, ok := ParticipantByKey(c, key)
		if !ok {
			return
		}
		if p.KeySecret == "" || strings.TrimSpace(key) != JoinKey(p) {
			t.Fatalf("%q opened participant %d (key %q)", key, p.ID, JoinKey(p))
		}
		if err := CheckPlayback(c, key, key); err == nil && playbackSecret(c) != key {
			t.Fatalf("%q opened the playback", key)
		}
	})
}
