#!/usr/bin/python3
"""Scenario 5, before the restart: alice and bob subscribe to each other,
alice names bob "Bob" in group "Friends", bob goes offline and alice
leaves him a message. restart_check.py verifies it all after a restart."""
import common
from common import Client


async def scenario(opts):
    alice = Client("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    bob = Client("bob", common.jid(opts, "bob", "phone"), opts.password, opts)
    await alice.online()
    await bob.online()
    await common.subscribe(alice, bob)
    await common.subscribe(bob, alice)
    await alice.set_roster_item(bob.boundjid.bare, name="Bob", groups=["Friends"])

    await bob.close()
    await alice.expect("bob unavailable", "presence", frm=str(bob.boundjid), type="unavailable")
    alice.chat(bob.boundjid.bare, body="sent before the restart")
    await alice.ping()  # the message is stored before the pong
    await alice.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
