// playback.js: replays a conference's timeline (joins, leaves, chat, shared
// links, raised hands) with its timestamps.
"use strict";

import { config, post, h, announce } from "/assets/js/page.js";

const cfg = config();
const $ = (id) => document.getElementById(id);
const frag = new URLSearchParams(location.hash.slice(1));
const secret = frag.get("t") || "";
let ck = frag.get("ck") || "";
let events = [];
let started = null;
let timer = null;

function setStatus(text, state) {
  $("status").textContent = text;
  $("status").dataset.state = state;
}

function safeURL(u) {
  try {
    const url = new URL(u);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : "";
  } catch (err) {
    return "";
  }
}

// offset is "+mm:ss" (or "+h:mm:ss") from the conference's start.
function offset(at) {
  let s = Math.max(0, Math.round((at - started) / 1000));
  const hh = Math.floor(s / 3600);
  s -= hh * 3600;
  const mm = String(Math.floor(s / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return "+" + (hh ? hh + ":" : "") + mm + ":" + ss;
}

function describe(e) {
  switch (e.kind) {
    case "start": return [`The conference started: ${e.nick}, the host, arrived.`];
    case "join": return [`${e.nick} joined${e.text === "host" ? " (host)" : e.text === "guest" ? " (guest)" : ""}.`];
    case "leave": return [`${e.nick} left.`];
    case "rename": return [`${e.nick} is now ${e.text}.`];
    case "chat": return [h("span", { class: "who" }, e.nick + ":"), " ", e.text];
    case "hand": return [`${e.nick} ${e.text === "up" ? "raised" : "lowered"} a hand.`];
    case "end": return [`The conference ended (${e.text}).`];
    case "link": {
      const url = safeURL(e.text);
      return [`${e.nick} shared `, url ? h("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, url) : e.text, "."];
    }
  }
  return [`${e.kind} ${e.nick || ""} ${e.text || ""}`];
}

function item(e) {
  const at = new Date(e.at);
  return h("li", { "data-kind": e.kind, "data-seq": String(e.seq) },
    h("time", { datetime: at.toISOString(), title: at.toLocaleString() }, offset(at)), " ", ...describe(e));
}

function showAll() {
  clearTimeout(timer);
  const list = $("timeline");
  list.replaceChildren(...events.map(item));
}

function replay() {
  clearTimeout(timer);
  const list = $("timeline");
  list.replaceChildren();
  const speed = Number($("speed").value) || 1;
  let i = 0;
  const next = () => {
    if (i >= events.length) {
      announce("The replay is over.");
      return;
    }
    list.append(item(events[i]));
    const here = new Date(events[i].at);
    i++;
    const wait = i < events.length ? Math.min(5000, (new Date(events[i].at) - here) / speed) : 0;
    timer = setTimeout(next, Math.max(0, wait));
  };
  next();
}

async function load() {
  events = [];
  let after = 0;
  for (;;) {
    const res = await post(`/conference/${encodeURIComponent(cfg.id)}/timeline`, { t: secret, ck, after });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error(body.error || "The timeline could not be loaded.");
      err.keyRequired = res.status === 403 && body.keyRequired;
      throw err;
    }
    started = new Date(body.started);
    $("title").textContent = body.title;
    events.push(...body.events);
    if (!body.more || body.events.length === 0) {
      const state = body.state === "ended" ? `It ended (${body.endCause}).` : "It has not ended yet.";
      return `${events.length} events. ${state}`;
    }
    after = body.events[body.events.length - 1].seq;
  }
}

async function start() {
  try {
    const summary = await load();
    $("key-form").classList.add("hidden");
    setStatus(summary, "active");
    $("controls").classList.remove("hidden");
    showAll();
  } catch (err) {
    setStatus(err.message, "ended");
    if (err.keyRequired) {
      $("key-form").classList.remove("hidden");
      $("confkey").focus();
    }
  }
}

$("key-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  ck = $("confkey").value;
  start();
});
$("replay-button").addEventListener("click", replay);
$("all-button").addEventListener("click", showAll);
start();
