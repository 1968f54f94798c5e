#!/usr/bin/python3
"""Log in as --user with --password over --transport and expect:
  session       a session starts; then XEP-0199 ping, XEP-0092 version and
                XEP-0030 disco#info of the server are queried;
  auth-failure  authentication is refused;
  tls-required  (plaintext client) the server offers only a required
                STARTTLS and no SASL mechanism before TLS."""
import common
from common import Client, check


async def scenario(opts):
    c = Client(opts.user, common.jid(opts, opts.user, opts.resource), opts.password, opts)
    if opts.expect == "tls-required":
        c.connect((opts.host, opts.port), disable_starttls=True, force_starttls=False)
        f = await c.expect("stream features", "features")
        check(f["children"] == ["{urn:ietf:params:xml:ns:xmpp-tls}starttls"] and f["starttls_required"],
              "features before TLS: %r" % f)
        check(not f["mechanisms"], "SASL offered before TLS: %r" % f["mechanisms"])
        c.abort()
        return
    ok = await c.try_login()
    if opts.expect == "auth-failure":
        check(not ok, "logged in as %s although that should be refused" % c.boundjid.bare)
        c.record("login_refused")
        return
    check(ok, "login as %s refused" % c.boundjid.bare)
    await c.ping()
    res = await c["xep_0092"].get_version(opts.domain, timeout=common.EXPECT_TIMEOUT)
    c.record("version", name=res["software_version"]["name"], version=res["software_version"]["version"])
    info = await c["xep_0030"].get_info(jid=opts.domain, timeout=common.EXPECT_TIMEOUT)
    c.record("disco_info", features=sorted(info["disco_info"]["features"]),
             identities=[list(i) for i in info["disco_info"]["identities"]])
    await c.close()


if __name__ == "__main__":
    p = common.arguments(__doc__)
    p.add_argument("--user", required=True, help="local part of the account")
    p.add_argument("--resource", default="e2e")
    p.add_argument("--expect", choices=("session", "auth-failure", "tls-required"), default="session")
    common.run(scenario, p.parse_args())
