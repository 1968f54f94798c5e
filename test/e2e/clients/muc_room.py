#!/usr/bin/python3
"""Scenario: a conference room through slixmpp's XEP-0045 plugin, with a
third occupant on aioxmpp (muc_aioxmpp.py, started by the Go test when
this script prints "ready").

alice creates team@conference.<domain> (a reserved room: status 201),
makes it persistent and archived and names it with the owner configuration form, bob
joins; once carol (aioxmpp) is in and has said hello, alice kicks her
(bob sees status 307 with alice's reason). alice and bob say m1 and m2;
bob leaves and rejoins asking for two messages of history (maxstanzas),
which arrive with delay stamps from the room, before the subject."""
import slixmpp
from slixmpp.exceptions import PresenceError

import common
from common import Client, check


def codes(pres):
    return sorted(str(c) for c in pres["muc"]["status_codes"])


class MUCClient(Client):
    def __init__(self, *args):
        super().__init__(*args)
        for plugin in ("xep_0004", "xep_0045"):
            self.register_plugin(plugin)
        self.add_event_handler("groupchat_presence", self._on_muc_presence)
        self.add_event_handler("groupchat_message", self._on_groupchat)
        # Every presence as it arrives, also from rooms the plugin forgot.
        self.register_handler(slixmpp.Callback(
            "record every presence", slixmpp.MatchXPath("{jabber:client}presence"),
            lambda p: self.record("any_presence", frm=str(p["from"]), type=p.xml.get("type", "available"))))

    def _on_muc_presence(self, pres):
        self.record("muc_presence", frm=str(pres["from"]), type=pres.xml.get("type", "available"),
                    codes=codes(pres), role=pres["muc"]["role"], affiliation=pres["muc"]["affiliation"],
                    reason=pres["muc"]["item"]["reason"] if pres["muc"]["item"] is not None else "")

    def _on_groupchat(self, msg):
        self.record("groupchat", frm=str(msg["from"]), body=msg["body"],
                    delay=msg["delay"]["stamp"].isoformat() if msg["delay"]["stamp"] else "")

    async def join(self, room, nick, **kw):
        try:
            return await self.plugin["xep_0045"].join_muc_wait(slixmpp.JID(room), nick, timeout=common.EXPECT_TIMEOUT, **kw)
        except PresenceError as err:
            raise common.ScenarioError("%s: join %s as %s: %s" % (self.name, room, nick, err.presence["error"]["condition"]))

    def say(self, room, body):
        self.send_message(mto=room, mbody=body, mtype="groupchat")


async def scenario(opts):
    room = "team@conference." + opts.domain
    alice = MUCClient("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    bob = MUCClient("bob", common.jid(opts, "bob", "desk"), opts.password, opts)
    await alice.online()
    await bob.online()
    muc = alice.plugin["xep_0045"]

    # The service is discoverable from the server (XEP-0045 6.1).
    items = await alice.plugin["xep_0030"].get_items(jid=opts.domain)
    services = [str(i[0]) for i in items["disco_items"]["items"]]
    common.emit("disco_items", client="alice", items=services)
    check("conference." + opts.domain in services, "server disco#items lacks the MUC service: %s" % services)

    # Create: a new room is reserved (201) until its owner configures it.
    joined = await alice.join(room, "alice")
    common.emit("joined", client="alice", codes=codes(joined[0]),
                affiliation=joined[0]["muc"]["affiliation"], role=joined[0]["muc"]["role"])
    form = await muc.get_room_config(slixmpp.JID(room))
    fields = form.get_fields()
    check("muc#roomconfig_persistentroom" in fields, "configuration form lacks muc#roomconfig_persistentroom: %s" % list(fields))
    submit = alice.plugin["xep_0004"].make_form(ftype="submit")
    submit.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/muc#roomconfig")
    submit.add_field(var="muc#roomconfig_roomname", value="Team")
    submit.add_field(var="muc#roomconfig_persistentroom", ftype="boolean", value=True)
    submit.add_field(var="muc#roomconfig_publicroom", ftype="boolean", value=True)
    submit.add_field(var="muc#roomconfig_enablelogging", ftype="boolean", value=True)
    await muc.set_room_config(slixmpp.JID(room), submit)
    common.emit("configured", client="alice")

    await bob.join(room, "bob", maxstanzas=0)
    await alice.expect("bob in the room", "muc_presence", frm=room + "/bob", type="available")
    common.emit("ready")

    # carol (aioxmpp, another process) joins and says hello.
    await alice.expect("carol in the room", "muc_presence", frm=room + "/carol", type="available", timeout=20)
    for c in (alice, bob):
        await c.expect("carol's hello", "groupchat", frm=room + "/carol", body="hello from aioxmpp", timeout=20)

    # alice, an owner and so a moderator, kicks carol (role none, 8.2).
    await muc.set_role(slixmpp.JID(room), "carol", "none", reason="enough for today")
    kicked = await bob.expect("carol kicked", "muc_presence", frm=room + "/carol", type="unavailable",
                              codes=lambda c: "307" in (c or []))
    common.emit("kick_seen", client="bob", reason=kicked["reason"], codes=kicked["codes"])

    alice.say(room, "m1")
    await bob.expect("m1", "groupchat", frm=room + "/alice", body="m1")
    bob.say(room, "m2")
    await alice.expect("m2", "groupchat", frm=room + "/bob", body="m2")
    await bob.expect("own m2 reflected", "groupchat", frm=room + "/bob", body="m2")

    # bob leaves and comes back for the last two messages.
    bob.plugin["xep_0045"].leave_muc(slixmpp.JID(room), "bob")
    # slixmpp forgets the room on leave_muc, before the room's answer.
    await bob.expect("own unavailable", "any_presence", frm=room + "/bob", type="unavailable")
    back = await bob.join(room, "bob", maxstanzas=2)
    history = [(str(m["from"]), m["body"], bool(m["delay"]["stamp"])) for m in back[3]]
    common.emit("history", client="bob", bodies=",".join(h[1] for h in history),
                senders=",".join(h[0] for h in history), all_delayed=all(h[2] for h in history))
    for c in (alice, bob):
        await c.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
