// livehelp_driver.mjs plays a web-site visitor in headless Chromium
// (playwright-core) for livehelp_test.go: the site's page with Parley's
// Live Help button (/livehelp.js), the chat window it opens, and plain
// visits of URLs. It acts on commands and reports what the page shows.
//
//   stdout  JSON lines: {"event":"browser"}, and one answer per command,
//           {"event": CMD-RESULT, "id": ID, ...}; also "pageerror",
//           "requestfailed", "console" (errors), "fail", "quit".
//   stderr  a trace: WebSocket frames, BOSH and form requests, the pages'
//           consoles.
//   stdin   commands, one JSON object per line, each with an "id":
//     {"cmd":"site","url":U}               open the site's page -> "site"
//     {"cmd":"button","state":S}           wait for the button's data-state S -> "button" (label, title)
//     {"cmd":"click"}                      press it; the chat window opens -> "chat" (status, history, transport)
//     {"cmd":"status","state":S}           wait for the chat's #status data-state S -> "status" (text)
//     {"cmd":"say","text":T}               type T (key by key) and press Enter -> "said"
//     {"cmd":"message","text":T}           wait for an agent's line containing T -> "message" (who, text)
//     {"cmd":"typing","text":T}            wait for the typing line to contain T ("" = empty) -> "typing"
//     {"cmd":"transcript"}                 download the transcript -> "transcript" (text, filename)
//     {"cmd":"end"}                        press "End the chat" -> "ended" (title)
//     {"cmd":"goto","url":U}               visit U in a new tab -> "page" (status, title, message)
//     {"cmd":"screenshot","path":P}        PNG of the chat (or site) page -> "screenshot"
//     {"cmd":"quit"}
//
// Usage: node livehelp_driver.mjs [--chromium PATH] [--timeout SECONDS] [--chromium-args FLAGS]
import { chromium } from "playwright-core";
import { createInterface } from "node:readline";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    chromium: { type: "string", default: "/usr/bin/chromium" },
    timeout: { type: "string", default: "120" },
    "chromium-args": { type: "string", default: "" },
  },
});

const waitMS = 20000;

function emit(event, fields) {
  process.stdout.write(JSON.stringify(Object.assign({ event }, fields || {})) + "\n");
}
function trace(line) {
  process.stderr.write(new Date().toISOString() + " " + line + "\n");
}

let browser;
let context;
let site; // the site's page
let chat; // the chat window
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

setTimeout(() => {
  emit("fail", { error: `livehelp driver: hard timeout of ${opts.timeout}s` });
  finish(1);
}, Number(opts.timeout) * 1000).unref();

function watch(page, name) {
  page.on("console", (msg) => {
    trace(`${name} console.${msg.type()}: ${msg.text()}`);
    if (msg.type() === "error") emit("console", { page: name, text: msg.text() });
  });
  page.on("pageerror", (err) => emit("pageerror", { page: name, error: String((err && err.stack) || err) }));
  page.on("requestfailed", (req) => {
    const failure = req.failure() ? req.failure().errorText : "";
    // A download is "aborted" as a navigation; that is not a failure.
    if (failure !== "net::ERR_ABORTED") emit("requestfailed", { page: name, url: req.url(), failure });
  });
  page.on("websocket", (ws) => {
    trace(`${name} websocket open ${ws.url()}`);
    ws.on("framesent", (f) => trace(`${name} ws SEND ${f.payload}`));
    ws.on("framereceived", (f) => trace(`${name} ws RECV ${f.payload}`));
  });
  page.on("request", (req) => {
    if (req.method() === "POST") trace(`${name} http POST ${req.url()} ${req.postData() || ""}`);
  });
}

const chatState = () => chat.evaluate(() => ({
  status: document.getElementById("status").dataset.state,
  text: document.getElementById("status").textContent,
  transport: document.body.dataset.transport || "",
  target: document.body.dataset.target || "",
  history: Array.from(document.querySelectorAll("#messages li.history")).map((li) => li.textContent),
}));

async function command(c) {
  const id = c.id || "";
  switch (c.cmd) {
    case "site": {
      site = await context.newPage();
      watch(site, "site");
      const res = await site.goto(c.url);
      emit("site", { id, status: res.status() });
      break;
    }
    case "button": {
      const b = site.locator("button.parley-livehelp");
      await site.waitForFunction((s) => {
        const el = document.querySelector("button.parley-livehelp");
        return el && el.dataset.state === s;
      }, c.state, { timeout: waitMS });
      emit("button", { id, state: c.state, label: await b.textContent(), title: await b.getAttribute("title") });
      break;
    }
    case "click": {
      const [popup] = await Promise.all([context.waitForEvent("page", { timeout: waitMS }), site.locator("button.parley-livehelp").click()]);
      chat = popup;
      watch(chat, "chat");
      await chat.waitForLoadState();
      await chat.waitForFunction(() => {
        const s = document.getElementById("status");
        return s && s.dataset.state !== "connecting";
      }, null, { timeout: waitMS });
      emit("chat", Object.assign({ id, url: chat.url(), title: await chat.title() }, await chatState()));
      break;
    }
    case "status": {
      await chat.waitForFunction((s) => document.getElementById("status").dataset.state === s, c.state, { timeout: waitMS });
      emit("status", Object.assign({ id }, await chatState()));
      break;
    }
    case "say": {
      await chat.locator("#text").pressSequentially(c.text, { delay: 15 });
      await chat.locator("#text").press("Enter");
      emit("said", { id, text: c.text });
      break;
    }
    case "message": {
      const li = chat.locator("#messages li.theirs", { hasText: c.text }).last();
      await li.waitFor({ timeout: waitMS });
      emit("message", { id, who: await li.locator(".who").textContent(), text: await li.textContent() });
      break;
    }
    case "typing": {
      await chat.waitForFunction((t) => {
        const v = document.getElementById("typing").textContent;
        return t === "" ? v === "" : v.includes(t);
      }, c.text, { timeout: waitMS });
      emit("typing", { id, text: await chat.locator("#typing").textContent() });
      break;
    }
    case "transcript": {
      const [download] = await Promise.all([chat.waitForEvent("download", { timeout: waitMS }), chat.locator("#transcript").click()]);
      const path = await download.path();
      emit("transcript", { id, filename: download.suggestedFilename(), text: readFileSync(path, "utf8") });
      break;
    }
    case "end": {
      await Promise.all([chat.waitForNavigation({ timeout: waitMS }), chat.locator("#end-button").click()]);
      emit("ended", { id, title: await chat.locator("h1").textContent() });
      await chat.close();
      chat = null;
      break;
    }
    case "goto": {
      const page = await context.newPage();
      watch(page, "visit");
      const res = await page.goto(c.url);
      emit("page", {
        id, status: res.status(), title: (await page.locator("h1").first().textContent()) || "",
        message: (await page.locator("main p").first().textContent()) || "",
        csp: res.headers()["content-security-policy"] || "",
      });
      await page.close();
      break;
    }
    case "screenshot": {
      mkdirSync(join(c.path, ".."), { recursive: true });
      const p = chat || site;
      if (p) {
        await p.screenshot({ path: c.path, fullPage: true });
        writeFileSync(c.path + ".html", await p.content());
      }
      emit("screenshot", { id, path: c.path });
      break;
    }
    case "quit":
      await finish(0);
      break;
    default:
      emit("fail", { error: "livehelp driver: unknown command " + c.cmd });
  }
}

async function main() {
  browser = await chromium.launch({
    executablePath: opts.chromium,
    headless: true,
    chromiumSandbox: false,
    args: opts["chromium-args"].split(" ").filter(Boolean),
  });
  emit("browser", { version: browser.version() });
  context = await browser.newContext({ acceptDownloads: true });
  // Commands run one at a time, in order.
  let queue = Promise.resolve();
  const rl = createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    queue = queue.then(async () => {
      let c;
      try {
        c = JSON.parse(line);
        await command(c);
      } catch (err) {
        emit("fail", { id: c && c.id, error: `livehelp driver: ${c ? c.cmd : line}: ${err.message || err}` });
      }
    });
  });
  rl.on("close", () => queue.then(() => finish(0)));
}

main().catch((err) => {
  emit("fail", { error: "livehelp driver: " + (err.stack || err) });
  finish(1);
});
