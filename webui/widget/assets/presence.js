/* Parley presence widget (seed 000). One line in a page:
 *
 *   <script src="https://HOST/widget/presence.js" defer></script>
 *
 * and every element with data-parley-jid="user@domain" gets a presence icon:
 * a button whose data-parley-state is online, busy, away or offline; hover or
 * focus shows the status message (or the state), click or Enter opens a menu
 * (Send instant message, Send mail, Call; entries without data are left out).
 * An element may also carry data-parley-presence-url, the site's signed
 * presence URL (/imtapp/Presence?...&K1=...), to show what that URL allows.
 *
 * No dependency, no inline style or script (works under the page's CSP: SVG
 * icons, styles set through the CSSOM), no cookies of the page. Viewers signed
 * in to Parley get live updates over one WebSocket; others poll each user at
 * most once a minute (the server's cache headers and ETags make a poll of an
 * unchanged presence cheap). window.ParleyPresence.scan() picks up elements
 * added later (a MutationObserver does it too). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.ParleyPresence) return;
  var base = new URL(script.src, location.href).origin;
  var POLL = 60000;
  var SVG = "http://www.w3.org/2000/svg";
  var LABELS = { online: "Online", busy: "Busy", away: "Away", offline: "Offline" };
  var COLORS = { online: "#1d7a3a", busy: "#b3261e", away: "#b36b00", offline: "#8a909a" };
  var jidRE = /^[^\s@\/<>"']+@[^\s@\/<>"']+$/;

  var users = {}; // bare JID -> { view, icons: [], timer, signed: url }
  var live = null; // the WebSocket while signed in
  var viewer = "";
  var mode = "starting"; // starting, live, poll
  var uid = 0;
  var openMenu = null;

  function css(el, props) {
    for (var k in props) el.style[k] = props[k];
    return el;
  }

  function svg(name, attrs) {
    var el = document.createElementNS(SVG, name);
    for (var k in attrs) el.setAttribute(k, attrs[k]);
    return el;
  }

  // drawIcon draws the seed's icons: a green dot, a red no-entry sign, an
  // amber clock, a grey crossed circle.
  function drawIcon(g, state) {
    while (g.firstChild) g.removeChild(g.firstChild);
    var c = COLORS[state] || COLORS.offline;
    if (state === "offline") {
      g.appendChild(svg("circle", { cx: 8, cy: 8, r: 6.5, fill: "#ffffff", stroke: c, "stroke-width": 2 }));
      g.appendChild(svg("path", { d: "M5.5 5.5l5 5M10.5 5.5l-5 5", stroke: c, "stroke-width": 1.8, "stroke-linecap": "round" }));
      return;
    }
    g.appendChild(svg("circle", { cx: 8, cy: 8, r: 7.5, fill: c }));
    if (state === "busy") g.appendChild(svg("rect", { x: 3.5, y: 6.8, width: 9, height: 2.4, rx: 0.6, fill: "#ffffff" }));
    if (state === "away") g.appendChild(svg("path", { d: "M8 4v4.5l3 1.8", stroke: "#ffffff", "stroke-width": 1.6, fill: "none", "stroke-linecap": "round" }));
  }

  function chatURL(jid) {
    return viewer ? base + "/me/chat?with=" + encodeURIComponent(jid) : "xmpp:" + jid + "?message";
  }

  // ---- one icon ----

  function Icon(host, jid) {
    var id = "parley-p" + ++uid;
    this.jid = jid;
    this.host = host;
    var b = (this.button = document.createElement("button"));
    b.type = "button";
    b.className = "parley-presence";
    b.setAttribute("aria-haspopup", "menu");
    b.setAttribute("aria-expanded", "false");
    b.setAttribute("aria-describedby", id + "-tip");
    b.setAttribute("aria-controls", id + "-menu");
    css(b, { display: "inline-flex", alignItems: "center", justifyContent: "center", width: "20px", height: "20px", padding: "0",
      margin: "0 .25em", border: "0", borderRadius: "50%", background: "transparent", cursor: "pointer", verticalAlign: "middle",
      position: "relative", font: "inherit" });
    var s = svg("svg", { width: 16, height: 16, viewBox: "0 0 16 16", "aria-hidden": "true", focusable: "false" });
    this.g = svg("g", {});
    s.appendChild(this.g);
    b.appendChild(s);
    var tip = (this.tip = document.createElement("span"));
    tip.id = id + "-tip";
    tip.className = "parley-presence-tooltip";
    tip.setAttribute("role", "tooltip");
    css(tip, { position: "absolute", left: "50%", bottom: "calc(100% + 6px)", transform: "translateX(-50%)", whiteSpace: "nowrap",
      background: "#1d2330", color: "#ffffff", padding: "4px 8px", borderRadius: "4px", fontSize: "12px", lineHeight: "1.3",
      zIndex: "2147483647", display: "none", pointerEvents: "none", maxWidth: "320px", overflow: "hidden", textOverflow: "ellipsis" });
    b.appendChild(tip);
    var menu = (this.menu = document.createElement("ul"));
    menu.id = id + "-menu";
    menu.className = "parley-presence-menu";
    menu.setAttribute("role", "menu");
    css(menu, { position: "absolute", left: "0", top: "calc(100% + 4px)", margin: "0", padding: "4px 0", listStyle: "none",
      background: "#ffffff", color: "#1d2330", border: "1px solid #c5cad3", borderRadius: "6px", boxShadow: "0 4px 14px rgba(0,0,0,.18)",
      zIndex: "2147483647", display: "none", minWidth: "12em", textAlign: "left", fontSize: "14px" });
    var wrap = (this.wrap = css(document.createElement("span"), { position: "relative", display: "inline-block" }));
    wrap.className = "parley-presence-wrap";
    wrap.appendChild(b);
    wrap.appendChild(menu);
    host.insertBefore(wrap, host.firstChild);

    var self = this;
    b.addEventListener("mouseenter", function () { self.showTip(true); });
    b.addEventListener("mouseleave", function () { self.showTip(false); });
    b.addEventListener("focus", function () { self.showTip(true); });
    b.addEventListener("blur", function () { self.showTip(false); });
    b.addEventListener("click", function (e) {
      e.preventDefault();
      e.stopPropagation();
      self.toggle(e.detail === 0); // keyboard (Enter, Space): focus the first entry
    });
    b.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        self.open(true, e.key === "ArrowUp");
      } else if (e.key === "Escape") {
        self.showTip(false);
        self.close(false);
      }
    });
    menu.addEventListener("keydown", function (e) { self.menuKey(e); });
    menu.addEventListener("click", function () { self.close(false); });
    this.render({ jid: jid, state: "offline", show: "offline", shared: false, pending: true });
  }

  Icon.prototype.render = function (v) {
    this.view = v;
    var state = LABELS[v.state] ? v.state : "offline";
    this.button.setAttribute("data-parley-state", state);
    drawIcon(this.g, state);
    var who = v.name || this.host.getAttribute("data-parley-name") || textOf(this.host) || this.jid;
    var tip = v.pending ? "…" : v.status || (v.shared ? LABELS[state] : LABELS[state] + " (presence not shared)");
    this.tip.textContent = tip;
    this.button.setAttribute("aria-label", who + ": " + LABELS[state] + ". Contact options");
    this.button.title = "";
    if (this.menu.style.display !== "none") this.fill();
  };

  function textOf(el) {
    var t = "";
    for (var n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 3) t += n.nodeValue;
    return t.trim().slice(0, 100);
  }

  Icon.prototype.showTip = function (on) {
    this.tip.style.display = on && this.menu.style.display === "none" ? "block" : "none";
  };

  Icon.prototype.fill = function () {
    var menu = this.menu;
    while (menu.firstChild) menu.removeChild(menu.firstChild);
    var v = this.view || {};
    var items = [["message", "Send instant message", chatURL(this.jid)]];
    if (v.email) items.push(["mail", "Send mail", v.email]);
    if (v.call) items.push(["call", "Call", v.call]);
    for (var i = 0; i < items.length; i++) {
      var li = document.createElement("li");
      li.setAttribute("role", "none");
      var a = document.createElement("a");
      a.setAttribute("role", "menuitem");
      a.setAttribute("data-parley-action", items[i][0]);
      a.tabIndex = -1;
      a.href = items[i][2];
      if (items[i][0] === "message" && viewer) {
        a.target = "_blank";
        a.rel = "noopener";
      }
      a.textContent = items[i][1];
      css(a, { display: "block", padding: "6px 14px", color: "inherit", textDecoration: "none", outlineOffset: "-2px" });
      a.addEventListener("mouseenter", function () { this.focus(); });
      a.addEventListener("focus", function () { this.style.background = "#e4eefc"; });
      a.addEventListener("blur", function () { this.style.background = ""; });
      li.appendChild(a);
      menu.appendChild(li);
    }
  };

  Icon.prototype.items = function () {
    return Array.prototype.slice.call(this.menu.querySelectorAll("[role=menuitem]"));
  };

  Icon.prototype.open = function (focus, last) {
    if (openMenu && openMenu !== this) openMenu.close(false);
    this.fill();
    this.showTip(false);
    this.menu.style.display = "block";
    this.button.setAttribute("aria-expanded", "true");
    openMenu = this;
    if (focus) {
      var items = this.items();
      if (items.length) items[last ? items.length - 1 : 0].focus();
    }
  };

  Icon.prototype.close = function (refocus) {
    if (this.menu.style.display === "none") return;
    this.menu.style.display = "none";
    this.button.setAttribute("aria-expanded", "false");
    if (openMenu === this) openMenu = null;
    if (refocus) this.button.focus();
  };

  Icon.prototype.toggle = function (focus) {
    if (this.menu.style.display === "none") this.open(focus);
    else this.close(true);
  };

  Icon.prototype.menuKey = function (e) {
    var items = this.items();
    var i = items.indexOf(document.activeElement);
    switch (e.key) {
      case "ArrowDown": i = (i + 1) % items.length; break;
      case "ArrowUp": i = (i - 1 + items.length) % items.length; break;
      case "Home": i = 0; break;
      case "End": i = items.length - 1; break;
      case "Escape": e.preventDefault(); this.close(true); return;
      case "Tab": this.close(false); return;
      case " ": if (i >= 0) { e.preventDefault(); items[i].click(); } return;
      default: return;
    }
    e.preventDefault();
    items[i].focus();
  };

  document.addEventListener("click", function (e) {
    if (openMenu && !openMenu.wrap.contains(e.target)) openMenu.close(false);
  });

  // ---- presence data ----

  function show(jid, v) {
    var u = users[jid];
    if (!u) return;
    u.view = v;
    for (var i = 0; i < u.icons.length; i++) u.icons[i].render(v);
  }

  // poll fetches one user's view; the browser revalidates its cached copy
  // with the ETag (a 304 when nothing changed).
  function polled(u) {
    return mode === "poll" || (mode === "live" && !!u.signed);
  }

  function poll(jid) {
    var u = users[jid];
    if (!u || !polled(u)) return;
    clearTimeout(u.timer);
    var url = u.signed ? base + "/widget/v1/signed" + u.signed : base + "/widget/v1/presence?jid=" + encodeURIComponent(jid);
    fetch(url, { cache: "no-cache", credentials: "omit", mode: "cors" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) {
        if (v && polled(u)) show(jid, v.jid === jid || !u.signed ? v : { jid: jid, state: "offline", shared: false });
      })
      .catch(function () {})
      .then(function () {
        if (polled(u)) u.timer = setTimeout(function () { poll(jid); }, POLL);
      });
  }

  function startPolling() {
    mode = "poll";
    viewer = "";
    for (var jid in users) poll(jid);
  }

  var retry = 0;
  function connect() {
    if (!("WebSocket" in window)) return startPolling();
    var ws;
    try {
      ws = new WebSocket(base.replace(/^http/, "ws") + "/widget/v1/live");
    } catch (e) {
      return startPolling();
    }
    var decided = false;
    var timer = setTimeout(function () { if (!decided) { decided = true; ws.close(); startPolling(); } }, 5000);
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === "hello") {
        decided = true;
        clearTimeout(timer);
        live = ws;
        viewer = m.viewer;
        mode = "live";
        retry = 0;
        for (var j in users) clearTimeout(users[j].timer);
        watch(Object.keys(users).filter(function (j) { return !users[j].signed; }));
        for (j in users) if (users[j].signed) poll(j);
      } else if (m.type === "anonymous") {
        decided = true;
        clearTimeout(timer);
        startPolling();
      } else if (m.type === "presence" && m.jid) {
        show(m.jid, m);
      }
    };
    ws.onclose = function (ev) {
      clearTimeout(timer);
      var was = live === ws;
      if (was) live = null;
      if (!decided) { decided = true; return startPolling(); }
      if (was) {
        // Signed out (4401): poll from now on; otherwise try again later.
        startPolling();
        if (ev.code !== 4401) setTimeout(connect, Math.min(300000, 5000 * Math.pow(2, retry++)));
      }
    };
  }

  function watch(jids) {
    if (live && live.readyState === 1 && jids.length) live.send(JSON.stringify({ type: "watch", jids: jids }));
  }

  // ---- elements ----

  function signedQuery(el) {
    var raw = el.getAttribute("data-parley-presence-url");
    if (!raw) return "";
    try {
      var u = new URL(raw, location.href);
      return u.origin === base ? u.search : "";
    } catch (e) {
      return "";
    }
  }

  function scan(root) {
    var els = (root || document).querySelectorAll ? (root || document).querySelectorAll("[data-parley-jid]") : [];
    var fresh = [];
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.parleyPresence) continue;
      var jid = String(el.getAttribute("data-parley-jid") || "").trim().toLowerCase();
      if (!jidRE.test(jid)) continue;
      var icon = new Icon(el, jid);
      el.parleyPresence = icon;
      var u = users[jid];
      if (!u) {
        u = users[jid] = { icons: [], view: null, timer: 0, signed: "" };
        fresh.push(jid);
      }
      var q = signedQuery(el);
      if (q && !u.signed) u.signed = q;
      u.icons.push(icon);
      if (u.view) icon.render(u.view);
    }
    if (mode === "poll") for (var k = 0; k < fresh.length; k++) poll(fresh[k]);
    if (mode === "live") {
      watch(fresh.filter(function (j) { return !users[j].signed; }));
      fresh.filter(function (j) { return users[j].signed; }).forEach(poll);
    }
  }

  function start() {
    scan(document);
    connect();
    if ("MutationObserver" in window) {
      new MutationObserver(function (records) {
        for (var i = 0; i < records.length; i++) {
          for (var j = 0; j < records[i].addedNodes.length; j++) {
            var n = records[i].addedNodes[j];
            if (n.nodeType === 1 && !(n.className && String(n.className).indexOf("parley-presence") === 0)) {
              if (n.hasAttribute("data-parley-jid")) scan(n.parentNode);
              else scan(n);
            }
          }
        }
      }).observe(document.documentElement, { childList: true, subtree: true });
    }
  }

  window.ParleyPresence = { scan: function () { scan(document); }, version: 1 };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
