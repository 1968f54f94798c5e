#!/usr/bin/python3
"""Scenario 7: alice goes online, prints {"event": "ready"}, and waits for
the server to end her stream with <system-shutdown/> (the test sends the
server SIGTERM) and for the connection to close."""
import common
from common import Client


async def scenario(opts):
    alice = Client("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    await alice.online()
    alice.record("ready")
    await alice.expect("<system-shutdown/> stream error", "stream_error", condition="system-shutdown",
                       timeout=opts.timeout)
    await alice.expect("disconnected", "disconnected")


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
