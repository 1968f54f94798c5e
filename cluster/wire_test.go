package cluster

import (
	"bytes"
	"testing"
	"time"

	"github.com/parley-im/parley/xmpp/xml"
)

func TestWireRoundTrip(t *testing.T) {
	at := time.UnixMicro(1_700_000_000_123_456).UTC()
	p := presence("dnd")
	var b bytes.Buffer
	header(&b, "node-1", 42, at)
	putHeartbeat(&b, 7, hbDraining, 12, "n1.example:5222")
	putBind(&b, 8, "a@x/r", at)
	putPresence(&b, 9, "a@x/r", true, -3, p)
	putPresence(&b, 10, "a@x/r", false, 0, p)
	putFlags(&b, 11, "a@x/r", flagCarbons)
	putClaim(&b, 12, "room@conf.x", at)
	putRelease(&b, 13, "room@conf.x")
	putUnbind(&b, 14, "a@x/r")
	putOffline(&b, "a@x")
	putDeliver(&b, "a@x/r", chat("b@x/s", "a@x/r", "m", "hi"))
	putClose(&b, "a@x/r", "conflict", "replaced")
	putComponent(&b, compRejoin, presenceTo("a@x/r", "room@conf.x/a", ""))
	putSnapEnd(&b, 14)
	putChanged(&b, DataBlocklist, "a@x")
	putRemote(&b, presenceTo("r@remote.example/phone", "a@x", "")) // from r@remote.example/phone to a@x
	m, err := decodeMessage(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if m.Node != "node-1" || m.Epoch != 42 || !m.Sent.Equal(at) || len(m.Frames) != 15 {
		t.Fatalf("header or count: %+v", m)
	}
	f := m.Frames
	if f[0].Kind != fHeartbeat || f[0].Seq != 7 || f[0].Flags != hbDraining || f[0].Sessions != 12 || f[0].Text != "n1.example:5222" {
		t.Errorf("heartbeat %+v", f[0])
	}
	if f[1].Kind != fBind || f[1].JID != "a@x/r" || !f[1].At.Equal(at) {
		t.Errorf("bind %+v", f[1])
	}
	if f[2].Priority != -3 || !f[2].Available || !bytes.Contains(f[2].Stanza, []byte("<show>dnd</show>")) {
		t.Errorf("presence %+v %s", f[2], f[2].Stanza)
	}
	if f[3].Available || len(f[3].Stanza) != 0 {
		t.Errorf("unavailable presence carries no stanza: %+v", f[3])
	}
	if f[4].Flags != flagCarbons || f[5].JID != "room@conf.x" || f[6].Kind != fRelease || f[7].Kind != fUnbind || f[8].JID != "a@x" {
		t.Errorf("frames 4-8: %+v", f[4:9])
	}
	el, err := xml.ParseElement(f[9].Stanza, "jabber:client", xml.DefaultLimits)
	if err != nil || el.Attr("id") != "m" || f[9].JID != "a@x/r" {
		t.Errorf("deliver: %v %v", el, err)
	}
	if f[10].Text != "conflict" || f[10].Text2 != "replaced" || f[11].Flags != compRejoin || f[12].Seq != 14 {
		t.Errorf("frames 10-12: %+v", f[10:13])
	}
	if f[13].Kind != fChanged || Data(f[13].Flags) != DataBlocklist || f[13].JID != "a@x" {
		t.Errorf("changed: %+v", f[13])
	}
	if f[14].Kind != fRemote || !bytes.Contains(f[14].Stanza, []byte("r@remote.example/phone")) {
		t.Errorf("remote presence: %+v %s", f[14], f[14].Stanza)
	}
}

func TestWireRejectsTruncatedAndUnknown(t *testing.T) {
	var b bytes.Buffer
	header(&b, "n", 1, time.Now())
	headerLen := b.Len()
	putDeliver(&b, "a@x/r", chat("b@x/s", "a@x/r", "m", "hi"))
	full := b.Bytes()
	// Every cut fails, but the one right after the header (a message
	// with no frames).
	for i := 0; i < len(full); i++ {
		if _, err := decodeMessage(full[:i]); (err == nil) != (i == headerLen) {
			t.Fatalf("cut at %d of %d: err %v", i, len(full), err)
		}
	}
	if _, err := decodeMessage(append(bytes.Clone(full), 200)); err == nil {
		t.Fatal("an unknown frame kind decoded")
	}
	if _, err := decodeMessage([]byte{9, 1, 'n', 1}); err == nil {
		t.Fatal("an unknown version decoded")
	}
}

func FuzzDecodeMessage(f *testing.F) {
	var b bytes.Buffer
	header(&b, "n", 1, time.Now())
	putBind(&b, 1, "a@x/r", time.Now())
	putPresence(&b, 2, "a@x/r", true, 1, presence("away"))
	putDeliver(&b, "a@x/r", chat("b@x/s", "a@x/r", "m", "hi"))
	putComponent(&b, 0, presenceTo("a@x/r", "room@c.x/a", ""))
	putChanged(&b, DataPEP, "a@x")
	putRemote(&b, presenceTo("r@remote.example/phone", "a@x", ""))
	f.Add(b.Bytes())
	f.Add([]byte{1})
	f.Add([]byte{1, 1, 'n', 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMessage(data)
		if err != nil {
			return
		}
		for _, fr := range m.Frames {
			if len(fr.JID) > maxFrameString || len(fr.Text) > maxFrameString {
				t.Fatalf("oversized string accepted")
			}
		}
	})
}
