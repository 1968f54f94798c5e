package auth_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/parley-im/parley/integration/auth"
)

// Vectors computed independently (Python hashlib) from the seed's
// chapter-4 examples.
func TestTokenDigestVectors(t *testing.T) {
	for _, c := range []struct {
		id     int64
		token  string
		params map[string]string
		want   string
	}{
		{12345, "12345_ASDASLjaasljdaSAD",
			map[string]string{"r_groupJID": "otn.support@groups.oracle.com", "r_fromUserJID": "guest_user_12345@sites.oracle.com", "s": "Pricing on OCS", "r_toJID": ""},
			"31323334355F3C6469676573743E3C37313543393433413433384134323046373034384545313245313043334143463E3C725F66726F6D557365724A49443E3C67756573745F757365725F31323334354073697465732E6F7261636C652E636F6D3E3C725F67726F75704A49443E3C6F746E2E737570706F72744067726F7570732E6F7261636C652E636F6D3E"},
		{1000640, "1000640_QAHnRTN3L8E1DVEHL3UFKYuxHcW8ce7p",
			map[string]string{"r_fromUserJID": "guest_user02@sites.oracle.com", "r_groupJID": "otn.support1@groups.domain.com"},
			"313030303634305F3C6469676573743E3C34324442463741443142383846364133424335353544363844393841304530313E3C725F66726F6D557365724A49443E3C67756573745F7573657230324073697465732E6F7261636C652E636F6D3E3C725F67726F75704A49443E3C6F746E2E737570706F7274314067726F7570732E646F6D61696E2E636F6D3E"},
	} {
		got := auth.TokenDigest(c.id, c.token, c.params)
		if got != c.want {
			t.Errorf("TokenDigest(%d) =\n%s\nwant\n%s", c.id, got, c.want)
		}
	}
	// SPEC-NOTES: the seed's example starts with the hex of "1000640_<digest><".
	if d := auth.TokenDigest(1000640, "x", nil); !strings.HasPrefix(d, "313030303634305F3C6469676573743E3C") {
		t.Fatalf("prefix of %s", d)
	}
}

func TestVerifyTokenDigest(t *testing.T) {
	f := newFixture(t, nil)
	sess := f.session()
	chat, err := f.request("12345", sess.Token, "GUESTCHAT")
	must(t, err)
	presence, err := f.request("12345", sess.Token, "PRESENCE")
	must(t, err)
	id := func(obj auth.TokenObject) int64 {
		n, err := strconv.ParseInt(attr(t, obj, auth.AttrTokenID), 10, 64)
		must(t, err)
		return n
	}
	params := map[string]string{"r_fromUserJID": "guest_1@sites.example.com", "r_toJID": "alice@example.com"}
	digest := auth.TokenDigest(id(chat), chat.Token, params)
	tok, err := f.svc.VerifyTokenDigest(f.ctx, id(chat), strings.ToLower(digest), params)
	must(t, err)
	if tok.Value != chat.Token {
		t.Fatalf("verified %+v", tok)
	}
	tampered := map[string]string{"r_fromUserJID": "guest_1@sites.example.com", "r_toJID": "bob@example.com"}
	_, err = f.svc.VerifyTokenDigest(f.ctx, id(chat), digest, tampered)
	wantErr(t, "changed r_toJID", err, auth.ErrInvalidToken)
	_, err = f.svc.VerifyTokenDigest(f.ctx, id(chat), digest[:len(digest)-2], params)
	wantErr(t, "short digest", err, auth.ErrInvalidToken)
	pd := auth.TokenDigest(id(presence), presence.Token, params)
	_, err = f.svc.VerifyTokenDigest(f.ctx, id(presence), pd, params)
	wantErr(t, "PRESENCE token", err, auth.ErrInvalidToken)
	_, err = f.svc.EndSession(f.ctx, "12345", sess.Token)
	must(t, err)
	_, err = f.svc.VerifyTokenDigest(f.ctx, id(chat), digest, params)
	wantErr(t, "ended token", err, auth.ErrInvalidToken)
}
