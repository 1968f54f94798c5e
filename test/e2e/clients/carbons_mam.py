#!/usr/bin/python3
"""Scenario: XEP-0280 carbons and XEP-0313 archive through slixmpp's own
plugins. alice's phone enables carbons; bob writes m1..m7 to alice's
laptop and the laptop answers: the phone gets a received carbon of each
and a sent carbon of the answer. Then the laptop reads its archive with
bob in pages of 3 (XEP-0059), forwards and backwards."""
import slixmpp

import common
from common import Client


def body_of(result):
    return result["mam_result"]["forwarded"]["stanza"]["body"]


async def scenario(opts):
    phone = Client("phone", common.jid(opts, "alice", "phone"), opts.password, opts)
    laptop = Client("laptop", common.jid(opts, "alice", "laptop"), opts.password, opts)
    bob = Client("bob", common.jid(opts, "bob", "desk"), opts.password, opts)
    for c in (phone, laptop, bob):
        for plugin in ("xep_0059", "xep_0280", "xep_0313"):
            c.register_plugin(plugin)
    phone.add_event_handler("carbon_received", lambda m: phone.record(
        "carbon", direction="received", frm=str(m["carbon_received"]["from"]), body=m["carbon_received"]["body"]))
    phone.add_event_handler("carbon_sent", lambda m: phone.record(
        "carbon", direction="sent", to=str(m["carbon_sent"]["to"]), body=m["carbon_sent"]["body"]))
    await phone.online()
    await laptop.online()
    await bob.online()
    await phone.plugin["xep_0280"].enable()

    bodies = ["m%d" % i for i in range(1, 8)]
    for b in bodies:
        bob.chat(str(laptop.boundjid), body=b)
    for b in bodies:
        await laptop.expect("message " + b, "message", frm=str(bob.boundjid), body=b)
        await phone.expect("received carbon of " + b, "carbon", direction="received", frm=str(bob.boundjid), body=b)
    laptop.chat("bob@" + opts.domain, body="reply")
    await bob.expect("the answer", "message", frm=str(laptop.boundjid), body="reply")
    await phone.expect("sent carbon of the answer", "carbon", direction="sent", body="reply")

    bob_jid = slixmpp.JID("bob@" + opts.domain)
    forward = [body_of(r) async for r in laptop.plugin["xep_0313"].iterate(with_jid=bob_jid, rsm={"max": 3})]
    common.emit("mam", client="laptop", order="forward", bodies=",".join(forward))
    backward = [body_of(r) async for r in laptop.plugin["xep_0313"].iterate(with_jid=bob_jid, reverse=True, rsm={"max": 3})]
    common.emit("mam", client="laptop", order="backward", bodies=",".join(backward))
    for c in (phone, laptop, bob):
        await c.close()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
