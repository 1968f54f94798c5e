"""Shared helpers for the aioxmpp end-to-end scenarios (stream management).

aioxmpp (Debian python3-aioxmpp) implements XEP-0198 with resumption: a
client whose connection dies suspends its stream, reconnects with
exponential backoff and resumes (on_stream_resumed), or, when the server
refuses, binds a fresh stream (on_stream_destroyed, then
on_stream_established again). These helpers wrap one aioxmpp client so a
scenario can wait for those signals and for messages the way the slixmpp
scenarios do (see common.py for the event protocol: JSON lines on stdout).
"""
import asyncio
import json
import logging
import time
from datetime import timedelta

import aioxmpp
import aioxmpp.connector
import aioxmpp.dispatcher
import aioxmpp.misc  # noqa: F401 (registers Message.xep0203_delay)

from common import EXPECT_TIMEOUT, ScenarioError, emit


def connector(transport):
    if transport == "directtls":
        return aioxmpp.connector.XMPPOverTLSConnector()
    if transport == "starttls":
        return aioxmpp.connector.STARTTLSConnector()
    raise ScenarioError("aioxmpp scenarios need TLS (starttls or directtls), not %s" % transport)


MAX_RESTARTS = 5


class AioClient:
    clients = []  # every AioClient of the scenario
    gave_up = []  # why a client stopped trying to connect, if one did

    """One aioxmpp client that records what it observes and can wait for it.

    Every stanza-level observation is kept in self.events; messages are
    also kept in self.messages (dicts with id, frm, body, delay), and only
    emitted when quiet is false (a stream of a thousand messages is
    summarised by the scenario instead)."""

    def __init__(self, name, user, resource, opts, port=None, quiet=False, presence_managed=True):
        self.name = name
        self.opts = opts
        self.quiet = quiet
        self.events = []
        self.messages = []
        self.on_message = None  # called with each message dict
        AioClient.clients.append(self)
        self._changed = asyncio.Event()
        local = aioxmpp.JID.fromstr("%s@%s/%s" % (user, opts.domain, resource))
        peer = [(opts.host, port or opts.port, connector(opts.transport))]
        # The server's certificate is self-signed.
        security = aioxmpp.make_security_layer(opts.password, no_verify=True)
        cls = aioxmpp.PresenceManagedClient if presence_managed else aioxmpp.Client
        self.client = cls(local, security, override_peer=peer, logger=logging.getLogger("aioxmpp." + name))
        # Reconnect quickly after a cut; the scenario's deadlines bound it.
        self.client.backoff_start = timedelta(seconds=0.05)
        self.client.backoff_cap = timedelta(seconds=0.5)
        c = self.client
        c.on_stream_established.connect(self._on_established)
        c.on_stream_suspended.connect(lambda reason: self.record("suspended", reason=repr(reason)))
        c.on_stream_resumed.connect(self._on_resumed)
        c.on_stream_destroyed.connect(lambda reason=None: self.record("destroyed", reason=repr(reason)))
        c.on_failure.connect(self._on_failure)
        c.on_stopped.connect(lambda: self.record("stopped"))
        dispatch = c.summon(aioxmpp.dispatcher.SimpleMessageDispatcher)
        for t in (aioxmpp.MessageType.CHAT, aioxmpp.MessageType.NORMAL):
            dispatch.register_callback(t, None, self._on_message)

    # ---- observing ----------------------------------------------------

    def record(self, event, _emit=True, **fields):
        fields["client"] = self.name
        if _emit:
            emit(event, **fields)
        fields["event"] = event
        self.events.append(fields)
        self._changed.set()

    def count(self, event):
        return sum(1 for e in self.events if e["event"] == event)

    def _on_established(self):
        s = self.client.stream
        self.record("established", jid=str(self.client.local_jid), sm=s.sm_enabled,
                    sm_id=s.sm_id if s.sm_enabled else None,
                    resumable=bool(s.sm_enabled and s.sm_resumable))

    def _on_failure(self, err):
        """aioxmpp 0.13.3 (with aioopenssl 0.6) gives up for good on some
        connection losses, because aioopenssl turns them into errors that
        Client._main, which retries only on OSError and the like, does not
        expect; it ends with on_failure ("main failed"):
        - a write to a TLS socket that was reset: RuntimeError("write()
          called (invalid in state _State.CLOSED, closing=False)");
        - a reset during the TLS handshake: aioopenssl's
          _tls_do_handshake sets the exception on a future that is already
          done: asyncio.InvalidStateError("invalid state").
        The stream management state survives, so an application restarts
        the client, which then resumes. So does this one, at most
        MAX_RESTARTS times; each is recorded ("restarted")."""
        self.record("failure", error=repr(err))
        if self.count("restarted") < MAX_RESTARTS and isinstance(err, (RuntimeError, asyncio.InvalidStateError)):
            asyncio.get_running_loop().call_soon(self._restart)
            return
        # Given up for good: every wait fails now rather than at its deadline.
        AioClient.gave_up.append("%s: aioxmpp gave up (on_failure): %r" % (self.name, err))
        for c in AioClient.clients:
            c.changed()

    def _restart(self):
        if not self.client.running:
            self.record("restarted", sm=self.client.stream.sm_enabled)
            self.client.start()

    def _on_resumed(self):
        # aioxmpp signals on_stream_resumed whenever a suspension ends, also
        # when the resumption failed and it bound a fresh stream (after
        # on_stream_destroyed): only the former is a XEP-0198 resumption.
        last = [e["event"] for e in self.events if e["event"] in ("suspended", "destroyed")][-1:]
        if last == ["destroyed"]:
            self.record("reconnected", jid=str(self.client.local_jid))
        else:
            self.record("resumed", jid=str(self.client.local_jid))

    def _on_message(self, msg):
        body = msg.body.any() if msg.body else ""
        m = {"id": msg.id_, "frm": str(msg.from_), "body": body, "delay": delay_stamp(msg)}
        self.messages.append(m)
        if self.on_message:
            self.on_message(m)
        self.record("message", _emit=not self.quiet, **m)

    # ---- waiting ------------------------------------------------------

    async def wait_for_state(self, find, desc, timeout=EXPECT_TIMEOUT):
        """Wait until find() returns something other than None, re-checking
        whenever something is recorded."""
        deadline = time.monotonic() + timeout
        while True:
            found = find()
            if found is not None:
                return found
            if AioClient.gave_up:
                raise ScenarioError("; ".join(AioClient.gave_up) + " while waiting for " + desc)
            left = deadline - time.monotonic()
            if left <= 0:
                recent = [e for e in self.events if e["event"] != "message"][-6:]
                raise ScenarioError("%s: timed out after %.0fs waiting for %s; recent events: %s"
                                    % (self.name, timeout, desc, json.dumps(recent, default=str)))
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def wait_count(self, event, n, desc, timeout=EXPECT_TIMEOUT):
        return await self.wait_for_state(lambda: True if self.count(event) >= n else None, desc, timeout)

    # ---- acting -------------------------------------------------------

    async def start(self, timeout=EXPECT_TIMEOUT):
        """Connect and wait for the stream. A presence-managed client sends
        available presence itself; another one does so after the stream is
        established."""
        if isinstance(self.client, aioxmpp.PresenceManagedClient):
            self.client.presence = aioxmpp.PresenceState(True)
            await self.wait_count("established", 1, "stream established", timeout)
        else:
            self.client.start()
            await self.wait_count("established", 1, "stream established", timeout)
            self.client.enqueue(aioxmpp.Presence(type_=aioxmpp.PresenceType.AVAILABLE))

    async def stop(self, timeout=EXPECT_TIMEOUT):
        """Close the stream cleanly (aioxmpp acks what it got first)."""
        n = self.count("stopped")
        self.client.stop()
        await self.wait_count("stopped", n + 1, "client stopped", timeout)

    def chat(self, to, body, id_=None, on_state_change=None):
        """Queue a chat message; returns aioxmpp's stanza token."""
        msg = aioxmpp.Message(to=aioxmpp.JID.fromstr(to), type_=aioxmpp.MessageType.CHAT)
        msg.body[None] = body
        if id_:
            msg.id_ = id_
        else:
            msg.autoset_id()
        return self.client.enqueue(msg, on_state_change=on_state_change)

    def changed(self):
        """Wake whoever waits in wait_for_state (for conditions that are
        not events of this client)."""
        self._changed.set()


def delay_stamp(msg):
    """The XEP-0203 delay stamp of a message as text, or None."""
    for d in msg.xep0203_delay:
        return d.stamp.isoformat()
    return None


def quiet_logs():
    # aioopenssl traces every socket read at DEBUG: too much for a stream.
    for name in ("aioopenssl", "aioxmpp.node.PresenceManagedClient.XMLStream"):
        logging.getLogger(name).setLevel(logging.INFO)
