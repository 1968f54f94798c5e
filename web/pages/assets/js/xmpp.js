// xmpp.js: Parley's browser XMPP client, one ES module for every Parley page
// (no dependencies, no build step). It speaks XMPP over WebSocket (RFC 7395)
// and falls back to BOSH (XEP-0124/XEP-0206) when WebSocket is unavailable.
//
//   import { Client, xml } from "/assets/js/xmpp.js";
//
//   const client = new Client({
//     domain: "example.com",                 // the XMPP domain to log in to
//     websocket: "wss://example.com/xmpp-websocket", // default: this page's host
//     bosh: "https://example.com/http-bind",          // default: this page's host
//     transports: ["websocket", "bosh"],     // order of preference
//     username: "alice", password: "secret", // SCRAM-SHA-256, SCRAM-SHA-1 or PLAIN
//     // or credentials: async () => ({ ticket }) for OAUTHBEARER with a fresh
//     //    single-use ticket (or { username, password }), asked before each login
//     resource: "web",                       // default: chosen by the server
//     reconnect: true,                       // reconnect with back-off after a drop
//   });
//   client.addEventListener("status", (e) => e.detail.status);  // connecting, online, reconnecting, offline
//   client.addEventListener("message", (e) => e.detail);        // {from, to, type, id, body, subject, thread, state, delay, element}
//   client.addEventListener("presence", (e) => e.detail);       // {from, to, type, show, status, priority, element}
//   client.addEventListener("iq", (e) => { ...; e.preventDefault(); }); // iq get/set requests; unhandled ones get service-unavailable
//   client.addEventListener("stanza", (e) => e.detail.element); // every stanza, parsed (a DOM Element)
//   const jid = await client.connect();     // the bound full JID
//   client.sendPresence({});                // initial presence: send it again on every "online"
//   client.sendMessage("bob@example.com", "hi", { state: "active" });
//   client.sendChatState("bob@example.com", "composing");       // XEP-0085
//   const result = await client.iq("get", "example.com", xml("query", { xmlns: "jabber:iq:version" }));
//   await client.disconnect();
//
// Stanzas sent while reconnecting are queued (at most 100) and sent once the
// new session is online. XML is built with xml(name, attrs, ...children):
// string children are text (escaped), xml() children are elements.
"use strict";

export const NS = {
  client: "jabber:client",
  framing: "urn:ietf:params:xml:ns:xmpp-framing",
  stream: "http://etherx.jabber.org/streams",
  sasl: "urn:ietf:params:xml:ns:xmpp-sasl",
  bind: "urn:ietf:params:xml:ns:xmpp-bind",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  bosh: "http://jabber.org/protocol/httpbind",
  xbosh: "urn:xmpp:xbosh",
  chatstates: "http://jabber.org/protocol/chatstates",
  delay: "urn:xmpp:delay",
  ping: "urn:xmpp:ping",
};

// Raw is XML that is inserted as it is (what xml() returns).
class Raw {
  constructor(s) {
    this.s = s;
  }
  toString() {
    return this.s;
  }
}

// escape makes text safe inside an XML element or attribute value.
export function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]);
}

// xml builds an element: attrs with undefined or null values are left out;
// children are xml() values (inserted) or anything else (escaped as text).
export function xml(name, attrs, ...children) {
  let s = "<" + name;
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) s += " " + k + "='" + escape(v) + "'";
  }
  const inner = children.flat().filter((c) => c !== undefined && c !== null && c !== false)
    .map((c) => (c instanceof Raw ? c.s : escape(c))).join("");
  return new Raw(inner ? s + ">" + inner + "</" + name + ">" : s + "/>");
}

// bare returns the bare JID of a JID.
export function bare(jid) {
  const s = String(jid || "");
  const i = s.indexOf("/");
  return i < 0 ? s : s.slice(0, i);
}

// parseXML parses one element (a WebSocket frame or a BOSH body).
export function parseXML(text) {
  const doc = new DOMParser().parseFromString(text, "text/xml");
  const root = doc.documentElement;
  if (!root || root.getElementsByTagName("parsererror").length || root.localName === "parsererror") {
    throw new Error("malformed XML from the server");
  }
  return root;
}

function child(el, ns, name) {
  for (const c of el.children) {
    if (c.localName === name && (!ns || c.namespaceURI === ns)) return c;
  }
  return null;
}

function childText(el, ns, name) {
  const c = child(el, ns, name);
  return c ? c.textContent : "";
}

function randomID() {
  const b = new Uint8Array(9);
  crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b)).replace(/[+/=]/g, "x");
}

// StanzaError is an iq error answer: condition is its defined condition
// (e.g. "service-unavailable").
export class StanzaError extends Error {
  constructor(element) {
    const err = child(element, "", "error") || child(element, NS.client, "error");
    let condition = "undefined-condition";
    let text = "";
    if (err) {
      for (const c of err.children) {
        if (c.namespaceURI === NS.stanzas && c.localName !== "text") condition = c.localName;
        if (c.localName === "text") text = c.textContent;
      }
    }
    super(text || condition);
    this.condition = condition;
    this.element = element;
  }
}

// ---- SASL ----

const enc = new TextEncoder();

function b64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unb64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function hmac(hash, key, data) {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, typeof data === "string" ? enc.encode(data) : data));
}

// scram runs the client side of SCRAM-SHA-256 or SCRAM-SHA-1 (RFC 5802,
// RFC 7677) without channel binding. exchange(data) sends one message and
// resolves with the server's next one.
async function scram(hash, username, password, exchange) {
  if (!crypto.subtle) throw new Error("SCRAM needs WebCrypto: serve the page over https:// (or from localhost)");
  const user = username.normalize("NFKC").replace(/=/g, "=3D").replace(/,/g, "=2C");
  const cnonce = randomID() + randomID();
  const clientFirstBare = "n=" + user + ",r=" + cnonce;
  const serverFirst = new TextDecoder().decode(await exchange(enc.encode("n,," + clientFirstBare)));
  const attrs = Object.fromEntries(serverFirst.split(",").map((kv) => [kv.slice(0, 1), kv.slice(2)]));
  if (!attrs.r || !attrs.r.startsWith(cnonce) || !attrs.s || !(Number(attrs.i) > 0)) {
    throw new Error("SCRAM: bad server-first message");
  }
  const bits = hash === "SHA-256" ? 256 : 160;
  const pw = await crypto.subtle.importKey("raw", enc.encode(password.normalize("NFKC")), "PBKDF2", false, ["deriveBits"]);
  const salted = new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", salt: unb64(attrs.s), iterations: Number(attrs.i), hash }, pw, bits));
  const clientKey = await hmac(hash, salted, "Client Key");
  const storedKey = new Uint8Array(await crypto.subtle.digest(hash, clientKey));
  const finalNoProof = "c=biws,r=" + attrs.r;
  const authMessage = clientFirstBare + "," + serverFirst + "," + finalNoProof;
  const signature = await hmac(hash, storedKey, authMessage);
  const proof = clientKey.map((b, i) => b ^ signature[i]);
  const serverKey = await hmac(hash, salted, "Server Key");
  const serverSignature = b64(await hmac(hash, serverKey, authMessage));
  const final = await exchange(enc.encode(finalNoProof + ",p=" + b64(proof)));
  const v = new TextDecoder().decode(final).split(",").find((kv) => kv.startsWith("v="));
  if (!v || v.slice(2) !== serverSignature) throw new Error("SCRAM: the server could not prove it knows the password");
}

// ---- transports ----

// WebSocketTransport frames one element per message (RFC 7395).
class WebSocketTransport {
  constructor(url, onElement, onClose) {
    this.kind = "websocket";
    this.url = url;
    this.onElement = onElement;
    this.onClose = onClose;
    this.ws = null;
    this.closed = false;
  }

  connect() {
    return new Promise((resolve, reject) => {
      let opened = false;
      let ws;
      try {
        ws = new WebSocket(this.url, "xmpp");
      } catch (err) {
        reject(err);
        return;
      }
      this.ws = ws;
      ws.onopen = () => {
        if (ws.protocol !== "xmpp") {
          ws.close();
          reject(new Error("the server did not accept the xmpp subprotocol"));
          return;
        }
        opened = true;
        resolve();
      };
      ws.onerror = () => {
        if (!opened) reject(new Error("WebSocket connection to " + this.url + " failed"));
      };
      ws.onclose = (ev) => {
        if (!opened) {
          reject(new Error("WebSocket connection to " + this.url + " closed (" + ev.code + ")"));
          return;
        }
        this.finish(ev.code === 1000 ? null : new Error("WebSocket closed (" + ev.code + ")"));
      };
      ws.onmessage = (ev) => {
        let el;
        try {
          el = parseXML(ev.data);
        } catch (err) {
          this.finish(err);
          return;
        }
        if (el.namespaceURI === NS.framing && el.localName === "close") {
          this.finish(null);
          return;
        }
        if (el.namespaceURI === NS.framing && el.localName === "open") return;
        this.onElement(el);
      };
    });
  }

  openStream(domain, lang) {
    this.send(xml("open", { xmlns: NS.framing, to: domain, version: "1.0", "xml:lang": lang }));
  }

  restart(domain, lang) {
    this.openStream(domain, lang);
  }

  send(data) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(String(data));
  }

  close() {
    if (this.closed) return;
    this.send(xml("close", { xmlns: NS.framing }));
    this.closed = true;
    try {
      this.ws.close(1000);
    } catch (err) {
      // already closed
    }
  }

  finish(err) {
    if (this.closed && err) err = null;
    if (this.done) return;
    this.done = true;
    this.closed = true;
    this.onClose(err);
  }
}

// BoshTransport runs a BOSH session: at most `requests` requests in flight,
// one of them always held by the server for what it has to send.
class BoshTransport {
  constructor(url, onElement, onClose) {
    this.kind = "bosh";
    this.url = url;
    this.onElement = onElement;
    this.onClose = onClose;
    this.rid = 1 + Math.floor(Math.random() * 2 ** 40);
    this.sid = null;
    this.requests = 2;
    this.wait = 30;
    this.inflight = 0;
    this.queue = [];
    this.closed = false;
    this.done = false;
  }

  async connect() {}

  body(attrs, payload) {
    const a = Object.assign({ xmlns: NS.bosh, rid: String(this.rid++) }, this.sid ? { sid: this.sid } : {}, attrs);
    return xml("body", a, ...(payload || []));
  }

  openStream(domain, lang) {
    this.domain = domain;
    this.request(this.body({
      content: "text/xml; charset=utf-8", hold: "1", to: domain, ver: "1.6", wait: String(this.wait),
      "xml:lang": lang, "xmpp:version": "1.0", "xmlns:xmpp": NS.xbosh,
    }), true);
  }

  restart(domain, lang) {
    this.request(this.body({ to: domain, "xml:lang": lang, "xmpp:restart": "true", "xmlns:xmpp": NS.xbosh }));
  }

  send(data) {
    if (this.closed) return;
    this.queue.push(new Raw(String(data)));
    this.pump();
  }

  // pump sends what is queued, and keeps one request waiting at the
  // server for what it has to send us.
  pump() {
    while (!this.closed && this.sid && this.inflight < this.requests && (this.queue.length || this.inflight === 0)) {
      const payload = this.queue.splice(0, this.queue.length);
      this.request(this.body({}, payload));
    }
  }

  async request(body, creating) {
    this.inflight++;
    let text;
    try {
      const res = await fetch(this.url, {
        method: "POST", body: String(body), credentials: "omit", cache: "no-store",
        headers: { "Content-Type": "text/xml; charset=utf-8" },
      });
      if (!res.ok) throw new Error("BOSH: HTTP " + res.status);
      text = await res.text();
    } catch (err) {
      this.inflight--;
      this.finish(err);
      return;
    }
    this.inflight--;
    let el;
    try {
      el = parseXML(text);
    } catch (err) {
      this.finish(err);
      return;
    }
    if (creating) {
      this.sid = el.getAttribute("sid");
      const req = Number(el.getAttribute("requests"));
      if (req >= 1) this.requests = Math.min(req, 2);
      if (!this.sid) {
        this.finish(new Error("BOSH: no session"));
        return;
      }
    }
    for (const c of Array.from(el.children)) this.onElement(c);
    if (el.getAttribute("type") === "terminate") {
      const cond = el.getAttribute("condition");
      this.finish(this.closed || !cond ? null : new Error("BOSH session ended: " + cond));
      return;
    }
    this.pump();
  }

  close() {
    if (this.closed) return;
    const payload = this.queue.splice(0, this.queue.length);
    payload.push(xml("presence", { xmlns: NS.client, type: "unavailable" }));
    this.closed = true;
    if (this.sid) {
      fetch(this.url, {
        method: "POST", credentials: "omit", headers: { "Content-Type": "text/xml; charset=utf-8" },
        body: String(this.body({ type: "terminate" }, payload)),
      }).catch(() => {});
    }
    this.finish(null);
  }

  finish(err) {
    if (this.done) return;
    this.done = true;
    this.closed = true;
    this.onClose(err);
  }
}

// ---- client ----

const statuses = ["connecting", "online", "reconnecting", "offline"];

export class Client extends EventTarget {
  constructor(opts) {
    super();
    const o = Object.assign({}, opts);
    const scheme = location.protocol === "https:" ? "s" : "";
    this.domain = o.domain || location.hostname;
    this.urls = {
      websocket: o.websocket || "ws" + scheme + "://" + location.host + "/xmpp-websocket",
      bosh: o.bosh || "http" + scheme + "://" + location.host + "/http-bind",
    };
    this.transports = (o.transports || ["websocket", "bosh"]).filter((t) => t in this.urls && (t !== "websocket" || "WebSocket" in window));
    this.credentials = o.credentials || (async () => ({ username: o.username, password: o.password }));
    this.resource = o.resource || "";
    this.lang = o.lang || document.documentElement.lang || "en";
    this.reconnect = o.reconnect !== false;
    this.timeout = o.timeout || 20000;
    this.jid = "";
    this.transport = "";
    this.status = "offline";
    this._t = null; // the current transport
    this._wanted = false; // connect() called and not disconnect()
    this._waiters = [];
    this._iqs = new Map();
    this._queue = [];
    this._retry = 0;
    this._retryTimer = null;
  }

  _emit(name, detail) {
    return this.dispatchEvent(new CustomEvent(name, { detail, cancelable: name === "iq" }));
  }

  _setStatus(status, extra) {
    if (!statuses.includes(status)) return;
    this.status = status;
    this._emit("status", Object.assign({ status, transport: this.transport, jid: this.jid }, extra || {}));
  }

  // connect logs in and resolves with the bound JID; with reconnect on it
  // keeps the session up until disconnect().
  async connect() {
    this._wanted = true;
    clearTimeout(this._retryTimer);
    this._setStatus("connecting");
    try {
      return await this._login();
    } catch (err) {
      this._wanted = false;
      this._setStatus("offline", { error: err.message });
      throw err;
    }
  }

  async _login() {
    let last = new Error("no transport available");
    for (const kind of this.transports) {
      try {
        const jid = await this._session(kind);
        // Prefer what worked for the next reconnection.
        this.transports = [kind].concat(this.transports.filter((t) => t !== kind));
        return jid;
      } catch (err) {
        last = err;
        if (err.auth) break; // the credentials were refused: another transport will not help
      }
    }
    throw last;
  }

  async _session(kind) {
    const creds = await this.credentials();
    const onElement = (el) => this._receive(t, el);
    const onClose = (err) => this._closed(t, err);
    const t = kind === "websocket" ? new WebSocketTransport(this.urls.websocket, onElement, onClose) : new BoshTransport(this.urls.bosh, onElement, onClose);
    this._t = t;
    this.transport = kind;
    try {
      await t.connect();
      t.openStream(this.domain, this.lang);
      let features = await this._expect(t, (el) => el.localName === "features");
      await this._authenticate(t, features, creds);
      t.restart(this.domain, this.lang);
      features = await this._expect(t, (el) => el.localName === "features");
      if (!child(features, NS.bind, "bind")) throw new Error("the server offers no resource binding");
      const id = randomID();
      t.send(xml("iq", { xmlns: NS.client, type: "set", id }, xml("bind", { xmlns: NS.bind }, this.resource ? xml("resource", {}, this.resource) : null)));
      const res = await this._expect(t, (el) => el.localName === "iq" && el.getAttribute("id") === id);
      if (res.getAttribute("type") !== "result") throw new StanzaError(res);
      const jidEl = res.getElementsByTagNameNS(NS.bind, "jid")[0];
      this.jid = jidEl ? jidEl.textContent : "";
    } catch (err) {
      this._waiters = this._waiters.filter((w) => w.t !== t);
      if (this._t === t) this._t = null;
      t.close();
      throw err;
    }
    this._retry = 0;
    this._setStatus("online");
    const queued = this._queue.splice(0, this._queue.length);
    for (const s of queued) t.send(s);
    return this.jid;
  }

  async _authenticate(t, features, creds) {
    const mechs = Array.from(features.getElementsByTagNameNS(NS.sasl, "mechanism")).map((m) => m.textContent.trim());
    const send = (name, data) => t.send(xml(name, { xmlns: NS.sasl, mechanism: name === "auth" ? this._mech : undefined }, data === null ? null : data.length ? b64(data) : "="));
    const next = async () => {
      const el = await this._expect(t, (e) => e.namespaceURI === NS.sasl);
      if (el.localName === "failure") {
        const cond = el.firstElementChild ? el.firstElementChild.localName : "not-authorized";
        const text = childText(el, NS.sasl, "text");
        const err = new Error("authentication failed: " + cond + (text ? " (" + text + ")" : ""));
        err.auth = true;
        err.condition = cond;
        throw err;
      }
      return el;
    };
    const dataOf = (el) => (el.textContent.trim() && el.textContent.trim() !== "=" ? unb64(el.textContent.trim()) : new Uint8Array());
    if (creds.ticket) {
      if (!mechs.includes("OAUTHBEARER")) throw Object.assign(new Error("the server does not offer OAUTHBEARER"), { auth: true });
      this._mech = "OAUTHBEARER";
      send("auth", enc.encode("n,,\x01auth=Bearer " + creds.ticket + "\x01\x01"));
      let el = await next();
      if (el.localName === "challenge") {
        send("response", enc.encode("\x01")); // RFC 7628 §3.2.3: acknowledge the error
        el = await next();
      }
      if (el.localName !== "success") throw new Error("authentication: unexpected " + el.localName);
      return;
    }
    const hash = mechs.includes("SCRAM-SHA-256") ? "SHA-256" : mechs.includes("SCRAM-SHA-1") ? "SHA-1" : "";
    if (hash) {
      this._mech = "SCRAM-" + hash;
      let first = true;
      let success = null;
      await scram(hash, creds.username || "", creds.password || "", async (data) => {
        send(first ? "auth" : "response", data);
        first = false;
        const el = await next();
        if (el.localName === "success") {
          success = el;
          return dataOf(el);
        }
        return dataOf(el);
      });
      if (!success) {
        const el = await next();
        if (el.localName !== "success") throw new Error("authentication: unexpected " + el.localName);
      }
      return;
    }
    if (mechs.includes("PLAIN")) {
      this._mech = "PLAIN";
      send("auth", enc.encode("\0" + (creds.username || "") + "\0" + (creds.password || "")));
      const el = await next();
      if (el.localName !== "success") throw new Error("authentication: unexpected " + el.localName);
      return;
    }
    throw Object.assign(new Error("no SASL mechanism in common (server offers " + mechs.join(", ") + ")"), { auth: true });
  }

  // _expect waits for the next element of transport t that match accepts.
  _expect(t, match) {
    return new Promise((resolve, reject) => {
      const w = { t, match, resolve, reject };
      w.timer = setTimeout(() => {
        this._waiters = this._waiters.filter((x) => x !== w);
        reject(new Error("no answer from the server"));
      }, this.timeout);
      this._waiters.push(w);
    });
  }

  _receive(t, el) {
    if (el.localName === "error" && el.namespaceURI === NS.stream) {
      const cond = el.firstElementChild ? el.firstElementChild.localName : "undefined-condition";
      t.streamError = cond;
      this._failWaiters(t, new Error("stream error: " + cond));
      return;
    }
    const w = this._waiters.find((x) => x.t === t && x.match(el));
    if (w) {
      clearTimeout(w.timer);
      this._waiters = this._waiters.filter((x) => x !== w);
      w.resolve(el);
      return;
    }
    if (this._t !== t || this.status !== "online") return;
    this._stanza(el);
  }

  _stanza(el) {
    this._emit("stanza", { element: el });
    const a = (n) => el.getAttribute(n) || "";
    switch (el.localName) {
      case "message": {
        let state = "";
        for (const c of el.children) if (c.namespaceURI === NS.chatstates) state = c.localName;
        const delay = child(el, NS.delay, "delay");
        this._emit("message", {
          from: a("from"), to: a("to"), type: a("type") || "normal", id: a("id"),
          body: childText(el, "", "body") || childText(el, NS.client, "body"),
          subject: childText(el, NS.client, "subject"), thread: childText(el, NS.client, "thread"),
          state, delay: delay ? delay.getAttribute("stamp") : "", element: el,
        });
        break;
      }
      case "presence":
        this._emit("presence", {
          from: a("from"), to: a("to"), type: a("type") || "available", show: childText(el, NS.client, "show"),
          status: childText(el, NS.client, "status"), priority: Number(childText(el, NS.client, "priority")) || 0, element: el,
        });
        break;
      case "iq": {
        const type = a("type");
        if (type === "result" || type === "error") {
          const p = this._iqs.get(a("id"));
          if (p) {
            this._iqs.delete(a("id"));
            clearTimeout(p.timer);
            if (type === "result") p.resolve(el);
            else p.reject(new StanzaError(el));
          }
          return;
        }
        const payload = el.firstElementChild;
        if (payload && payload.namespaceURI === NS.ping && payload.localName === "ping") {
          this.send(xml("iq", { xmlns: NS.client, type: "result", id: a("id"), to: a("from") || undefined }));
          return;
        }
        if (this._emit("iq", { element: el, from: a("from"), id: a("id"), type })) {
          // No listener took it: RFC 6120 §8.4 wants an answer.
          this.send(xml("iq", { xmlns: NS.client, type: "error", id: a("id"), to: a("from") || undefined },
            xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: NS.stanzas }))));
        }
        break;
      }
    }
  }

  _failWaiters(t, err) {
    for (const w of this._waiters.filter((x) => x.t === t)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this._waiters = this._waiters.filter((x) => x.t !== t);
  }

  _closed(t, err) {
    this._failWaiters(t, err || new Error("the connection closed"));
    if (this._t !== t) return;
    this._t = null;
    for (const [, p] of this._iqs) {
      clearTimeout(p.timer);
      p.reject(new Error("disconnected"));
    }
    this._iqs.clear();
    if (this.status !== "online") return; // a login in progress reports its own failure
    const noRetry = t.streamError === "conflict" || t.streamError === "not-authorized";
    if (this._wanted && this.reconnect && !noRetry) {
      this._setStatus("reconnecting", { error: err ? err.message : t.streamError || "" });
      this._scheduleRetry();
    } else {
      this._wanted = false;
      this._setStatus("offline", { error: err ? err.message : t.streamError || "" });
    }
  }

  _scheduleRetry() {
    const delay = Math.min(30000, 1000 * 2 ** this._retry) * (0.75 + Math.random() / 2);
    this._retry = Math.min(this._retry + 1, 5);
    this._retryTimer = setTimeout(async () => {
      if (!this._wanted) return;
      try {
        await this._login();
      } catch (err) {
        if (!this._wanted) return;
        if (err.auth && !err.retryable) {
          this._wanted = false;
          this._setStatus("offline", { error: err.message });
          return;
        }
        this._setStatus("reconnecting", { error: err.message });
        this._scheduleRetry();
      }
    }, delay);
  }

  // send sends raw XML (an xml() value or a string); while reconnecting it
  // is queued (at most 100 stanzas) and sent once online again.
  send(data) {
    if (this._t && this.status === "online") {
      this._t.send(data);
      return true;
    }
    if (this._wanted && this._queue.length < 100) {
      this._queue.push(data);
      return true;
    }
    return false;
  }

  // sendMessage sends a message with a body (and a chat state, if given:
  // opts.state) and returns its id. opts.extra is more xml() children.
  sendMessage(to, body, opts) {
    const o = opts || {};
    const id = o.id || randomID();
    this.send(xml("message", { xmlns: NS.client, to, type: o.type || "chat", id },
      body ? xml("body", {}, body) : null,
      o.subject ? xml("subject", {}, o.subject) : null,
      o.state ? xml(o.state, { xmlns: NS.chatstates }) : null,
      o.extra || null));
    return id;
  }

  // sendChatState sends a standalone chat state notification (XEP-0085):
  // active, composing, paused, inactive or gone.
  sendChatState(to, state, type) {
    this.send(xml("message", { xmlns: NS.client, to, type: type || "chat", id: randomID() }, xml(state, { xmlns: NS.chatstates })));
  }

  // sendPresence sends presence: {} is initial presence; to, type, show,
  // status, priority and extra (xml()) as given.
  sendPresence(p) {
    const o = p || {};
    this.send(xml("presence", { xmlns: NS.client, to: o.to, type: o.type },
      o.show ? xml("show", {}, o.show) : null,
      o.status ? xml("status", {}, o.status) : null,
      o.priority !== undefined ? xml("priority", {}, String(o.priority)) : null,
      o.extra || null));
  }

  // iq sends an iq get or set with one payload (an xml() value) and
  // resolves with the result element, or rejects with a StanzaError.
  iq(type, to, payload, opts) {
    const id = randomID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._iqs.delete(id);
        reject(new Error("iq " + id + ": no answer"));
      }, (opts && opts.timeout) || this.timeout);
      this._iqs.set(id, { resolve, reject, timer });
      if (!this.send(xml("iq", { xmlns: NS.client, type, id, to: to || undefined }, payload))) {
        clearTimeout(timer);
        this._iqs.delete(id);
        reject(new Error("not connected"));
      }
    });
  }

  // disconnect ends the session (unavailable presence, stream close) and
  // stops reconnecting.
  async disconnect() {
    this._wanted = false;
    clearTimeout(this._retryTimer);
    const t = this._t;
    this._t = null;
    if (t) {
      if (t.kind === "websocket") t.send(xml("presence", { xmlns: NS.client, type: "unavailable" }));
      t.close();
    }
    this._setStatus("offline");
  }
}
