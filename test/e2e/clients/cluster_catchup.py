#!/usr/bin/python3
"""A user who stays with the service while the node holding the session
dies: --user logs in through --port (the cluster's load balancer), prints
{"event": "online"} and collects every chat message whose body starts
with --prefix, however it arrives: live, from offline storage, or from
its archive (XEP-0313), which it reads after every login and then every
second until it has --expect of them. When its connection is lost it logs
in again through the load balancer (to another node) and catches up from
the archive. It prints "complete" with the counts by source, or fails at
--timeout with the bodies it still misses. With --wait-file it waits for
that file to exist before logging in again (the test sends meanwhile, so
that messages arrive while the user has no session anywhere). With
--offline-from N it also waits for bodies PREFIXN..PREFIXexpect to arrive
from offline storage (sent while the user had no session: the archive
may list them before the server hands them over; the counts then credit
offline storage, which is how they were meant to arrive)."""
import asyncio
import os
import time

import slixmpp

import common
from common import Client, ScenarioError


async def scenario(opts):
    seen = {}  # body -> how it arrived: live, else offline, else archive
    deadline = time.monotonic() + opts.timeout - 3
    logins = 0
    rank = {"archive": 0, "offline": 1, "live": 2}
    must_be_offline = set()
    if opts.offline_from:
        must_be_offline = set("%s%d" % (opts.prefix, i) for i in range(opts.offline_from, opts.expect + 1))

    def wanted(body):
        return body and body.startswith(opts.prefix)

    def arrived(body, how):
        if wanted(body) and rank[how] > rank.get(seen.get(body), -1):
            seen[body] = how

    def done():
        offline = set(b for b, how in seen.items() if how == "offline")
        return len(seen) >= opts.expect and must_be_offline <= offline

    def missing():
        want = set("%s%d" % (opts.prefix, i) for i in range(1, opts.expect + 1))
        return sorted(want - set(seen)), sorted(b for b in must_be_offline if seen.get(b) != "offline")

    while True:
        c = Client(opts.user, common.jid(opts, opts.user, "r%d" % logins), opts.password, opts)
        c.register_plugin("xep_0059")
        c.register_plugin("xep_0313")
        c.add_event_handler("message", lambda m: arrived(m["body"], "offline" if m["delay"]["stamp"] else "live"))
        try:
            await c.online()
        except ScenarioError as err:
            common.emit("login_failed", client=opts.user, error=str(err))
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)  # the balancer tries the next node
            continue
        logins += 1
        c.record("online", logins=logins)
        lost = asyncio.Event()
        c.add_event_handler("disconnected", lambda _: lost.set())
        while not done() and not lost.is_set():
            try:
                async for r in c.plugin["xep_0313"].iterate(rsm={"max": 50}):
                    arrived(r["mam_result"]["forwarded"]["stanza"]["body"], "archive")
            except Exception as err:  # the connection went during the query
                common.emit("archive_query_failed", client=opts.user, error=repr(err))
            if done():
                break
            if time.monotonic() > deadline:
                absent, not_offline = missing()
                raise ScenarioError("%s: %d of %d messages after %d logins; missing %s; not from offline storage %s"
                                    % (opts.user, len(seen), opts.expect, logins, absent, not_offline))
            try:
                await asyncio.wait_for(lost.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
        if done():
            counts = {}
            for how in seen.values():
                counts[how] = counts.get(how, 0) + 1
            common.emit("complete", client=opts.user, messages=len(seen), logins=logins, **counts)
            if not lost.is_set():
                await c.close()
            return
        common.emit("connection_lost", client=opts.user, messages=len(seen))
        while opts.wait_file and not os.path.exists(opts.wait_file):
            if time.monotonic() > deadline:
                raise ScenarioError("%s: %s never appeared" % (opts.user, opts.wait_file))
            await asyncio.sleep(0.1)


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--user", required=True)
    p.add_argument("--prefix", required=True, help="bodies to collect start with this")
    p.add_argument("--expect", type=int, required=True, help="how many (bodies PREFIX1 .. PREFIXn)")
    p.add_argument("--offline-from", type=int, default=0,
                   help="bodies PREFIXn for n >= this must (also) arrive from offline storage")
    p.add_argument("--wait-file", default="", help="after a lost connection, log in again once this file exists")
    common.run(scenario, p.parse_args())
