// presence_driver.mjs loads the presence embedding page (pages/presence.html
// as the test's "site" renders it) in headless Chromium with playwright-core
// and reports what the page shows, for presence_test.go. Unlike driver.mjs
// (the XMPP chat pages) it has no XMPP of its own: the page only embeds
// presence URLs.
//
//   stdout  JSON lines: {"event":"browser"}, then {"event":"state","seq":N,...}
//           after the first load and after each reload: the page's JS
//           variables (show, status), the data attributes and link the
//           page's own script derived from them, and for every <img> its
//           natural size and the SHA-256 of the bytes the browser received
//           for it; plus "pageerror", "requestfailed", "fail", "quit".
//   stderr  a trace of every presence request and response.
//   stdin   {"cmd":"reload","seq":"N"} reloads the page and reports state N;
//           {"cmd":"quit"} (or end of input) closes the browser.
//
// Usage: node presence_driver.mjs --page URL [--chromium /usr/bin/chromium]
//        [--timeout SECONDS] [--chromium-args "FLAGS"]
import { chromium } from "playwright-core";
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    page: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    timeout: { type: "string", default: "60" },
    "chromium-args": { type: "string", default: "" },
  },
});

function emit(event, fields) {
  process.stdout.write(JSON.stringify(Object.assign({ event }, fields || {})) + "\n");
}
function trace(line) {
  process.stderr.write(new Date().toISOString() + " " + line + "\n");
}

let browser;
let page;
let finished = false;
// The SHA-256 of each response body by URL, as the browser received it.
const bodies = new Map();

async function finish(code) {
  if (finished) return;
  finished = true;
  try {
    if (browser) await browser.close();
  } catch (err) {
    trace("browser close: " + err);
  }
  emit("quit", { code });
  process.exit(code);
}

setTimeout(() => {
  emit("fail", { error: `presence driver: hard timeout of ${opts.timeout}s` });
  finish(1);
}, Number(opts.timeout) * 1000).unref();

async function report(seq) {
  const state = await page.evaluate(() => {
    const imgs = {};
    for (const img of document.images) {
      imgs[img.id] = { src: img.currentSrc, width: img.naturalWidth, height: img.naturalHeight, complete: img.complete };
    }
    const link = document.querySelector("#contact a");
    return {
      show: typeof show === "undefined" ? null : show,
      status: typeof status === "undefined" ? null : String(status),
      dataShow: document.body.dataset.show || "",
      contact: link ? link.textContent : "",
      href: link ? link.getAttribute("href") : "",
      imgs,
    };
  });
  for (const img of Object.values(state.imgs)) {
    img.sha256 = bodies.get(img.src) || "";
  }
  emit("state", Object.assign({ seq: String(seq) }, state));
}

async function command(line) {
  let c;
  try {
    c = JSON.parse(line);
  } catch (err) {
    emit("fail", { error: "presence driver: bad command " + line });
    return;
  }
  try {
    switch (c.cmd) {
      case "reload":
        bodies.clear();
        await page.reload({ waitUntil: "load" });
        await report(c.seq);
        break;
      case "quit":
        await finish(0);
        break;
      default:
        emit("fail", { error: "presence driver: unknown command " + c.cmd });
    }
  } catch (err) {
    emit("fail", { error: `presence driver: ${c.cmd}: ${err.message || err}` });
  }
}

async function main() {
  browser = await chromium.launch({
    executablePath: opts.chromium,
    headless: true,
    chromiumSandbox: false, // root in a container has no user namespaces
    args: opts["chromium-args"].split(" ").filter(Boolean),
  });
  emit("browser", { version: browser.version() });
  page = await (await browser.newContext()).newPage();
  page.on("pageerror", (err) => emit("pageerror", { error: String((err && err.stack) || err) }));
  page.on("requestfailed", (req) => emit("requestfailed", { url: req.url(), failure: req.failure() ? req.failure().errorText : "" }));
  page.on("console", (msg) => trace(`console.${msg.type()}: ${msg.text()}`));
  page.on("response", async (res) => {
    let body;
    try {
      body = await res.body();
    } catch (err) {
      trace(`response ${res.url()}: ${err}`);
      return;
    }
    bodies.set(res.url(), createHash("sha256").update(body).digest("hex"));
    const h = res.headers();
    trace(`http ${res.status()} ${res.url()} ${h["content-type"] || ""} cache-control=${h["cache-control"] || ""} etag=${h["etag"] || ""} ${body.length} bytes`);
  });

  const rl = createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    if (line.trim()) command(line);
  });
  rl.on("close", () => finish(0));

  await page.goto(opts.page, { waitUntil: "load" });
  await report(0);
}

main().catch((err) => {
  emit("fail", { error: "presence driver: " + (err.stack || err) });
  finish(1);
});
