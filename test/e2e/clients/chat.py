#!/usr/bin/python3
"""Scenario 3: alice sends bob (bare JID) a chat message with a chat state
(XEP-0085); bob receives it from alice's full JID; a standalone
"composing" notification follows; bob answers alice's full JID."""
import common
from common import Client


async def scenario(opts):
    alice = Client("alice", common.jid(opts, "alice", "desk"), opts.password, opts)
    bob = Client("bob", common.jid(opts, "bob", "phone"), opts.password, opts)
    await alice.online()
    await bob.online()
    a, b = str(alice.boundjid), str(bob.boundjid)

    alice.chat(bob.boundjid.bare, body="hello from slixmpp", state="active")
    await bob.expect("chat message with state", "message", frm=a, to=bob.boundjid.bare, type="chat",
                     body="hello from slixmpp", chat_state="active")
    alice.chat(bob.boundjid.bare, state="composing")
    await bob.expect("standalone composing", "message", frm=a, type="chat", body="", chat_state="composing")
    bob.chat(a, body="hi alice", state="active")
    await alice.expect("answer to the full JID", "message", frm=b, to=a, body="hi alice", chat_state="active")
    await alice.close()
    await bob.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
