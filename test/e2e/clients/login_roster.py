#!/usr/bin/python3
"""Scenario 1: alice logs in, adds bob to her roster with a name and a
group, and reads the roster back; then renames the item and removes it.
Roster versioning (RFC 6121 2.6) is checked when the server offers it."""
import common
from common import Client, check


async def scenario(opts):
    bob = common.jid(opts, "bob")
    alice = Client("alice", common.jid(opts, "alice", "roster"), opts.password, opts)
    await alice.login()

    ver0, items = await alice.fetch_roster()
    check(bob not in items, "bob already in a fresh roster: %r" % items)

    await alice.set_roster_item(bob, name="Bob", groups=["Friends"])
    push = await alice.expect("roster push adding bob", "roster_push", items=lambda i: bob in (i or {}))
    check(push["items"][bob] == {"name": "Bob", "subscription": "none", "ask": "", "groups": ["Friends"]},
          "roster push for bob: %r" % push["items"][bob])

    ver1, items = await alice.fetch_roster()
    check(items.get(bob) == {"name": "Bob", "subscription": "none", "ask": "", "groups": ["Friends"]},
          "roster after adding bob: %r" % items)
    rosterver = "{urn:xmpp:features:rosterver}ver" in alice.features_seen()
    if rosterver:
        check(ver1 and ver1 != ver0, "roster version did not change with the roster: %r -> %r" % (ver0, ver1))
        check(push["ver"] == ver1, "push version %r differs from the roster's %r" % (push["ver"], ver1))
        # RFC 6121 2.6.3: with the current version the server answers
        # with an empty result (or the whole roster).
        same_ver, same = await alice.fetch_roster(ver=ver1)
        check(same == {} or same.get(bob) == items[bob], "roster get with current ver: %r" % same)

    await alice.set_roster_item(bob, name="Robert", groups=["Friends", "Work"])
    await alice.expect("roster push renaming bob", "roster_push",
                       items=lambda i: (i or {}).get(bob, {}).get("name") == "Robert")
    _, items = await alice.fetch_roster()
    check(items.get(bob, {}).get("groups") == ["Friends", "Work"], "renamed item: %r" % items.get(bob))

    iq = alice.Iq(stype="set")
    iq["roster"]["items"] = {bob: {"subscription": "remove"}}
    await alice.query(iq, "roster remove")
    await alice.expect("roster push removing bob", "roster_push",
                       items=lambda i: (i or {}).get(bob, {}).get("subscription") == "remove")
    _, items = await alice.fetch_roster()
    check(bob not in items, "bob still in the roster after remove: %r" % items)
    await alice.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
