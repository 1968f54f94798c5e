#!/usr/bin/python3
"""A live-help agent on an ordinary XMPP client (slixmpp): logs in, goes
online, and reports every message it gets (with the sender's XEP-0172
nickname and XEP-0085 chat state) as JSON lines; the Go test drives it
with commands on stdin, one JSON object per line:

  {"cmd": "say", "to": J, "body": B, "state": S}   a chat message (state optional)
  {"cmd": "state", "to": J, "state": S}            a standalone chat state
  {"cmd": "quit"}                                   close the stream and exit

Nothing here knows live help: offers, notices and the visitor's messages
are plain chat messages from the visitor's JID, and a reply to one takes
the chat. Uses the end-to-end suite's helpers (test/e2e/clients/common.py).
"""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "e2e", "clients"))

import common  # noqa: E402
from common import Client  # noqa: E402

NICK = "{http://jabber.org/protocol/nick}nick"


class Agent(Client):
    def _on_message(self, msg):
        fields = {"frm": str(msg["from"]), "to": str(msg["to"]), "type": msg["type"], "body": msg["body"]}
        if msg["chat_state"]:
            fields["chat_state"] = msg["chat_state"]
        nick = msg.xml.find(NICK)
        if nick is not None:
            fields["nick"] = nick.text or ""
        self.record("message", **fields)


async def scenario(opts):
    agent = Agent(opts.user, common.jid(opts, opts.user, "desk"), opts.password, opts)
    await agent.online(show=opts.show or None)
    agent.record("ready")
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        if cmd["cmd"] == "say":
            agent.chat(cmd["to"], body=cmd["body"], state=cmd.get("state") or None)
            agent.record("said", to=cmd["to"], body=cmd["body"])
        elif cmd["cmd"] == "state":
            agent.chat(cmd["to"], state=cmd["state"])
            agent.record("stated", to=cmd["to"], state=cmd["state"])
        elif cmd["cmd"] == "quit":
            break
    await agent.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--user", required=True, help="the agent's localpart")
    p.add_argument("--show", default="", help="presence show (empty: available)")
    common.run(scenario, p.parse_args())
