"""Shared helpers for Parley's slixmpp end-to-end scenarios.

Each scenario script in this directory is a small asyncio program run by
Debian's python3-slixmpp (/usr/bin/python3) against a built parley
binary. It prints one JSON object per line on stdout for every event its
clients observe ({"event": ..., "client": ..., ...}), ends with
{"event": "done"} and exit status 0, or with {"event": "fail", "error":
...} and exit status 1. The whole scenario runs under a hard timeout.
slixmpp's debug log (every stanza sent and received) goes to stderr, so a
failing Go test can show the exact trace.
"""
import argparse
import asyncio
import json
import logging
import ssl
import sys
import time

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

# How long one expected event may take; the scenario's hard timeout
# (--timeout) bounds the whole run.
EXPECT_TIMEOUT = 10.0


def emit(event, **fields):
    """Print one event as a JSON line."""
    line = {"event": event}
    line.update(fields)
    sys.stdout.write(json.dumps(line, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


class ScenarioError(Exception):
    """A scenario expectation that did not hold."""


def arguments(description):
    """The options every scenario takes; scripts add their own."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--host", default="127.0.0.1", help="server address")
    p.add_argument("--port", type=int, required=True, help="c2s port (the direct TLS one with --transport directtls)")
    p.add_argument("--domain", default="localhost", help="XMPP domain of the accounts")
    p.add_argument("--password", default="secret", help="password of the scenario's accounts")
    p.add_argument("--transport", choices=("starttls", "plaintext", "directtls"), default="starttls",
                   help="starttls (required TLS upgrade), plaintext (server runs --allow-plaintext) or directtls")
    p.add_argument("--timeout", type=float, default=20.0, help="hard timeout of the whole scenario, seconds")
    return p


class Client(slixmpp.ClientXMPP):
    """A slixmpp client that records what it observes and can wait for it."""

    def __init__(self, name, jid, password, opts):
        super().__init__(jid, password)
        self.name = name
        self.opts = opts
        # The server generates a self-signed certificate into its data dir.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        # PLAIN only ever inside TLS; SCRAM is allowed on plaintext streams.
        self["feature_mechanisms"].unencrypted_plain = False
        # Scenarios answer subscription requests themselves.
        self.roster.auto_authorize = None
        self.roster.auto_subscribe = False
        for plugin in ("xep_0030", "xep_0085", "xep_0092", "xep_0199", "xep_0203"):
            self.register_plugin(plugin)

        self.events = []
        self._consumed = set()
        self._changed = asyncio.Event()
        self.mechanism = None

        self.add_event_handler("session_start", self._on_session_start)
        self.add_event_handler("auth_success", self._on_auth_success)
        self.add_event_handler("failed_auth", lambda s: self.record("auth_failed", condition=s["condition"]))
        self.add_event_handler("failed_all_auth", lambda _: self.record("auth_failed_all"))
        self.add_event_handler("message", self._on_message)
        # slixmpp raises "message" only for messages with a body; a
        # standalone chat state (XEP-0085 5.5) arrives as "chatstate".
        self.add_event_handler("chatstate", lambda m: None if m["body"] else self._on_message(m))
        self.add_event_handler("message_error", self._on_message_error)
        self.add_event_handler("presence", self._on_presence)
        self.add_event_handler("roster_update", self._on_roster_push)
        self.add_event_handler("stream_error", lambda e: self.record("stream_error", condition=e["condition"]))
        self.add_event_handler("disconnected", lambda reason: self.record("disconnected", reason=str(reason or "")))
        self.add_event_handler("connection_failed", lambda e: self.record("connection_failed", error=str(e)))
        # Features as the server offered them, before slixmpp acts on them.
        self.register_handler(slixmpp.Callback(
            "record features",
            slixmpp.MatchXPath("{http://etherx.jabber.org/streams}features"),
            self._on_features))

    # ---- observing ----------------------------------------------------

    def record(self, event, **fields):
        fields["client"] = self.name
        emit(event, **fields)
        fields["event"] = event
        self.events.append(fields)
        self._changed.set()

    def _on_features(self, features):
        mechs = features.xml.find("{urn:ietf:params:xml:ns:xmpp-sasl}mechanisms")
        names = []
        if mechs is not None:
            names = [m.text for m in mechs.findall("{urn:ietf:params:xml:ns:xmpp-sasl}mechanism")]
        starttls = features.xml.find("{urn:ietf:params:xml:ns:xmpp-tls}starttls")
        self.record("features", children=[child.tag for child in features.xml], mechanisms=names,
                    starttls_required=starttls is not None
                    and starttls.find("{urn:ietf:params:xml:ns:xmpp-tls}required") is not None,
                    tls=self.is_tls())

    def features_seen(self):
        """Every stream feature element (as {ns}name) the server offered."""
        tags = set()
        for e in self.events:
            if e["event"] == "features":
                tags.update(e["children"])
        return tags

    def is_tls(self):
        transport = self.transport
        return bool(transport is not None and transport.get_extra_info("ssl_object") is not None)

    def _on_auth_success(self, _):
        self.mechanism = self["feature_mechanisms"].mech.name
        self.record("auth_success", mechanism=self.mechanism, tls=self.is_tls())

    def _on_session_start(self, _):
        self.record("session_start", jid=str(self.boundjid), mechanism=self.mechanism, tls=self.is_tls())

    def _on_message(self, msg):
        fields = {"frm": str(msg["from"]), "to": str(msg["to"]), "type": msg["type"], "body": msg["body"]}
        if msg["chat_state"]:
            fields["chat_state"] = msg["chat_state"]
        if msg["delay"]["stamp"]:
            fields["delay"] = msg["delay"]["stamp"].isoformat()
            fields["delay_from"] = str(msg["delay"]["from"])
        self.record("message", **fields)

    def _on_message_error(self, msg):
        self.record("message_error", frm=str(msg["from"]), condition=msg["error"]["condition"])

    def _on_presence(self, pres):
        self.record("presence", frm=str(pres["from"]), to=str(pres["to"]),
                    type=pres.xml.get("type", "available"), show=pres["show"], status=pres["status"])

    def _on_roster_push(self, iq):
        if iq["type"] != "set":
            return
        self.record("roster_push", ver=iq["roster"]["ver"], items=roster_items(iq))

    # ---- waiting ------------------------------------------------------

    async def expect(self, desc, event, timeout=EXPECT_TIMEOUT, **want):
        """Wait for the first not yet consumed event named event whose fields
        equal want (a callable value is a predicate on the field)."""
        def find():
            for i, e in enumerate(self.events):
                if i in self._consumed or e["event"] != event:
                    continue
                if all(v(e.get(k)) if callable(v) else e.get(k) == v for k, v in want.items()):
                    self._consumed.add(i)
                    return e
            return None
        return await self.wait_for_state(find, desc, timeout)

    async def wait_for_state(self, find, desc, timeout=EXPECT_TIMEOUT):
        """Wait until find() returns something other than None, re-checking
        whenever an event is recorded."""
        deadline = time.monotonic() + timeout
        while True:
            found = find()
            if found is not None:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                recent = [e for i, e in enumerate(self.events)
                          if i not in self._consumed and e["event"] not in ("features", "auth_success")][-8:]
                raise ScenarioError("%s: timed out after %.0fs waiting for %s; recent unconsumed events: %s"
                                    % (self.name, timeout, desc, json.dumps(recent, default=str)))
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    # ---- acting -------------------------------------------------------

    async def login(self):
        """Connect over the scenario's transport and wait for the session;
        fail if authentication or the connection fails."""
        if not await self.try_login():
            raise ScenarioError("%s: login as %s failed" % (self.name, self.boundjid.bare))

    async def try_login(self):
        """Connect and report whether a session started (True) or
        authentication was refused (False)."""
        transport = self.opts.transport
        self.connect((self.opts.host, self.opts.port),
                     use_ssl=transport == "directtls",
                     force_starttls=transport == "starttls",
                     disable_starttls=transport == "plaintext")

        def outcome():
            names = [e["event"] for e in self.events]
            if "session_start" in names:
                return True
            if "auth_failed_all" in names or ("auth_failed" in names and "disconnected" in names):
                return False
            for e in self.events:
                if e["event"] in ("disconnected", "connection_failed", "stream_error"):
                    raise ScenarioError("%s: no session: %s" % (self.name, json.dumps(e, default=str)))
            return None
        return await self.wait_for_state(outcome, "session start or authentication failure")

    async def online(self, show=None, status=None):
        """Log in, request the roster (making this an interested resource,
        RFC 6121 2.1.6), send initial presence and wait for its echo (RFC
        6121 4.2.2), after which the server routes to this resource."""
        await self.login()
        await self.fetch_roster()
        self.send_presence(pshow=show, pstatus=status)
        await self.expect("own initial presence", "presence", frm=str(self.boundjid), type="available")

    async def query(self, iq, what):
        try:
            return await iq.send(timeout=EXPECT_TIMEOUT)
        except IqError as err:
            raise ScenarioError("%s: %s: error %s" % (self.name, what, err.iq["error"]["condition"]))
        except IqTimeout:
            raise ScenarioError("%s: %s: no answer within %.0fs" % (self.name, what, EXPECT_TIMEOUT))

    async def fetch_roster(self, ver=None):
        """Roster get (without ver unless given); returns (ver, items)."""
        iq = self.Iq(stype="get")
        iq.enable("roster")
        if ver is not None:
            iq["roster"]["ver"] = ver
        res = await self.query(iq, "roster get")
        empty = res.xml.find("{jabber:iq:roster}query") is None
        ver, items = res["roster"]["ver"], roster_items(res)
        self.record("roster", ver=ver, items=items, empty_result=empty)
        return ver, items

    async def set_roster_item(self, jid, name=None, groups=()):
        iq = self.Iq(stype="set")
        iq["roster"]["items"] = {jid: {"name": name or "", "groups": list(groups)}}
        await self.query(iq, "roster set")
        self.record("roster_set", jid=jid)

    async def ping(self, to=None):
        """XEP-0199 ping; it also orders: the server handles a stream's
        stanzas in order (RFC 6120 10.1), so the pong means every stanza
        sent before it was handled."""
        iq = self.Iq(stype="get", sto=to or self.opts.domain)
        iq.enable("ping")
        await self.query(iq, "ping")
        self.record("pong", frm=to or self.opts.domain)

    def subscription(self, to, kind):
        self.send_presence(pto=to, ptype=kind)

    def chat(self, to, body=None, state=None):
        msg = self.make_message(mto=to, mbody=body, mtype="chat")
        if state:
            msg["chat_state"] = state
        msg.send()

    async def close(self):
        """End the stream and wait for the connection to close."""
        if self.transport is None:
            return
        self.disconnect()
        await self.expect("disconnected after closing", "disconnected")


async def subscribe(user, contact, contact_online=True):
    """user subscribes to contact's presence and contact approves (RFC
    6121 3.1); both must be interested resources (see Client.online)."""
    u, c = user.boundjid.bare, contact.boundjid.bare

    def item_of(jid, **want):
        return lambda items: all((items or {}).get(jid, {}).get(k) in v for k, v in want.items())

    user.subscription(c, "subscribe")
    await user.expect("roster push with ask=subscribe for " + c, "roster_push",
                      items=item_of(c, ask=("subscribe",)))
    await contact.expect("subscription request from " + u, "presence", frm=u, type="subscribe")
    contact.subscription(u, "subscribed")
    await contact.expect("roster push with subscription from/both for " + u, "roster_push",
                         items=item_of(u, subscription=("from", "both")))
    await user.expect("subscription approval from " + c, "presence", frm=c, type="subscribed")
    await user.expect("roster push with subscription to/both for " + c, "roster_push",
                      items=item_of(c, subscription=("to", "both"), ask=("",)))
    if contact_online:
        # RFC 6121 3.1.6: the contact's server sends the contact's current
        # presence to the new subscriber.
        await user.expect("presence of %s after approval" % contact.boundjid, "presence",
                          frm=str(contact.boundjid), type="available")


def roster_items(iq):
    items = {}
    for jid, item in iq["roster"]["items"].items():
        items[str(jid)] = {"name": item["name"], "subscription": item["subscription"],
                           "ask": item["ask"] or "", "groups": sorted(item["groups"])}
    return items


def check(cond, message):
    if not cond:
        raise ScenarioError(message)


def jid(opts, user, resource=None):
    bare = "%s@%s" % (user, opts.domain)
    return bare + "/" + resource if resource else bare


def run(scenario, opts):
    """Run scenario(opts) under the hard timeout; report and exit."""
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def bounded():
        await asyncio.wait_for(scenario(opts), opts.timeout)

    try:
        asyncio.run(bounded())
    except asyncio.TimeoutError:
        fail("scenario did not finish within its hard timeout of %.0fs" % opts.timeout)
    except ScenarioError as err:
        fail(str(err))
    except Exception as err:  # a crash is a failure too, with its type
        fail("%s: %s" % (type(err).__name__, err))
    emit("done")
    sys.exit(0)


def fail(message):
    emit("fail", error=message)
    sys.stderr.write("FAIL: %s\n" % message)
    sys.stderr.flush()
    sys.exit(1)
