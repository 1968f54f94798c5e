#!/usr/bin/python3
"""The TCP side of TestConverseAvatarAndBookmarks: bob (slixmpp) publishes
an avatar over PEP (XEP-0084) and becomes alice's contact, while alice is
Converse.js in the browser.

bob logs in and reports {"event": "ready"}; then the Go test drives him with
commands on stdin, one JSON object per line:
  {"cmd": "avatar"}
      publish the avatar (a PNG): the image to urn:xmpp:avatar:data, then
      its metadata; reports {"event": "published", "id": sha1, "png": base64};
  {"cmd": "subscribe", "to": J}
      ask for J's presence; bob approves J's request back (the roster
      plugin's auto_authorize) and reports {"event": "mutual", "with": J}
      once both directions are approved;
  {"cmd": "quit"} or end of input: disconnect.
Uses the e2e suite's helpers (test/e2e/clients/common.py)."""
import asyncio
import base64
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "e2e", "clients"))

import common  # noqa: E402
from common import Client  # noqa: E402

# A 4x4 PNG, red: what Converse.js must show as bob's avatar.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR42mO4I2IDRwzEcQDxwxLBrA2GrQAAAABJRU5ErkJggg==")


class Bob(Client):
    def __init__(self, *args):
        super().__init__(*args)
        for p in ("xep_0060", "xep_0115", "xep_0163", "xep_0084"):
            self.register_plugin(p)
        self.roster.auto_authorize = True
        self.roster.auto_subscribe = False
        self.add_event_handler("roster_subscription_authorized", self._on_authorized)

    def _on_authorized(self, pres):
        self.record("authorized", frm=pres["from"].bare)


async def scenario(opts):
    bob = Bob("bob", common.jid(opts, "bob", "tcp"), opts.password, opts)
    await bob.online()
    common.emit("ready", jid=str(bob.boundjid))

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        if cmd["cmd"] == "avatar":
            avatar_id = hashlib.sha1(PNG).hexdigest()
            await bob["xep_0084"].publish_avatar(PNG)
            await bob["xep_0084"].publish_avatar_metadata([{"id": avatar_id, "type": "image/png", "bytes": len(PNG)}])
            common.emit("published", id=avatar_id, png=base64.b64encode(PNG).decode())
        elif cmd["cmd"] == "subscribe":
            to = cmd["to"]
            bob.send_presence(pto=to, ptype="subscribe")
            await bob.expect("approval from " + to, "presence", frm=to, type="subscribed")
            await bob.expect("%s's request, approved" % to, "presence", frm=to, type="subscribe")
            common.emit("mutual", **{"with": to})
        else:
            break
    await bob.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
