// conference_driver.mjs runs a web conference on Parley's own conference
// page with three people, each in a separate Chromium context (separate
// cookies and storage): alice hosts (her personal join link), bob and carol
// attend (the conference's link, their own accounts and the conference key).
// Then it opens the playback page in a fourth context. For conference_test.go.
//
//   stdout  JSON lines: {"event":"browser"}, one event per step ("joined",
//           "participants", "seen", "hand", "link", "left", "ended",
//           "playback", ...), then {"event":"done"}; or {"event":"fail"}.
//   stderr  a trace: each page's console and the WebSocket frames.
//
// Usage: node conference_driver.mjs --host URL --attendee URL --playback URL
//        --key KEY --password PW [--enrol URL] [--chromium PATH] [--timeout S] [--artifacts DIR]
// --enrol is the link of a conference that takes enrolment, which dave joins;
// --guest the link of one that welcomes guests, which erin joins by name.
import { chromium } from "playwright-core";
import { mkdirSync, writeFileSync } from "node:fs";
import { join as pathJoin } from "node:path";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    host: { type: "string" },
    attendee: { type: "string" },
    playback: { type: "string" },
    enrol: { type: "string", default: "" },
    guest: { type: "string", default: "" },
    key: { type: "string", default: "" },
    password: { type: "string", default: "secret" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    timeout: { type: "string", default: "90" },
    artifacts: { type: "string", default: "" },
    "chromium-args": { type: "string", default: "" },
  },
});

const STEP = 15000; // one expectation's deadline, ms
function emit(event, fields) {
  process.stdout.write(JSON.stringify(Object.assign({ event }, fields || {})) + "\n");
}
function trace(line) {
  process.stderr.write(new Date().toISOString() + " " + line + "\n");
}

let browser;
const pages = {};

async function screenshots(suffix) {
  if (!opts.artifacts) return;
  mkdirSync(opts.artifacts, { recursive: true });
  for (const [who, page] of Object.entries(pages)) {
    try {
      const name = `conference-${who}${suffix || ""}`;
      await page.screenshot({ path: pathJoin(opts.artifacts, name + ".png"), fullPage: true });
      writeFileSync(pathJoin(opts.artifacts, name + ".html"), await page.content());
    } catch (err) {
      trace(`screenshot ${who}: ${err}`);
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
  emit("fail", { error: `conference driver: hard timeout of ${opts.timeout}s` });
  await screenshots();
  quit(1);
}, Number(opts.timeout) * 1000).unref();

async function open(who, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  pages[who] = page;
  page.on("console", (m) => trace(`${who} console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (err) => {
    trace(`${who} pageerror: ${err && err.stack || err}`);
    emit("pageerror", { who, error: String(err) });
  });
  page.on("dialog", (d) => d.accept()); // "End the conference for everyone?"
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => trace(`${who} ws SEND ${f.payload}`));
    ws.on("framereceived", (f) => trace(`${who} ws RECV ${f.payload}`));
  });
  const res = await page.goto(url);
  emit("loaded", { who, status: res ? res.status() : 0 });
  return page;
}

// join fills the page's login form (the user name is already there on a
// personal link) and waits to be in the room.
async function join(who, { username, key, nick }) {
  const page = pages[who];
  await page.locator("#login-form").waitFor({ state: "visible", timeout: STEP });
  const invitation = await page.locator("#who").textContent();
  if (username) await page.fill("#username", username);
  await page.fill("#password", opts.password);
  if (key !== undefined) await page.fill("#confkey", key);
  if (nick) await page.fill("#nick", nick);
  await page.click("#join-button");
  await page.locator("#room").waitFor({ state: "visible", timeout: STEP });
  // The title: from the invitation's link, or from the room (its subject).
  await page.waitForFunction(() => document.getElementById("title").textContent !== "Conference", null, { timeout: STEP });
  const host = await page.locator("#host-controls").isVisible();
  emit("joined", { who, invitation, host, title: await page.locator("#title").textContent(), status: await page.locator("#status").textContent() });
}

async function refused(who, { username, key, nick }) {
  const page = pages[who];
  await page.locator("#login-form").waitFor({ state: "visible", timeout: STEP });
  await page.fill("#username", username);
  await page.fill("#password", opts.password);
  await page.fill("#confkey", key);
  await page.fill("#nick", nick);
  await page.click("#join-button");
  const err = page.locator("#join-error");
  await page.waitForFunction(() => document.getElementById("join-error").textContent !== "", null, { timeout: STEP });
  emit("refused", { who, error: await err.textContent() });
}

async function participants(who, want) {
  const page = pages[who];
  await page.waitForFunction((w) => {
    const nicks = Array.from(document.querySelectorAll("#participants li")).map((li) => li.dataset.nick).sort();
    return JSON.stringify(nicks) === JSON.stringify(w.slice().sort());
  }, want, { timeout: STEP });
  const list = await page.$$eval("#participants li", (lis) => lis.map((li) => ({
    nick: li.dataset.nick, show: li.dataset.show, role: li.dataset.role, removable: !!li.querySelector("button"),
  })));
  emit("participants", { who, list });
}

async function say(who, body) {
  const page = pages[who];
  await page.fill("#chat-input", body);
  await page.click("#chat-form button[type=submit]");
}

async function sees(who, text) {
  const page = pages[who];
  await page.waitForFunction((t) => Array.from(document.querySelectorAll("#messages li")).some((li) => li.textContent.includes(t)), text, { timeout: STEP });
  emit("seen", { who, text });
}

async function main() {
  browser = await chromium.launch({
    executablePath: opts.chromium, headless: true, chromiumSandbox: false,
    args: opts["chromium-args"].split(" ").filter(Boolean),
  });
  emit("browser", { version: browser.version() });

  await open("alice", opts.host);
  await open("bob", opts.attendee);
  await open("carol", opts.attendee);

  await join("alice", {});
  await join("bob", { username: "bob", key: opts.key, nick: "Bob" });
  await refused("carol", { username: "carol", key: "not the key", nick: "Carol" });
  await join("carol", { username: "carol", key: opts.key, nick: "Carol" });
  for (const who of ["alice", "bob", "carol"]) await participants(who, ["Alice", "Bob", "Carol"]);

  await say("bob", "hello from bob");
  for (const who of ["alice", "carol"]) await sees(who, "hello from bob");
  await say("alice", "welcome, everyone");
  for (const who of ["bob", "carol"]) await sees(who, "welcome, everyone");
  await say("carol", "hi, carol here");
  for (const who of ["alice", "bob"]) await sees(who, "hi, carol here");

  // bob shares a link; carol raises her hand, which alice sees.
  await pages.bob.fill("#link-input", "https://example.com/slides");
  await pages.bob.click("#link-form button[type=submit]");
  await pages.alice.locator("#links a[href='https://example.com/slides']").waitFor({ timeout: STEP });
  emit("link", { who: "alice", url: "https://example.com/slides" });
  await pages.carol.click("#hand-button");
  await pages.alice.locator("#participants li[data-nick=Carol] .hand:not(.hidden)").waitFor({ timeout: STEP });
  emit("hand", { who: "alice", nick: "Carol", raised: true });
  await screenshots("-during");

  // carol leaves; the others see her go.
  await pages.carol.click("#leave-button");
  await pages.carol.locator("#ended").waitFor({ state: "visible", timeout: STEP });
  emit("left", { who: "carol", text: await pages.carol.locator("#ended-text").textContent() });
  for (const who of ["alice", "bob"]) await participants(who, ["Alice", "Bob"]);

  // alice, the host, ends it for everyone.
  await pages.alice.click("#end-button");
  for (const who of ["alice", "bob"]) {
    await pages[who].locator("#ended").waitFor({ state: "visible", timeout: STEP });
    emit("ended", { who, text: await pages[who].locator("#ended-text").textContent() });
  }

  // dave was not invited to the other conference, which takes enrolment:
  // the page enrols him (his account's session and the key) and he joins.
  if (opts.enrol) {
    await open("dave", opts.enrol);
    await join("dave", { username: "dave", key: opts.key, nick: "Dave" });
    await participants("dave", ["Dave"]);
  }

  // erin has no account: she joins the third conference, which welcomes
  // guests, by name (with the key), and chats.
  if (opts.guest) {
    await open("erin", opts.guest);
    const page = pages.erin;
    await page.locator("#guest-form").waitFor({ state: "visible", timeout: STEP });
    await page.fill("#guest-name", "Erin");
    await page.fill("#guest-key", opts.key);
    await page.click("#guest-button");
    await page.locator("#room").waitFor({ state: "visible", timeout: STEP });
    await page.waitForFunction(() => document.getElementById("title").textContent !== "Conference", null, { timeout: STEP });
    emit("joined", { who: "erin", title: await page.locator("#title").textContent(), host: await page.locator("#host-controls").isVisible() });
    await participants("erin", ["Erin"]);
    await say("erin", "hello from a guest");
    await sees("erin", "hello from a guest");
  }

  // The playback page replays the timeline.
  await open("playback", opts.playback);
  await pages.playback.locator("#timeline li[data-kind=end]").waitFor({ timeout: STEP });
  const items = await pages.playback.$$eval("#timeline li", (lis) => lis.map((li) => ({
    kind: li.dataset.kind, text: li.textContent.replace(/\s+/g, " ").trim(), at: li.querySelector("time").getAttribute("datetime"),
  })));
  emit("playback", { items, status: await pages.playback.locator("#status").textContent() });
  await screenshots();
  emit("done");
  await quit(0);
}

main().catch(async (err) => {
  emit("fail", { error: "conference driver: " + (err.stack || err) });
  await screenshots();
  quit(1);
});
