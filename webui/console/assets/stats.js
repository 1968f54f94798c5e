// stats.js: the admin console's charts follow the server: every sample
// interval the page fetches /admin/stats.json and redraws each series.
const stats = document.getElementById("stats");

async function refresh() {
  try {
    const res = await fetch("/admin/stats.json", { credentials: "same-origin", cache: "no-store" });
    if (!res.ok) return 0;
    const data = await res.json();
    for (const c of data.charts || []) {
      const fig = stats.querySelector("[data-chart='" + c.ID + "']");
      if (!fig) continue;
      fig.querySelector("polyline").setAttribute("points", c.Points);
      fig.querySelector("svg").setAttribute("aria-label", c.Summary);
      fig.querySelector("[data-now]").textContent = c.Now;
      fig.querySelector("[data-max]").textContent = c.Max;
    }
    return data.interval_s || 10;
  } catch (err) {
    return 10;
  }
}

async function loop() {
  const interval = (await refresh()) || 10;
  setTimeout(loop, Math.max(2, interval) * 1000);
}

if (stats) setTimeout(loop, 2000);
