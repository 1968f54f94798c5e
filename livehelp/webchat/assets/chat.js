// chat.js: the live-help guest chat page (templates/chat.html). The visitor
// logs in as its guest with single-use tickets and talks to its target (a
// support group or a person): messages, typing both ways, its place in the
// queue, leave-a-message when nobody is there, the end of the chat.
import { Client } from "/assets/js/xmpp.js";
import { config, post, h, announce } from "/assets/js/page.js";

const NS = "urn:parley:livehelp:0";
const cfg = config();
const $ = (id) => document.getElementById(id);
const statusEl = $("status");
const list = $("messages");
const typing = $("typing");
const composer = $("composer");
const text = $("text");
const leave = $("leave");
const endForm = $("end");

// A reload shows this chat again from the session cookie (GET), not the
// site's request, which works only once.
history.replaceState(null, "", "/imtapp/im/chat");

let ended = false;
let targetAvailable = true;
let chatState = "idle";
let composing = false;
let pauseTimer = null;

function setStatus(state, message) {
  statusEl.dataset.state = state;
  statusEl.textContent = message;
}

function clock(date) {
  return date.toISOString().slice(11, 16);
}

// add appends a line: kind is mine (the visitor), theirs (the agent) or
// system.
function add(kind, who, body) {
  const now = new Date();
  list.append(h("li", { class: kind, "data-from": kind === "mine" ? "guest" : kind === "theirs" ? "agent" : "system" },
    kind !== "system" ? h("span", { class: "who" }, who) : null, body,
    h("time", { datetime: now.toISOString() }, clock(now))));
  list.lastElementChild.scrollIntoView({ block: "end" });
}

function waitText(seconds) {
  if (!seconds) return "any moment now";
  const minutes = Math.max(1, Math.round(seconds / 60));
  return "about " + minutes + (minutes === 1 ? " minute" : " minutes");
}

function showComposer(on) {
  const was = !composer.classList.contains("hidden");
  composer.classList.toggle("hidden", !on);
  if (on && !was) text.focus(); // the keyboard lands where the visitor writes
}

function showLeave(why) {
  $("leave-why").textContent = why;
  leave.classList.remove("hidden");
  showComposer(false);
}

// status shows what the server says about the chat.
function status(st) {
  const state = st.getAttribute("state");
  const position = Number(st.getAttribute("position") || 0);
  const wait = Number(st.getAttribute("wait") || 0);
  const was = chatState;
  chatState = state;
  switch (state) {
    case "idle":
      if (!targetAvailable) {
        setStatus("offline", "Nobody can chat right now.");
        showLeave("Nobody can chat right now. Leave a message and the team will get back to you.");
      } else {
        setStatus("idle", "Write your message to start the chat.");
        showComposer(true);
      }
      break;
    case "waiting":
      setStatus("waiting", "You are number " + position + " in the queue. Estimated wait: " + waitText(wait) + ".");
      showComposer(true);
      break;
    case "offered":
      setStatus("offered", "An agent will be with you shortly (you are number " + position + ").");
      showComposer(true);
      break;
    case "active":
      setStatus("active", "You are chatting with " + st.getAttribute("agent") + ".");
      if (was !== "active") add("system", "", st.getAttribute("agent") + " joined the chat");
      showComposer(true);
      break;
    case "transferring":
      setStatus("transferring", "You are being transferred to " + st.getAttribute("to") + "…");
      break;
    case "ended":
      ended = true;
      typing.textContent = "";
      setStatus("ended", st.getAttribute("reason") === "visitor" ? "You ended the chat." : "The chat has ended.");
      if (was !== "ended") add("system", "", "The chat has ended.");
      showComposer(false);
      break;
    case "nobody":
      setStatus("nobody", "Nobody can chat right now.");
      showLeave("Nobody can chat right now. Leave a message and the team will get back to you.");
      break;
    case "full":
      setStatus("full", "Too many visitors are waiting.");
      showLeave("Too many visitors are waiting right now. Leave a message and the team will get back to you.");
      break;
  }
  announce(statusEl.textContent);
}

const client = new Client({
  domain: cfg.domain,
  resource: "web-" + Math.random().toString(36).slice(2, 8),
  credentials: async () => {
    const res = await post(cfg.ticketURL, {});
    if (!res.ok) {
      throw Object.assign(new Error("your chat session is over: start again from the site"), { auth: true });
    }
    return { ticket: (await res.json()).ticket };
  },
});

client.addEventListener("status", (e) => {
  const d = e.detail;
  document.body.dataset.transport = d.transport || "";
  document.body.dataset.connection = d.status;
  if (d.status === "online") {
    client.sendPresence({ to: cfg.target });
  } else if (d.status === "reconnecting" && !ended) {
    setStatus("reconnecting", "The connection was lost; reconnecting…");
  } else if (d.status === "offline" && !ended) {
    setStatus("offline", "Disconnected" + (d.error ? ": " + d.error : "") + ".");
    showComposer(false);
  }
});

client.addEventListener("presence", (e) => {
  const p = e.detail;
  if (p.from.split("/")[0] !== cfg.target) return;
  targetAvailable = p.type !== "unavailable";
  document.body.dataset.target = p.type === "unavailable" ? "offline" : p.show === "away" ? "away" : "available";
});

client.addEventListener("message", (e) => {
  const m = e.detail;
  const st = m.element.getElementsByTagNameNS(NS, "status")[0];
  if (st) {
    status(st);
    return;
  }
  if (m.from.split("/")[0] !== cfg.target) return;
  const nickEl = m.element.getElementsByTagNameNS("http://jabber.org/protocol/nick", "nick")[0];
  const who = nickEl ? nickEl.textContent : cfg.targetName;
  if (m.body) {
    typing.textContent = "";
    add("theirs", who, m.body);
    announce(who + ": " + m.body);
  } else if (m.state === "composing") {
    typing.textContent = who + " is typing…";
  } else if (m.state) {
    typing.textContent = "";
  }
});

function stopComposing() {
  clearTimeout(pauseTimer);
  if (composing) {
    composing = false;
    client.sendChatState(cfg.target, "paused");
  }
}

text.addEventListener("input", () => {
  if (ended || chatState === "idle") return; // nobody to tell yet
  if (!composing && text.value.trim()) {
    composing = true;
    client.sendChatState(cfg.target, "composing");
  }
  clearTimeout(pauseTimer);
  pauseTimer = setTimeout(stopComposing, 5000);
});

text.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    composer.requestSubmit();
  }
});

composer.addEventListener("submit", (e) => {
  e.preventDefault();
  const body = text.value.trim();
  if (!body || ended) return;
  clearTimeout(pauseTimer);
  composing = false;
  client.sendMessage(cfg.target, body, { state: "active" });
  add("mine", cfg.displayName, body);
  text.value = "";
  text.focus();
});

endForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    client.sendChatState(cfg.target, "gone");
    await client.disconnect();
  } finally {
    endForm.submit();
  }
});

client.connect().catch((err) => {
  setStatus("offline", "Could not connect: " + err.message);
});
