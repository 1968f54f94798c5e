// conference.js: the conference page (host and attendee views) over room.js.
"use strict";

import { config, post, h, announce } from "/assets/js/page.js";
import { ConferenceRoom } from "/assets/conference/room.js";

const cfg = config();
const $ = (id) => document.getElementById(id);
const key = new URLSearchParams(location.hash.slice(1)).get("key") || "";
let info = null; // describe's answer
let room = null;
let hand = false;
let locked = false;

const conditions = {
  "not-authorized": "The conference key is wrong, or missing.",
  "registration-required": "Only the people the host invited may join this conference.",
  "not-allowed": "The conference is not open now.",
  forbidden: "You may not join this conference.",
  conflict: "Someone in the conference already uses that name: choose another.",
  "service-unavailable": "The conference is full.",
};

function setStatus(textValue, state) {
  const s = $("status");
  s.textContent = textValue;
  s.dataset.state = state;
}

function fmtTime(d) {
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function safeURL(u) {
  try {
    const url = new URL(u);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : "";
  } catch (err) {
    return "";
  }
}

async function describe() {
  const res = await post(`/conference/${encodeURIComponent(cfg.id)}/describe`, key ? { key } : {});
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || "The conference could not be loaded.");
  return body;
}

function showJoin() {
  const you = info.you;
  const who = $("who");
  if (info.state === "ended") {
    who.textContent = "This conference is over.";
    return;
  }
  const host = you && you.role === "host";
  if (you && you.guest) {
    // Invited without an account (or the host of an instant conference):
    // the link itself lets them in, by name.
    who.textContent = `You are invited as ${you.name}${host ? ", the host" : ""}.`;
    $("guest-title").textContent = "Join";
    $("guest-name").value = you.name;
    $("guest-key-row").classList.toggle("hidden", host || !info.keyRequired);
    $("guest-form").classList.remove("hidden");
    $("guest-name").focus();
    return;
  }
  if (you) {
    who.textContent = `You are invited as ${you.name}${host ? ", the host" : ""}: log in as ${you.userID} to join.`;
    $("username").value = you.local || you.userID;
    $("username").readOnly = true;
    $("nick").value = you.name;
  } else {
    who.textContent = info.invitedOnly
      ? "Only invited users may join: log in with your account."
      : info.enrollment
        ? "Log in with your account and give the conference key to enrol and join."
        : info.guestsAllowed
          ? "Log in with your account to join, or join as a guest with your name."
          : "Log in with your account to join.";
    if (info.guestsAllowed) {
      $("guest-key-row").classList.toggle("hidden", !info.keyRequired);
      $("guest-form").classList.remove("hidden");
    }
  }
  $("key-row").classList.toggle("hidden", !info.keyRequired);
  $("confkey").required = info.keyRequired;
  $("login-form").classList.remove("hidden");
  (you ? $("password") : $("username")).focus();
}

function participantItem(p) {
  const li = h("li", { "data-nick": p.nick, "data-show": p.show, "data-role": p.role },
    h("span", { class: "presence", "aria-hidden": "true" }),
    h("span", { class: "nick" }, p.nick),
    p.role === "moderator" ? h("span", { class: "badge" }, "host") : null,
    h("span", { class: "visually-hidden" }, ` (${p.show})`),
    h("span", { class: "hand badge hidden" }, "hand raised"));
  if (p.self) li.classList.add("self");
  const me = room && room.participants.get(room.nick);
  if (me && me.role === "moderator" && !p.self) {
    const b = h("button", { type: "button", class: "secondary small", "aria-label": `Remove ${p.nick}` }, "Remove");
    b.addEventListener("click", async () => {
      try {
        await room.kick(p.nick, "removed by the host");
      } catch (err) {
        announce(`Could not remove ${p.nick}: ${err.message}`);
      }
    });
    li.append(b);
  }
  return li;
}

function renderParticipant(p) {
  const list = $("participants");
  const old = list.querySelector(`li[data-nick="${CSS.escape(p.nick)}"]`);
  if (p.gone) {
    if (old) old.remove();
    if (!p.renamedTo) announce(p.kicked ? `${p.nick} was removed` : `${p.nick} left`);
  } else {
    const li = participantItem(p);
    if (old) {
      li.querySelector(".hand").classList.toggle("hidden", old.querySelector(".hand").classList.contains("hidden"));
      old.replaceWith(li);
    } else {
      list.append(li);
      if (!p.self && room.joined) announce(`${p.nick} joined`);
    }
  }
  $("people-count").textContent = `(${list.children.length})`;
}

function addMessage(m, cls) {
  const list = $("messages");
  const li = h("li", { class: [m.self ? "mine" : "", m.delayed ? "history" : "", cls || ""].join(" ").trim() },
    h("span", { class: "who" }, m.nick), m.body, h("time", { datetime: m.at.toISOString() }, fmtTime(m.at)));
  list.append(li);
  list.scrollTop = list.scrollHeight;
}

function addLink(l) {
  const url = safeURL(l.url);
  if (!url) return;
  const a = h("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, l.title && l.title !== url ? l.title : url);
  $("links").append(h("li", {}, a, " ", h("span", { class: "who" }, `shared by ${l.nick}`)));
  addMessage({ nick: l.nick, body: `shared a link: ${url}`, at: l.at, delayed: l.delayed, self: l.self }, "system");
}

function showHand(nick, raised) {
  const li = $("participants").querySelector(`li[data-nick="${CSS.escape(nick)}"]`);
  if (li) li.querySelector(".hand").classList.toggle("hidden", !raised);
  announce(raised ? `${nick} raised a hand` : `${nick} lowered a hand`);
}

function ended(textValue) {
  $("room").classList.add("hidden");
  $("join").classList.add("hidden");
  $("ended").classList.remove("hidden");
  $("ended-text").textContent = textValue;
  const exit = safeURL(info && info.exitURL);
  if (exit) {
    const a = $("exit-link");
    a.href = exit;
    a.classList.remove("hidden");
  }
  setStatus("The conference has ended", "ended");
  $("ended-title").focus?.();
}

// enrol enrols a user who was not invited in a conference that takes
// enrolment: a session token proves who they are (createSession), the
// conference key that they may.
async function enrol(username, password, confKey) {
  const api = (op, params) => fetch("/api/v1/AuthenticationService/" + op, {
    method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit",
    body: JSON.stringify(params),
  });
  const res = await api("createSession", { param0: username, param1: password, param2: "USER" });
  if (!res.ok) throw new Error("The user name or password is wrong.");
  const token = (await res.json()).token;
  try {
    const r = await post(`/conference/${encodeURIComponent(cfg.id)}/enrol`, { token, key: confKey });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.error || "You could not be enrolled.");
  } finally {
    api("endSession", { param0: username, param1: token }).catch(() => {});
  }
}

// enter joins the conference's room with room options, wiring the view;
// it throws what the room refused.
async function enter(opts) {
  room = new ConferenceRoom(Object.assign({ room: info.room }, opts));
  room.addEventListener("participant", (e) => renderParticipant(e.detail));
  room.addEventListener("message", (e) => addMessage(e.detail));
  room.addEventListener("link", (e) => addLink(e.detail));
  room.addEventListener("hand", (e) => showHand(e.detail.nick, e.detail.raised));
  room.addEventListener("subject", (e) => {
    // The room tells its occupants the conference's title.
    if (e.detail.subject) {
      $("title").textContent = e.detail.subject;
      document.title = e.detail.subject + " · Parley";
    }
  });
  room.addEventListener("ended", (e) => {
    const d = e.detail;
    if (d.kicked) ended("The host removed you from the conference.");
    else if (d.destroyed) ended(d.reason || "The host ended the conference.");
    else if (d.shutdown) ended("The server is restarting; join again in a moment.");
    else ended("You left the conference.");
  });
  room.addEventListener("status", (e) => {
    if (e.detail.status === "reconnecting") setStatus("Connection lost; reconnecting…", "waiting");
    if (e.detail.status === "online" && room.joined) setStatus("In the conference", "active");
  });
  const me = await room.join();
  $("password").value = "";
  $("join").classList.add("hidden");
  $("room").classList.remove("hidden");
  const host = (info.you && info.you.role === "host") || me.role === "moderator";
  $("host-controls").classList.toggle("hidden", !host);
  $("lock-button").classList.toggle("hidden", !(info.you && info.you.role === "host"));
  // Re-render the list now that we know whether we may remove people.
  for (const p of room.participants.values()) renderParticipant(p);
  setStatus(host ? "You are in the conference, as its host" : "You are in the conference", "active");
  $("chat-input").focus();
  const start = safeURL(info.startURL);
  if (start) addMessage({ nick: "Conference", body: `Information: ${start}`, at: new Date() }, "system");
}

function refusal(err) {
  if (err.condition) return conditions[err.condition] || `Refused: ${err.condition}`;
  return /authentication failed/.test(err.message) ? "The user name or password is wrong." : err.message;
}

async function join(ev) {
  ev.preventDefault();
  const btn = $("join-button");
  btn.disabled = true;
  $("join-error").textContent = "";
  const username = $("username").value.trim();
  try {
    if (info.enrollment && !info.you) {
      await enrol(username.includes("@") ? username : username + "@" + info.domain, $("password").value, $("confkey").value);
    }
    await enter({
      domain: info.domain, username, password: $("password").value,
      nick: $("nick").value.trim(), key: info.you && info.you.role === "host" ? "" : $("confkey").value,
    });
  } catch (err) {
    btn.disabled = false;
    $("join-error").textContent = refusal(err);
  }
}

// joinAsGuest gets a guest's pass (by the link's key, or by name where
// guests are welcome) and logs in with its ticket.
async function joinAsGuest(ev) {
  ev.preventDefault();
  const btn = $("guest-button");
  btn.disabled = true;
  $("join-error").textContent = "";
  try {
    const res = await post(`/conference/${encodeURIComponent(cfg.id)}/guest`, {
      key, confkey: $("guest-key").value, name: $("guest-name").value.trim(),
    });
    const pass = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(pass.error || "You could not join as a guest.");
    await enter({ domain: pass.domain, credentials: async () => ({ ticket: pass.ticket }), nick: pass.name });
  } catch (err) {
    btn.disabled = false;
    $("join-error").textContent = refusal(err);
  }
}

async function hostPost(action, fields) {
  const res = await post(`/conference/${encodeURIComponent(cfg.id)}/${action}`, Object.assign({ key }, fields || {}));
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

function wire() {
  $("login-form").addEventListener("submit", join);
  $("guest-form").addEventListener("submit", joinAsGuest);
  $("chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("chat-input");
    const body = input.value.trim();
    if (!body || !room) return;
    room.say(body);
    input.value = "";
  });
  $("chat-input").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      $("chat-form").requestSubmit();
    }
  });
  $("link-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const url = safeURL($("link-input").value.trim());
    if (!url) {
      announce("Only http and https links can be shared.");
      return;
    }
    room.shareLink(url);
    $("link-input").value = "";
  });
  $("hand-button").addEventListener("click", () => {
    hand = !hand;
    room.raiseHand(hand);
    $("hand-button").setAttribute("aria-pressed", String(hand));
    $("hand-button").textContent = hand ? "Lower hand" : "Raise hand";
  });
  $("leave-button").addEventListener("click", async () => {
    await room.leave();
    ended("You left the conference.");
  });
  $("lock-button").addEventListener("click", async () => {
    try {
      const r = await hostPost("lock", { locked: String(!locked) });
      locked = r.locked;
      $("lock-button").setAttribute("aria-pressed", String(locked));
      $("lock-button").textContent = locked ? "Unlock the conference" : "Lock the conference";
      announce(locked ? "The conference is locked: nobody else may enter" : "The conference is open again");
    } catch (err) {
      announce("Could not change the lock: " + err.message);
    }
  });
  $("end-button").addEventListener("click", async () => {
    if (!confirm("End the conference for everyone?")) return;
    try {
      if (key) await hostPost("end");
      else await room.destroy("The host ended the conference.");
    } catch (err) {
      announce("Could not end the conference: " + err.message);
    }
  });
}

// showDetails shows what describe told of the conference (its title and
// times are not in the page itself unless it is publicly listed).
function showDetails() {
  $("title").textContent = info.title;
  document.title = info.title + " · Parley";
  $("description").textContent = info.description || "";
  if (info.start && !info.start.startsWith("0001")) {
    const start = new Date(info.start);
    const end = new Date(info.end);
    const opts = { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
    $("when").replaceChildren(h("time", { datetime: start.toISOString() }, start.toLocaleString([], opts)), " to ",
      h("time", { datetime: end.toISOString() }, end.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
  }
}

async function main() {
  wire();
  try {
    info = await describe();
  } catch (err) {
    $("who").textContent = err.message;
    setStatus("This link does not open the conference", "ended");
    return;
  }
  showDetails();
  setStatus(info.status, info.state === "in_progress" ? "active" : info.state === "ended" ? "ended" : "waiting");
  showJoin();
}

main();
