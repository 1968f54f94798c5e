#!/usr/bin/python3
"""Scenario 2: alice subscribes to bob, bob approves and subscribes back,
alice approves: both rosters say subscription=both. Then bob goes away
with a status, which alice sees, and bob's disconnection, which alice sees
as unavailable presence."""
import common
from common import Client, check


async def scenario(opts):
    alice = Client("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    bob = Client("bob", common.jid(opts, "bob", "phone"), opts.password, opts)
    await alice.online()
    await bob.online()

    await common.subscribe(alice, bob)
    await common.subscribe(bob, alice)
    for me, other in ((alice, bob), (bob, alice)):
        _, items = await me.fetch_roster()
        item = items.get(other.boundjid.bare)
        check(item is not None and item["subscription"] == "both" and item["ask"] == "",
              "%s's roster item for %s: %r" % (me.name, other.boundjid.bare, item))

    bob.send_presence(pshow="away", pstatus="in a meeting")
    await alice.expect("bob away", "presence", frm=str(bob.boundjid), type="available", show="away",
                       status="in a meeting")
    await bob.close()
    await alice.expect("bob unavailable", "presence", frm=str(bob.boundjid), type="unavailable")
    await alice.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
