// Shared test harness of the browser test pages (xmppjs.html, strophe.html).
//
// A page logs in to an XMPP server from the browser with the parameters of
// its query string:
//   url       the transport URL: ws://…/xmpp-websocket or http://…/http-bind
//   discover  instead of url: an http(s) origin whose XEP-0156 document
//             /.well-known/host-meta.json names the URL (the WebSocket one,
//             or with rel=xbosh the BOSH one)
//   jid       the account, user@domain (a resource may follow /)
//   password  its password
//   peer      the bare JID of the test's other client (slixmpp on TCP)
//   body      the message sent to the peer once its presence is seen
//             (default "hello from the browser")
//
// It then behaves like a small chat client with a scripted user:
//   - fetches its roster and sends initial presence ("online" event);
//   - approves the peer's subscription request and asks for the peer's
//     presence in return (subscribe), so both see each other's presence;
//   - once the peer is available, sends it one chat message ("sent");
//   - records every presence and message it receives.
//
// Every event is an object {event: NAME, ...fields}. It is appended to
// window.harness.events, shown as an item of the list #events (with
// data-event=NAME) and printed to the console as "XMPP-EVENT {json}", which
// is what the playwright driver (../driver.mjs) forwards to the Go test.
// window.harness.close() ends the session (unavailable presence, stream
// close), window.harness.send(to, body) sends another chat message.
(function () {
  "use strict";

  const params = new URLSearchParams(window.location.search);
  const cfg = {
    url: params.get("url") || "",
    discover: params.get("discover") || "",
    rel: params.get("rel") === "xbosh" ? "urn:xmpp:alt-connections:xbosh" : "urn:xmpp:alt-connections:websocket",
    jid: params.get("jid") || "",
    password: params.get("password") || "",
    peer: params.get("peer") || "",
    body: params.get("body") || "hello from the browser",
  };

  const events = [];
  let adapter = null;
  let sentToPeer = false;
  let askedPeer = false;

  function bare(jid) {
    const s = String(jid || "");
    const i = s.indexOf("/");
    return i < 0 ? s : s.slice(0, i);
  }

  function record(event, fields) {
    const e = Object.assign({ event: event, t: Date.now() }, fields || {});
    events.push(e);
    const li = document.createElement("li");
    li.dataset.event = event;
    li.textContent = JSON.stringify(e);
    document.getElementById("events").appendChild(li);
    const status = document.getElementById("status");
    if (["online", "closed", "fail", "disconnected"].includes(event) && status.dataset.status !== "fail") {
      status.textContent = event === "fail" ? "fail: " + e.error : event;
      status.dataset.status = event;
    }
    console.log("XMPP-EVENT " + JSON.stringify(e));
    return e;
  }

  function fail(what, err) {
    record("fail", { error: what + ": " + ((err && err.message) || String(err)) });
  }

  // discover reads XEP-0156 host-meta.json from cfg.discover and sets
  // cfg.url to the link of relation cfg.rel.
  async function discover() {
    const where = cfg.discover.replace(/\/+$/, "") + "/.well-known/host-meta.json";
    let res;
    try {
      res = await fetch(where);
    } catch (err) {
      throw new Error("GET " + where + ": " + err.message + " (no server, or no CORS headers for this page's origin)");
    }
    if (!res.ok) {
      throw new Error("GET " + where + ": HTTP " + res.status);
    }
    const doc = await res.json();
    const link = (doc.links || []).find((l) => l.rel === cfg.rel);
    if (!link || !link.href) {
      throw new Error(where + " has no link with rel " + cfg.rel + ": " + JSON.stringify(doc));
    }
    cfg.url = link.href;
    record("discovered", { from: where, rel: cfg.rel, url: cfg.url });
  }

  // start wires a client adapter in:
  //   adapter.connect()                    → Promise of the bound full JID
  //                                          (connecting to harness.cfg.url)
  //   adapter.roster()                     → Promise of the roster item count
  //   adapter.presence(to, type, show, status)  sends a presence stanza
  //   adapter.message(to, body)            sends a chat message
  //   adapter.close()                      → Promise, resolved when closed
  // and calls harness.presence / harness.message for received stanzas.
  async function start(a) {
    adapter = a;
    record("config", { client: a.name, url: cfg.url, discover: cfg.discover, jid: cfg.jid, peer: cfg.peer });
    if (!(cfg.url || cfg.discover) || !cfg.jid || !cfg.password) {
      fail("config", "url (or discover), jid and password query parameters are required");
      return;
    }
    try {
      if (!cfg.url) {
        await discover();
      }
      const full = await a.connect();
      const items = await a.roster();
      a.presence(null, null);
      record("online", { jid: String(full), roster_items: items });
    } catch (err) {
      fail("login", err);
    }
  }

  // presence is called with every received presence stanza.
  function presence(p) {
    record("presence", { from: p.from, to: p.to, type: p.type || "available", show: p.show || "", status: p.status || "" });
    if (!cfg.peer || bare(p.from) !== cfg.peer) {
      return;
    }
    if (p.type === "subscribe") {
      adapter.presence(cfg.peer, "subscribed");
      record("approved", { jid: cfg.peer });
      if (!askedPeer) {
        askedPeer = true;
        adapter.presence(cfg.peer, "subscribe");
        record("subscribe", { jid: cfg.peer });
      }
    } else if (!p.type && !sentToPeer) {
      sentToPeer = true;
      send(cfg.peer, cfg.body);
    }
  }

  // message is called with every received message stanza.
  function message(m) {
    record("message", { from: m.from, to: m.to, type: m.type || "normal", body: m.body || "" });
  }

  function send(to, body) {
    adapter.message(to, body);
    record("sent", { to: to, body: body });
  }

  async function close() {
    try {
      await adapter.close();
      record("closed", {});
    } catch (err) {
      fail("close", err);
    }
  }

  window.addEventListener("error", (e) => fail("uncaught", e.error || e.message));
  window.addEventListener("unhandledrejection", (e) => fail("unhandled rejection", e.reason));

  window.harness = { cfg, events, record, fail, start, presence, message, send, close, bare };
})();
