#!/usr/bin/python3
"""Scenario: XEP-0357 push with a real app server. A slixmpp component
(ComponentXMPP, XEP-0114) connects as push.<domain> and plays the app
server; alice's "phone" (slixmpp, which has no XEP-0357 plugin: the
<enable/> is sent as raw XML) enables push on it and goes offline; bob
writes to her; the app server receives the pubsub publish with the
summary form and answers it; alice comes back and gets the message."""
import asyncio

import slixmpp
from slixmpp.xmlstream import ET

import common
from common import Client, check

PUSH = "urn:xmpp:push:0"
PUBSUB = "http://jabber.org/protocol/pubsub"
DATA = "jabber:x:data"


class AppServer(slixmpp.ComponentXMPP):
    def __init__(self, opts):
        super().__init__("push." + opts.domain, opts.component_secret, opts.host, opts.component_port)
        self.notifications = []
        self.changed = asyncio.Event()
        self.add_event_handler("session_start", lambda _: self._mark("connected"))
        self.register_handler(slixmpp.Callback(
            "pubsub publish", slixmpp.MatchXPath("{jabber:component:accept}iq/{%s}pubsub" % PUBSUB), self._on_publish))

    def _mark(self, what):
        common.emit(what, client="app")
        self.notifications.append({"event": what})
        self.changed.set()

    def _on_publish(self, iq):
        publish = iq.xml.find("{%s}pubsub/{%s}publish" % (PUBSUB, PUBSUB))
        form = iq.xml.find(".//{%s}notification/{%s}x" % (PUSH, DATA))
        fields = {}
        if form is not None:
            for f in form.findall("{%s}field" % DATA):
                v = f.find("{%s}value" % DATA)
                fields[f.get("var")] = v.text if v is not None else ""
        opts = iq.xml.find("{%s}pubsub/{%s}publish-options/{%s}x" % (PUBSUB, PUBSUB, DATA))
        secret = ""
        if opts is not None:
            for f in opts.findall("{%s}field" % DATA):
                if f.get("var") == "secret":
                    secret = f.find("{%s}value" % DATA).text
        n = {"event": "notification", "frm": str(iq["from"]), "node": publish.get("node") if publish is not None else None,
             "fields": fields, "secret": secret}
        common.emit("notification", client="app", **{k: v for k, v in n.items() if k != "event"})
        self.notifications.append(n)
        self.changed.set()
        iq.reply().send()

    async def wait(self, event, timeout=common.EXPECT_TIMEOUT):
        async def loop():
            while True:
                for n in self.notifications:
                    if n["event"] == event:
                        return n
                self.changed.clear()
                await self.changed.wait()
        return await asyncio.wait_for(loop(), timeout)


async def scenario(opts):
    app = AppServer(opts)
    app.connect()
    await app.wait("connected")

    phone = Client("alice", common.jid(opts, "alice", "phone"), opts.password, opts)
    bob = Client("bob", common.jid(opts, "bob", "desk"), opts.password, opts)
    await phone.online()
    iq = phone.Iq(stype="set")
    enable = ET.fromstring(
        "<enable xmlns='%s' jid='push.%s' node='alice-phone-1'>"
        "<x xmlns='%s' type='submit'>"
        "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
        "<field var='secret'><value>app-secret-42</value></field></x></enable>" % (PUSH, opts.domain, DATA))
    iq.append(enable)
    await phone.query(iq, "push enable")
    common.emit("push_enabled", client="alice")
    await phone.close()

    await bob.online()
    bob.chat("alice@" + opts.domain, body="wake up, alice")
    n = await app.wait("notification")
    check(n["node"] == "alice-phone-1", "notification for node %r" % n["node"])

    phone2 = Client("alice", common.jid(opts, "alice", "phone"), opts.password, opts)
    await phone2.online()
    await phone2.expect("the message that caused the push", "message", body="wake up, alice")
    for c in (phone2, bob):
        await c.close()
    app.disconnect()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--component-port", type=int, required=True)
    p.add_argument("--component-secret", required=True)
    common.run(scenario, p.parse_args())
