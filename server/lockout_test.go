package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/config"
	"github.com/parley-im/parley/integration/auth"
)

// TestIntegrationNoLockout: wrong passwords and keys sent from one
// address to the integration services do not lock the real user or
// site out. From the attacking address the right credentials are
// refused (throttled per ID and address); from another address they
// keep working while the attack goes on, slowed by
// integration.auth_attack_delay. Before, 10 wrong passwords made the
// right ones fail from everywhere (401).
func TestIntegrationNoLockout(t *testing.T) {
	it := newITest(t, func(c *config.Config) {
		c.Integration.AuthAttackDelay = config.Duration{Duration: 20 * time.Millisecond}
	})
	it.srv.AddUser("alice@localhost", "the right password")
	siteID, key := it.site("lockout")
	create := func(src, id, secret, typ string) (int, auth.TokenObject) {
		t.Helper()
		body := fmt.Sprintf(`{"param0": %q, "param1": %q, "param2": %q}`, id, secret, typ)
		resp, err := clientFrom(src).Post(it.base+"/api/v1/AuthenticationService/createSession", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tok auth.TokenObject
		if resp.StatusCode == http.StatusOK {
			raw, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(raw, &tok); err != nil || tok.Token == "" {
				t.Fatalf("createSession: %v %s", err, raw)
			}
		}
		return resp.StatusCode, tok
	}
	for _, who := range [][3]string{{"alice@localhost", "the right password", "USER"}, {siteID, key, "SITE"}} {
		id, secret, typ := who[0], who[1], who[2]
		// 10 a minute is the default budget; the attack keeps going.
		for round := range 3 {
			for i := range 10 {
				if code, _ := create(attackerAddr, id, fmt.Sprintf("guess %d.%d", round, i), typ); code != http.StatusUnauthorized {
					t.Fatalf("%s: wrong secret: %d", id, code)
				}
			}
			if code, _ := create(clientAddr, id, secret, typ); code != http.StatusOK {
				t.Fatalf("%s: right secret from another address during the attack (round %d): %d, want 200", id, round, code)
			}
		}
		if code, _ := create(attackerAddr, id, secret, typ); code != http.StatusUnauthorized {
			t.Fatalf("%s: right secret from the attacking address: %d, want 401 (throttled)", id, code)
		}
	}
}
