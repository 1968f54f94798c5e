#!/usr/bin/python3
"""alice reads her whole archive (XEP-0313, pages of 4 through XEP-0059)
and prints every message's archive id, sender and body, oldest first:
one "archived" event per message. Run before and after moving the
server to another store, the two listings must be the same, ids
included (clients page by them)."""
import slixmpp

import common
from common import Client


async def scenario(opts):
    alice = Client("alice", common.jid(opts, "alice", "mam"), opts.password, opts)
    alice.register_plugin("xep_0059")
    alice.register_plugin("xep_0313")
    await alice.login()
    n = 0
    async for r in alice.plugin["xep_0313"].iterate(rsm={"max": 4}):
        m = r["mam_result"]
        stanza = m["forwarded"]["stanza"]
        common.emit("archived", client="alice", id=m["id"], frm=str(slixmpp.JID(stanza["from"]).bare),
                    body=stanza["body"])
        n += 1
    common.emit("archive_size", client="alice", messages=n)
    await alice.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
