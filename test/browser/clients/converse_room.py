#!/usr/bin/python3
"""The TCP side of TestConverseMUC: bob (slixmpp's XEP-0045 plugin) in the
conference rooms where Converse.js, in the browser, is alice.

bob logs in and reports {"event": "ready"}; then the Go test drives him with
commands on stdin, one JSON object per line:
  {"cmd": "create", "room": R, "nick": N, "name": X, "subject": S,
   "password": P}
      join R, which must not exist (status 201), submit the owner form
      (name X, persistent, public, archived, and if P is given password-
      protected with P), set the subject S; reports
      {"event": "created", "room": R, "codes": [...]} once the room
      reflected the subject;
  {"cmd": "join", "room": R, "nick": N, "history": "K"}
      join an existing room asking for K messages of history (default 0);
      reports {"event": "joined", "room": R, "codes", "affiliation", "role",
      "occupants": [nicks], "subject", "history": ["nick: body", ...]};
  {"cmd": "say", "room": R, "body": B}
      send a groupchat message;
  {"cmd": "pm", "to": "R/nick", "body": B}
      send a private message to an occupant (XEP-0045 7.5);
  {"cmd": "info", "room": R}
      disco#info of the room; reports {"event": "info", "room": R, "name",
      "features": [...]};
  {"cmd": "quit"} or end of input: disconnect.

Every room presence and groupchat message bob receives is reported as it
arrives ("muc_presence", "groupchat" with the room's own messages too, and
"subject"), and every other message with a body ("message", private
messages among them). Uses the e2e suite's helpers (test/e2e/clients/common.py and the
MUCClient of muc_room.py): one JSON line per event on stdout, the stanza
trace on stderr."""
import asyncio
import json
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "e2e", "clients"))

import slixmpp  # noqa: E402

import common  # noqa: E402
from muc_room import MUCClient, codes  # noqa: E402


class Bob(MUCClient):
    def __init__(self, *args):
        super().__init__(*args)
        self.add_event_handler("groupchat_subject", self._on_subject)

    def _on_subject(self, msg):
        self.record("subject", frm=str(msg["from"]), subject=msg["subject"])


async def create(bob, cmd):
    room = slixmpp.JID(cmd["room"])
    joined = await bob.join(room, cmd["nick"], maxstanzas=0)
    got = codes(joined[0])
    common.check("201" in got, "join %s: status codes %s, want 201 (a new room)" % (room, got))
    muc = bob.plugin["xep_0045"]
    await muc.get_room_config(room)
    submit = bob.plugin["xep_0004"].make_form(ftype="submit")
    submit.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/muc#roomconfig")
    submit.add_field(var="muc#roomconfig_roomname", value=cmd["name"])
    submit.add_field(var="muc#roomconfig_persistentroom", ftype="boolean", value=True)
    submit.add_field(var="muc#roomconfig_publicroom", ftype="boolean", value=True)
    submit.add_field(var="muc#roomconfig_enablelogging", ftype="boolean", value=True)
    if cmd.get("password"):
        submit.add_field(var="muc#roomconfig_passwordprotectedroom", ftype="boolean", value=True)
        submit.add_field(var="muc#roomconfig_roomsecret", ftype="text-private", value=cmd["password"])
    await muc.set_room_config(room, submit)
    muc.set_subject(room, cmd["subject"])
    await bob.expect("the subject reflected", "subject", frm=lambda f: (f or "").startswith(str(room)),
                     subject=cmd["subject"])
    common.emit("created", room=str(room), codes=got)


async def join(bob, cmd):
    room = slixmpp.JID(cmd["room"])
    own, subject, occupants, history = await bob.join(room, cmd["nick"], maxstanzas=int(cmd.get("history", "0")))
    common.emit("joined", room=str(room), codes=codes(own), affiliation=own["muc"]["affiliation"],
                role=own["muc"]["role"], occupants=sorted(p["from"].resource for p in occupants),
                subject=subject["subject"] if subject is not None else "",
                history=["%s: %s" % (m["from"].resource, m["body"]) for m in history])


async def info(bob, cmd):
    res = await bob.plugin["xep_0030"].get_info(jid=cmd["room"], timeout=common.EXPECT_TIMEOUT)
    names = [i[3] or "" for i in res["disco_info"]["identities"]]
    common.emit("info", room=cmd["room"], name=names[0] if names else "",
                features=sorted(res["disco_info"]["features"]))


async def scenario(opts):
    bob = Bob("bob", common.jid(opts, "bob", "tcp"), opts.password, opts)
    await bob.online()
    common.emit("ready", jid=str(bob.boundjid))

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        if cmd["cmd"] == "create":
            await create(bob, cmd)
        elif cmd["cmd"] == "join":
            await join(bob, cmd)
        elif cmd["cmd"] == "say":
            bob.say(cmd["room"], cmd["body"])
        elif cmd["cmd"] == "pm":
            msg = bob.make_message(mto=cmd["to"], mbody=cmd["body"], mtype="chat")
            msg.append(ET.Element("{http://jabber.org/protocol/muc#user}x"))
            msg.send()
        elif cmd["cmd"] == "info":
            await info(bob, cmd)
        else:
            break
    await bob.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
