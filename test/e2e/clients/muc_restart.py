#!/usr/bin/python3
"""Scenario, after a restart of the server on the data muc_room.py left:
the persistent room team@conference.<domain> is still listed by the
service with its name, alice rejoins it as its owner (no 201: it exists
and is configured), and the room's archive (XEP-0313 on the room JID)
still holds what was said."""
import slixmpp

import common
from common import check
from muc_room import MUCClient, codes


async def scenario(opts):
    service = "conference." + opts.domain
    room = "team@" + service
    alice = MUCClient("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    alice.register_plugin("xep_0059")
    alice.register_plugin("xep_0313")
    await alice.online()

    items = await alice.plugin["xep_0030"].get_items(jid=service)
    rooms = {str(i[0]): i[2] for i in items["disco_items"]["items"]}
    common.emit("rooms", client="alice", rooms=rooms)
    check(room in rooms, "room %s not listed after the restart: %s" % (room, rooms))

    info = await alice.plugin["xep_0030"].get_info(jid=room)
    features = sorted(info["disco_info"]["features"])
    common.emit("room_info", client="alice", features=features)

    joined = await alice.join(room, "alice", maxstanzas=0)
    common.emit("joined", client="alice", codes=codes(joined[0]),
                affiliation=joined[0]["muc"]["affiliation"])

    bodies = []
    async for r in alice.plugin["xep_0313"].iterate(jid=slixmpp.JID(room), rsm={"max": 2}):
        bodies.append(r["mam_result"]["forwarded"]["stanza"]["body"])
    common.emit("room_archive", client="alice", bodies=",".join(bodies))
    await alice.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
