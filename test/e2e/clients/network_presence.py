#!/usr/bin/python3
"""Scenario: network presence (seed 000) from the remote side. carol's
account on another server (--domain, a Prosody) is the network presence
of a Parley user (--owner): Parley asks for carol's presence on the
user's behalf, carol approves, and shows herself busy with a status;
she holds the session until the Go test saw that through Parley's
presence endpoint and stops her."""
import common
from common import Client


async def scenario(opts):
    carol = Client("carol", common.jid(opts, "carol", "laptop"), opts.password, opts)
    await carol.online(show="dnd", status="abroad this week")
    await carol.expect("Parley's subscription request", "presence", frm=opts.owner, type="subscribe", timeout=60)
    carol.subscription(opts.owner, "subscribed")
    # Presence after the approval: the server sends it (RFC 6121 3.1.5);
    # sending it again makes the state certain.
    carol.send_presence(pshow="dnd", pstatus="abroad this week")
    common.emit("approved")
    await carol.expect("end of the hold", "never", timeout=opts.timeout)


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--owner", required=True, help="the Parley user whose network presence carol is")
    common.run(scenario, p.parse_args())
