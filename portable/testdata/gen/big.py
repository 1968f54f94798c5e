#!/usr/bin/env python3
"""Write a synthetic XEP-0227 file for import benchmarks (docs/performance.md).

usage: big.py USERS scram|password > big.xml
Each user has 5 roster items (with a group), a vCard and one offline
message; 'scram' gives exported SCRAM-SHA-1 and SCRAM-SHA-256 keys (as
ejabberd/Prosody exports carry; random bytes of the right sizes), 'password'
a clear-text password, from which the importer derives both.
"""
import base64, os, sys

n, mode = int(sys.argv[1]), sys.argv[2]
out = sys.stdout
b64 = lambda k: base64.b64encode(os.urandom(k)).decode()
out.write("<?xml version='1.0' encoding='UTF-8'?>\n<server-data xmlns='urn:xmpp:pie:0'>\n<host jid='example.com'>\n")
for i in range(n):
    if mode == "password":
        out.write(f"<user name='u{i}' password='secret-{i}'>\n")
    else:
        out.write(f"<user name='u{i}'>\n")
        for mech, size in (("SCRAM-SHA-1", 20), ("SCRAM-SHA-256", 32)):
            out.write(f"<scram-credentials xmlns='urn:xmpp:pie:0#scram' mechanism='{mech}'><iter-count>4096</iter-count>"
                      f"<salt>{b64(16)}</salt><server-key>{b64(size)}</server-key><stored-key>{b64(size)}</stored-key></scram-credentials>\n")
    out.write("<query xmlns='jabber:iq:roster'>")
    for k in range(1, 6):
        out.write(f"<item jid='u{(i + k) % n}@example.com' name='User {(i + k) % n}' subscription='both'><group>Team {i % 50}</group></item>")
    out.write("</query>\n")
    out.write(f"<vCard xmlns='vcard-temp'><FN>User {i}</FN><NICKNAME>u{i}</NICKNAME><EMAIL><INTERNET/><USERID>u{i}@example.com</USERID></EMAIL></vCard>\n")
    out.write(f"<offline-messages><message xmlns='jabber:client' from='u{(i + 1) % n}@example.com/r' to='u{i}@example.com' type='chat'>"
              f"<body>hello {i}</body><delay xmlns='urn:xmpp:delay' from='example.com' stamp='2026-12-01T10:00:00Z'/></message></offline-messages>\n")
    out.write("</user>\n")
out.write("</host>\n</server-data>\n")
