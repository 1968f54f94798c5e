#!/usr/bin/python3
"""Drive Parley's integration services with Python zeep (Debian
python3-zeep), a SOAP client that knows nothing of Parley but the WSDLs
it loads from the running server.

It walks the seed's chapter-4 flow (createSession -> PRESENCE token ->
K1 -> presence URL) and then calls every operation of
AuthenticationService, ConfigurationService and PresenceService,
including the error paths: SOAP faults (soap:Client with the seed's
status code in the detail) and status codes in the results.

Prints one JSON line per check ({"event": "check", "name": ...}), ends
with {"event": "done"} and exit 0, or {"event": "fail", ...} and exit 1.
The presentity (--presentity) must be online as --resource with show
--show and status --status, another resource being offline."""
import argparse
import hashlib
import json
import sys
import urllib.parse
import urllib.request

import zeep
from zeep import xsd
from zeep.exceptions import Fault


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


def attrs(token_object):
    return {a.name: a.value for a in (token_object.tokenAttributes or [])}


def fault_of(call, *args):
    """Runs call(*args), which must fail with a SOAP fault; returns
    (faultcode, status code from the detail, message)."""
    try:
        call(*args)
    except Fault as f:
        status = None
        if f.detail is not None:
            el = f.detail.find(".//status")
            status = int(el.text) if el is not None else None
        return f.code, status, f.message
    raise Failed("%s succeeded; a fault was expected" % getattr(call, "__name__", call))


def k1(token, params, algo=hashlib.sha1):
    """The presence hash: <TOKEN><token> then <NAME><value> for every
    non-empty parameter but K1 and TID, in ascending order of NAME."""
    msg = "<TOKEN><%s>" % token + "".join("<%s><%s>" % (n, params[n]) for n in sorted(params) if params[n])
    return algo(msg.encode("utf-8")).hexdigest().upper()


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


def presence_url(base, tid, token, params, algo=hashlib.sha1, key=None):
    q = dict(params)
    q["TID"] = tid
    q["K1"] = key or k1(token, params, algo)
    return base + "/imtapp/Presence?" + urllib.parse.urlencode(q)


def main(o):
    base = o.base
    auth = zeep.Client(base + "/imtapp/ws/AuthenticationService?WSDL")
    conf = zeep.Client(base + "/imtapp/ws/ConfigurationService?WSDL")
    pres = zeep.Client(base + "/imtapp/ws/PresenceService?WSDL")
    A, C, P = auth.service, conf.service, pres.service
    TokenProperties = auth.get_type("ns0:TokenProperties")
    AdhocAttribute = auth.get_type("ns0:AdhocAttribute")
    PolicyObject = auth.get_type("ns0:PolicyObject")
    ArrayOfPolicyObject = auth.get_type("ns0:ArrayOfPolicyObject")
    CredentialObject = auth.get_type("ns0:CredentialObject")
    GetConfigurationRequest = conf.get_type("ns0:GetConfigurationRequest")
    BulkPresenceRequest = pres.get_type("ns0:BulkPresenceRequest")
    check("wsdl addresses", all(c.service._binding_options["address"].startswith(base + "/imtapp/ws/") for c in (auth, conf, pres)))

    # Chapter 4, step 1: createSession.
    session = A.createSession(o.site_id, o.site_key, "SITE")
    sa = attrs(session)
    check("createSession", session.token.startswith(sa.get("TOKENID", "?") + "_") and sa.get("EXPIRY_TIME"), sa)
    # Step 2: a PRESENCE token (PolicyObject null: zeep's SkipValue).
    presence = A.requestToken(o.site_id, session.token, TokenProperties(tokenPolicy="PRESENCE"), xsd.SkipValue)
    tid = attrs(presence)["TOKENID"]
    check("requestToken PRESENCE", presence.token.startswith(tid + "_"), tid)

    # Step 3 and 4: K1 and the presence URL, IMG and JS, SHA-1 and MD5.
    img = {"R_UID": o.presentity, "R_MODE": "IMG"}
    status, ctype, body = get(presence_url(base, tid, presence.token, img))
    check("presence URL IMG", status == 200 and ctype == "image/png" and body[:8] == b"\x89PNG\r\n\x1a\n", ctype)
    dnd_png = body
    js = {"R_UID": o.presentity, "R_MODE": "JS"}
    status, ctype, body = get(presence_url(base, tid, presence.token, js))
    text = body.decode()
    check("presence URL JS", ctype.startswith("application/javascript") and ('var show = "%s";' % o.show.upper()) in text
          and json.dumps(o.status) in text, text)
    status, ctype, body = get(presence_url(base, tid, presence.token, js, hashlib.md5))
    check("presence URL JS with an MD5 K1", ('var show = "%s";' % o.show.upper()) in body.decode(), body)
    status, ctype, body = get(presence_url(base, tid, presence.token, js, key="0" * 40))
    check("presence URL with a wrong K1 reveals nothing", status == 200 and 'var show = "OFFLINE";' in body.decode() and '"Offline"' in body.decode(), body)
    status, ctype, body = get(presence_url(base, tid, presence.token, img, key="0" * 40))
    check("presence URL IMG with a wrong K1 is the error image", ctype == "image/png" and body != dnd_png)

    # The other Authentication operations.
    st = attrs(A.getTokenStatus(o.site_id, presence.token))
    check("getTokenStatus VALID", st.get("STATUS") == "VALID" and st.get("TOKEN_POLICY") == "PRESENCE", st)
    many = A.requestMultipleTokens(o.site_id, session.token, TokenProperties(tokenPolicy="PRESENCE"),
                                   ArrayOfPolicyObject(item=[PolicyObject(), PolicyObject(policyArray=[AdhocAttribute(name="TOKEN_POLICY", value="PRESENCE")])]))
    check("requestMultipleTokens", [t.tokenIndex for t in many] == ["0", "1"], [t.token for t in many])
    proxy = A.requestToken(o.site_id, session.token,
                           TokenProperties(tokenPolicy="PROXY::PRESENCE", tokenAttributes=[AdhocAttribute(name="PROXY_USER", value="guest1")]), xsd.SkipValue)
    check("requestToken PROXY with PROXY_USER", bool(proxy.token))
    by_key = A.requestTokenForCredentials(CredentialObject(credentialType="PASSWORD", entityType="SITE", entityCredential=o.site_key, entityID=o.site_id),
                                          TokenProperties(tokenPolicy="PRESENCE"), xsd.SkipValue)
    by_token = A.requestTokenForCredentials(CredentialObject(credentialType="TOKEN", entityType="SITE", entityCredential=session.token, entityID=o.site_id),
                                            TokenProperties(tokenPolicy="PRESENCE"), xsd.SkipValue)
    check("requestTokenForCredentials", bool(by_key.token) and bool(by_token.token))

    code, status, msg = fault_of(A.createSession, o.site_id, "not-the-key", "SITE")
    check("createSession with a wrong key: soap:Client 1032", code == "soap:Client" and status == 1032, (code, status, msg))
    code, status, msg = fault_of(A.createSession, o.site_id, o.site_key, "ROBOT")
    check("createSession with a bad entity type: soap:Client 1010", code == "soap:Client" and status == 1010, (code, status, msg))
    code, status, msg = fault_of(A.requestToken, o.site_id, session.token, TokenProperties(tokenPolicy="PROXY::PRESENCE"), xsd.SkipValue)
    check("PROXY without PROXY_USER: soap:Client 1010", code == "soap:Client" and status == 1010, (code, status, msg))
    code, status, msg = fault_of(A.requestMultipleTokens, o.site_id, session.token, TokenProperties(tokenPolicy="PRESENCE"),
                                 ArrayOfPolicyObject(item=[PolicyObject()] * (o.max_request + 1)))
    check("requestMultipleTokens over max_request_size: 1011", code == "soap:Client" and status == 1011, (code, status, msg))
    code, status, msg = fault_of(A.requestToken, o.site_id, session.token, TokenProperties(tokenPolicy="GUESTCHAT"), xsd.SkipValue)
    check("a policy the site is not authorized for: 1032", code == "soap:Client" and status == 1032, (code, status, msg))

    # ConfigurationService.
    cfg = C.getConfiguration(GetConfigurationRequest(entityID=o.site_id, entityToken=session.token, namespace="rtc.application",
                                                     properties=["token_life", "auth_presence_enabled", "max_request_size", "current_server_time", "no_such_entry"]))
    values = {p.name: p.value for p in cfg.properties}
    check("getConfiguration by namespace and property", cfg.statusCode == 0 and values["token_life"] == "3600" and values["auth_presence_enabled"] == "true"
          and values["max_request_size"] == str(o.max_request) and values["current_server_time"] and values["no_such_entry"] is None, values)
    cfg = C.getConfiguration(GetConfigurationRequest(entityID=o.site_id, entityToken=session.token,
                                                     properties=["rtc.servicecatalog.service_home", "rtc.servicecatalog.presenceservice.url.endpoint"]))
    values = {p.name: p.value for p in cfg.properties}
    check("getConfiguration service URLs", values["rtc.servicecatalog.service_home"] == base + "/imtapp/ws/"
          and values["rtc.servicecatalog.presenceservice.url.endpoint"] == "PresenceService", values)
    cfg = C.getConfiguration(GetConfigurationRequest(entityID=o.site_id, entityToken="1_not-a-token", properties=["token_life"]))
    check("getConfiguration with an invalid token: 1032", cfg.statusCode == 1032, cfg.statusCode)

    # PresenceService.
    p = P.getPresence(o.site_id, presence.token, o.presentity, xsd.SkipValue, xsd.SkipValue)
    r = p.allResources or []
    check("getPresence default resource", p.userJID == o.presentity and len(r) == 1 and r[0].resourceName == o.resource
          and r[0].show == o.show.upper() and r[0].status == o.status and r[0].lastModifiedDate is not None, [str(x) for x in r])
    p = P.getPresence(o.site_id, session.token, o.presentity, "elsewhere", xsd.SkipValue)
    check("getPresence of a resource not online", not p.allResources, p)
    p = P.getPresence(o.site_id, presence.token, o.presentity, xsd.SkipValue, True)
    check("getPresence all resources", len(p.allResources or []) == 1, p)
    code, status, msg = fault_of(P.getPresence, o.site_id, "1_not-a-token", o.presentity, xsd.SkipValue, xsd.SkipValue)
    check("getPresence with an invalid token: soap:Client 1032", code == "soap:Client" and status == 1032, (code, status, msg))
    code, status, msg = fault_of(P.getPresence, o.site_id, presence.token, "not a jid", xsd.SkipValue, xsd.SkipValue)
    check("getPresence of a bad JID: soap:Client 1010", code == "soap:Client" and status == 1010, (code, status, msg))

    def bulk(jids, token=presence.token, entity=o.site_id, **kw):
        return P.getBulkPresence(BulkPresenceRequest(entityID=entity, entityToken=token, entityJIDs=jids, **kw))
    b = bulk([o.presentity, o.other])
    check("getBulkPresence", b.statusCode == 0 and [s.userJID for s in b.presentityStatusList] == [o.presentity, o.other]
          and len(b.presentityStatusList[0].allResources) == 1 and not b.presentityStatusList[1].allResources, b.statusCode)
    b = bulk(["u%d@localhost" % i for i in range(o.max_request + 1)])
    check("getBulkPresence over max_request_size: 1011", b.statusCode == 1011 and not b.presentityStatusList, b.statusCode)
    b = bulk([o.presentity] * (o.max_response + 1))
    check("getBulkPresence over max_response_size: 1012", b.statusCode == 1012 and len(b.presentityStatusList) == o.max_response, b.statusCode)
    b = bulk(["not a jid"])
    check("getBulkPresence with a bad JID: 1010", b.statusCode == 1010, b.statusCode)
    b = bulk([o.presentity], token="1_not-a-token")
    check("getBulkPresence with an invalid token: 1032", b.statusCode == 1032, b.statusCode)

    # A user: own data only.
    user = A.createSession(o.other, o.password, "USER")
    code, status, msg = fault_of(P.getPresence, o.other, user.token, o.presentity, xsd.SkipValue, xsd.SkipValue)
    check("a user asking for another's presence: soap:Client 1032", code == "soap:Client" and status == 1032, (code, status, msg))
    b = bulk([o.presentity], token=user.token, entity=o.other)
    check("a user's bulk request for another: 1032", b.statusCode == 1032, b.statusCode)
    code, status, msg = fault_of(A.createSession, o.other, "wrong", "USER")
    check("createSession USER with a wrong password: 1032", code == "soap:Client" and status == 1032, (code, status, msg))

    # endSession ends the session and everything derived from it.
    ended = A.endSession(o.site_id, session.token)
    check("endSession", ended.token == session.token)
    for name, t in (("session", session), ("presence", presence), ("multiple", many[1]), ("proxy", proxy), ("by token", by_token)):
        check("after endSession, the %s token is INVALID" % name, attrs(A.getTokenStatus(o.site_id, t.token)).get("STATUS") == "INVALID")
    check("a token obtained with the key outlives the session", attrs(A.getTokenStatus(o.site_id, by_key.token)).get("STATUS") == "VALID")
    status, ctype, body = get(presence_url(base, tid, presence.token, js))
    check("the presence URL of an ended token shows offline", 'var show = "OFFLINE";' in body.decode(), body)
    code, status, msg = fault_of(A.requestToken, o.site_id, session.token, TokenProperties(tokenPolicy="PRESENCE"), xsd.SkipValue)
    check("requestToken with an ended session: soap:Client 1032", code == "soap:Client" and status == 1032, (code, status, msg))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="http://host:port of the server")
    ap.add_argument("--site-id", required=True)
    ap.add_argument("--site-key", required=True)
    ap.add_argument("--presentity", required=True, help="bare JID of the online user")
    ap.add_argument("--resource", required=True, help="its online resource")
    ap.add_argument("--show", required=True, help="its show, as the integration services name it (DND, AWAY, AVAILABLE)")
    ap.add_argument("--status", required=True, help="its status message")
    ap.add_argument("--other", required=True, help="bare JID of an offline user")
    ap.add_argument("--password", required=True, help="the offline user's password")
    ap.add_argument("--max-request", type=int, required=True, help="the server's integration.max_request_size")
    ap.add_argument("--max-response", type=int, required=True, help="the server's integration.max_response_size")
    try:
        main(ap.parse_args())
    except Failed as e:
        emit("fail", error=str(e))
        sys.exit(1)
    except Exception as e:  # a crash is a failure too, with its type
        emit("fail", error="%s: %s" % (type(e).__name__, e))
        sys.exit(1)
    emit("done")
