#!/usr/bin/python3
"""--user sends chat messages with bodies PREFIX<from> .. PREFIX<to> to
--to (a bare JID), then pings its server: the answer means every message
before it was routed (RFC 6120 10.1: a stream's stanzas are handled in
order). Prints "sent"."""
import common
from common import Client


async def scenario(opts):
    c = Client(opts.user, common.jid(opts, opts.user, "sender"), opts.password, opts)
    await c.login()
    for i in range(opts.first, opts.last + 1):
        c.chat(opts.to, body="%s%d" % (opts.prefix, i))
    await c.ping()
    common.emit("sent", client=opts.user, first=opts.first, last=opts.last)
    await c.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--user", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--last", type=int, required=True)
    common.run(scenario, p.parse_args())
