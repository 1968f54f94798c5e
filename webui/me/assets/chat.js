// chat.js: /me/chat?with=JID, the web chat the presence widget opens for
// signed-in viewers: messages and typing with one contact, and their
// presence, over the user's own XMPP session (ticket login).
import { connect, bare, LABEL, stateOf } from "/assets/me/session.js";
import { h, announce } from "/assets/js/page.js";

const { client, cfg } = connect("chat");
const $ = (id) => document.getElementById(id);
const statusEl = $("status");
const list = $("messages");
const text = $("text");
const send = $("send");
const typing = $("typing");
let composing = false;
let pause = null;

function add(kind, body, who) {
  const now = new Date();
  list.append(h("li", { class: kind, "data-from": kind === "mine" ? "me" : "them" },
    h("span", { class: "who" }, who), body, h("time", { datetime: now.toISOString() }, now.toISOString().slice(11, 16))));
  list.lastElementChild.scrollIntoView({ block: "end" });
}

client.addEventListener("status", (e) => {
  const st = e.detail.status;
  statusEl.dataset.state = st === "online" ? "active" : st === "offline" ? "offline" : "waiting";
  statusEl.textContent = st === "online" ? "Connected" : st === "offline" ? "Disconnected. Reload the page to connect again." : "Connecting…";
  send.disabled = st !== "online";
  if (st === "online") client.sendPresence({});
});

client.addEventListener("presence", (e) => {
  const p = e.detail;
  if (bare(p.from) !== cfg.with || p.type === "subscribe" || p.type === "error") return;
  const state = stateOf(p.type, p.show);
  $("peer-state").dataset.state = state;
  $("peer-status").textContent = cfg.with + " · " + LABEL[state] + (p.status ? " · “" + p.status + "”" : "");
});

client.addEventListener("message", (e) => {
  const m = e.detail;
  if (bare(m.from) !== cfg.with) return;
  if (m.state === "composing") typing.textContent = cfg.with + " is typing…";
  else if (m.state) typing.textContent = "";
  if (m.body) {
    typing.textContent = "";
    add(m.type === "error" ? "system" : "theirs", m.type === "error" ? "Not delivered: " + m.body : m.body, cfg.with);
    announce(cfg.with + ": " + m.body);
  }
});

$("composer").addEventListener("submit", (e) => {
  e.preventDefault();
  const body = text.value.trim();
  if (!body || send.disabled) return;
  client.sendMessage(cfg.with, body, { state: "active" });
  composing = false;
  add("mine", body, "You");
  text.value = "";
});

text.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("composer").requestSubmit();
  }
});

text.addEventListener("input", () => {
  if (send.disabled) return;
  if (!composing) {
    composing = true;
    client.sendChatState(cfg.with, "composing");
  }
  clearTimeout(pause);
  pause = setTimeout(() => {
    composing = false;
    client.sendChatState(cfg.with, "paused");
  }, 5000);
});

client.connect().catch(() => {});
