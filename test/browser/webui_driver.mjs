// webui_driver.mjs drives headless Chromium step by step for the tests of
// Parley's pages for people (webui_test.go): the Go test sends one command
// per line on stdin and waits for its answer, so it can interleave what
// the browser does with what slixmpp clients do.
//
//   stdin   {"id": N, "cmd": NAME, ...}; commands (ctx names a browser
//           context: separate cookies and storage; each has one page):
//             context {ctx, clock}        a new context (clock: install a fake clock before the first page)
//             goto {ctx, url}             navigate, wait for the load event
//             fill {ctx, selector, value} / check / uncheck / click / hover / focus
//             press {ctx, key, selector?} a key on the element, or wherever the focus is
//             upload {ctx, selector, path}
//             wait {ctx, selector, attr?, value?, text?, state?, timeout?}
//                                         until the element exists (state: visible|hidden)
//                                         and its attribute equals value / its text contains text
//             text {ctx, selector}        its textContent (trimmed)
//             attr {ctx, selector, name}  an attribute ("" if absent)
//             count {ctx, selector}       how many elements match
//             eval {ctx, js}              the value of an expression (awaited; JSON)
//             focused {ctx}               the focused element: tag, text, attributes
//             url {ctx}                   the page's URL
//             requests {ctx, contains}    requests whose URL contains the text, in order
//             forward {ctx, ms}           advance the fake clock
//             screenshot {ctx, path}      PNG and DOM (path + ".html")
//             close {ctx}
//   stdout  {"event":"ok","id":N,"value":...} or {"event":"error","id":N,"error":...};
//           also {"event":"browser"} at start, {"event":"pageerror"|"console",...}.
//   stderr  a trace: the pages' console, requests and WebSocket frames.
//
// Usage: node webui_driver.mjs [--chromium PATH] [--timeout S] [--artifacts DIR] [--chromium-args FLAGS]
import { chromium } from "playwright-core";
import { createInterface } from "node:readline";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    chromium: { type: "string", default: "/usr/bin/chromium" },
    timeout: { type: "string", default: "300" },
    artifacts: { type: "string", default: "" },
    "chromium-args": { type: "string", default: "" },
  },
});

const STEP = 15000;
function emit(event, fields) {
  process.stdout.write(JSON.stringify(Object.assign({ event }, fields || {})) + "\n");
}
function trace(line) {
  process.stderr.write(new Date().toISOString() + " " + line + "\n");
}

let browser;
const contexts = {}; // name -> { context, page, requests }

async function shots(suffix) {
  if (!opts.artifacts) return;
  mkdirSync(opts.artifacts, { recursive: true });
  for (const [name, c] of Object.entries(contexts)) {
    try {
      await c.page.screenshot({ path: join(opts.artifacts, `${name}${suffix}.png`), fullPage: true });
      writeFileSync(join(opts.artifacts, `${name}${suffix}.html`), await c.page.content());
    } catch (err) {
      trace(`screenshot ${name}: ${err}`);
    }
  }
}

async function quit(code) {
  try {
    if (browser) await browser.close();
  } catch (err) {
    trace("browser close: " + err);
  }
  process.exit(code);
}

setTimeout(async () => {
  emit("fail", { error: `webui driver: hard timeout of ${opts.timeout}s` });
  await shots("-timeout");
  quit(1);
}, Number(opts.timeout) * 1000).unref();

function ctxOf(cmd) {
  const c = contexts[cmd.ctx];
  if (!c) throw new Error(`no context ${cmd.ctx}`);
  return c;
}

async function newContext(name, clock) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  if (clock) await context.clock.install({ time: new Date() });
  const page = await context.newPage();
  const c = { context, page, requests: [] };
  page.on("console", (msg) => {
    trace(`[${name} console.${msg.type()}] ${msg.text()}`);
    if (msg.type() === "error") emit("console", { ctx: name, text: msg.text() });
  });
  page.on("pageerror", (err) => {
    trace(`[${name} pageerror] ${err}`);
    emit("pageerror", { ctx: name, error: String(err) });
  });
  page.on("requestfinished", async (req) => {
    let status = 0;
    let headers = {};
    try {
      const res = await req.response();
      status = res ? res.status() : 0;
      headers = await req.allHeaders();
    } catch (err) {
      // the page went away
    }
    c.requests.push({ url: req.url(), method: req.method(), status, ifNoneMatch: headers["if-none-match"] || "" });
    trace(`[${name} request] ${req.method()} ${req.url()} -> ${status}`);
  });
  page.on("websocket", (ws) => {
    trace(`[${name} websocket] open ${ws.url()}`);
    ws.on("framesent", (f) => trace(`[${name} ws >] ${f.payload}`));
    ws.on("framereceived", (f) => trace(`[${name} ws <] ${f.payload}`));
    ws.on("close", () => trace(`[${name} websocket] closed ${ws.url()}`));
  });
  contexts[name] = c;
}

async function waitFor(page, cmd) {
  const timeout = cmd.timeout || STEP;
  const loc = page.locator(cmd.selector).first();
  await loc.waitFor({ state: cmd.state || "attached", timeout });
  if (cmd.attr === undefined && cmd.text === undefined) return true;
  await page.waitForFunction(
    ({ selector, attr, value, text }) => {
      const el = document.querySelector(selector);
      if (!el) return false;
      if (attr !== undefined && el.getAttribute(attr) !== value) return false;
      if (text !== undefined && !(el.textContent || "").includes(text)) return false;
      return true;
    },
    { selector: cmd.selector, attr: cmd.attr, value: cmd.value, text: cmd.text },
    { timeout, polling: 100 },
  );
  return true;
}

async function run(cmd) {
  switch (cmd.cmd) {
    case "context":
      await newContext(cmd.ctx, !!cmd.clock);
      return true;
    case "goto": {
      const res = await ctxOf(cmd).page.goto(cmd.url, { waitUntil: "load", timeout: STEP });
      return res ? res.status() : 0;
    }
    case "fill":
      await ctxOf(cmd).page.fill(cmd.selector, cmd.value, { timeout: STEP });
      return true;
    case "check":
      await ctxOf(cmd).page.check(cmd.selector, { timeout: STEP });
      return true;
    case "uncheck":
      await ctxOf(cmd).page.uncheck(cmd.selector, { timeout: STEP });
      return true;
    case "click":
      await ctxOf(cmd).page.click(cmd.selector, { timeout: STEP });
      return true;
    case "hover":
      await ctxOf(cmd).page.hover(cmd.selector, { timeout: STEP });
      return true;
    case "focus":
      await ctxOf(cmd).page.focus(cmd.selector, { timeout: STEP });
      return true;
    case "press":
      if (cmd.selector) await ctxOf(cmd).page.press(cmd.selector, cmd.key, { timeout: STEP });
      else await ctxOf(cmd).page.keyboard.press(cmd.key);
      return true;
    case "upload":
      await ctxOf(cmd).page.setInputFiles(cmd.selector, cmd.path, { timeout: STEP });
      return true;
    case "wait":
      return await waitFor(ctxOf(cmd).page, cmd);
    case "text":
      return ((await ctxOf(cmd).page.locator(cmd.selector).first().textContent({ timeout: STEP })) || "").trim();
    case "attr":
      return (await ctxOf(cmd).page.locator(cmd.selector).first().getAttribute(cmd.name, { timeout: STEP })) || "";
    case "count":
      return await ctxOf(cmd).page.locator(cmd.selector).count();
    case "eval":
      return await ctxOf(cmd).page.evaluate(`(async () => (${cmd.js}))()`);
    case "focused":
      return await ctxOf(cmd).page.evaluate(() => {
        const el = document.activeElement;
        if (!el) return null;
        const attrs = {};
        for (const a of el.attributes) attrs[a.name] = a.value;
        return { tag: el.tagName.toLowerCase(), text: (el.textContent || "").trim(), attrs };
      });
    case "url":
      return ctxOf(cmd).page.url();
    case "requests":
      return ctxOf(cmd).requests.filter((r) => r.url.includes(cmd.contains || ""));
    case "forward":
      await ctxOf(cmd).page.clock.fastForward(cmd.ms);
      return true;
    case "screenshot": {
      const page = ctxOf(cmd).page;
      mkdirSync(dirname(cmd.path), { recursive: true });
      await page.screenshot({ path: cmd.path, fullPage: true });
      writeFileSync(cmd.path + ".html", await page.content());
      return cmd.path;
    }
    case "close":
      await ctxOf(cmd).context.close();
      delete contexts[cmd.ctx];
      return true;
    case "quit":
      await quit(0);
      return true;
  }
  throw new Error("unknown command " + cmd.cmd);
}

browser = await chromium.launch({
  executablePath: opts.chromium,
  headless: true,
  chromiumSandbox: false, // root in a container has no user namespaces for the sandbox
  args: opts["chromium-args"].split(" ").filter(Boolean),
});
emit("browser", { version: browser.version() });

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (err) {
    emit("error", { id: -1, error: "bad command: " + line });
    continue;
  }
  trace(`> ${line}`);
  try {
    const value = await run(cmd);
    emit("ok", { id: cmd.id, value });
  } catch (err) {
    trace(`! ${cmd.cmd}: ${err.stack || err}`);
    emit("error", { id: cmd.id, error: String(err.message || err).split("\n")[0] });
  }
}
await quit(0);
