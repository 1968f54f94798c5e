#!/usr/bin/python3
"""The XMPP side of the presence embedding browser test: bob (slixmpp)
goes online with a presence the test chooses, then changes it on command.

Commands on stdin, one JSON object per line:
  {"cmd": "presence", "seq": N, "show": "dnd"|"away"|...|"", "status": "..."}
      send that presence and report {"event": "presence_set", "seq": N}
      once the server has echoed it (it is then in the session table);
  {"cmd": "offline", "seq": N}
      send unavailable presence and report presence_set when the server
      has taken it (a ping round trip after it: the server handles a
      session's stanzas in order);
  {"cmd": "quit"} or end of input: disconnect.

Uses the scenario helpers of the end-to-end suite (test/e2e/clients/
common.py): one JSON line per event on stdout, the stanza trace on stderr."""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "e2e", "clients"))

import common  # noqa: E402
from common import Client  # noqa: E402


async def scenario(opts):
    bob = Client("bob", common.jid(opts, "bob", "web"), opts.password, opts)
    await bob.online(show=opts.show, status=opts.status)
    common.emit("ready", jid=str(bob.boundjid))

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        seq = str(cmd.get("seq", ""))
        if cmd["cmd"] == "presence":
            show = cmd.get("show") or ""
            bob.send_presence(pshow=show or None, pstatus=cmd.get("status") or None)
            await bob.expect("echo of presence " + seq, "presence", frm=str(bob.boundjid),
                             type="available", show=show)
            common.emit("presence_set", seq=seq)
        elif cmd["cmd"] == "offline":
            bob.send_presence(ptype="unavailable")
            await bob.ping()
            common.emit("presence_set", seq=seq)
        else:
            break
    await bob.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--show", default="dnd", help="initial show")
    p.add_argument("--status", default="in a meeting", help="initial status text")
    common.run(scenario, p.parse_args())
