// status.js: /me/status. While the page is open it is one of the user's
// XMPP sessions; the status chosen here is sent as its presence.
import { connect, bare, SHOW, LABEL, stateOf } from "/assets/me/session.js";
import { announce, h } from "/assets/js/page.js";

const { client, cfg } = connect("status");
const $ = (id) => document.getElementById(id);
const line = $("connection");
const form = $("status-form");
const button = $("status-set");
const devices = new Map(); // full JID -> text

function chosen() {
  const st = (form.querySelector("input[name=state]:checked") || {}).value || "online";
  return { state: st, message: $("status-message").value.trim() };
}

function send() {
  const c = chosen();
  client.sendPresence({ show: SHOW[c.state] || undefined, status: c.message || undefined });
  line.dataset.state = "online";
  line.textContent = "Your status: " + LABEL[c.state] + (c.message ? " · “" + c.message + "”" : "");
  return c;
}

function showDevices() {
  const list = $("devices");
  list.replaceChildren();
  if (!devices.size) list.append(h("li", {}, "None connected."));
  for (const [jid, text] of devices) list.append(h("li", { "data-jid": jid }, jid.slice(jid.indexOf("/") + 1) + ": " + text));
}

client.addEventListener("status", (e) => {
  const st = e.detail.status;
  if (st === "online") {
    button.disabled = false;
    send();
  } else {
    button.disabled = true;
    line.dataset.state = st === "offline" ? "offline" : "connecting";
    line.textContent = st === "offline" ? "Disconnected" + (e.detail.error ? ": " + e.detail.error : "") + ". Reload the page to connect again." : "Connecting…";
  }
});

client.addEventListener("presence", (e) => {
  const p = e.detail;
  if (bare(p.from) !== cfg.jid || p.from === client.jid) return;
  if (p.type === "unavailable") devices.delete(p.from);
  else if (p.type === "available") devices.set(p.from, LABEL[stateOf(p.type, p.show)] + (p.status ? " · “" + p.status + "”" : ""));
  showDevices();
});

form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (button.disabled) return;
  const c = send();
  announce("Status set to " + LABEL[c.state]);
});

client.connect().catch(() => {});
