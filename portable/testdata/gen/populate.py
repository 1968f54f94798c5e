#!/usr/bin/python3
"""Populate an XMPP server with the users, rosters, vCards and offline
messages of Parley's XEP-0227 fixtures (portable/testdata/README.md).

usage: populate.py HOST PORT DOMAIN [PLAIN_DOMAIN]
The accounts must exist already (registered with the server's own tool).
"""
import asyncio, sys, logging
import slixmpp

host, port, domain = sys.argv[1], int(sys.argv[2]), sys.argv[3]
plain = sys.argv[4] if len(sys.argv) > 4 else None
logging.basicConfig(level=logging.WARNING)

def client(user, pw):
    c = slixmpp.ClientXMPP(f"{user}@{domain}/gen", pw)
    c.register_plugin("xep_0054")
    c.auto_authorize = True
    c.auto_subscribe = True
    return c

async def online(c, h=host, p=port):
    started = asyncio.get_event_loop().create_future()
    c.add_event_handler("session_start", lambda _: started.set_result(True) if not started.done() else None)
    c.add_event_handler("failed_auth", lambda _: started.set_exception(RuntimeError("auth failed")))
    c.connect(address=(h, p), disable_starttls=True, force_starttls=False)
    await asyncio.wait_for(started, 15)
    c.send_presence()
    await c.get_roster()

async def vcard(c, fn, nick, email):
    v = c.plugin["xep_0054"].make_vcard()
    v["FN"] = fn
    v["NICKNAME"] = nick
    v["EMAIL"]["USERID"] = email
    v["EMAIL"]["INTERNET"] = True
    await c.plugin["xep_0054"].publish_vcard(v)

async def main():
    juliet = client("juliet", "juliet-pass")
    await online(juliet)
    await juliet.update_roster(f"romeo@{domain}", name="Romeo", groups=["Friends"])
    await vcard(juliet, "Juliet Capulet", "Júliet ♥", "juliet@capulet.example")

    romeo = client("romeo", "romeo-pass")
    await online(romeo)
    await romeo.update_roster(f"juliet@{domain}", name="Juliet <3", groups=["Lovers", "Verona"])
    romeo.send_presence(pto=f"juliet@{domain}", ptype="subscribe")
    await asyncio.sleep(3)  # juliet approves and subscribes back (auto_authorize/auto_subscribe)
    await romeo.update_roster(f"nurse@{domain}", name="Nurse", groups=["Staff"])
    romeo.send_presence(pto=f"nurse@{domain}", ptype="subscribe")  # nurse stays offline: ask + pending in
    await vcard(romeo, "Romeo Montague", "romeo", "romeo@montague.example")
    romeo.send_message(mto=f"nurse@{domain}", mbody="Commend me to thy lady & mistress.", mtype="chat")
    await juliet.update_roster("mercutio@verona.example", name="Mercutio", groups=[])
    juliet.send_message(mto=f"nurse@{domain}", mbody="Hie to your chamber <now>.", mtype="normal", msubject="Errand")
    if plain:
        # tybalt (on the host that keeps plain passwords) never sends
        # presence, so the message romeo sends him stays in offline storage.
        tybalt = slixmpp.ClientXMPP(f"tybalt@{plain}/gen", "tybalt-pass")
        tybalt.register_plugin("xep_0054")
        started = asyncio.get_event_loop().create_future()
        tybalt.add_event_handler("session_start", lambda _: started.set_result(True))
        tybalt.connect(address=(host, port), disable_starttls=True, force_starttls=False)
        await asyncio.wait_for(started, 15)
        await tybalt.update_roster(f"romeo@{domain}", name="Romeo (a villain)", groups=["Enemies", "Montagues"])
        await vcard(tybalt, "Tybalt", "Prince of Cats", "tybalt@capulet.example")
        tybalt.disconnect()
        await asyncio.sleep(1)
        romeo.send_message(mto=f"tybalt@{plain}", mbody="Tybalt, the reason that I have to love thee…", mtype="chat")
    await asyncio.sleep(2)
    romeo.disconnect(); juliet.disconnect()
    await asyncio.sleep(1)
    print("populated", domain)

asyncio.run(main())
