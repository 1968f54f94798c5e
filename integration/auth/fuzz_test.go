package auth

import (
	"strings"
	"testing"
)

// FuzzParsePolicy: never panics; what it accepts round-trips through
// Join and contains only known, distinct policies.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"SESSION::PRESENCE", "PROXY::GUESTCHAT", "", "::", "presence", "A::B::", "SESSION:PRESENCE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePolicy(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if seen[p] || policySetting[p] == "" {
				t.Fatalf("ParsePolicy(%q) = %v", s, ps)
			}
			seen[p] = true
		}
		again, err := ParsePolicy(strings.Join(ps, "::"))
		if err != nil || strings.Join(again, "::") != strings.Join(ps, "::") {
			t.Fatalf("round trip of %v: %v %v", ps, again, err)
		}
	})
}

// FuzzSplitToken: never panics; an accepted string is exactly
// "<canonical decimal id>_<random>".
func FuzzSplitToken(f *testing.F) {
	for _, s := range []string{"1000641_QAHnRTN3L8E1DVEHL3UFKYuxHcW8ce7p", "_x", "1_", "01_x", "-1_x", "99999999999999999999_x", "1_2_3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, random, ok := splitToken(s)
		if !ok {
			return
		}
		if id <= 0 || random == "" || formatID(id)+"_"+random != s {
			t.Fatalf("splitToken(%q) = %d, %q", s, id, random)
		}
	})
}
