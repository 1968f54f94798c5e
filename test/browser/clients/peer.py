#!/usr/bin/python3
"""The TCP side of a browser test: bob (slixmpp) befriends the browser
client, alice, and chats with her.

bob logs in and goes online, asks for alice's presence (subscribe); the
browser approves and asks back; bob approves. Both then see each other's
presence. The browser sends bob a message; bob answers alice's full JID,
then goes away with a status text, and waits for alice to go unavailable
(the Go test closes the browser's session), then disconnects.

Uses the scenario helpers of the end-to-end suite (test/e2e/clients/
common.py): one JSON line per observed event on stdout, the stanza trace
on stderr, exit status 0 after {"event": "done"}."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "e2e", "clients"))

import common  # noqa: E402
from common import Client  # noqa: E402

# How long bob waits for each step of the browser; the Go test's own
# waits are shorter, so it reports first and with more context.
STEP_TIMEOUT = 40.0


async def scenario(opts):
    bob = Client("bob", common.jid(opts, "bob", "tcp"), opts.password, opts)
    await bob.online()
    alice = opts.peer

    bob.subscription(alice, "subscribe")
    await bob.expect("approval from " + alice, "presence", STEP_TIMEOUT, frm=alice, type="subscribed")
    pres = await bob.expect("presence of the browser", "presence", STEP_TIMEOUT,
                            frm=lambda f: (f or "").startswith(alice + "/"), type="available")
    browser = pres["frm"]
    await bob.expect("subscription request from " + alice, "presence", STEP_TIMEOUT, frm=alice, type="subscribe")
    bob.subscription(alice, "subscribed")

    msg = await bob.expect("message from the browser", "message", STEP_TIMEOUT, frm=browser, body=opts.expect_body)
    common.check(msg["type"] == "chat", "message type %r, want chat" % msg["type"])
    bob.chat(browser, body=opts.reply)
    bob.send_presence(pshow="away", pstatus=opts.status)

    await bob.expect("the browser going offline", "presence", STEP_TIMEOUT, frm=browser, type="unavailable")
    await bob.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--peer", required=True, help="bare JID of the browser's account")
    p.add_argument("--expect-body", default="hello from the browser", help="the browser's message")
    p.add_argument("--reply", default="hello from slixmpp", help="bob's answer")
    p.add_argument("--status", default="back soon", help="bob's away status text")
    common.run(scenario, p.parse_args())
