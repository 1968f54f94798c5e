#!/usr/bin/python3
"""Scenario: carol, an aioxmpp client, joins the room muc_room.py made
(through aioxmpp's MUC service), says hello and waits to be kicked: her
own unavailable presence with status 307, the kicker's reason, leave
mode KICKED."""
import aioxmpp
import aioxmpp.muc
import aioxmpp.muc.xso

import common
from aiocommon import AioClient


async def scenario(opts):
    room_jid = aioxmpp.JID.fromstr("team@conference." + opts.domain)
    carol = AioClient("carol", "carol", "laptop", opts)
    await carol.start()
    muc = carol.client.summon(aioxmpp.muc.MUCClient)
    room, joined = muc.join(room_jid, "carol", history=aioxmpp.muc.xso.History(maxstanzas=0), autorejoin=False)

    def on_exit(*, muc_leave_mode=None, muc_actor=None, muc_reason=None, muc_status_codes=set(), **kw):
        carol.record("exit", mode=getattr(muc_leave_mode, "name", str(muc_leave_mode)), reason=muc_reason or "",
                     actor=getattr(muc_actor, "nick", None) or "",
                     codes=sorted(int(c) for c in muc_status_codes))

    room.on_exit.connect(on_exit)
    await joined
    carol.record("joined", nick=room.me.nick, role=room.me.role, affiliation=room.me.affiliation)
    msg = aioxmpp.Message(type_=aioxmpp.MessageType.GROUPCHAT)
    msg.body[None] = "hello from aioxmpp"
    room.send_message(msg)
    await carol.wait_count("exit", 1, "being kicked", timeout=25)
    await carol.stop()


if __name__ == "__main__":
    common.run(scenario, common.arguments(__doc__).parse_args())
