#!/usr/bin/python3
"""--user reads its whole archive (XEP-0313, pages of 20) and prints one
"archive" event: how many chat messages have a body starting with
--prefix, and which of PREFIX1 .. PREFIX<--expect> are missing."""
import common
from common import Client


async def scenario(opts):
    c = Client(opts.user, common.jid(opts, opts.user, "archive"), opts.password, opts)
    c.register_plugin("xep_0059")
    c.register_plugin("xep_0313")
    await c.login()
    bodies = set()
    async for r in c.plugin["xep_0313"].iterate(rsm={"max": 20}):
        body = r["mam_result"]["forwarded"]["stanza"]["body"]
        if body and body.startswith(opts.prefix):
            bodies.add(body)
    want = set("%s%d" % (opts.prefix, i) for i in range(1, opts.expect + 1))
    common.emit("archive", client=opts.user, count=len(bodies), missing=sorted(want - bodies))
    await c.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--user", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--expect", type=int, default=40)
    common.run(scenario, p.parse_args())
