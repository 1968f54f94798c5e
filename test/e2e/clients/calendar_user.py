#!/usr/bin/python3
"""A user with a client open who reports calendar reminders.

The user goes online; with --reminders on|off it first sets its
reminders with the calendar agent's ad-hoc command (XEP-0050), as a
client's "Execute command" dialog does; it prints {"event": "ready"} and
then one {"event": "reminder", ...} per reminder message (with its uid,
trigger, subject, body, the text/calendar data and the time it came),
until a reminder with --until's uid came (then "done") or the timeout."""
import time

import slixmpp

import common
from common import Client, ScenarioError

NS = "urn:parley:calendar:0"


async def set_reminders(client, on, timezone):
    """Run the agent's reminders command: execute, then complete the form."""
    agent = "calendar." + client.opts.domain
    iq = client.Iq(stype="set", sto=agent)
    iq["command"]["node"] = "reminders"
    iq["command"]["action"] = "execute"
    res = await client.query(iq, "execute the reminders command")
    form = res["command"]["form"]
    fields = form.get_fields()
    if "reminders" not in fields or res["command"]["status"] != "executing":
        raise ScenarioError("the reminders command sent no form: %s" % res)
    client.record("command_form", reminders=str(fields["reminders"]["value"]), sessionid=res["command"]["sessionid"])
    submit = client["xep_0004"].make_form(ftype="submit")
    submit.add_field(var="FORM_TYPE", ftype="hidden", value="urn:parley:calendar:reminders")
    submit.add_field(var="reminders", ftype="boolean", value=on)
    if timezone:
        submit.add_field(var="timezone", ftype="text-single", value=timezone)
    iq = client.Iq(stype="set", sto=agent)
    iq["command"]["node"] = "reminders"
    iq["command"]["sessionid"] = res["command"]["sessionid"]
    iq["command"]["action"] = "complete"
    iq["command"].append(submit)
    res = await client.query(iq, "complete the reminders command")
    notes = [n[1] for n in res["command"]["notes"]]
    client.record("command_done", status=res["command"]["status"], note=" ".join(notes))


async def scenario(opts):
    user = Client(opts.user, common.jid(opts, opts.user, opts.resource), opts.password, opts)
    user.register_plugin("xep_0004")
    user.register_plugin("xep_0050")

    def on_reminder(msg):
        cal = msg.xml.find("{%s}calendar" % NS)
        user.record("reminder", frm=str(msg["from"]), type=msg["type"], subject=msg["subject"], body=msg["body"],
                    uid=cal.get("uid"), trigger=cal.get("trigger") or "", recurrence_id=cal.get("recurrence-id") or "",
                    content_type=cal.get("type"), ics=cal.text or "", received=time.time())

    user.register_handler(slixmpp.Callback("calendar reminder", slixmpp.MatchXPath("{jabber:client}message/{%s}calendar" % NS),
                                           on_reminder))
    await user.online()
    if opts.reminders:
        await set_reminders(user, opts.reminders == "on", opts.timezone)
    user.record("ready")
    if opts.until:
        await user.expect("the reminder %s" % opts.until, "reminder", uid=opts.until, timeout=opts.timeout)
        await user.close()
    else:
        await user.wait_for_state(lambda: None, "the end", timeout=opts.timeout)


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--user", required=True)
    p.add_argument("--resource", default="desk")
    p.add_argument("--reminders", choices=("on", "off"), help="set reminders with the ad-hoc command first")
    p.add_argument("--timezone", default="", help="with --reminders: the time zone to set")
    p.add_argument("--until", help="end after the reminder with this uid")
    common.run(scenario, p.parse_args())
