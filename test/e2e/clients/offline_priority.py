#!/usr/bin/python3
"""Offline storage and resource priority. bob's only session has negative
priority, so a message alice sends to his bare JID is not delivered to it
(RFC 6121 8.5.2.1.1: such resources never get bare-JID messages) but
stored; when bob raises his priority to a non-negative value the server
delivers it with a delay stamp (XEP-0160 3: "When the recipient next
sends non-negative available presence to the server, the server delivers
the message to the resource that has sent that presence")."""
import common
from common import Client, check


async def scenario(opts):
    alice = Client("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    bob = Client("bob", common.jid(opts, "bob", "phone"), opts.password, opts)
    await alice.online()
    await bob.login()
    await bob.fetch_roster()
    bob.send_presence(ppriority=-1)
    await bob.expect("own presence with priority -1", "presence", frm=str(bob.boundjid), type="available")

    alice.chat(bob.boundjid.bare, body="while bob was at priority -1")
    await alice.ping()  # handled (stored or routed) before the pong
    await bob.ping()
    early = [e for e in bob.events if e["event"] == "message"]
    check(not early, "a bare-JID message reached a resource with negative priority: %r" % early)

    bob.send_presence(ppriority=1)
    bob.record("priority_raised", priority=1)
    m = await bob.expect("the stored message after raising the priority to 1 (XEP-0160 3)", "message",
                         body="while bob was at priority -1")
    check(m["frm"] == str(alice.boundjid) and m.get("delay"), "stored message: %r" % m)
    await bob.close()
    await alice.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
