#!/usr/bin/python3
"""PEP avatars (XEP-0163, XEP-0084) with slixmpp: bob and carol subscribe
to alice's presence. bob's client registers slixmpp's XEP-0084 plugin,
which asks for avatar metadata notifications (+notify in its entity
capabilities, XEP-0115); carol's client does not. alice publishes an
avatar (data, then metadata): bob gets the metadata notification and
fetches the image; carol gets no notification (checked up to a message
alice sends her afterwards, which the server delivers after anything
queued before it)."""
import base64
import hashlib

import common
from common import Client, check

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
METADATA = "urn:xmpp:avatar:metadata"


class PEPClient(Client):
    def __init__(self, name, jid, password, opts, avatars):
        super().__init__(name, jid, password, opts)
        plugins = ["xep_0060", "xep_0115", "xep_0163"] + (["xep_0084"] if avatars else [])
        for p in plugins:
            self.register_plugin(p)
        self.add_event_handler("pubsub_publish", self._on_publish)

    def _on_publish(self, msg):
        item = msg["pubsub_event"]["items"]["item"]
        self.record("pep", frm=str(msg["from"]), node=msg["pubsub_event"]["items"]["node"], id=item["id"])

    async def online(self, show=None, status=None):
        await self.login()
        await self.fetch_roster()
        # Settle the capabilities hash before the first presence carries it.
        await self["xep_0115"].update_caps(broadcast=False)
        self.send_presence()
        await self.expect("own initial presence", "presence", frm=str(self.boundjid), type="available")


async def scenario(opts):
    alice = PEPClient("alice", common.jid(opts, "alice", "desk"), opts.password, opts, avatars=True)
    bob = PEPClient("bob", common.jid(opts, "bob", "phone"), opts.password, opts, avatars=True)
    carol = PEPClient("carol", common.jid(opts, "carol", "laptop"), opts.password, opts, avatars=False)
    for c in (alice, bob, carol):
        await c.online()
    await common.subscribe(bob, alice)
    await common.subscribe(carol, alice)

    avatar_id = hashlib.sha1(PNG).hexdigest()
    await alice["xep_0084"].publish_avatar(PNG)
    await alice["xep_0084"].publish_avatar_metadata([{"id": avatar_id, "type": "image/png", "bytes": len(PNG)}])
    alice.record("published", id=avatar_id)

    await bob.expect("alice's avatar metadata notification", "pep", frm=alice.boundjid.bare, node=METADATA, id=avatar_id)
    res = await bob["xep_0084"].retrieve_avatar(alice.boundjid.bare, avatar_id)
    data = res["pubsub"]["items"]["item"]["avatar_data"]["value"]
    check(data == PNG, "bob fetched %d bytes, not alice's %d-byte avatar" % (len(data or b""), len(PNG)))
    bob.record("avatar", frm=alice.boundjid.bare, bytes=len(data), sha1=hashlib.sha1(data).hexdigest())

    alice.chat(str(carol.boundjid), body="after the avatar")
    await carol.expect("alice's message after the avatar", "message", body="after the avatar")
    notes = [e for e in carol.events if e["event"] == "pep"]
    check(not notes, "carol's client never asked for avatar notifications but got %r" % notes)
    carol.record("no_notification")
    for c in (alice, bob, carol):
        await c.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
