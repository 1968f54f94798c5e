// livehelp.js: Parley's Live Help button for a site's pages (a classic
// script, no dependencies). Embed it where the button goes:
//
//   <script src="https://PARLEY/livehelp.js" data-group="support@groups.example.com"
//           data-href="/live-help/start"></script>
//
// data-group   the support group whose presence the button shows (required)
// data-href    the site's own URL that starts a chat: it computes the request
//              and its tokenDigest (docs/livehelp.md) and redirects to
//              PARLEY/imtapp/im/imWebChatClient.jsp (required to chat)
// data-popup   "false" opens the chat in this window instead of a new one
// data-refresh seconds between presence checks (default 30, at least 10)
// data-label-available, data-label-away, data-label-offline: the labels
//
// The button carries data-state (available, away, offline, unknown) and the
// class parley-livehelp, for the site's own styles.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var origin = new URL(script.src, location.href).origin;
  var group = script.getAttribute("data-group") || "";
  var href = script.getAttribute("data-href") || "";
  var popup = script.getAttribute("data-popup") !== "false";
  var refresh = Math.max(10, Number(script.getAttribute("data-refresh")) || 30);
  var labels = {
    available: script.getAttribute("data-label-available") || "Live Help Available",
    away: script.getAttribute("data-label-away") || "Live Help: all agents busy, join the queue",
    offline: script.getAttribute("data-label-offline") || "Live Help: leave us a message",
    unknown: "Live Help",
  };
  var colors = { available: "#1d7a3a", away: "#8a5a00", offline: "#4b5565", unknown: "#4b5565" };

  var button = document.createElement("button");
  button.type = "button";
  button.className = "parley-livehelp";
  // Styles through the DOM, not a style sheet or attribute, so that the
  // site's own Content-Security-Policy need not allow inline styles.
  var st = button.style;
  st.font = "inherit";
  st.fontWeight = "600";
  st.color = "#fff";
  st.border = "0";
  st.borderRadius = "8px";
  st.padding = "0.6em 1.1em";
  st.cursor = "pointer";
  st.minHeight = "44px";
  script.parentNode.insertBefore(button, script.nextSibling);

  function show(state, detail) {
    button.setAttribute("data-state", state);
    button.textContent = labels[state];
    button.title = detail || "";
    button.setAttribute("aria-label", labels[state] + (detail ? " (" + detail + ")" : ""));
    st.background = colors[state];
    button.disabled = !href;
  }
  show("unknown", group ? "" : "data-group is missing");

  function check() {
    if (!group) return;
    fetch(origin + "/livehelp/status?group=" + encodeURIComponent(group), { credentials: "omit" })
      .then(function (res) { return res.ok ? res.json() : Promise.reject(new Error("HTTP " + res.status)); })
      .then(function (s) {
        var detail = "";
        if (s.state === "away" && s.waiting > 0) {
          detail = s.waiting + " waiting, about " + Math.max(1, Math.round(s.wait / 60)) + " min";
        }
        show(s.state === "available" || s.state === "away" ? s.state : "offline", detail);
      })
      .catch(function () { show("unknown"); });
  }
  check();
  setInterval(check, refresh * 1000);

  button.addEventListener("click", function () {
    if (!href) return;
    var url = new URL(href, location.href).href;
    if (popup) {
      var w = window.open(url, "parley-livehelp", "width=440,height=680");
      if (w) {
        w.focus();
        return;
      }
    }
    location.href = url;
  });
})();
