#!/usr/bin/env node
/* A tiny browser driver for the black-box tests (tests/integ/test_dashboard.py).
 *
 *   node driver.js            (reads commands on stdin, one JSON object per line)
 *
 * Launches Debian's chromium (CHROMIUM env, default /usr/bin/chromium) through
 * playwright-core, headless, with a fresh profile directory, then runs each
 * command and answers one JSON line {"ok": true, "value": ...} or
 * {"ok": false, "error": "..."} per command:
 *
 *   {"cmd": "open", "url": U, "width": W, "height": H, "user": u, "pass": p, "dark": bool}
 *   {"cmd": "eval", "js": "expression"}              value of the expression
 *   {"cmd": "wait", "js": "expression", "timeout_ms": N}
 *                                                     polls until truthy; value and ms taken
 *   {"cmd": "click", "selector": CSS}
 *   {"cmd": "shot", "path": P, "full": bool}          PNG screenshot
 *   {"cmd": "errors"}                                 page errors and console errors so far
 *   {"cmd": "quit"}
 *
 * The Python side owns the timing (it kills servers, checks tandem), the
 * driver only does what it is told; it exits when stdin closes. */
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const readline = require("readline");
const { chromium } = require("playwright-core");

const exe = process.env.CHROMIUM || "/usr/bin/chromium";
let browser = null, context = null, page = null, profile = null;
const errors = [];

function reply(obj) { process.stdout.write(JSON.stringify(obj) + "\n"); }

async function open(c) {
  if (!browser) {
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "tandem-chromium-"));
    /* launchPersistentContext: the fresh --user-data-dir is ours */
    context = await chromium.launchPersistentContext(profile, {
      executablePath: exe,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage"],
      viewport: { width: c.width || 1400, height: c.height || 900 },
      httpCredentials: c.user ? { username: c.user, password: c.pass || "" } : undefined,
      deviceScaleFactor: c.scale || 1,
      colorScheme: c.dark ? "dark" : "light",
    });
    browser = context;
    page = context.pages()[0] || await context.newPage();
    page.on("pageerror", (e) => errors.push("pageerror: " + e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text()); });
  } else if (c.width) {
    await page.setViewportSize({ width: c.width, height: c.height || 900 });
  }
  const r = await page.goto(c.url, { waitUntil: "load", timeout: c.timeout_ms || 10000 });
  return r ? r.status() : null;
}

async function wait(c) {
  const t0 = Date.now(), limit = c.timeout_ms || 5000;
  for (;;) {
    let v = null;
    try { v = await page.evaluate(c.js); } catch (e) { v = null; }
    if (v) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > limit) throw new Error("timed out after " + limit + " ms waiting for: " + c.js);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function run(c) {
  switch (c.cmd) {
  case "open": return await open(c);
  case "eval": return await page.evaluate(c.js);
  case "wait": return await wait(c);
  case "click": await page.click(c.selector, { timeout: c.timeout_ms || 5000 }); return true;
  case "shot": await page.screenshot({ path: c.path, fullPage: !!c.full }); return c.path;
  case "errors": return errors.slice();
  case "quit": return true;
  default: throw new Error("unknown command " + c.cmd);
  }
}

async function close() {
  try { if (browser) await browser.close(); } catch (e) { /* already gone */ }
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
}

async function main() {
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let c;
    try { c = JSON.parse(line); } catch (e) { reply({ ok: false, error: "bad JSON: " + e.message }); continue; }
    try {
      reply({ ok: true, value: await run(c) });
    } catch (e) {
      reply({ ok: false, error: String(e && e.message || e) });
    }
    if (c.cmd === "quit") break;
  }
  await close();
  process.exit(0);
}

main().catch(async (e) => { reply({ ok: false, error: String(e) }); await close(); process.exit(1); });
