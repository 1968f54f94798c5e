#!/usr/bin/python3
"""Scenario: federation between Parley and another server (Prosody or
ejabberd), each user on their own server through slixmpp.

alice is on Parley (--port, --domain), bob on the peer (--peer-port,
--peer-domain). They subscribe to each other (requests and approvals
cross the servers, RFC 6121 3.1), see each other's presence and its
changes, chat both ways, and share a room on Parley's conference
service: alice creates it, bob joins from his server, each sees the
other's messages. Finally bob's going offline reaches alice."""
import argparse
import copy

import slixmpp
from slixmpp.exceptions import PresenceError

import common
from common import Client, check


class FedClient(Client):
    def __init__(self, *args):
        super().__init__(*args)
        for plugin in ("xep_0004", "xep_0045"):
            self.register_plugin(plugin)
        self.add_event_handler("groupchat_presence", lambda p: self.record(
            "muc_presence", frm=str(p["from"]), type=p.xml.get("type", "available"),
            codes=sorted(str(c) for c in p["muc"]["status_codes"])))
        self.add_event_handler("groupchat_message", lambda m: self.record(
            "groupchat", frm=str(m["from"]), body=m["body"]))

    async def join(self, room, nick):
        try:
            return await self.plugin["xep_0045"].join_muc_wait(slixmpp.JID(room), nick, timeout=common.EXPECT_TIMEOUT,
                                                               maxstanzas=0)
        except PresenceError as err:
            raise common.ScenarioError("%s: join %s as %s: %s" % (self.name, room, nick, err.presence["error"]["condition"]))


async def scenario(opts):
    peer = copy.copy(opts)
    peer.port, peer.domain = opts.peer_port, opts.peer_domain
    alice = FedClient("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    bob = FedClient("bob", common.jid(peer, "bob", "phone"), opts.password, peer)
    await alice.online()
    await bob.online()

    # Subscriptions both ways, across the servers.
    await common.subscribe(alice, bob)
    await common.subscribe(bob, alice)
    for me, other in ((alice, bob), (bob, alice)):
        _, items = await me.fetch_roster()
        item = items.get(other.boundjid.bare)
        check(item is not None and item["subscription"] == "both", "%s's roster item for %s: %r" % (me.name, other.boundjid.bare, item))
    common.emit("subscribed_both")

    # Presence changes both ways.
    bob.send_presence(pshow="away", pstatus="on the train")
    await alice.expect("bob away", "presence", frm=str(bob.boundjid), type="available", show="away", status="on the train")
    alice.send_presence(pshow="dnd", pstatus="writing")
    await bob.expect("alice busy", "presence", frm=str(alice.boundjid), type="available", show="dnd", status="writing")
    common.emit("presence_seen")

    # Chat both ways.
    alice.chat(bob.boundjid.bare, "hello from Parley")
    await bob.expect("alice's message", "message", frm=str(alice.boundjid), body="hello from Parley")
    bob.chat(str(alice.boundjid), "hello from " + opts.peer_domain)
    await alice.expect("bob's answer", "message", frm=str(bob.boundjid), body="hello from " + opts.peer_domain)
    common.emit("chatted")

    # A room on Parley with an occupant from the other server.
    room = "lobby@conference." + opts.domain
    await alice.join(room, "alice")
    submit = alice.plugin["xep_0004"].make_form(ftype="submit")
    await alice.plugin["xep_0045"].set_room_config(slixmpp.JID(room), submit)
    await bob.join(room, "bob")
    await alice.expect("bob in the room", "muc_presence", frm=room + "/bob", type="available")
    bob.send_message(mto=room, mbody="hi from " + opts.peer_domain, mtype="groupchat")
    await alice.expect("bob's groupchat", "groupchat", frm=room + "/bob", body="hi from " + opts.peer_domain)
    await bob.expect("bob's groupchat reflected", "groupchat", frm=room + "/bob", body="hi from " + opts.peer_domain)
    alice.send_message(mto=room, mbody="welcome to Parley", mtype="groupchat")
    await bob.expect("alice's groupchat", "groupchat", frm=room + "/alice", body="welcome to Parley")
    common.emit("room_shared")

    await bob.close()
    await alice.expect("bob offline", "presence", frm=str(bob.boundjid), type="unavailable")
    await alice.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--peer-port", type=int, required=True, help="the peer server's c2s port")
    p.add_argument("--peer-domain", required=True, help="the peer server's domain")
    common.run(scenario, p.parse_args())
