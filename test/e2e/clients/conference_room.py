#!/usr/bin/python3
"""Scenario: a web conference happens in its room (--room,
conf<ID>@conference.<domain>) with ordinary XMPP clients (slixmpp's
XEP-0045 plugin).

bob (invited) comes early with the conference key (--key) and waits;
carol (not invited) is refused; alice, the host, enters without the key
and is a moderator (the conference starts); bob says hello, alice
answers; bob leaves; alice ends the conference by destroying the room,
which she owns."""
import slixmpp
from slixmpp.exceptions import PresenceError

import common
from muc_room import MUCClient


async def scenario(opts):
    room = opts.room
    alice = MUCClient("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    bob = MUCClient("bob", common.jid(opts, "bob", "desk"), opts.password, opts)
    carol = MUCClient("carol", common.jid(opts, "carol", "desk"), opts.password, opts)
    for c in (alice, bob, carol):
        await c.online()

    await bob.join(room, "Bob", password=opts.key, maxstanzas=0)
    common.emit("waiting", client="bob")
    try:
        await carol.plugin["xep_0045"].join_muc_wait(slixmpp.JID(room), "Carol", password=opts.key, timeout=common.EXPECT_TIMEOUT)
        raise common.ScenarioError("carol, not invited, entered")
    except PresenceError as err:
        common.emit("refused", client="carol", condition=err.presence["error"]["condition"])

    await alice.join(room, "Alice", maxstanzas=0)
    me = await alice.expect("alice's own presence", "muc_presence", frm=room + "/Alice", type="available")
    common.emit("host_in", client="alice", role=me["role"], affiliation=me["affiliation"])

    bob.say(room, "hello from bob")
    await alice.expect("bob's hello", "groupchat", frm=room + "/Bob", body="hello from bob")
    alice.say(room, "welcome, bob")
    await bob.expect("alice's answer", "groupchat", frm=room + "/Alice", body="welcome, bob")

    bob.plugin["xep_0045"].leave_muc(slixmpp.JID(room), "Bob")
    await alice.expect("bob leaving", "muc_presence", frm=room + "/Bob", type="unavailable")
    common.emit("left", client="bob")

    await alice.plugin["xep_0045"].destroy(slixmpp.JID(room), reason="thanks, all")
    await alice.expect("the room's end", "any_presence", frm=room + "/Alice", type="unavailable")
    common.emit("ended", client="alice")
    for c in (alice, bob, carol):
        await c.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--room", required=True, help="the conference's room JID")
    p.add_argument("--key", default="", help="the conference key")
    common.run(scenario, p.parse_args())
