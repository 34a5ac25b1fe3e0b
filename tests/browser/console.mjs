// The console in a real browser (Debian's Chromium through playwright-core), as a supervisor
// uses it. Driven by tests/tests/console_browser.rs, which seeds the server and answers the
// script's requests on stdin/stdout ("PHONE" → the test syncs a new hazard from a phone →
// "SYNCED"). Screenshots go to the folder given; nothing here is committed output.
//
// usage: node console.mjs <base-url> <screenshot-dir> <hazard-to-reject> <hazard-to-accept> <owner-hazard>
import { chromium } from "playwright-core";
import { createInterface } from "node:readline";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";

const [base, shots, toReject, toAccept, ownerHazard] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const lines = createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once("line", resolve));
const step = (s) => console.error(`· ${s}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--lang=zh-CN"],
});
const shot = (page, name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

async function signIn(context, user) {
  const page = await context.newPage();
  page.on("pageerror", (e) => { throw new Error(`script error on ${page.url()}: ${e}`); });
  await page.goto(`${base}/console/`);
  assert.match(page.url(), /\/console\/login$/, "signed out, the console asks to sign in");
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", `${user}-demo-pass`);
  await Promise.all([page.waitForURL(`${base}/console/`), page.click("button[type=submit]")]);
  return page;
}

try {
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });

  step("the login page, then a wrong password");
  {
    const page = await context.newPage();
    await page.goto(`${base}/console/login`);
    await shot(page, "01-login");
    await page.fill("input[name=username]", "li");
    await page.fill("input[name=password]", "not-the-password");
    await page.click("button[type=submit]");
    assert.equal(await page.locator(".error").count(), 1, "a wrong password says so");
    const cookies = await context.cookies();
    assert.ok(!cookies.some((c) => c.name === "cl_session"), "and starts no session");
    await page.close();
  }

  step("the supervisor signs in: the dashboard, in Chinese");
  const page = await signIn(context, "li");
  const session = (await context.cookies()).find((c) => c.name === "cl_session");
  assert.ok(session && session.httpOnly && session.sameSite === "Lax", "the session cookie is HttpOnly and SameSite");
  assert.match(await page.locator("h1").first().innerText(), /仪表盘/);
  await shot(page, "02-dashboard-zh");

  step("switching to English and back");
  await Promise.all([page.waitForNavigation(), page.click("a[lang=en]")]);
  assert.match(await page.locator("h1").first().innerText(), /Dashboard/);
  await shot(page, "03-dashboard-en");
  await Promise.all([page.waitForNavigation(), page.click("a[lang=zh-CN]")]);
  assert.match(await page.locator("h1").first().innerText(), /仪表盘/);

  step("the review queue: both photos of each item load");
  await page.goto(`${base}/console/review`);
  const items = page.locator(".review-item");
  assert.ok((await items.count()) >= 2, "two rectifications wait");
  for (const id of [toReject, toAccept]) {
    const imgs = page.locator(`#h-${id} .sides img`);
    assert.ok((await imgs.count()) >= 2, `before and after photos of ${id}`);
    for (let i = 0; i < (await imgs.count()); i++) {
      await imgs.nth(i).scrollIntoViewIfNeeded();
      await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await imgs.nth(i).elementHandle());
    }
  }
  await shot(page, "04-review");

  step("reject one with a reason, by keyboard only");
  await page.focus(`#h-${toReject}`);
  await page.keyboard.press("r");
  assert.equal(await page.evaluate(() => document.activeElement.name), "reason", "R goes to the reason");
  await page.keyboard.type("照片看不清灭火器压力表，请重拍");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.waitForFunction((id) => !document.getElementById(`h-${id}`), toReject);

  step("accept the other with A, without leaving the page");
  const marker = await page.evaluate(() => (window.__stay = Math.random()));
  await page.focus(`#h-${toAccept}`);
  await page.keyboard.press("a");
  await page.waitForFunction((id) => !document.getElementById(`h-${id}`), toAccept);
  assert.equal(await page.evaluate(() => window.__stay), marker, "no page load happened");
  await shot(page, "05-review-after-decisions");

  step("the decisions are on the hazards' timelines");
  await page.goto(`${base}/console/hazards/${toReject}`);
  assert.match(await page.locator(".timeline-table").innerText(), /驳回/);
  assert.match(await page.locator(".timeline-table").innerText(), /照片看不清/);
  await shot(page, "06-hazard-rejected");
  await page.goto(`${base}/console/hazards/${toAccept}`);
  assert.match(await page.locator("header .badge.st-accepted").innerText(), /已闭环/);

  step("the hazard list filters");
  await page.goto(`${base}/console/hazards?status=accepted`);
  assert.ok((await page.locator("table.list tbody tr").count()) >= 1);
  await shot(page, "07-hazards-filtered");
  await page.goto(`${base}/console/hazards`);
  await shot(page, "08-hazards");

  step("the sites, their map and 1/3/5 km rings");
  await page.goto(`${base}/console/sites`);
  assert.ok((await page.locator("#site-map circle.site").count()) >= 4);
  const dot = await page.locator("#site-map circle.site").first().boundingBox();
  await page.mouse.click(dot.x + dot.width / 2 + 12, dot.y + dot.height / 2 + 12);
  await page.waitForSelector("#rings circle.ring");
  assert.equal(await page.locator("#rings circle.ring").count(), 3);
  assert.ok((await page.locator("#nearby li").count()) >= 1, "the sites near the point are listed");
  await shot(page, "09-sites-map");
  await page.click("table.list tbody tr:first-child a");
  await page.waitForSelector("h1 .badge");
  await shot(page, "10-site");

  step("the dashboard follows a phone's sync without a reload");
  await page.goto(`${base}/console/`);
  await page.waitForSelector("#live.on");
  const before = Number(await page.locator("#kpi-found").innerText());
  const stay = await page.evaluate(() => (window.__stay = Math.random()));
  console.log("PHONE");
  assert.equal(await nextLine(), "SYNCED");
  await page.waitForFunction((n) => Number(document.getElementById("kpi-found").innerText) > n, before, { timeout: 15000 });
  assert.equal(await page.evaluate(() => window.__stay), stay, "no page load happened");
  await shot(page, "11-dashboard-live");

  step("an owner is offered no verdict, and a forged one is refused by the rules");
  const ownerContext = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  const owner = await signIn(ownerContext, "zhang");
  await owner.goto(`${base}/console/hazards/${ownerHazard}`);
  assert.equal(await owner.locator("form.decision-accepted").count(), 0, "no accept form for an owner");
  await shot(owner, "12-owner-hazard");
  const refused = await owner.evaluate(async (id) => {
    const csrf = document.body.dataset.csrf;
    const r = await fetch(`/console/hazards/${id}/decide`, {
      method: "POST",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, type: "accepted" }),
    });
    return { status: r.status, body: await r.json() };
  }, ownerHazard);
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error, "hazard.accept.supervisor_only");
  const forged = await owner.evaluate(async (id) => {
    const r = await fetch(`/console/hazards/${id}/decide`, {
      method: "POST",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: "0".repeat(32), type: "commented", note: "x" }),
    });
    return r.status;
  }, ownerHazard);
  assert.equal(forged, 403, "a request without the session's CSRF token is refused");

  step("sign out");
  await Promise.all([page.waitForURL(/\/console\/login$/), page.click("header form button")]);
  await page.goto(`${base}/console/review`);
  assert.match(page.url(), /\/console\/login$/, "the session is gone");
  console.log("DONE");
} finally {
  await browser.close();
}
process.exit(0);
