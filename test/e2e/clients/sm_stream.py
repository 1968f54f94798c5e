#!/usr/bin/python3
"""XEP-0198 under fire: a message stream between two aioxmpp clients whose
connections the test kills at random points; nothing may be lost.

bob (resource "laptop", through --sender-port) sends --count numbered chat
messages (id "s-N", body "N") to alice's bare JID; alice (resource "phone",
through --port) receives them. Both use stream management with
resumption. The test's proxies cut their TCP connections after random
numbers of bytes, so cuts land anywhere: in a message, in an ack, during
TLS, authentication or the resumption itself. The clients reconnect and
resume on their own.

bob keeps at most --window messages ahead of what alice has received, so
the stream spans the cuts instead of being over before the first one.
Once alice has every message (or nothing moved for --stall seconds) both
close their streams, and alice logs in once more as "final" straight to
the server (--server-port) to collect what offline storage holds: XEP-0198
lets the server store what a client never acknowledged (a duplicate is
allowed then, a loss never).

The summary event counts: sent (messages bob queued), acked (acknowledged
by the server to bob), received live (distinct and duplicates), offline
(new and duplicates), missing (ids in neither).
"""
import asyncio
import collections
import time

import aioxmpp

from aiocommon import AioClient, quiet_logs
from common import EXPECT_TIMEOUT, ScenarioError, arguments, check, emit, run


async def scenario(opts):
    quiet_logs()
    alice = AioClient("alice", "alice", "phone", opts, port=opts.port, quiet=True)
    bob = AioClient("bob", "bob", "laptop", opts, port=opts.sender_port, quiet=True)
    live = collections.Counter()
    alice.on_message = lambda m: live.update([m["id"]]) if m["id"].startswith("s-") else None
    await alice.start()
    await bob.start()
    for c in (alice, bob):
        est = c.events[-1]
        check(est["sm"] and est["resumable"], "%s: no resumable stream management: %s" % (c.name, est))
    emit("ready")

    to = "alice@" + opts.domain
    tokens = []
    acked = set()

    def on_state(token, state):
        if state == aioxmpp.stream.StanzaState.ACKED:
            acked.add(token.stanza.id_)
            bob.changed()

    started = time.monotonic()

    stalled = False
    for i in range(1, opts.count + 1):
        if len(live) < i - opts.window:
            try:
                await alice.wait_for_state(lambda: True if len(live) >= i - opts.window else None,
                                           "alice to catch up with message %d" % (i - opts.window), opts.stall)
            except ScenarioError as err:  # reported in the summary as missing messages
                if AioClient.gave_up:
                    raise
                emit("stall", error=str(err), sent=i - 1, received=len(live))
                stalled = True
                break
        # enqueue refuses while a destroyed stream is being replaced.
        if not bob.client.established:
            await bob.wait_for_state(lambda: True if bob.client.established else None, "bob's stream back", EXPECT_TIMEOUT)
        tokens.append(bob.chat(to, str(i), id_="s-%d" % i, on_state_change=on_state))
        if i % 100 == 0:
            emit("progress", sent=i, received=len(live), acked=len(acked))

    sent_ids = {t.stanza.id_ for t in tokens}
    if not stalled:
        try:
            await alice.wait_for_state(lambda: True if sent_ids <= set(live) else None,
                                       "alice to receive all %d messages" % len(sent_ids), opts.stall)
        except ScenarioError as err:
            if AioClient.gave_up:
                raise
            emit("stall", error=str(err), sent=len(tokens), received=len(live))
    try:
        await bob.wait_for_state(lambda: True if sent_ids <= acked else None,
                                 "the server to acknowledge all of bob's messages", EXPECT_TIMEOUT)
    except ScenarioError as err:
        if AioClient.gave_up:
            raise
        emit("stall", error=str(err), acked=len(acked))
    elapsed = time.monotonic() - started
    states = collections.Counter(t.state.name for t in tokens)
    signals = {"%s_%s" % (c.name, e): c.count(e) for c in (alice, bob) for e in ("suspended", "resumed", "destroyed", "failure", "restarted")}
    await alice.stop()
    await bob.stop()

    # What offline storage holds for alice: delivered on her initial
    # presence, before the answer to anything she sends after it.
    final = AioClient("final", "alice", "final", opts, port=opts.server_port, quiet=True, presence_managed=False)
    await final.start()
    marker = "final marker"
    final.chat(str(final.client.local_jid), marker)
    await final.wait_for_state(lambda: True if any(m["body"] == marker for m in final.messages) else None,
                               "the final login's marker message")
    offline = collections.Counter(m["id"] for m in final.messages if m["id"] and m["id"].startswith("s-"))
    undelayed = [m["id"] for m in final.messages if m["id"] in offline and not m["delay"]]
    await final.stop()

    want = {"s-%d" % i for i in range(1, opts.count + 1)}
    missing = sorted(want - set(live) - set(offline), key=lambda s: int(s[2:]))
    emit("summary",
         count=opts.count, sent=len(tokens), acked=len(acked & sent_ids), token_states=dict(states),
         received=len(live), live_duplicates=sum(n - 1 for n in live.values()),
         duplicated_ids=sorted((k for k, n in live.items() if n > 1), key=lambda s: int(s[2:]))[:50],
         offline=sum(offline.values()), offline_new=len(set(offline) - set(live)),
         offline_duplicates=sum(offline.values()) - len(set(offline) - set(live)),
         offline_undelayed=undelayed[:20], missing=missing[:100], missing_count=len(missing),
         seconds=round(elapsed, 2), **signals)
    check(not missing, "%d message(s) lost: %s" % (len(missing), missing[:20]))


if __name__ == "__main__":
    p = arguments(__doc__.splitlines()[0])
    p.add_argument("--sender-port", type=int, required=True, help="where bob connects (a proxy)")
    p.add_argument("--server-port", type=int, required=True, help="the server itself, for the final login")
    p.add_argument("--count", type=int, default=1000, help="messages bob sends")
    p.add_argument("--window", type=int, default=50, help="how far bob may be ahead of alice")
    p.add_argument("--stall", type=float, default=15.0, help="seconds without progress that end the stream")
    opts = p.parse_args()
    run(scenario, opts)
