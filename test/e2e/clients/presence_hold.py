#!/usr/bin/python3
"""Log in as --user/--resource, send presence (--show, --status,
--priority), print {"event": "online"} once the server echoed it, and
stay online until killed or --timeout; then print "done". Other tests
(zeep, the integration docs) read this presence over HTTP meanwhile."""
import asyncio

import common
from common import Client


async def scenario(opts):
    c = Client(opts.user, common.jid(opts, opts.user, opts.resource), opts.password, opts)
    await c.login()
    await c.fetch_roster()
    c.send_presence(pshow=opts.show or None, pstatus=opts.status or None, ppriority=opts.priority)
    await c.expect("own presence", "presence", frm=str(c.boundjid), type="available")
    c.record("online", jid=str(c.boundjid))
    # Holding the session is the point: the caller ends this script.
    await asyncio.sleep(max(0.0, opts.timeout - 2))
    await c.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--user", required=True, help="local part of the account")
    p.add_argument("--resource", default="desk")
    p.add_argument("--show", default="", help="away, chat, dnd, xa or empty for available")
    p.add_argument("--status", default="")
    p.add_argument("--priority", type=int, default=0)
    common.run(scenario, p.parse_args())
