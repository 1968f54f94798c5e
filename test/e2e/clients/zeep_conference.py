#!/usr/bin/python3
"""Drive Parley's conference services with Python zeep (Debian
python3-zeep), a SOAP client that knows nothing of Parley but the WSDLs
it loads from the running server: PreConferenceService,
PostConferenceService and ReportingService, every operation, with the
status codes of the seed's tables; and the Instant Conference URL
service, whose answers are validated (lxml) against the schemas the
server publishes.

Two phases, sharing a state file (--state):
  schedule  schedules the conference the XMPP clients then hold (start
            now, bob invited, invitations on), and every error path
            reachable before it happens;
  report    once it happened: the attendee list, the finished
            conference's details by ID and date, the playback URL, the
            error paths of the reports, and deleting it.

Prints one JSON line per check ({"event": "check", "name": ...}), ends
with {"event": "done"} and exit 0, or {"event": "fail", ...} and exit 1."""
import argparse
import datetime
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

import lxml.etree
import zeep
from zeep import xsd


def emit(event, **fields):
    line = {"event": event}
    line.update(fields)
    sys.stdout.write(json.dumps(line, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


class Failed(Exception):
    pass


def check(name, cond, detail=None):
    emit("check", name=name, ok=bool(cond), detail=detail)
    if not cond:
        raise Failed("%s: %r" % (name, detail))


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def get(url):
    """GET url without following redirects: (status, headers, body)."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class Services:
    def __init__(self, base):
        self.base = base
        self.auth = zeep.Client(base + "/imtapp/ws/AuthenticationService?WSDL")
        self.pre = zeep.Client(base + "/imtapp/ws/PreConferenceService?WSDL")
        self.post = zeep.Client(base + "/imtapp/ws/PostConferenceService?WSDL")
        self.rep = zeep.Client(base + "/imtapp/ws/ReportingService?WSDL")
        t = self.pre.get_type
        self.ScheduleRequest = t("ns0:ScheduleRequest")
        self.ScheduleOptions = t("ns0:ScheduleOptions")
        self.ParticipantData = t("ns0:ParticipantData")
        self.AdhocAttribute = t("ns0:AdhocAttribute")
        self.DeleteConferenceRequest = t("ns0:DeleteConferenceRequest")
        self.UpcomingConferencesRequest = t("ns0:UpcomingConferencesRequest")
        self.PlaybackURLRequest = self.post.get_type("ns0:PlaybackURLRequest")
        r = self.rep.get_type
        self.AttendeeListRequest = r("ns0:AttendeeListRequest")
        self.FinishedConferenceDetailsRequest = r("ns0:FinishedConferenceDetailsRequest")
        self.FinishedConferencesByDateRequest = r("ns0:FinishedConferencesByDateRequest")
        self.FinishedConferencesByIDRequest = r("ns0:FinishedConferencesByIDRequest")
        self.TokenProperties = self.auth.get_type("ns0:TokenProperties")

    def token(self, entity, credential, policy):
        return self.auth.service.requestToken(entity, credential, self.TokenProperties(tokenPolicy=policy), xsd.SkipValue).token


def schedule_phase(o, s):
    A, P = s.auth.service, s.pre.service
    check("wsdl addresses", all(c.service._binding_options["address"] == o.base + "/imtapp/ws/" + n
                                for c, n in ((s.pre, "PreConferenceService"), (s.post, "PostConferenceService"), (s.rep, "ReportingService"))))
    session = A.createSession(o.site_id, o.site_key, "SITE").token
    pre = s.token(o.site_id, session, "PRECONFERENCE")
    post = s.token(o.site_id, session, "POSTCONFERENCE")
    rep = s.token(o.site_id, session, "REPORTING")
    presence = s.token(o.site_id, session, "SESSION")
    start = now()

    def options(**kw):
        fields = dict(title="Quarterly review", description="numbers", startDate=start, endDate=start + datetime.timedelta(hours=1),
                      conferenceKey=o.key, sendEmailNotification=True,
                      organizer=s.ParticipantData(firstName="Alice", lastName="Liddell", emailAddr="alice@mail.example.com", userid="alice"),
                      attendees=[s.ParticipantData(firstName="Bob", emailAddr="bob@mail.example.com", userid="bob@" + o.domain)])
        fields.update(kw)
        return s.ScheduleOptions(**fields)

    def schedule(opts, entity=o.site_id, token=pre, op=None):
        return (op or P.scheduleConference)(s.ScheduleRequest(entityID=entity, entityToken=token, scheduleOptions=opts))

    r = schedule(options())
    check("scheduleConference", r.statusCode == 0 and r.statusMessage == "NO_ERROR" and r.scheduleResult.conferenceID
          and r.scheduleResult.hostURL.startswith(o.base + "/conference/" + r.scheduleResult.conferenceID + "#key="), r)
    cid = r.scheduleResult.conferenceID
    # A naive datetime (no zone) is taken as UTC.
    naive = datetime.datetime.utcnow() + datetime.timedelta(hours=3)
    r2 = schedule(options(startDate=naive, endDate=naive + datetime.timedelta(hours=1), sendEmailNotification=False, conferenceKey=xsd.SkipValue))
    check("scheduleConference with a naive datetime", r2.statusCode == 0, r2.statusCode)
    second = r2.scheduleResult.conferenceID

    statuses = [
        ("entityID of another site: 4", dict(entity="999999"), {}, 4),
        ("an unknown host: 5", {}, dict(organizer=s.ParticipantData(userid="nobody")), 5),
        ("a GUID of nobody: 6", {}, dict(organizer=s.ParticipantData(userguid="00000000000000000000000000000000")), 6),
        ("no start: 351", {}, dict(startDate=xsd.SkipValue), 351),
        ("no end: 352", {}, dict(endDate=xsd.SkipValue), 352),
        ("a start in the past: 356", {}, dict(startDate=start - datetime.timedelta(days=1)), 356),
        ("an end before the start: 357", {}, dict(endDate=start - datetime.timedelta(minutes=1)), 357),
        ("contradicting flags: 358", {}, dict(registeredUserOnly=False, hostInvitedOnly=True), 358),
        ("a PUBLIC conference for a site without guest access: 362", {},
         dict(adhocAttributes=[s.AdhocAttribute(name="MEETING_TYPE", value="PUBLIC")]), 362),
        ("enrolment without a key: 367", {}, dict(enrollmentRequired=True, conferenceKey=xsd.SkipValue), 367),
        ("a guest invited to a RESTRICTED conference: 1013", {},
         dict(attendees=[s.ParticipantData(firstName="G", emailAddr="g@example.org")], sendEmailNotification=False), 1013),
        ("an invalid token: 1032", dict(token="1_not-a-token"), {}, 1032),
        ("no host: 1061", {}, dict(organizer=xsd.SkipValue), 1061),
        ("more attendees than max_attendees: 1064", {},
         dict(attendees=[s.ParticipantData(emailAddr="p%d@example.org" % i) for i in range(o.max_attendees + 1)]), 1064),
        ("a recipient the relay refuses: 1065", {},
         dict(attendees=[s.ParticipantData(firstName="N", emailAddr="nobody@mail.example.com", userid="bob")]), 1065),
    ]
    for name, call, mod, want in statuses:
        r = schedule(options(**mod), **call)
        check("scheduleConference " + name, r.statusCode == want and r.statusMessage and (r.statusDetails or want == 1032), (r.statusCode, r.statusDetails))
    user = A.createSession("bob", o.password, "USER").token
    r = schedule(options(), entity="bob@" + o.domain, token=user)
    check("scheduleConference by a user for another: 1062", r.statusCode == 1062, (r.statusCode, r.statusDetails))

    # updateConference: the second conference gets carol; codes 2, 3.
    r = schedule(options(conferenceId=second, title="Renamed", attendees=[s.ParticipantData(userid="carol")],
                         startDate=xsd.SkipValue, endDate=xsd.SkipValue, sendEmailNotification=xsd.SkipValue,
                         conferenceKey=xsd.SkipValue, organizer=xsd.SkipValue), op=P.updateConference)
    check("updateConference", r.statusCode == 0 and r.scheduleResult.conferenceID == second, (r.statusCode, r.statusDetails))
    r = schedule(s.ScheduleOptions(title="x"), op=P.updateConference)
    check("updateConference without a conferenceId: 2", r.statusCode == 2, r.statusCode)
    r = schedule(s.ScheduleOptions(conferenceId="1"), op=P.updateConference)
    check("updateConference of no conference: 3", r.statusCode == 3, r.statusCode)

    # listUpcomingConferences, with the seed's spelling of its fields.
    L = lambda **kw: P.listUpcomingConferences(s.UpcomingConferencesRequest(entityId=o.site_id, entityToken=pre, **kw))
    r = L()
    ids = [d.conferenceID for d in (r.conferenceDetails or [])]
    first = [d for d in r.conferenceDetails if d.conferenceID == cid]
    check("listUpcomingConferences", r.statusCode == 0 and cid in ids and second in ids and first[0].conferenceStatus == "Waiting for Host"
          and first[0].statusDetail == "WFH" and first[0].hostName == "Alice Liddell" and first[0].registeredUserOnly, ids)
    r = L(userID="carol", registeredUserOny=True)
    check("listUpcomingConferences for carol", r.statusCode == 0 and [d.conferenceID for d in r.conferenceDetails or []] == [second], r)
    r = L(fromStartDate=start + datetime.timedelta(hours=2))
    check("listUpcomingConferences from a date", [d.conferenceID for d in r.conferenceDetails or []] == [second], r)
    r = L(userID="nobody")
    check("listUpcomingConferences of an unknown user: 5", r.statusCode == 5, r.statusCode)
    r = P.listUpcomingConferences(s.UpcomingConferencesRequest(entityId=o.site_id, entityToken="1_x"))
    check("listUpcomingConferences with an invalid token: 1032", r.statusCode == 1032, r.statusCode)

    # deleteConference.
    D = lambda conf, entity=o.site_id, token=pre: P.deleteConference(s.DeleteConferenceRequest(entityID=entity, entityToken=token, conferenceID=conf))
    check("deleteConference of another site's entity: 4", D(second, entity="999999").statusCode == 4)
    check("deleteConference with an invalid token: 1032", D(second, token="1_x").statusCode == 1032)
    check("deleteConference", D(second).statusCode == 0)
    check("deleteConference twice: 3", D(second).statusCode == 3)

    # PostConferenceService before the conference happened.
    G = lambda conf, **kw: s.post.service.getPlaybackURL(s.PlaybackURLRequest(entityID=o.site_id, entityToken=post, conferenceID=conf, **kw))
    r = G(cid)
    d = r.playbackURLDetail
    check("getPlaybackURL before", r.statusCode == 0 and d.playbackURL.startswith(o.base + "/conference/" + cid + "/playback#t=")
          and not d.finishedFlag and not d.recordedFlag and not d.publishedFlag, r)
    check("getPlaybackURL without an ID: 2", G(xsd.SkipValue).statusCode == 2)
    check("getPlaybackURL of none: 3", G("42").statusCode == 3)
    r = s.post.service.getPlaybackURL(s.PlaybackURLRequest(entityID=o.site_id, entityToken=rep, conferenceID=cid))
    check("getPlaybackURL with a REPORTING token: 1032", r.statusCode == 1032, r.statusCode)

    # ReportingService before the conference happened.
    R = s.rep.service
    r = R.reportAttendeeList(s.AttendeeListRequest(entityID=o.site_id, entityToken=rep, conferenceID=cid))
    check("reportAttendeeList before it started: 377", r.statusCode == 377 and not r.attendees, (r.statusCode, r.statusDetails))
    r = R.reportAttendeeList(s.AttendeeListRequest(entityID=o.site_id, entityToken=rep, conferenceID="42"))
    check("reportAttendeeList of none: 379", r.statusCode == 379, r.statusCode)
    r = R.reportFinishedConferenceDetails(s.FinishedConferenceDetailsRequest(entityID=o.site_id, entityToken=rep, conferenceID=cid))
    check("reportFinishedConferenceDetails before it finished: 379", r.statusCode == 379 and r.conferenceDetails is None, r.statusCode)

    instant_phase(o, session)
    json.dump({"conference": cid, "room": "conf%s@conference.%s" % (cid, o.domain), "pre": pre, "post": post, "rep": rep,
               "start": start.isoformat()}, open(o.state, "w"))
    emit("scheduled", conference=cid)


def validate(schema_name, doc, o):
    status, _, xsd_text = get(o.base + "/imtapp/app/" + schema_name)
    schema = lxml.etree.XMLSchema(lxml.etree.fromstring(xsd_text))
    tree = lxml.etree.fromstring(doc)
    return status == 200 and schema.validate(tree), str(schema.error_log)


def instant_phase(o, session):
    token = session

    def xmlin(**fields):
        root = lxml.etree.Element("instantMtgReq")
        for k, v in fields.items():
            lxml.etree.SubElement(root, k).text = v
        return lxml.etree.tostring(root).decode()

    def call(doc, **params):
        q = {"operation": "instantMeeting", "xmlin": doc}
        q.update(params)
        return get(o.base + "/imtapp/app/OracleRTCService?" + urllib.parse.urlencode(q))

    req = xmlin(siteid=o.site_id, password="k3y", meetingTitle="Instant", returnType="XML", token=token,
                hostExitURL="https://example.com/bye")
    ok, log = validate("instantMtgReq.xsd", req.encode(), o)
    check("instantMtgReq.xsd accepts the request", ok, log)
    status, headers, body = call(req)
    ok, log = validate("meetingResp.xsd", body, o)
    tree = lxml.etree.fromstring(body)
    check("instantMeeting XML: meetingResp", status == 200 and ok and tree.findtext("responseCode") == "0" and tree.findtext("mtgId")
          and tree.findtext("playbackURL").startswith(o.base + "/conference/"), (status, body, log))
    status, headers, body = call(xmlin(siteid=o.site_id, token=token, returnType="text"))
    check("instantMeeting text: a redirect to the host's join URL", status == 303 and headers["Location"].startswith(o.base + "/conference/")
          and "#key=" in headers["Location"], (status, headers.get("Location")))
    for name, doc, want in [
        ("no siteid: 4", xmlin(token=token), 4),
        ("an invalid token: 1032", xmlin(siteid=o.site_id, token="1_x"), 1032),
        ("a PUBLIC meeting: 362", xmlin(siteid=o.site_id, token=token, meetingType="PUBLIC"), 362),
        ("a malformed xmlin: 1010", "<instantMtgReq><siteid>", 1010),
    ]:
        status, headers, body = call(doc)
        ok, log = validate("errorMsg.xsd", body, o)
        tree = lxml.etree.fromstring(body)
        check("instantMeeting " + name, ok and status >= 400 and tree.findtext("responseCode") == str(want) and tree.findtext("message"),
              (status, body, log))
    status, headers, body = call(xmlin(siteid="999999", token=token, returnType="text"))
    check("instantMeeting text error: an HTML page", status == 403 and headers["Content-Type"].startswith("text/html") and b"4" in body, status)


def report_phase(o, s):
    st = json.load(open(o.state))
    cid, rep, post = st["conference"], st["rep"], st["post"]
    start = datetime.datetime.fromisoformat(st["start"])
    R = s.rep.service
    r = R.reportAttendeeList(s.AttendeeListRequest(entityID=o.site_id, entityToken=rep, conferenceID=cid))
    att = r.attendees or []
    names = [a.name for a in att]
    roles = [{x.name: x.value for x in a.adhocAttributes or []}.get("ROLE") for a in att]
    start_ms = int(start.timestamp() * 1000) - 1000
    check("reportAttendeeList", r.statusCode == 0 and names == ["Bob", "Alice"] and roles == ["attendee", "host"]
          and att[0].userID == "bob@" + o.domain and not att[0].guest and att[0].emailAddress == "bob@mail.example.com"
          and start_ms <= att[0].timeEntered <= att[0].timeExited and att[1].timeEntered <= att[1].timeExited
          and att[0].timeExited <= att[1].timeExited, [(a.name, a.timeEntered, a.timeExited) for a in att])
    r = R.reportAttendeeList(s.AttendeeListRequest(entityID="999999", entityToken=rep, conferenceID=cid))
    check("reportAttendeeList for another site's entity: 4", r.statusCode == 4, r.statusCode)

    D = lambda **kw: R.reportFinishedConferenceDetails(s.FinishedConferenceDetailsRequest(entityID=o.site_id, entityToken=rep, **kw))
    r = D(conferenceID=cid, includeAttendees=True, includePlaybackURLDetails=True)
    d = r.conferenceDetails
    check("reportFinishedConferenceDetails", r.statusCode == 0 and d.conferenceID == cid and d.title == "Quarterly review"
          and d.hostName == "Alice Liddell" and d.statusDetails == "GRACEFUL" and d.numAttendees == 2 and d.endTime >= d.startTime
          and len(d.attendees) == 2 and d.playbackURLDetails.finishedFlag and d.playbackURLDetails.recordedFlag
          and d.playbackURLDetails.publishedFlag, r)
    r = D(conferenceID=cid)
    check("reportFinishedConferenceDetails without the optional parts", r.statusCode == 0 and not r.conferenceDetails.attendees
          and r.conferenceDetails.playbackURLDetails is None, r)
    check("reportFinishedConferenceDetails without an ID: 2", D(conferenceID=xsd.SkipValue).statusCode == 2)
    check("reportFinishedConferenceDetails of none: 3", D(conferenceID="42").statusCode == 3)
    r = R.reportFinishedConferenceDetails(s.FinishedConferenceDetailsRequest(entityID=o.site_id, entityToken="1_x", conferenceID=cid))
    check("reportFinishedConferenceDetails with an invalid token: 1032", r.statusCode == 1032, r.statusCode)

    r = R.reportFinishedConferencesByDate(s.FinishedConferencesByDateRequest(entityID=o.site_id, entityToken=rep))
    check("reportFinishedConferencesByDate with the default dates", r.statusCode == 0
          and cid in [d.conferenceID for d in r.conferenceDetailsList or []], r.statusCode)
    r = R.reportFinishedConferencesByDate(s.FinishedConferencesByDateRequest(entityID=o.site_id, entityToken=rep,
                                                                             toEndDate=start - datetime.timedelta(days=1)))
    check("reportFinishedConferencesByDate before it", r.statusCode == 0 and not r.conferenceDetailsList, r)
    r = R.reportFinishedConferencesByDate(s.FinishedConferencesByDateRequest(entityID="999999", entityToken=rep))
    check("reportFinishedConferencesByDate for another site's entity: 4", r.statusCode == 4, r.statusCode)

    r = R.reportFinishedConferencesByID(s.FinishedConferencesByIDRequest(entityID=o.site_id, entityToken=rep, conferenceIDs=[cid],
                                                                         includeAttendees=True))
    check("reportFinishedConferencesByID", r.statusCode == 0 and [d.conferenceID for d in r.conferenceDetailsList] == [cid]
          and len(r.conferenceDetailsList[0].attendees) == 2, r.statusCode)
    r = R.reportFinishedConferencesByID(s.FinishedConferencesByIDRequest(entityID=o.site_id, entityToken=rep, conferenceIDs=[cid, "42"]))
    check("reportFinishedConferencesByID with an unknown ID: 379", r.statusCode == 379 and len(r.conferenceDetailsList) == 1
          and "42" in r.statusDetails, (r.statusCode, r.statusDetails))
    r = R.reportFinishedConferencesByID(s.FinishedConferencesByIDRequest(entityID=o.site_id, entityToken="1_x", conferenceIDs=[cid]))
    check("reportFinishedConferencesByID with an invalid token: 1032", r.statusCode == 1032, r.statusCode)

    G = lambda **kw: s.post.service.getPlaybackURL(s.PlaybackURLRequest(entityID=o.site_id, entityToken=post, conferenceID=cid, **kw))
    plain, keyed = G().playbackURLDetail, G(includeConferenceKey=True).playbackURLDetail
    check("getPlaybackURL after", plain.finishedFlag and plain.recordedFlag and plain.publishedFlag
          and keyed.playbackURL.startswith(plain.playbackURL + "&ck=") and o.key not in keyed.playbackURL, (plain.playbackURL, keyed.playbackURL))
    emit("playback", url=plain.playbackURL, keyed=keyed.playbackURL)

    r = s.pre.service.deleteConference(s.DeleteConferenceRequest(entityID=o.site_id, entityToken=st["pre"], conferenceID=cid))
    check("deleteConference of the finished conference", r.statusCode == 0, r.statusCode)
    check("reportFinishedConferenceDetails after it was deleted: 3", D(conferenceID=cid).statusCode == 3)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("phase", choices=("schedule", "report"))
    p.add_argument("--base", required=True)
    p.add_argument("--site-id", required=True)
    p.add_argument("--site-key", required=True)
    p.add_argument("--domain", default="localhost")
    p.add_argument("--password", default="secret")
    p.add_argument("--key", default="k3y", help="the conference key")
    p.add_argument("--max-attendees", type=int, required=True)
    p.add_argument("--state", required=True, help="file the phases share")
    o = p.parse_args()
    try:
        s = Services(o.base)
        (schedule_phase if o.phase == "schedule" else report_phase)(o, s)
    except Failed as e:
        emit("fail", error=str(e))
        sys.exit(1)
    except Exception as e:  # a zeep fault or a transport error: report it
        emit("fail", error="%s: %s" % (type(e).__name__, e))
        raise
    emit("done")


if __name__ == "__main__":
    main()
