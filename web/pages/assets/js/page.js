// page.js: small helpers every Parley page uses (ES module, no dependencies).
//
//   import { config, post, h, announce } from "/assets/js/page.js";
//   const cfg = config();                  // the page's View.Config (JSON on <body data-config>)
//   const res = await post("/path", { a: 1 }); // same-origin POST with the CSRF token (form-encoded)
//   csrf()                                 // the token itself (data-csrf on <body>)
//   list.append(h("li", { class: "mine" }, "text")); // build elements; strings are text, never HTML
//   announce("Alice is typing");           // tell screen readers, politely
"use strict";

let cached = null;

// config returns the page's configuration object ({} when none).
export function config() {
  if (cached === null) {
    const raw = document.body ? document.body.dataset.config : "";
    cached = raw ? JSON.parse(raw) : {};
  }
  return cached;
}

// csrf returns the page's CSRF token (data-csrf on <body>, set by Render).
export function csrf() {
  return (document.body && document.body.dataset.csrf) || "";
}

// post sends a same-origin POST with the page's CSRF token as
// X-CSRF-Token; fields are form-encoded. It
// resolves with the Response (the caller checks res.ok).
export function post(url, fields) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields || {})) body.append(k, String(v));
  return fetch(url, {
    method: "POST",
    body,
    credentials: "same-origin",
    cache: "no-store",
    headers: { "X-CSRF-Token": csrf() },
  });
}

// h builds an element: attrs are attributes (class, id, aria-*, data-*;
// on* handlers are refused), children are nodes or text.
export function h(name, attrs, ...children) {
  const el = document.createElement(name);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) throw new Error("h: use addEventListener, not " + k);
    el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let region = null;

// announce reads text to screen reader users through a polite live
// region (created on first use).
export function announce(text) {
  if (!region) {
    region = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  region.textContent = "";
  // A separate task, so that the same text twice is announced twice.
  setTimeout(() => { region.textContent = text; }, 50);
}
