#!/usr/bin/python3
"""XEP-0198 with aioxmpp: alice's connection is cut, messages arrive meanwhile.

alice (aioxmpp, stream management with resumption, resource "phone")
connects through the test's proxy (--port) and reports "ready". The test
then kills her TCP connection and holds her reconnection while bob sends
her --count messages ("meanwhile 1" ... "meanwhile N") with go-sendxmpp.
Then it lets her reconnect.

--expect resumed: aioxmpp must resume the stream (on_stream_resumed, same
full JID, never destroyed) and receive each message exactly once.
--expect destroyed: the server's resume timeout passed first, so the
resumption fails, aioxmpp binds a fresh stream and the messages come from
offline storage (XEP-0203 delay stamps), each exactly once.

Exactly once: after the expected messages alice sends a marker message to
her own full JID; the server delivers a session's stanzas in order, so a
duplicate would have arrived before the marker.
"""
import collections

from aiocommon import AioClient, quiet_logs
from common import arguments, check, emit, run

LONG = 20.0  # reconnecting waits on the test's proxy


async def scenario(opts):
    quiet_logs()
    alice = AioClient("alice", "alice", "phone", opts)
    await alice.start()
    est = alice.events[-1]
    check(est["sm"] and est["resumable"], "alice: stream management with resumption not enabled: %s" % est)
    emit("ready", jid=est["jid"], sm_id=est["sm_id"])

    await alice.wait_count("suspended", 1, "alice's stream suspended (the test cuts the connection)", LONG)
    bodies = ["meanwhile %d" % i for i in range(1, opts.count + 1)]
    if opts.expect == "resumed":
        await alice.wait_count("resumed", 1, "stream resumed", LONG)
        check(alice.count("destroyed") == 0, "alice: stream destroyed instead of resumed")
        check(str(alice.client.local_jid) == est["jid"],
              "alice: full JID %s after resumption, was %s" % (alice.client.local_jid, est["jid"]))
    else:
        await alice.wait_count("destroyed", 1, "resumption refused (stream destroyed)", LONG)
        await alice.wait_count("established", 2, "a fresh stream", LONG)

    def have_all():
        got = {m["body"] for m in alice.messages}
        return True if all(b in got for b in bodies) else None
    await alice.wait_for_state(have_all, "the %d messages sent while alice was cut off" % len(bodies), LONG)

    marker = "marker after the messages"
    alice.chat(str(alice.client.local_jid), marker)
    await alice.wait_for_state(lambda: True if any(m["body"] == marker for m in alice.messages) else None,
                               "alice's marker message to herself")
    counts = collections.Counter(m["body"] for m in alice.messages)
    for b in bodies:
        check(counts[b] == 1, "alice: %r received %d times, want exactly once" % (b, counts[b]))
    if opts.expect == "destroyed":
        for m in alice.messages:
            if m["body"] in bodies:
                check(m["delay"], "alice: %r from offline storage without a delay stamp" % m["body"])
    emit("summary", counts=dict(counts), jid=str(alice.client.local_jid),
         resumed=alice.count("resumed"), destroyed=alice.count("destroyed"))
    await alice.stop()


if __name__ == "__main__":
    p = arguments(__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=3, help="messages bob sends while alice is cut off")
    p.add_argument("--expect", choices=("resumed", "destroyed"), default="resumed")
    opts = p.parse_args()
    run(scenario, opts)
