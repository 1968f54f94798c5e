#!/usr/bin/env python3
"""Publish a calendar notification to Parley's calendar agent over NATS.

Uses only the Python standard library (NATS's protocol is text), so a
calendar server, a cron job or an operator can send reminders without a
NATS client library:

    scripts/calendar-publish.py --owner alice@example.com event.ics
    scripts/calendar-publish.py --server nats.example.com:4222 \\
        --user calendar --password secret notifications.xml

The server is --server, else $NATS_URL (nats://host:port), else
127.0.0.1:4222 (Parley's embedded NATS with the default settings).

The payload is text/calendar (an .ics file) or the text/xml schema of
docs/calendar.md, chosen by the file's first characters (or
--content-type). It is sent as a request, so the agent's answer (what
became of each item, as JSON) is printed; the exit status is 1 if no
agent answered or it refused the notification.
"""
import argparse
import json
import os
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="the notification: an .ics file or XML ('-' reads standard input)")
    default = os.environ.get("NATS_URL", "127.0.0.1:4222").split(",")[0].split("://")[-1]
    p.add_argument("--server", default=default, help="NATS host:port (default $NATS_URL or 127.0.0.1:4222)")
    p.add_argument("--subject", default="calendar.notifications", help="subject (calendar.subject)")
    p.add_argument("--owner", help="Calendar-Owner header: the user the reminder is for")
    p.add_argument("--content-type", help="text/calendar or text/xml (default: guessed from the data)")
    p.add_argument("--user", help="NATS user (nats.user)")
    p.add_argument("--password", help="NATS password (nats.password)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the agent's answer")
    opts = p.parse_args()

    data = sys.stdin.buffer.read() if opts.file == "-" else open(opts.file, "rb").read()
    ctype = opts.content_type
    if not ctype:
        ctype = "text/xml" if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") else "text/calendar"
    head = "NATS/1.0\r\nContent-Type: %s\r\n" % ctype
    if opts.owner:
        head += "Calendar-Owner: %s\r\n" % opts.owner
    head = (head + "\r\n").encode()

    host, _, port = opts.server.rpartition(":")
    connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True,
               "name": "calendar-publish", "lang": "python", "version": "1"}
    if opts.user:
        connect["user"], connect["pass"] = opts.user, opts.password or ""
    inbox = "_INBOX.calendar-publish.%d" % int(time.time() * 1000)

    with socket.create_connection((host or "127.0.0.1", int(port)), timeout=opts.timeout) as s:
        f = s.makefile("rb")
        if not f.readline().startswith(b"INFO "):
            sys.exit("not a NATS server at %s" % opts.server)
        s.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\n")
        s.sendall(("SUB %s 1\r\n" % inbox).encode())
        s.sendall(("HPUB %s %s %d %d\r\n" % (opts.subject, inbox, len(head), len(head) + len(data))).encode()
                  + head + data + b"\r\n")
        s.sendall(b"PING\r\n")
        while True:
            line = f.readline()
            if not line:
                sys.exit("connection closed")
            words = line.split()
            if not words or words[0] in (b"PONG", b"+OK", b"INFO"):
                continue
            if words[0] == b"PING":
                s.sendall(b"PONG\r\n")
            elif words[0] == b"-ERR":
                sys.exit("NATS: " + line.decode().strip())
            elif words[0] == b"MSG":
                body = f.read(int(words[-1]) + 2)[:-2]
                sys.stdout.write(body.decode())
                sys.exit(1 if b'"error"' in body else 0)
            elif words[0] == b"HMSG":
                hlen, total = int(words[-2]), int(words[-1])
                msg = f.read(total + 2)[:-2]
                if b"503" in msg[:hlen].split(b"\r\n")[0]:
                    sys.exit("no calendar agent listens on %s (is it stopped?)" % opts.subject)
                body = msg[hlen:]
                sys.stdout.write(body.decode())
                sys.exit(1 if b'"error"' in body else 0)


if __name__ == "__main__":
    main()
