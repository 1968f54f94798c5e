// room.js: a Parley conference's room protocol over the shared XMPP module,
// without any page (the conference page is one view of it; audio, video and
// screen sharing can attach to the same room later).
//
//   import { ConferenceRoom } from "/assets/conference/room.js";
//   const room = new ConferenceRoom({ room, domain, username, password, nick, key });
//   room.addEventListener("participant", (e) => e.detail); // {nick, role, affiliation, show, status, self, gone}
//   room.addEventListener("message", (e) => e.detail);     // {nick, body, at, delayed, self}
//   room.addEventListener("link", (e) => e.detail);        // {nick, url, title, at, delayed}
//   room.addEventListener("hand", (e) => e.detail);        // {nick, raised}
//   room.addEventListener("subject", (e) => e.detail);     // {subject}: the conference's title
//   room.addEventListener("ended", (e) => e.detail);       // {reason, kicked}: the room is gone, or we were removed
//   room.addEventListener("status", (e) => e.detail);      // the XMPP client's status
//   await room.join();            // rejects with .condition (e.g. "not-authorized") when refused
//   room.say("hello"); room.shareLink("https://…", "slides"); room.raiseHand(true);
//   await room.kick("Bob");       // moderators: remove a participant
//   await room.destroy("done");   // owners: end the room
//   await room.leave();
//
// A conference's room is conf<ID>@conference.<domain>; the server admits by
// the conference's rules (the conference key goes as the room password).
"use strict";

import { Client, NS as XNS, xml } from "/assets/js/xmpp.js";

export const NS = {
  muc: "http://jabber.org/protocol/muc",
  mucUser: "http://jabber.org/protocol/muc#user",
  mucAdmin: "http://jabber.org/protocol/muc#admin",
  mucOwner: "http://jabber.org/protocol/muc#owner",
  oob: "jabber:x:oob",
  conference: "urn:parley-im:conference:0",
  delay: "urn:xmpp:delay",
};

function child(el, ns, name) {
  for (const c of el.children) {
    if (c.localName === name && (!ns || c.namespaceURI === ns)) return c;
  }
  return null;
}

function text(el, ns, name) {
  const c = child(el, ns, name);
  return c ? c.textContent : "";
}

// codes returns the MUC status codes of a presence or message.
function codes(el) {
  const x = child(el, NS.mucUser, "x");
  if (!x) return [];
  return Array.from(x.children).filter((c) => c.localName === "status").map((c) => c.getAttribute("code"));
}

// JoinError is a refused entry: condition is the stanza error condition.
export class JoinError extends Error {
  constructor(condition, message) {
    super(message || condition);
    this.condition = condition;
  }
}

export class ConferenceRoom extends EventTarget {
  constructor(opts) {
    super();
    this.room = opts.room;
    this.nick = opts.nick;
    this.key = opts.key || "";
    this.client = new Client({ domain: opts.domain, username: opts.username, password: opts.password, reconnect: true,
      credentials: opts.credentials });
    this.participants = new Map(); // nick -> {nick, role, affiliation, show, status, self}
    this.joined = false;
    this._joining = null;
    this.client.addEventListener("presence", (e) => this._presence(e.detail));
    this.client.addEventListener("message", (e) => this._message(e.detail));
    this.client.addEventListener("status", (e) => {
      this._emit("status", e.detail);
      // Back online after a drop: enter again (the room saw us leave).
      if (e.detail.status === "online" && this.joined) this._sendJoin(0);
    });
  }

  _emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  // join logs in and enters the room; resolves once we are in.
  async join() {
    await this.client.connect();
    this.client.sendPresence({});
    return new Promise((resolve, reject) => {
      this._joining = { resolve, reject };
      this._sendJoin(50);
    });
  }

  _sendJoin(history) {
    this.client.send(xml("presence", { xmlns: XNS.client, to: this.room + "/" + this.nick },
      xml("x", { xmlns: NS.muc }, this.key ? xml("password", {}, this.key) : null, xml("history", { maxstanzas: String(history) }))));
  }

  _presence(p) {
    const from = p.from;
    if (!from.startsWith(this.room + "/")) return;
    const nick = from.slice(this.room.length + 1);
    const el = p.element;
    const cs = codes(el);
    if (p.type === "error") {
      if (this._joining) {
        const err = new JoinError(this._condition(el), text(child(el, "", "error") || el, "urn:ietf:params:xml:ns:xmpp-stanzas", "text"));
        const j = this._joining;
        this._joining = null;
        this.client.disconnect();
        j.reject(err);
      }
      return;
    }
    const x = child(el, NS.mucUser, "x");
    const item = x ? child(x, NS.mucUser, "item") : null;
    const self = cs.includes("110") || (this.joined && nick === this.nick);
    if (p.type === "unavailable") {
      const destroyed = x && child(x, NS.mucUser, "destroy");
      if (cs.includes("303") && item) {
        // A nick change: the new presence follows.
        const was = this.participants.get(nick);
        this.participants.delete(nick);
        this._emit("participant", Object.assign({}, was || { nick }, { gone: true, renamedTo: item.getAttribute("nick") }));
        if (self) this.nick = item.getAttribute("nick");
        return;
      }
      this.participants.delete(nick);
      if (self || destroyed) {
        if (!this.joined && !destroyed) return;
        this.joined = false;
        const reason = destroyed ? text(destroyed, NS.mucUser, "reason") : item ? text(item, NS.mucUser, "reason") : "";
        this.client.disconnect();
        this._emit("ended", { reason, kicked: cs.includes("307"), destroyed: !!destroyed, shutdown: cs.includes("332") });
        return;
      }
      this._emit("participant", { nick, gone: true, kicked: cs.includes("307") });
      return;
    }
    const info = {
      nick, self, gone: false,
      role: item ? item.getAttribute("role") || "" : "",
      affiliation: item ? item.getAttribute("affiliation") || "" : "",
      show: p.show || "available", status: p.status || "",
    };
    this.participants.set(nick, info);
    this._emit("participant", info);
    if (self && this._joining) {
      this.joined = true;
      const j = this._joining;
      this._joining = null;
      j.resolve(info);
    }
  }

  _condition(el) {
    const e = child(el, "", "error") || child(el, XNS.client, "error");
    if (!e) return "undefined-condition";
    for (const c of e.children) {
      if (c.localName !== "text") return c.localName;
    }
    return "undefined-condition";
  }

  _message(m) {
    const inRoom = m.from === this.room || m.from.startsWith(this.room + "/");
    if (m.type === "groupchat" && inRoom && m.subject && !m.body) {
      this._emit("subject", { subject: m.subject });
      return;
    }
    if (m.type !== "groupchat" || !m.from.startsWith(this.room + "/")) return;
    const nick = m.from.slice(this.room.length + 1);
    const el = m.element;
    const at = m.delay ? new Date(m.delay) : new Date();
    const delayed = !!m.delay;
    const self = nick === this.nick;
    const oob = child(el, NS.oob, "x");
    if (oob && text(oob, NS.oob, "url")) {
      this._emit("link", { nick, url: text(oob, NS.oob, "url").trim(), title: text(oob, NS.oob, "desc") || m.body, at, delayed, self });
      return;
    }
    const hand = child(el, NS.conference, "hand");
    if (hand) {
      if (!delayed) this._emit("hand", { nick, raised: hand.getAttribute("raised") !== "false", self });
      return;
    }
    if (m.body) this._emit("message", { nick, body: m.body, at, delayed, self });
  }

  say(body) {
    this.client.sendMessage(this.room, body, { type: "groupchat" });
  }

  // shareLink shares a link (XEP-0066 out-of-band data with a readable
  // body), which the conference records as a shared link.
  shareLink(url, title) {
    this.client.sendMessage(this.room, title ? title + ": " + url : url, {
      type: "groupchat", extra: xml("x", { xmlns: NS.oob }, xml("url", {}, url), title ? xml("desc", {}, title) : null),
    });
  }

  // raiseHand raises or lowers our hand: a groupchat message without a
  // body, which every participant's page shows and the timeline records.
  raiseHand(raised) {
    this.client.send(xml("message", { xmlns: XNS.client, to: this.room, type: "groupchat" },
      xml("hand", { xmlns: NS.conference, raised: raised ? "true" : "false" }),
      xml("no-store", { xmlns: "urn:xmpp:hints" })));
  }

  // kick removes a participant (a moderator's right, XEP-0045 §8.2).
  kick(nick, reason) {
    return this.client.iq("set", this.room, xml("query", { xmlns: NS.mucAdmin },
      xml("item", { nick, role: "none" }, reason ? xml("reason", {}, reason) : null)));
  }

  // destroy ends the room (its owner's right, §10.9): the conference ends.
  destroy(reason) {
    return this.client.iq("set", this.room, xml("query", { xmlns: NS.mucOwner },
      xml("destroy", {}, reason ? xml("reason", {}, reason) : null)));
  }

  async leave() {
    this.joined = false;
    this.client.send(xml("presence", { xmlns: XNS.client, to: this.room + "/" + this.nick, type: "unavailable" }));
    await this.client.disconnect();
  }
}
