#!/usr/bin/python3
"""Scenario 4 (XEP-0160): bob is offline, alice sends him two messages;
when bob logs in and sends initial presence he receives both, in order,
from alice's full JID, each with a XEP-0203 delay stamp. The store is
emptied by the delivery: bob's next session gets nothing."""
import common
from common import Client, check


async def scenario(opts):
    bob_bare = common.jid(opts, "bob")
    alice = Client("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    await alice.online()
    alice.chat(bob_bare, body="first while offline")
    alice.chat(bob_bare, body="second while offline")
    await alice.ping()  # both messages were handled (stored) before the pong
    await alice.close()

    bob = Client("bob", common.jid(opts, "bob", "phone"), opts.password, opts)
    await bob.online()
    first = await bob.expect("first offline message", "message", body="first while offline")
    second = await bob.expect("second offline message", "message", body="second while offline")
    for m in (first, second):
        check(m["frm"] == str(alice.boundjid), "offline message from %r, want %s" % (m["frm"], alice.boundjid))
        check(m.get("delay"), "offline message without a XEP-0203 delay stamp: %r" % m)
    check(bob.events.index(first) < bob.events.index(second), "offline messages out of order")
    await bob.close()

    again = Client("bob-again", common.jid(opts, "bob", "tablet"), opts.password, opts)
    await again.online()
    await again.ping()
    late = [e for e in again.events if e["event"] == "message"]
    check(not late, "messages delivered twice: %r" % late)
    await again.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
