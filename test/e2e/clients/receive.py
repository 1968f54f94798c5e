#!/usr/bin/python3
"""bob goes online, prints {"event": "ready"} and waits for a message with
each --body (sent by another program, e.g. go-sendxmpp)."""
import common
from common import Client


async def scenario(opts):
    bob = Client("bob", common.jid(opts, opts.user, "receiver"), opts.password, opts)
    await bob.online()
    bob.record("ready")
    for body in opts.body:
        await bob.expect("message %r" % body, "message", body=body, timeout=opts.timeout)
    await bob.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--user", default="bob")
    p.add_argument("--body", action="append", required=True, help="a message body to wait for (repeatable)")
    common.run(scenario, p.parse_args())
