package presence

import (
	"net/url"
	"strings"
	"testing"
)

// The SPEC-NOTES test vectors, computed from the chapter-4 example.
const (
	vecToken = "1000641_QAHnRTN3L8E1DVEHL3UFKYuxHcW8ce7p"
	vecMsg   = "<TOKEN><1000641_QAHnRTN3L8E1DVEHL3UFKYuxHcW8ce7p><R_MODE><IMG><R_UID><john.doe@oracle.com>"
	vecSHA1  = "083198106E5322394126BB28400EC75F3A26E19A"
	vecMD5   = "A4B8D76F3CB036DF8136923C86EF58E1"
	// Parley's additions, computed with Python's hashlib and hmac: the
	// HMAC-SHA-256 form (key: the token) of the same message, and the
	// status endpoint's SHA-1 and HMAC of
	// "<ENDPOINT><status><TOKEN><token><jid><john.doe@oracle.com><type><text>".
	vecHMAC       = "92D20FC8FB4C0C923C7C1BB299DB9B237DBFF36E59A3BA58E5556A0129AA7CEE"
	vecStatusMsg  = "<ENDPOINT><status><TOKEN><1000641_QAHnRTN3L8E1DVEHL3UFKYuxHcW8ce7p><jid><john.doe@oracle.com><type><text>"
	vecStatusSHA1 = "97DF0B87A644645C62607318F1C9C4E2CFE16AB1"
	vecStatusHMAC = "116E5C6F7ADCD2E2EB2765A93D8E454386A439951BAEB38B8D2470A9A3D1C395"
)

func vecParams() url.Values {
	// As a browser sends them: TID and K1 included, in URL order.
	v, _ := url.ParseQuery("TID=1000641&R_UID=john.doe@oracle.com&R_MODE=IMG&K1=whatever&R_OP=")
	return v
}

func TestK1Vectors(t *testing.T) {
	if got := K1Message(vecToken, vecParams()); got != vecMsg {
		t.Fatalf("K1Message = %q\nwant        %q", got, vecMsg)
	}
	if got := K1(vecToken, vecParams()); got != vecSHA1 {
		t.Errorf("K1 = %s, want %s", got, vecSHA1)
	}
	if got := K1MD5(vecToken, vecParams()); got != vecMD5 {
		t.Errorf("K1MD5 = %s, want %s", got, vecMD5)
	}
	if got := K1HMAC(vecToken, vecParams()); got != vecHMAC {
		t.Errorf("K1HMAC = %s, want %s", got, vecHMAC)
	}
	for _, k1 := range []string{vecSHA1, vecMD5, vecHMAC, strings.ToLower(vecSHA1), strings.ToLower(vecMD5), strings.ToLower(vecHMAC)} {
		if !VerifyK1(vecToken, vecParams(), k1) {
			t.Errorf("VerifyK1(%s) = false", k1)
		}
		if VerifyStatusK1(vecToken, vecParams(), k1) {
			t.Errorf("VerifyStatusK1 accepts the presence URL's K1 %s", k1)
		}
	}
}

func TestStatusK1Vectors(t *testing.T) {
	v, _ := url.ParseQuery("type=text&TID=1000641&jid=john.doe@oracle.com&K1=x&req_jid=")
	if got := StatusK1Message(vecToken, v); got != vecStatusMsg {
		t.Fatalf("StatusK1Message = %q\nwant              %q", got, vecStatusMsg)
	}
	if got := StatusK1(vecToken, v); got != vecStatusSHA1 {
		t.Errorf("StatusK1 = %s, want %s", got, vecStatusSHA1)
	}
	if got := StatusK1HMAC(vecToken, v); got != vecStatusHMAC {
		t.Errorf("StatusK1HMAC = %s, want %s", got, vecStatusHMAC)
	}
	for _, k1 := range []string{vecStatusSHA1, vecStatusHMAC} {
		if !VerifyStatusK1(vecToken, v, k1) {
			t.Errorf("VerifyStatusK1(%s) = false", k1)
		}
		// The endpoints do not share signatures.
		if VerifyK1(vecToken, v, k1) {
			t.Errorf("VerifyK1 accepts the status endpoint's %s", k1)
		}
	}
}

func TestK1Ordering(t *testing.T) {
	// Byte order of names: upper case before lower case, R_ names
	// after shorter prefixes; URL order does not matter.
	a, _ := url.ParseQuery("b=2&R_UID=u@x&A=1&R_MODE=JS&_=9")
	b, _ := url.ParseQuery("_=9&R_MODE=JS&A=1&b=2&R_UID=u@x&TID=5&K1=zz&R_TID=5&R_K1=zz&EMPTY=")
	want := "<TOKEN><t><A><1><R_MODE><JS><R_UID><u@x><_><9><b><2>"
	if got := K1Message("t", a); got != want {
		t.Fatalf("K1Message = %q, want %q", got, want)
	}
	if got := K1Message("t", b); got != want {
		t.Fatalf("K1Message with TID, K1 and empty values = %q, want %q", got, want)
	}
	// Aliases sign as themselves: UID is not R_UID.
	c, _ := url.ParseQuery("UID=u@x&MODE=JS")
	if got := K1Message("t", c); got != "<TOKEN><t><MODE><JS><UID><u@x>" {
		t.Fatalf("aliases: %q", got)
	}
}

func TestVerifyK1Rejects(t *testing.T) {
	changed := vecParams()
	changed.Set("R_UID", "jane.doe@oracle.com")
	added := vecParams()
	added.Set("R_OP", "2")
	cases := []struct {
		name   string
		token  string
		params url.Values
		k1     string
	}{
		{"another token", vecToken + "x", vecParams(), vecSHA1},
		{"changed parameter", vecToken, changed, vecSHA1},
		{"added parameter", vecToken, added, vecSHA1},
		{"MD5 of another token", "other", vecParams(), vecMD5},
		{"truncated", vecToken, vecParams(), vecSHA1[:39]},
		{"SHA-1 cut to MD5 length", vecToken, vecParams(), vecSHA1[:32]},
		{"one digit off", vecToken, vecParams(), vecSHA1[:39] + "B"},
		{"not hex", vecToken, vecParams(), strings.Repeat("G", 40)},
		{"empty", vecToken, vecParams(), ""},
		{"SHA-256 length", vecToken, vecParams(), strings.Repeat("A", 64)},
		{"HMAC with another key", "other", vecParams(), vecHMAC},
		{"plain SHA-256 instead of HMAC", vecToken, vecParams(), "7F067D686936620232B9D9CC21C1B92120BF40474DB2C1855561F31242D6FEA8"},
		{"SHA-512 length", vecToken, vecParams(), strings.Repeat("A", 128)},
		{"seed's illustrative K1", vecToken, vecParams(), "B1CA85982C3221F29E0808F6DB91AFB6AB84008D"},
	}
	for _, c := range cases {
		if VerifyK1(c.token, c.params, c.k1) {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// FuzzVerifyK1 feeds arbitrary query strings and digests: no panic, and
// whatever verifies is exactly one of the two digests of the message.
func FuzzVerifyK1(f *testing.F) {
	f.Add(vecToken, "TID=1000641&R_UID=john.doe@oracle.com&R_MODE=IMG", vecSHA1)
	f.Add(vecToken, "R_UID=john.doe@oracle.com&R_MODE=IMG", vecMD5)
	f.Add("t", "a=%zz&&;b=<>", "00")
	f.Fuzz(func(t *testing.T, token, query, k1 string) {
		v, _ := url.ParseQuery(query)
		ok := VerifyK1(token, v, k1)
		up := strings.ToUpper(k1)
		if ok != (up == K1(token, v) || up == K1MD5(token, v) || up == K1HMAC(token, v)) {
			t.Fatalf("VerifyK1(%q, %q, %q) = %v disagrees with K1/K1MD5/K1HMAC", token, query, k1, ok)
		}
		if !VerifyK1(token, v, K1(token, v)) || !VerifyK1(token, v, K1MD5(token, v)) || !VerifyK1(token, v, K1HMAC(token, v)) {
			t.Fatal("a computed K1 does not verify")
		}
		// Neither endpoint accepts the other's signature.
		if VerifyStatusK1(token, v, K1(token, v)) || VerifyStatusK1(token, v, K1HMAC(token, v)) || VerifyK1(token, v, StatusK1(token, v)) {
			t.Fatalf("a signature crosses endpoints for %q", query)
		}
	})
}
