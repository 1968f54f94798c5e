#!/usr/bin/python3
"""Three users on three nodes of a cluster: alice on --port, bob on
--port2, carol on --port3 (each node's own c2s listener). alice and bob
subscribe to each other and chat, bob's presence change reaches alice,
and all three meet in a room, where each one's message reaches the
others. --tag makes the accounts' resources and the room name unique per
run (the test runs this before and after a node dies)."""
import copy

import slixmpp

import common
from common import check
from muc_room import MUCClient


def on_port(opts, port):
    o = copy.copy(opts)
    o.port = port
    return o


async def scenario(opts):
    tag = opts.tag
    alice = MUCClient("alice", common.jid(opts, "alice", "a-" + tag), opts.password, on_port(opts, opts.port))
    bob = MUCClient("bob", common.jid(opts, "bob", "b-" + tag), opts.password, on_port(opts, opts.port2))
    carol = MUCClient("carol", common.jid(opts, "carol", "c-" + tag), opts.password, on_port(opts, opts.port3))
    for c in (alice, bob, carol):
        await c.online()
    a, b = str(alice.boundjid), str(bob.boundjid)

    if opts.subscribe:
        await common.subscribe(alice, bob)
        await common.subscribe(bob, alice)

    # Chat across nodes, both ways.
    alice.chat(bob.boundjid.bare, body="hello from alice " + tag)
    await bob.expect("alice's message", "message", frm=a, body="hello from alice " + tag)
    bob.chat(a, body="hello from bob " + tag)
    await alice.expect("bob's answer", "message", frm=b, body="hello from bob " + tag)

    # bob's presence, set on his node, reaches alice on hers.
    bob.send_presence(pshow="away", pstatus="on node 2")
    await alice.expect("bob away", "presence", frm=b, show="away", status="on node 2")

    # A room shared by the three nodes' users.
    room = "ops-%s@conference.%s" % (tag, opts.domain)
    muc = alice.plugin["xep_0045"]
    await alice.join(room, "alice")
    submit = alice.plugin["xep_0004"].make_form(ftype="submit")
    submit.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/muc#roomconfig")
    await muc.set_room_config(slixmpp.JID(room), submit)
    await bob.join(room, "bob")
    await carol.join(room, "carol")
    for c in (alice, bob):
        await c.expect("carol in the room", "muc_presence", frm=room + "/carol", type="available")
    for speaker in (alice, bob, carol):
        body = "%s says hi (%s)" % (speaker.name, tag)
        speaker.say(room, body)
        for c in (alice, bob, carol):
            await c.expect("%s's room message at %s" % (speaker.name, c.name), "groupchat",
                           frm=room + "/" + speaker.name, body=body)
    common.emit("room_ok", client="alice", room=room)
    for c in (alice, bob, carol):
        await c.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--port2", type=int, required=True, help="bob's node")
    p.add_argument("--port3", type=int, required=True, help="carol's node")
    p.add_argument("--tag", default="1", help="makes resources and the room unique to this run")
    p.add_argument("--subscribe", action="store_true", help="alice and bob subscribe to each other first")
    common.run(scenario, p.parse_args())
