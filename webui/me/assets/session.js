// session.js: the XMPP session of a self-service page. It logs the
// signed-in user in with xmpp.js and single-use tickets (SASL OAUTHBEARER)
// from POST /session/ticket, so the browser never holds the password; a
// reconnection asks for a fresh ticket.
import { Client } from "/assets/js/xmpp.js";
import { config, post } from "/assets/js/page.js";

export function connect(purpose) {
  const cfg = config();
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, "0")).join("");
  const client = new Client({
    domain: cfg.domain,
    resource: "web-" + purpose + "-" + suffix,
    credentials: async () => {
      const res = await post(cfg.ticket, {});
      if (res.status === 401) {
        location.assign("/signin?next=" + encodeURIComponent(location.pathname + location.search));
        throw Object.assign(new Error("signed out"), { auth: true });
      }
      if (!res.ok) throw new Error("no ticket: HTTP " + res.status);
      return { ticket: (await res.json()).ticket };
    },
  });
  return { client, cfg };
}

// bare returns the bare JID of a JID.
export function bare(j) {
  const i = String(j || "").indexOf("/");
  return i < 0 ? String(j || "") : j.slice(0, i);
}

export const SHOW = { online: "", busy: "dnd", away: "away" };

// stateOf maps presence to the portal's four states.
export function stateOf(type, show) {
  if (type === "unavailable") return "offline";
  if (show === "dnd") return "busy";
  if (show === "away" || show === "xa") return "away";
  return "online";
}

export const LABEL = { online: "Online", busy: "Busy", away: "Away", offline: "Offline" };
