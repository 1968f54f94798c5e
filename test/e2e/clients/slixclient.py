#!/usr/bin/python3
"""A scriptable slixmpp client for Parley's end-to-end tests.

The Go test drives it: commands arrive as JSON lines on stdin, events
leave as JSON lines on stdout. It runs Debian's python3-slixmpp, a real
third-party XMPP implementation, against the built parley binary.

Usage: slixclient.py JID PASSWORD HOST PORT [--direct-tls]
"""
import asyncio
import json
import ssl
import sys

import slixmpp


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        # Tests run against a generated self-signed certificate.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        # The tests answer subscription requests themselves.
        self.roster.auto_authorize = None  # None: ask (False would auto-refuse)
        self.roster.auto_subscribe = False
        for plugin in ("xep_0030", "xep_0085", "xep_0199", "xep_0203", "xep_0092"):
            self.register_plugin(plugin)
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("presence_available", self.on_presence)
        self.add_event_handler("presence_unavailable", self.on_presence)
        self.add_event_handler("changed_status", self.on_presence)
        self.add_event_handler("presence_subscribe", lambda p: emit("subscribe", frm=p["from"].bare))
        self.add_event_handler("presence_subscribed", lambda p: emit("subscribed", frm=p["from"].bare))
        self.add_event_handler("presence_unsubscribed", lambda p: emit("unsubscribed", frm=p["from"].bare))
        self.add_event_handler("roster_update", self.on_roster_update)
        self.add_event_handler("chatstate", self.on_chatstate)
        self.add_event_handler("disconnected", lambda e: emit("disconnected"))
        self.add_event_handler("stream_error", lambda e: emit("stream_error", condition=e["condition"]))
        self.add_event_handler("failed_auth", lambda e: emit("auth_failed"))
        self.add_event_handler("connection_failed", lambda e: emit("connection_failed", error=str(e)))

    async def on_start(self, _):
        await self.get_roster()
        emit("session_start", jid=str(self.boundjid))

    def on_message(self, msg):
        if msg["type"] not in ("chat", "normal"):
            return
        fields = {"frm": str(msg["from"]), "body": msg["body"], "type": msg["type"]}
        if msg["delay"]["stamp"]:
            fields["delay"] = msg["delay"]["stamp"].isoformat()
        if msg["chat_state"]:
            fields["chat_state"] = msg["chat_state"]
        if msg["body"]:
            emit("message", **fields)

    def on_chatstate(self, msg):
        if not msg["body"]:
            emit("chat_state", frm=str(msg["from"]), state=msg["chat_state"])

    def on_presence(self, pres):
        emit("presence", frm=str(pres["from"]), type=pres["type"], show=pres["show"], status=pres["status"])

    def on_roster_update(self, _):
        emit("roster_push")

    def roster_items(self):
        items = {}
        for jid in self.client_roster:
            item = self.client_roster[jid]
            items[jid] = {"subscription": item["subscription"], "name": item["name"],
                          "groups": sorted(item["groups"]), "ask": item["pending_out"]}
        return items

    async def run_command(self, cmd):
        op = cmd["cmd"]
        if op == "presence":
            self.send_presence(pshow=cmd.get("show"), pstatus=cmd.get("status"))
        elif op == "subscription":
            self.send_presence(pto=cmd["to"], ptype=cmd["type"])
        elif op == "message":
            self.send_message(mto=cmd["to"], mbody=cmd["body"], mtype="chat")
        elif op == "chat_state":
            msg = self.make_message(mto=cmd["to"], mtype="chat")
            msg["chat_state"] = cmd["state"]
            msg.send()
        elif op == "message_with_state":
            msg = self.make_message(mto=cmd["to"], mbody=cmd["body"], mtype="chat")
            msg["chat_state"] = cmd["state"]
            msg.send()
        elif op == "roster_set":
            await self.update_roster(cmd["jid"], name=cmd.get("name"), groups=cmd.get("groups", []))
            emit("roster_set_done", jid=cmd["jid"])
        elif op == "roster_get":
            await self.get_roster()
            emit("roster", items=self.roster_items())
        elif op == "ping":
            rtt = await self["xep_0199"].ping(jid=cmd["to"], timeout=10)
            emit("pong", rtt=rtt)
        elif op == "version":
            res = await self["xep_0092"].get_version(cmd["to"])
            emit("version", name=res["software_version"]["name"], version=res["software_version"]["version"])
        elif op == "disconnect":
            self.disconnect()
        else:
            emit("error", message="unknown command " + op)


async def read_commands(client):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            client.disconnect()
            return
        try:
            await client.run_command(json.loads(line))
        except Exception as exc:  # report, keep serving: the Go test decides
            emit("error", message=repr(exc))


async def main():
    jid, password, host, port = sys.argv[1:5]
    direct_tls = "--direct-tls" in sys.argv[5:]
    client = Client(jid, password)
    client.connect((host, int(port)), use_ssl=direct_tls)
    await read_commands(client)
    await asyncio.sleep(0.2)


if __name__ == "__main__":
    asyncio.run(main())
