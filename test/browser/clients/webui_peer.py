#!/usr/bin/python3
"""The XMPP side of the tests of Parley's pages for people (webui_test.go):
named slixmpp clients the Go test drives one command at a time, to see
what the pages change take effect over XMPP and to change what the pages
show.

Commands on stdin, one JSON object per line, each with "seq"; the answer
is {"event": "ok", "seq": N, ...} or {"event": "error", "seq": N,
"error": ...}. Every client's observations are printed as events too
(presence, message, stream_error, disconnected, ...; see common.py).

  login {name, user, password?, resource?, show?, status?}   online, with roster and presence
  try_login {name, user, password}       ok with "authenticated": true|false (then closes)
  presence {name, show?, status?}        new presence, answered once the server echoed it
  befriend {a, b}                        mutual presence subscription between two online clients
  vcard_set {name, fn, email, tel}       XEP-0054 set of its own vCard
  vcard_get {name, jid}                  XEP-0054 get: fn, email, tel, photo (bytes of BINVAL)
  message {name, to, body}               a chat message
  join {name, room, nick}                enter a MUC room (answered on the self-presence)
  close {name}                           end the stream

Uses the scenario helpers of the end-to-end suite (test/e2e/clients/
common.py)."""
import asyncio
import base64
import json
import os
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "e2e", "clients"))

import common  # noqa: E402
from common import Client, ScenarioError  # noqa: E402


async def scenario(opts):
    clients = {}

    def client(cmd):
        c = clients.get(cmd["name"])
        if c is None:
            raise ScenarioError("no client %s" % cmd["name"])
        return c

    async def handle(cmd):
        op = cmd["cmd"]
        if op == "login":
            c = Client(cmd["name"], common.jid(opts, cmd["user"], cmd.get("resource") or "slix"),
                       cmd.get("password") or opts.password, opts)
            clients[cmd["name"]] = c
            await c.online(show=cmd.get("show") or None, status=cmd.get("status") or None)
            return {"jid": str(c.boundjid)}
        if op == "try_login":
            c = Client(cmd["name"], common.jid(opts, cmd["user"], "try"), cmd["password"], opts)
            ok = await c.try_login()
            if ok:
                await c.close()
            return {"authenticated": ok}
        if op == "presence":
            c = client(cmd)
            show = cmd.get("show") or ""
            c.send_presence(pshow=show or None, pstatus=cmd.get("status") or None)
            await c.expect("echo of the new presence", "presence", frm=str(c.boundjid), type="available", show=show)
            return {}
        if op == "befriend":
            a, b = clients[cmd["a"]], clients[cmd["b"]]
            await common.subscribe(a, b)
            await common.subscribe(b, a)
            return {}
        if op == "vcard_set":
            c = client(cmd)
            inner = "<FN>%s</FN>" % escape(cmd.get("fn", ""))
            if cmd.get("email"):
                inner += "<EMAIL><INTERNET/><PREF/><USERID>%s</USERID></EMAIL>" % escape(cmd["email"])
            if cmd.get("tel"):
                inner += "<TEL><VOICE/><NUMBER>%s</NUMBER></TEL>" % escape(cmd["tel"])
            iq = c.Iq(stype="set")
            iq.append(ET.fromstring("<vCard xmlns='vcard-temp'>%s</vCard>" % inner))
            await c.query(iq, "vCard set")
            return {}
        if op == "vcard_get":
            c = client(cmd)
            iq = c.Iq(stype="get", sto=cmd["jid"])
            iq.append(ET.fromstring("<vCard xmlns='vcard-temp'/>"))
            res = await c.query(iq, "vCard get")
            ns = "{vcard-temp}"
            v = res.xml.find(ns + "vCard")
            out = {"fn": "", "email": "", "tel": "", "photo": 0}
            if v is not None:
                out["fn"] = v.findtext(ns + "FN") or ""
                out["email"] = v.findtext(ns + "EMAIL/" + ns + "USERID") or ""
                out["tel"] = v.findtext(ns + "TEL/" + ns + "NUMBER") or ""
                binval = v.findtext(ns + "PHOTO/" + ns + "BINVAL") or ""
                out["photo"] = len(base64.b64decode("".join(binval.split()))) if binval else 0
            return out
        if op == "message":
            client(cmd).chat(cmd["to"], body=cmd["body"])
            return {}
        if op == "join":
            c = client(cmd)
            c.send_presence(pto="%s/%s" % (cmd["room"], cmd["nick"]))
            await c.expect("self-presence in " + cmd["room"], "presence",
                           frm="%s/%s" % (cmd["room"], cmd["nick"]), type="available")
            return {}
        if op == "close":
            await client(cmd).close()
            return {}
        raise ScenarioError("unknown command %s" % op)

    common.emit("ready")
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        seq = cmd.get("seq")
        if cmd["cmd"] == "quit":
            break
        try:
            out = await handle(cmd)
            common.emit("ok", seq=seq, **out)
        except (ScenarioError, Exception) as err:  # reported, the script goes on
            common.emit("error", seq=seq, error="%s: %s" % (type(err).__name__, err))
    for c in clients.values():
        if c.transport is not None:
            c.disconnect()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
