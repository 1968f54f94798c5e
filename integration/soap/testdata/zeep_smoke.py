"""Calls TestService through zeep from its WSDL; prints one JSON line of results.

Usage: zeep_smoke.py WSDL_URL

The seed's null for an optional parameter is zeep's xsd.SkipValue (the
part is left out) or xsd.Nil (xsi:nil="true"); RPC parts are never None.
"""
import json
import sys

import zeep
from zeep import xsd
from zeep.exceptions import Fault
from zeep.helpers import serialize_object

client = zeep.Client(sys.argv[1])
svc = client.service
out = {}

tok = svc.createSession("site1", "key", "SITE")
out["createSession"] = serialize_object(tok)

tp = client.get_type("ns0:TokenProperties")
ad = client.get_type("ns0:AdhocAttribute")
po = client.get_type("ns0:PolicyObject")
props = tp(tokenPolicy="PROXY::GUESTCHAT", tokenAttributes=[ad(name="PROXY_USER", value="bob")])
out["requestToken_null"] = svc.requestToken("a", "b", props, xsd.SkipValue).token
out["requestToken_policy"] = svc.requestToken("a", "b", tp(tokenPolicy="PRESENCE"), po(policyArray=[ad(name="K", value="v")])).token

arr = client.get_type("ns0:ArrayOfPolicyObject")
multi = svc.requestMultipleTokens("a", "b", tp(tokenPolicy="P"), arr(item=[po(), po()]))
out["requestMultipleTokens"] = [t.token for t in multi]

p = svc.getPresence("a", "b", "bob@localhost", "phone", True)
out["getPresence"] = json.loads(json.dumps(serialize_object(p), default=str))
p = svc.getPresence("a", "b", "bob@localhost", xsd.Nil, xsd.SkipValue)
out["getPresence_defaults"] = json.loads(json.dumps(serialize_object(p), default=str))

req = client.get_type("ns0:BulkPresenceRequest")
r = svc.getBulkPresence(req(entityID="s", entityToken="t", entityJIDs=["a", "b", "c"]))
out["getBulkPresence_big"] = r.statusCode
r = svc.getBulkPresence(req(entityID="s", entityToken="t", entityJIDs=["a", "b"]))
out["getBulkPresence"] = [s.userJID for s in r.presentityStatusList]

try:
    svc.createSession("site1", "bad", "SITE")
    out["fault"] = None
except Fault as f:
    out["fault"] = {"code": f.code, "message": f.message}

print(json.dumps(out))
