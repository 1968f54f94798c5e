// driver.mjs runs one test page in headless Chromium with playwright-core
// and connects it to the Go test (browser_test.go) by JSON lines:
//
//   stdout  one JSON object per line: every page event the harness prints
//           as "XMPP-EVENT {...}" (see pages/harness.js), plus the driver's
//           own: {"event":"browser"}, "loaded", "pageerror", "console",
//           "requestfailed", "screenshot", "fail", "quit".
//   stderr  a trace of the wire: WebSocket frames and BOSH request and
//           response bodies, and the page's console, for failure reports.
//   stdin   commands, one JSON object per line:
//             {"cmd":"close"}                   harness.close(): end the session
//             {"cmd":"send","to":J,"body":B}    harness.send(J, B)
//             {"cmd":"screenshot","path":P}     PNG to P and the DOM to P.html
//             {"cmd":"quit"}                    close the browser and exit 0
//           End of input is quit.
//
// Usage: node driver.mjs --page URL [--chromium /usr/bin/chromium]
//        [--timeout SECONDS] [--artifacts DIR] [--chromium-args "FLAGS"]
// On the hard timeout it saves a screenshot into --artifacts, prints
// {"event":"fail"} and exits 1.
import { chromium } from "playwright-core";
import { createInterface } from "node:readline";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    page: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    timeout: { type: "string", default: "60" },
    artifacts: { type: "string", default: "" },
    "chromium-args": { type: "string", default: "" },
  },
});
if (!opts.page) {
  process.stderr.write("driver: --page URL is required\n");
  process.exit(2);
}

function emit(event, fields) {
  process.stdout.write(JSON.stringify(Object.assign({ event }, fields || {}, { source: fields && fields.source ? fields.source : "driver" })) + "\n");
}
function trace(line) {
  process.stderr.write(new Date().toISOString() + " " + line + "\n");
}

let browser;
let page;
let finished = false;

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

async function screenshot(path) {
  mkdirSync(join(path, ".."), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  const { writeFileSync } = await import("node:fs");
  writeFileSync(path + ".html", await page.content());
  emit("screenshot", { path });
}

const hardTimeout = setTimeout(async () => {
  emit("fail", { error: `driver: hard timeout of ${opts.timeout}s` });
  if (page && opts.artifacts) {
    try {
      await screenshot(join(opts.artifacts, "timeout.png"));
    } catch (err) {
      trace("timeout screenshot: " + err);
    }
  }
  finish(1);
}, Number(opts.timeout) * 1000);
hardTimeout.unref();

async function command(line) {
  let c;
  try {
    c = JSON.parse(line);
  } catch (err) {
    emit("fail", { error: "driver: bad command " + line });
    return;
  }
  try {
    switch (c.cmd) {
      case "close":
        await page.evaluate(() => window.harness.close());
        break;
      case "send":
        await page.evaluate(([to, body]) => window.harness.send(to, body), [c.to, c.body]);
        break;
      case "screenshot":
        await screenshot(c.path);
        break;
      case "quit":
        await finish(0);
        break;
      default:
        emit("fail", { error: "driver: unknown command " + c.cmd });
    }
  } catch (err) {
    emit("fail", { error: `driver: ${c.cmd}: ${err.message || err}` });
  }
}

async function main() {
  browser = await chromium.launch({
    executablePath: opts.chromium,
    headless: true,
    // Root in a container has no user namespaces for the sandbox.
    chromiumSandbox: false,
    // With ignoreHTTPSErrors below: CORS preflights (BOSH from another
    // origin) are made by Chromium's network service, which only the flag
    // makes accept a self-signed certificate.
    args: ["--ignore-certificate-errors"].concat(opts["chromium-args"].split(" ").filter(Boolean)),
  });
  emit("browser", { version: browser.version() });
  // The servers under test use self-signed certificates on https:// and wss://.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  page = await context.newPage();

  page.on("console", (msg) => {
    const text = msg.text();
    if (text.startsWith("XMPP-EVENT ")) {
      try {
        const e = JSON.parse(text.slice("XMPP-EVENT ".length));
        e.source = "page";
        process.stdout.write(JSON.stringify(e) + "\n");
      } catch (err) {
        emit("console", { type: msg.type(), text });
      }
      return;
    }
    trace(`console.${msg.type()}: ${text}`);
    if (msg.type() === "error") emit("console", { type: msg.type(), text });
  });
  page.on("pageerror", (err) => emit("pageerror", { error: String(err && err.stack || err) }));
  page.on("requestfailed", (req) => emit("requestfailed", { url: req.url(), method: req.method(), failure: req.failure() ? req.failure().errorText : "" }));
  page.on("websocket", (ws) => {
    trace(`websocket open ${ws.url()}`);
    ws.on("framesent", (f) => trace(`ws SEND ${f.payload}`));
    ws.on("framereceived", (f) => trace(`ws RECV ${f.payload}`));
    ws.on("socketerror", (err) => trace(`ws error ${err}`));
    ws.on("close", () => trace(`websocket closed ${ws.url()}`));
  });
  page.on("request", (req) => {
    if (req.method() === "POST") trace(`http SEND ${req.url()} ${req.postData() || ""}`);
  });
  page.on("response", async (res) => {
    const req = res.request();
    if (req.method() !== "POST" && req.method() !== "OPTIONS") return;
    let body = "";
    try {
      body = req.method() === "POST" ? await res.text() : "";
    } catch (err) {
      body = "(" + err.message + ")";
    }
    trace(`http RECV ${res.status()} ${req.method()} ${res.url()} ${body}`);
  });

  const rl = createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    if (line.trim()) command(line);
  });
  rl.on("close", () => finish(0));

  const res = await page.goto(opts.page);
  emit("loaded", { url: opts.page, status: res ? res.status() : 0 });
}

main().catch((err) => {
  emit("fail", { error: "driver: " + (err.stack || err) });
  finish(1);
});
