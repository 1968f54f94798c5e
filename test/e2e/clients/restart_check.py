#!/usr/bin/python3
"""Scenario 5, after the restart (see restart_setup.py): rosters and
subscriptions are intact, presence flows both ways again, and bob gets
the message alice left him before the restart, with a delay stamp."""
import common
from common import Client, check


async def scenario(opts):
    alice = Client("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    bob = Client("bob", common.jid(opts, "bob", "phone"), opts.password, opts)
    a_bare, b_bare = common.jid(opts, "alice"), common.jid(opts, "bob")

    await alice.login()
    _, items = await alice.fetch_roster()
    check(items.get(b_bare) == {"name": "Bob", "subscription": "both", "ask": "", "groups": ["Friends"]},
          "alice's roster item for bob after the restart: %r" % items.get(b_bare))
    alice.send_presence()
    await alice.expect("own presence", "presence", frm=str(alice.boundjid), type="available")

    await bob.login()
    _, items = await bob.fetch_roster()
    check(items.get(a_bare, {}).get("subscription") == "both",
          "bob's roster item for alice after the restart: %r" % items.get(a_bare))
    bob.send_presence()
    m = await bob.expect("message left before the restart", "message", body="sent before the restart")
    check(m["frm"] == str(alice.boundjid) and m.get("delay"), "offline message after the restart: %r" % m)
    await bob.expect("alice's presence (probe answer)", "presence", frm=str(alice.boundjid), type="available")
    await alice.expect("bob's presence broadcast", "presence", frm=str(bob.boundjid), type="available")
    await bob.close()
    await alice.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
